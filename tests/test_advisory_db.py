from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from safe_pip.advisories.database import (
    SCHEMA_VERSION,
    UPDATE_HINT,
    AdvisoryDatabase,
    AdvisoryMatch,
)
from safe_pip.advisories.osv import parse_record
from safe_pip.advisories.update import refresh_database, update_database
from safe_pip.advisories.version_match import RangeEvent, is_affected
from safe_pip.errors import DatabaseError
from safe_pip.pipeline.check_plan import unknown_ignore_notes
from safe_pip.pipeline.policy import IgnoreRule, Policy

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "advisories" / "osv-pypi-pysec.zip"
EDGE = Path(__file__).parent / "data" / "osv-edge"


def ids(matches: list[AdvisoryMatch]) -> list[str]:
    return [match.id for match in matches]


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdvisoryDatabase]:
    if not SNAPSHOT.is_file():
        pytest.skip(f"shared advisory snapshot not found at {SNAPSHOT}")
    path = tmp_path_factory.mktemp("real") / "advisories.sqlite"
    update_database(str(SNAPSHOT), db_path=path)
    with AdvisoryDatabase.open(path) as database:
        yield database


@pytest.fixture(scope="module")
def edge_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdvisoryDatabase]:
    path = tmp_path_factory.mktemp("edge") / "advisories.sqlite"
    update_database(str(EDGE), db_path=path)
    with AdvisoryDatabase.open(path) as database:
        yield database


# --- the real PyPA snapshot --------------------------------------------------------------


def test_real_requests_2_19_0_has_both_known_advisories(real_db: AdvisoryDatabase) -> None:
    matches = {match.id: match for match in real_db.matches("requests", "2.19.0")}
    assert set(matches) == {"PYSEC-2018-28", "PYSEC-2023-74"}
    redirect = matches["PYSEC-2018-28"]
    assert redirect.aliases == ("CVE-2018-18074", "GHSA-x84v-xcm2-53pg")
    assert redirect.fixed_in == "2.20.0"
    assert redirect.summary.startswith("The Requests package before 2.20.0")
    assert not redirect.malicious
    proxy = matches["PYSEC-2023-74"]
    assert "CVE-2023-32681" in proxy.aliases and "GHSA-j8r2-6x86-q33q" in proxy.aliases
    assert proxy.fixed_in == "2.31.0"


def test_real_lookup_normalizes_the_name(real_db: AdvisoryDatabase) -> None:
    assert ids(real_db.matches("Requests", "2.19.0")) == ids(real_db.matches("requests", "2.19.0"))


def test_real_requests_2_32_3_is_clean(real_db: AdvisoryDatabase) -> None:
    assert real_db.matches("requests", "2.32.3") == []


def test_real_status_counts(real_db: AdvisoryDatabase) -> None:
    status = real_db.status()
    assert status.record_count == 2661
    assert status.skipped_count == 0
    assert status.withdrawn_count == 10
    assert status.source == str(SNAPSHOT.resolve())
    assert timedelta(0) <= status.age < timedelta(minutes=10)


def _snapshot_records() -> list[dict[str, object]]:
    with zipfile.ZipFile(SNAPSHOT) as archive:
        return [json.loads(archive.read(name)) for name in archive.namelist()]


def _a_version_inside(ranges: tuple[tuple[RangeEvent, ...], ...], listed: tuple[str, ...]) -> str:
    if listed:
        return listed[0]
    for events in ranges:
        for event in events:
            if event.kind == "introduced":
                return "0.0.1" if event.version == "0" else event.version
    return ""


def test_real_withdrawn_records_never_match(real_db: AdvisoryDatabase) -> None:
    withdrawn = [r for r in _snapshot_records() if r.get("withdrawn")]
    assert len(withdrawn) == 10
    checked = 0
    for record in withdrawn:
        advisory = parse_record(record)
        assert advisory is not None and advisory.withdrawn
        for package in advisory.affected:
            version = _a_version_inside(package.ranges, package.versions)
            if not version or not is_affected(version, package.ranges, package.versions):
                continue
            found = real_db.matches(package.name, version)
            assert advisory.id not in ids(found)
            assert all(advisory.id not in match.aliases for match in found)
            checked += 1
    assert checked >= 8  # the withdrawn records really would have matched


def test_real_every_active_record_is_found_for_its_listed_versions(
    real_db: AdvisoryDatabase,
) -> None:
    listed: dict[str, dict[str, set[str]]] = {}  # name -> advisory id -> listed versions
    for record in _snapshot_records():
        advisory = parse_record(record)
        assert advisory is not None
        for package in advisory.affected:
            if package.versions and not advisory.withdrawn:
                listed.setdefault(package.name, {})[advisory.id] = set(package.versions)
    lookups = 0
    for name, remaining in listed.items():
        while remaining:  # greedy: the version listed by most remaining advisories first
            counts = Counter(v for versions in remaining.values() for v in versions)
            version = max(sorted(counts), key=counts.__getitem__)
            found = real_db.matches(name, version)
            known = {m.id for m in found} | {alias for m in found for alias in m.aliases}
            lookups += 1
            for advisory_id in [a for a, versions in remaining.items() if version in versions]:
                assert advisory_id in known, (name, version, advisory_id)
                del remaining[advisory_id]
    assert len(listed) > 600 and lookups >= len(listed)


# --- hand-written edge records -----------------------------------------------------------


def test_edge_status(edge_db: AdvisoryDatabase) -> None:
    status = edge_db.status()
    assert status.record_count == 12  # the npm-only record is not a PyPI record
    assert status.withdrawn_count == 1
    assert status.skipped_count == 3  # the three malformed-*.json files


@pytest.mark.parametrize("name", ["evil-pkg", "Evil_Pkg", "EVIL.pkg"])
@pytest.mark.parametrize("version", ["0.0.1", "1.0", "99.0rc1"])
def test_edge_malicious_package_matches_every_version(
    edge_db: AdvisoryDatabase, name: str, version: str
) -> None:
    (match,) = edge_db.matches(name, version)
    assert match.id == "MAL-2099-1"
    assert match.malicious
    assert match.fixed_in is None
    assert match.summary == "Malicious code in evil-pkg (PyPI)"


def test_edge_withdrawn_never_matches(edge_db: AdvisoryDatabase) -> None:
    assert edge_db.matches("withdrawn-pkg", "1.0") == []
    assert edge_db.matches("withdrawn-pkg", "0.1") == []


@pytest.mark.parametrize(
    ("name", "version", "expected_ids", "fixed_in"),
    [
        ("last-affected-pkg", "1.4.2", ["PYSEC-2099-2"], None),
        ("last-affected-pkg", "1.4.3", [], None),
        ("last-affected-pkg", "0.9", [], None),
        ("limit-pkg", "1.9", ["PYSEC-2099-3"], None),
        ("limit-pkg", "2.0", [], None),
        ("prerelease-pkg", "2.0.0rc1", ["PYSEC-2099-4"], "2.0.0"),
        ("prerelease-pkg", "2.0.0", [], None),
        ("prerelease-pkg", "3.0.0.dev1", [], None),
        ("prerelease-pkg", "3.0.0b1", ["PYSEC-2099-4"], "3.0.0rc2"),
        ("prerelease-pkg", "3.0.0rc2", [], None),
        ("versions-only-pkg", "1.0.0", ["PYSEC-2099-5"], None),
        ("versions-only-pkg", "2.0.post1", ["PYSEC-2099-5"], None),
        ("versions-only-pkg", "0.3m1", ["PYSEC-2099-5"], None),
        ("versions-only-pkg", "1.0.1", [], None),
        ("foo-bar", "0.5", ["PYSEC-2099-6"], "0.9"),
        ("Foo_Bar", "0.5", ["PYSEC-2099-6"], "0.9"),
        ("FOO.BAR", "0.9", [], None),
        ("git-only-pkg", "1.0", [], None),
        ("shared-name", "1.0", [], None),  # npm package of the same name
        ("not-in-the-database", "1.0", [], None),
    ],
)
def test_edge_ranges(
    edge_db: AdvisoryDatabase,
    name: str,
    version: str,
    expected_ids: list[str],
    fixed_in: str | None,
) -> None:
    matches = edge_db.matches(name, version)
    assert ids(matches) == expected_ids
    if matches:
        assert matches[0].fixed_in == fixed_in


def test_edge_prerelease_severity(edge_db: AdvisoryDatabase) -> None:
    (match,) = edge_db.matches("prerelease-pkg", "1.0")
    assert match.severity == 7.5


def test_edge_alias_pair_sharing_a_cve_is_one_match(edge_db: AdvisoryDatabase) -> None:
    (match,) = edge_db.matches("alias-pkg", "0.5")
    assert match == AdvisoryMatch(
        id="PYSEC-2099-10",
        aliases=("CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"),
        summary="Alias pkg mishandles input (PyPI advisory database copy).",
        # The GitHub copy says 1.4 fixes it, the PyPI copy that 1.4 is still affected (fixed
        # in 1.5): the first version no merged record calls affected is the fix to advise.
        fixed_in="1.5",
        severity=9.8,  # the highest score among them
        malicious=False,
        url="https://osv.dev/vulnerability/PYSEC-2099-10",  # the record has no references
    )


def test_edge_alias_by_id_is_merged_and_groups_stay_apart(edge_db: AdvisoryDatabase) -> None:
    matches = edge_db.matches("alias-pkg", "1.2")
    assert ids(matches) == ["PYSEC-2099-10", "PYSEC-2099-11"]
    assert matches[1].aliases == ("GHSA-dddd-eeee-ffff",)
    assert matches[1].fixed_in == "2.1"  # 2.0 is still affected per PYSEC-2099-11


def test_edge_only_affected_records_are_merged(edge_db: AdvisoryDatabase) -> None:
    # the GitHub copy says 1.4 fixed it, the PyPI copy says 1.5: at 1.4.5 only PYSEC matches
    first, second = edge_db.matches("alias-pkg", "1.4.5")
    assert (first.id, first.aliases, first.fixed_in, first.severity) == (
        "PYSEC-2099-10",
        ("CVE-2099-0001",),
        "1.5",
        7.5,
    )
    assert second.id == "PYSEC-2099-11"
    # at 2.0 only the PYSEC side of the second pair still matches
    (late,) = edge_db.matches("alias-pkg", "2.0")
    assert (late.id, late.aliases, late.fixed_in) == ("PYSEC-2099-11", (), "2.1")


def test_edge_malicious_is_listed_first(tmp_path: Path) -> None:
    source = tmp_path / "records.json"
    common = {"affected": [{"package": {"ecosystem": "PyPI", "name": "pkg"}, "versions": ["1"]}]}
    source.write_text(
        json.dumps(
            [
                {"id": "GHSA-1111-2222-3333", **common},
                {"id": "MAL-2099-9", **common},
                {"id": "OSV-2099-1", **common},
            ]
        )
    )
    update_database(str(source), db_path=tmp_path / "db.sqlite")
    with AdvisoryDatabase.open(tmp_path / "db.sqlite") as database:
        found = database.matches("pkg", "1.0")
    assert ids(found) == ["MAL-2099-9", "GHSA-1111-2222-3333", "OSV-2099-1"]
    assert [m.malicious for m in found] == [True, False, False]


# --- opening missing or broken databases -------------------------------------------------


def test_open_missing_database(tmp_path: Path) -> None:
    path = tmp_path / "nothing.sqlite"
    with pytest.raises(DatabaseError) as info:
        AdvisoryDatabase.open(path)
    assert str(info.value) == f"no advisory database at {path}; {UPDATE_HINT}"
    assert not path.exists()  # opening never creates a database


def test_open_uses_the_cache_dir_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path))
    with pytest.raises(DatabaseError, match="no advisory database at"):
        AdvisoryDatabase.open()
    update_database(str(EDGE))
    with AdvisoryDatabase.open() as database:
        assert database.status().path == tmp_path / "advisories.sqlite"
        assert ids(database.matches("evil-pkg", "1.0")) == ["MAL-2099-1"]


def _corrupt_message(path: Path) -> str:
    return f"advisory database at {path} is corrupt or from another version; {UPDATE_HINT}"


def test_open_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "advisories.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(DatabaseError) as info:
        AdvisoryDatabase.open(path)
    assert str(info.value) == _corrupt_message(path)


def test_open_sqlite_without_our_tables(tmp_path: Path) -> None:
    path = tmp_path / "advisories.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE unrelated (x)")
        connection.execute("PRAGMA user_version = 1")
    connection.close()
    with pytest.raises(DatabaseError) as info:
        AdvisoryDatabase.open(path)
    assert str(info.value) == _corrupt_message(path)


def test_open_database_of_another_schema_version(edge_db: AdvisoryDatabase, tmp_path: Path) -> None:
    path = tmp_path / "advisories.sqlite"
    shutil.copyfile(edge_db.status().path, path)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.commit()
    connection.close()
    with pytest.raises(DatabaseError) as info:
        AdvisoryDatabase.open(path)
    assert str(info.value) == _corrupt_message(path)


def test_open_database_with_broken_metadata(edge_db: AdvisoryDatabase, tmp_path: Path) -> None:
    path = tmp_path / "advisories.sqlite"
    shutil.copyfile(edge_db.status().path, path)
    connection = sqlite3.connect(path)
    connection.execute("DELETE FROM sources")  # the database no longer says where it came from
    connection.commit()
    connection.close()
    with pytest.raises(DatabaseError, match="is corrupt or from another version"):
        AdvisoryDatabase.open(path)


def test_truncated_database_file_is_an_error_not_a_crash(
    real_db: AdvisoryDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "advisories.sqlite"
    data = real_db.status().path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(DatabaseError), AdvisoryDatabase.open(path) as database:
        for name in ("requests", "django", "flask", "jinja2", "pillow", "urllib3"):
            database.matches(name, "0.1")


def test_damaged_rows_are_a_database_error(edge_db: AdvisoryDatabase, tmp_path: Path) -> None:
    path = tmp_path / "advisories.sqlite"
    shutil.copyfile(edge_db.status().path, path)
    connection = sqlite3.connect(path)
    connection.execute("UPDATE affected SET ranges = 'not json' WHERE name = 'evil-pkg'")
    connection.commit()
    connection.close()
    with AdvisoryDatabase.open(path) as database:
        assert ids(database.matches("limit-pkg", "1.5")) == ["PYSEC-2099-3"]
        with pytest.raises(DatabaseError, match="run `safe-pip db update`"):
            database.matches("evil-pkg", "1.0")


def test_real_match_carries_the_advisory_url(real_db: AdvisoryDatabase) -> None:
    by_id = {match.id: match for match in real_db.matches("requests", "2.19.0")}
    assert by_id["PYSEC-2023-74"].url == (
        "https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q"
    )
    assert by_id["PYSEC-2023-74"].summary.startswith("Requests is a HTTP library. Since")


def write_schema_1_database(path: Path, source: str) -> None:
    """A database exactly as safe-pip wrote it before advisory URLs and sources existed."""
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE advisories (id TEXT PRIMARY KEY, aliases TEXT NOT NULL,
            summary TEXT NOT NULL, severity REAL, malicious INTEGER NOT NULL,
            withdrawn INTEGER NOT NULL);
        CREATE TABLE affected (name TEXT NOT NULL, advisory_id TEXT NOT NULL,
            ranges TEXT NOT NULL, versions TEXT NOT NULL);
        INSERT INTO advisories VALUES ('MAL-2099-1', '[]', 'evil', NULL, 1, 0);
        INSERT INTO affected VALUES ('evil-pkg', 'MAL-2099-1', '[]', '\n1.0\n');
        PRAGMA user_version = 1;
        """
    )
    meta = {
        "source": source,
        "updated_at": "2026-01-01T00:00:00+00:00",
        "record_count": "1",
        "skipped_count": "0",
        "withdrawn_count": "0",
    }
    connection.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    connection.commit()
    connection.close()


def test_database_of_schema_version_1_is_still_read(tmp_path: Path) -> None:
    """A database built before advisory URLs and sources keeps working until the next update."""
    path = tmp_path / "advisories.sqlite"
    write_schema_1_database(path, str(EDGE.resolve()))
    with AdvisoryDatabase.open(path) as database:
        (match,) = database.matches("evil-pkg", "1.0")
        (source,) = database.status().sources
    assert match.id == "MAL-2099-1" and match.url == ""
    assert (source.location, source.record_count, source.malicious_count) == (
        str(EDGE.resolve()),
        1,
        1,
    )


def test_refreshing_a_schema_1_database_rebuilds_it_from_its_source(tmp_path: Path) -> None:
    path = tmp_path / "advisories.sqlite"
    write_schema_1_database(path, str(EDGE.resolve()))
    status = refresh_database(path)
    assert status.schema == SCHEMA_VERSION and status.record_count > 1
    with AdvisoryDatabase.open(path) as database:
        (match,) = database.matches("evil-pkg", "1.0")
    assert match.url.startswith("https://")


def test_knows_ids_and_aliases_in_any_case(edge_db: AdvisoryDatabase) -> None:
    assert edge_db.knows("PYSEC-2099-10") and edge_db.knows("pysec-2099-10")
    assert edge_db.knows("CVE-2099-0001") and edge_db.knows("ghsa-aaaa-bbbb-cccc")
    assert not edge_db.knows("PYSEC-2099-999") and not edge_db.knows("CVE-2099-000")


def test_ignores_matching_no_advisory_are_named(edge_db: AdvisoryDatabase) -> None:
    policy = Policy(
        ignore=(
            IgnoreRule("PYSEC-2099-10", "known id"),
            IgnoreRule("cve-2099-0001", "known alias, other case"),
            IgnoreRule("PYSEC-2099-100", "a typo", source="pyproject.toml"),
            IgnoreRule("YANKED", "one of safe-pip's own checks"),
        )
    )
    (note,) = unknown_ignore_notes(edge_db, policy)
    assert note.startswith("ignore PYSEC-2099-100 (pyproject.toml) matches no advisory")
