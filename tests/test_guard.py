"""The shared pipeline (``guard.check_plan``) on a real advisory database built from
hand-written OSV records; index pages are given as data so each case is exact."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from safe_pip.index.client import IndexFile
from safe_pip.models import ArtifactSource, PlanItem
from safe_pip.pipeline.check_plan import check_plan
from safe_pip.pipeline.policy import Policy
from support.scenario import VULN_ID, build_advisory_db

INDEX = "http://127.0.0.1:9/simple/"
SHA = "a" * 64
UPLOADED = "2024-05-06T07:08:09.000000Z"  # long past any min-release-age


# The test advisory data is a fixed snapshot: its age by the clock is not what these are about.
FIXED_DATA = Policy(max_db_age_days=0)


@pytest.fixture(autouse=True)
def advisory_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(cache))
    build_advisory_db({"SAFE_PIP_CACHE_DIR": str(cache)})


def item(name: str, version: str, filename: str) -> PlanItem:
    return PlanItem(name=name, version=version, filename=filename, sha256=SHA, url=f"x/{filename}")


def page(filename: str, *, yanked: str | None = None) -> IndexFile:
    return IndexFile(
        filename=filename,
        url=f"http://127.0.0.1:9/files/{filename}",
        sha256=SHA,
        yanked=yanked is not None,
        yanked_reason=yanked,
        upload_time=UPLOADED,
        index_url=INDEX,
    )


def test_items_learn_their_index_and_yanked_status_from_the_page() -> None:
    plan = [item("cleanlib", "1.0", "cleanlib-1.0-py3-none-any.whl")]
    files = {"cleanlib": [page("cleanlib-1.0-py3-none-any.whl", yanked="bad build")]}
    result = check_plan(plan, FIXED_DATA, [INDEX], index_files=files, record_seen=False)
    (checked,) = result.verdict.plan
    assert (checked.index_url, checked.yanked, checked.yanked_reason) == (INDEX, True, "bad build")
    assert checked.upload_time == UPLOADED
    assert [d.finding.id for d in result.verdict.decisions] == ["YANKED"]
    assert result.notes == []


def test_an_index_artifact_missing_from_the_page_that_was_read_is_said() -> None:
    # The producer (uv, a lock file) may name the index itself: the page still decides.
    named = replace(item("cleanlib", "1.0", "cleanlib-1.0-py3-none-any.whl"), index_url=INDEX)
    plan = [named, item("vulnlib", "1.0", "vulnlib-1.0-py3-none-any.whl")]
    files = {"cleanlib": [page("cleanlib-2.0-py3-none-any.whl")], "vulnlib": []}
    result = check_plan(plan, FIXED_DATA, [INDEX], index_files=files, record_seen=False)
    (note,) = result.notes
    assert "index hash could not be compared: cleanlib==1.0, vulnlib==1.0" in note
    # and no page gave their upload times: one named a remote index, so it counts as too new
    # (issue 16); the other's source is unknown, so its release age could not be checked
    assert [(d.finding.id, d.finding.name) for d in result.verdict.decisions] == [
        (VULN_ID, "vulnlib"),
        ("TOO-NEW", "cleanlib"),
        ("NO-UPLOAD-TIME", "vulnlib"),
    ]


def test_local_artifacts_are_neither_looked_up_nor_noted() -> None:
    local = PlanItem(name="mytool", version="1.0", source=ArtifactSource.LOCAL_PATH, url="/x")
    # No index URL at all: a lookup would have nothing to ask, a note would be noise.
    result = check_plan([local], FIXED_DATA, [], record_seen=False)
    assert result.notes == []
    assert [d.finding.id for d in result.verdict.decisions] == ["UNVERIFIED-SOURCE"]


def test_stale_advisory_data_is_one_warning_with_the_command_that_refreshes_it() -> None:
    """The snapshot was built now, but its newest record is from 2026-02-01: its data is that
    old (the fetch time alone said "fresh" of a two-year-old export)."""
    plan = [item("cleanlib", "1.0", "cleanlib-1.0-py3-none-any.whl")]
    files = {"cleanlib": [page("cleanlib-1.0-py3-none-any.whl")]}
    result = check_plan(plan, Policy(max_db_age_days=30), [INDEX], index_files=files)
    (note,) = result.notes
    assert note.startswith("advisory data is ") and "newest record 2026-02-01" in note
    assert "(max-db-age-days = 30)" in note and "`safe-pip db update`" in note
    fresh_enough = check_plan(plan, Policy(max_db_age_days=100_000), [INDEX], index_files=files)
    assert fresh_enough.notes == []
