"""Data that is never stale: per-source freshness, refresh before a check with conditional
requests and OSV's modified_id.csv, offline fallback, max-malware-age, several sources
merged. The feed is a real HTTP server on 127.0.0.1 (support.osv_feed)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from safe_pip.advisories.database import AdvisoryDatabase
from safe_pip.advisories.update import refresh_database, update_database
from safe_pip.commands.db import render_status
from safe_pip.errors import CannotCheckError
from safe_pip.pipeline.fresh_data import open_fresh_database
from safe_pip.pipeline.policy import Policy
from safe_pip.pipeline.tightening import loosens
from support.osv_feed import OsvFeed, osv_record, zip_of

OLD = "2024-01-01T00:00:00Z"
NEWER = "2025-06-01T00:00:00Z"


@pytest.fixture
def feed() -> Iterator[OsvFeed]:
    with OsvFeed() as running:
        running.publish(
            osv_record("MAL-2099-100", "evil-one", OLD),
            osv_record("PYSEC-2099-100", "vuln-one", OLD),
        )
        yield running


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("SAFE_PIP_DB_SOURCE", raising=False)
    return tmp_path / "cache" / "advisories.sqlite"


def age_sources(path: Path, age: timedelta) -> None:
    """Pretend every source was last fetched ``age`` ago."""
    moment = (datetime.now(timezone.utc) - age).isoformat()
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE sources SET fetched_at = ?", (moment,))
    connection.close()


def ids(path: Path, name: str) -> list[str]:
    with AdvisoryDatabase.open(path) as database:
        return [match.id for match in database.matches(name, "1.0")]


@pytest.mark.integration
def test_status_knows_newest_modified_and_fetch_time_per_source(
    feed: OsvFeed, db_path: Path
) -> None:
    status = update_database(feed.export_url, db_path=db_path)
    (source,) = status.sources
    assert source.location == feed.export_url
    assert source.newest_modified == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert source.age < timedelta(minutes=1)
    assert (source.record_count, source.malicious_count) == (2, 1)
    text = render_status(status)
    assert f"source:            {feed.export_url}" in text
    assert "newest modified: 2024-01-01 00:00:00 UTC" in text
    assert "records:         2 (1 malicious, 0 withdrawn" in text


@pytest.mark.integration
def test_stale_database_is_refreshed_incrementally_and_then_costs_one_304(
    feed: OsvFeed, db_path: Path
) -> None:
    update_database(feed.export_url, db_path=db_path)
    feed.statuses()
    feed.publish(osv_record("MAL-2099-101", "evil-two", NEWER))
    age_sources(db_path, timedelta(hours=5))  # older than refresh-after (4h)

    notes: list[str] = []
    with open_fresh_database(Policy(), notes, db_path) as database:
        assert [m.id for m in database.matches("evil-two", "1.0")] == ["MAL-2099-101"]
        (source,) = database.status().sources
    assert notes == []
    assert source.age < timedelta(minutes=1)
    assert source.newest_modified == datetime(2025, 6, 1, tzinfo=timezone.utc)
    assert source.record_count == 3
    # only the listing and the one changed record, not the whole export
    assert feed.statuses() == [
        ("/PyPI/modified_id.csv", 200),
        ("/PyPI/MAL-2099-101.json", 200),
    ]
    assert ids(db_path, "evil-one") == ["MAL-2099-100"]  # what did not change is kept

    age_sources(db_path, timedelta(hours=5))
    open_fresh_database(Policy(), notes, db_path).close()
    assert feed.statuses() == [("/PyPI/modified_id.csv", 304)]
    with AdvisoryDatabase.open(db_path) as database:
        assert database.status().sources[0].age < timedelta(minutes=1)


@pytest.mark.integration
def test_a_feed_without_modified_index_is_downloaded_whole_then_304(
    feed: OsvFeed, db_path: Path
) -> None:
    feed.offer_modified_index = False
    update_database(feed.export_url, db_path=db_path)
    feed.publish(osv_record("PYSEC-2099-101", "vuln-two", NEWER))
    feed.statuses()
    refresh_database(db_path)
    assert feed.statuses() == [("/PyPI/modified_id.csv", 404), ("/PyPI/all.zip", 200)]
    assert ids(db_path, "vuln-two") == ["PYSEC-2099-101"]
    refresh_database(db_path)
    assert feed.statuses() == [("/PyPI/modified_id.csv", 404), ("/PyPI/all.zip", 304)]


@pytest.mark.integration
def test_a_fresh_database_is_not_refreshed(feed: OsvFeed, db_path: Path) -> None:
    update_database(feed.export_url, db_path=db_path)
    feed.statuses()
    age_sources(db_path, timedelta(hours=3))
    open_fresh_database(Policy(), [], db_path).close()
    age_sources(db_path, timedelta(days=30))
    open_fresh_database(Policy(refresh_after=timedelta(0)), [], db_path).close()
    assert feed.statuses() == []


@pytest.mark.integration
def test_offline_refresh_goes_on_with_a_warning(feed: OsvFeed, db_path: Path) -> None:
    update_database(feed.export_url, db_path=db_path)
    feed.stop()
    age_sources(db_path, timedelta(days=2))
    notes: list[str] = []
    with open_fresh_database(Policy(), notes, db_path) as database:
        assert [m.id for m in database.matches("evil-one", "1.0")] == ["MAL-2099-100"]
    (note,) = notes
    assert note.startswith("could not refresh the advisory database (could not download")
    assert note.endswith("using data fetched 2d ago")


@pytest.mark.integration
def test_offline_with_malware_data_older_than_max_malware_age_cannot_check(
    feed: OsvFeed, db_path: Path
) -> None:
    update_database(feed.export_url, db_path=db_path)
    feed.stop()
    age_sources(db_path, timedelta(days=8))
    with pytest.raises(CannotCheckError, match="malicious-package data is 8d old, older than "):
        open_fresh_database(Policy(), [], db_path)
    notes: list[str] = []
    open_fresh_database(Policy(max_malware_age=timedelta(0)), notes, db_path).close()
    assert "could not refresh" in notes[0]


@pytest.mark.integration
def test_refreshing_a_fresh_database_does_not_import_the_update_machinery(
    tmp_path: Path,
) -> None:
    """The hot path: opening a fresh database imports neither httpx nor the updater."""
    source = tmp_path / "records.json"
    source.write_text(json.dumps([osv_record("MAL-2099-1", "x", OLD)]), encoding="utf-8")
    db_path = tmp_path / "advisories.sqlite"
    update_database(str(source), db_path=db_path)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from safe_pip.pipeline.fresh_data import open_fresh_database\n"
        "from safe_pip.pipeline.policy import Policy\n"
        f"open_fresh_database(Policy(), [], Path({str(db_path)!r})).close()\n"
        "print(sorted(m for m in ('httpx', 'safe_pip.advisories.update', 'cvss')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_two_sources_merged_newest_modified_wins_and_status_lists_both(
    tmp_path: Path, db_path: Path
) -> None:
    ours = tmp_path / "ours"
    ours.mkdir()
    shared_old = osv_record("MAL-2099-200", "both-pkg", OLD, versions=("1.0",))
    (ours / "MAL-2099-200.json").write_text(json.dumps(shared_old), encoding="utf-8")
    only_ours = osv_record("MAL-2099-201", "our-pkg", OLD)
    (ours / "MAL-2099-201.json").write_text(json.dumps(only_ours), encoding="utf-8")
    theirs = tmp_path / "theirs.zip"
    shared_new = osv_record("MAL-2099-200", "both-pkg", NEWER, versions=("2.0",))
    theirs.write_bytes(zip_of({"MAL-2099-200": shared_new}))

    status = update_database([str(ours), str(theirs)], db_path=db_path)
    assert status.record_count == 2  # MAL-2099-200 counts once
    assert [(s.location, s.record_count) for s in status.sources] == [
        (str(ours.resolve()), 2),
        (str(theirs.resolve()), 1),
    ]
    with AdvisoryDatabase.open(db_path) as database:
        # the newer copy (2.0 affected) wins over the older one (1.0 affected)
        assert database.matches("both-pkg", "1.0") == []
        assert [m.id for m in database.matches("both-pkg", "2.0")] == ["MAL-2099-200"]
        assert [m.id for m in database.matches("our-pkg", "1.0")] == ["MAL-2099-201"]
    text = render_status(status)
    assert text.count("source:            ") == 2


def test_withdrawn_newer_copy_hides_the_older_one(tmp_path: Path, db_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(osv_record("PYSEC-2099-300", "pkg", OLD)), encoding="utf-8")
    withdrawn = {**osv_record("PYSEC-2099-300", "pkg", NEWER), "withdrawn": NEWER}
    second.write_text(json.dumps(withdrawn), encoding="utf-8")
    update_database([str(first), str(second)], db_path=db_path)
    assert ids(db_path, "pkg") == []


def test_an_unchanged_local_source_is_confirmed_without_rereading(
    tmp_path: Path, db_path: Path
) -> None:
    source = tmp_path / "records.json"
    source.write_text(json.dumps([osv_record("MAL-2099-1", "x", OLD)]), encoding="utf-8")
    update_database(str(source), db_path=db_path)
    age_sources(db_path, timedelta(days=1))
    before = db_path.stat().st_ino
    status = refresh_database(db_path)
    assert status.sources[0].age < timedelta(minutes=1)
    assert db_path.stat().st_ino == before  # confirmed in place, no new file
    source.write_text(json.dumps([osv_record("MAL-2099-2", "y", NEWER)]), encoding="utf-8")
    refresh_database(db_path)
    assert ids(db_path, "y") == ["MAL-2099-2"] and ids(db_path, "x") == []


def test_which_freshness_values_loosen_a_policy() -> None:
    hours = timedelta(hours=1)
    assert loosens("refresh-after", 4 * hours, 8 * hours)
    assert loosens("refresh-after", 4 * hours, timedelta(0))  # never refresh
    assert not loosens("refresh-after", 4 * hours, hours)
    assert not loosens("refresh-after", timedelta(0), 4 * hours)
    assert loosens("max-malware-age", 7 * 24 * hours, timedelta(0))  # no limit
    assert not loosens("max-malware-age", 7 * 24 * hours, 24 * hours)
    assert loosens("advisory-sources", (), ("/our/feed",))  # drops OSV's export
    assert not loosens("advisory-sources", ("/our/feed",), ("/our/feed", "/more"))
    assert not loosens("advisory-sources", (), ())
