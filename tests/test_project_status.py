"""PEP 792 project status markers: read from JSON and HTML project pages of a real local
index; quarantined blocks, archived and deprecated warn."""

from __future__ import annotations

from pathlib import Path

import pytest

from safe_pip.index.client import ProjectStatus, fetch_index_files
from safe_pip.index.page_cache import PageCache
from safe_pip.index.settings import IndexSettings
from safe_pip.models import Action, PlanItem
from safe_pip.pipeline.check_plan import check_plan
from safe_pip.pipeline.policy import Policy
from safe_pip.producers.lockfiles.check import check_lock_files
from support.index_server import LocalIndex
from support.scenario import build_advisory_db


@pytest.fixture
def statuses_index(tmp_path: Path) -> LocalIndex:
    return LocalIndex(tmp_path / "index")


@pytest.mark.integration
@pytest.mark.parametrize("serve_json", [True, False])
def test_markers_are_read_from_json_and_html_pages(tmp_path: Path, serve_json: bool) -> None:
    index = LocalIndex(tmp_path / "index", serve_json=serve_json)
    try:
        index.add("oldlib", "1.0")
        index.set_status("oldlib", "archived", "no longer maintained")
        index.set_status("badlib", "quarantined")  # an index serves no files for it
        index.add("fine", "1.0")
        found: list[ProjectStatus] = []
        files = fetch_index_files([index.url], ["oldlib", "badlib", "fine"], statuses=found)
    finally:
        index.close()
    assert [f.filename for f in files["oldlib"]] == ["oldlib-1.0-py3-none-any.whl"]
    assert files["badlib"] == []
    assert sorted(found, key=lambda s: s.name) == [
        ProjectStatus("badlib", "quarantined", None, index.url),
        ProjectStatus("oldlib", "archived", "no longer maintained", index.url),
    ]


@pytest.mark.integration
def test_quarantined_blocks_archived_and_deprecated_warn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(cache))
    build_advisory_db({"SAFE_PIP_CACHE_DIR": str(cache)})
    index = LocalIndex(tmp_path / "index")
    try:
        plan = []
        for name, status in (
            ("quarlib", "quarantined"),
            ("archlib", "archived"),
            ("deplib", "deprecated"),
        ):
            hosted = index.add(name, "1.0")
            index.set_status(name, status, f"{name} reason")
            plan.append(
                PlanItem(
                    name=name,
                    version="1.0",
                    url=hosted.url,
                    filename=hosted.filename,
                    sha256=hosted.sha256,
                )
            )
        result = check_plan(plan, Policy(), [index.url], record_seen=False)
    finally:
        index.close()
    decisions = {(d.finding.id, d.action) for d in result.verdict.decisions}
    assert decisions == {
        ("PROJECT-QUARANTINED", Action.BLOCK),
        ("PROJECT-ARCHIVED", Action.WARN),
        ("PROJECT-DEPRECATED", Action.WARN),
    }
    (quarantined,) = [d for d in result.verdict.decisions if d.action is Action.BLOCK]
    assert quarantined.finding.summary == "the index marks the project quarantined: quarlib reason"
    assert result.verdict.blocked


@pytest.mark.integration
def test_a_status_survives_revalidation_from_the_page_cache(tmp_path: Path) -> None:
    """A 304 answer reuses the cached page: its status marker must come back with it."""
    index = LocalIndex(tmp_path / "index", validators=True)
    try:
        index.add("oldlib", "1.0")
        index.set_status("oldlib", "quarantined", "malware")
        cache = PageCache(tmp_path / "cache")
        first: list[ProjectStatus] = []
        fetch_index_files([index.url], ["oldlib"], cache=cache, statuses=first)
        again: list[ProjectStatus] = []
        fetch_index_files([index.url], ["oldlib"], cache=cache, statuses=again)
    finally:
        index.close()
    assert first == again == [ProjectStatus("oldlib", "quarantined", "malware", index.url)]


@pytest.mark.integration
def test_a_lock_file_check_reports_the_status_of_its_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(cache))
    build_advisory_db({"SAFE_PIP_CACHE_DIR": str(cache)})
    index = LocalIndex(tmp_path / "index")
    try:
        hosted = index.add("quarlib", "1.0")
        index.set_status("quarlib", "quarantined", "malware")
        lock = tmp_path / "pylock.toml"
        lock.write_text(
            'lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "quarlib"\n'
            f'version = "1.0"\nindex = "{index.url}"\n\n[[packages.wheels]]\n'
            f'url = "{hosted.url}"\nhashes = {{sha256 = "{hosted.sha256}"}}\n',
            encoding="utf-8",
        )
        result = check_lock_files(
            [lock], Policy(), index_urls=[index.url], index_settings=IndexSettings()
        )
    finally:
        index.close()
    assert [(d.finding.id, d.action) for d in result.verdict.decisions] == [
        ("PROJECT-QUARANTINED", Action.BLOCK)
    ]
