"""Steering's description of each listed version (``guard_service._VersionFacts``): the
version's files on the pages pip read, the worst one deciding. One file without a
(readable) upload time leaves the version without one; else the latest moment counts,
whatever form each time is written in; one yanked file makes the version yanked. pip lists
each file of a version; on the pages' word they share one verdict, on pip's word (pages not
known) each distinct description is judged."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from safe_pip.index.files import IndexFile
from safe_pip.installers.pip.guard_service import GuardService, _deciding_file, _yank
from safe_pip.models import Action
from safe_pip.pipeline.policy import Policy

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
INDEX = "https://private.invalid/simple/"
OLD = "2020-01-01T00:00:00Z"
FILES = "https://private.invalid/f/"  # the pages' "/f/..." links, resolved


def page_file(filename: str, upload_time: str | None, yanked: object = False) -> dict[str, object]:
    entry: dict[str, object] = {"filename": filename, "url": f"/f/{filename}", "hashes": {}}
    if upload_time is not None:
        entry["upload-time"] = upload_time
    if yanked is not False:
        entry["yanked"] = yanked
    return entry


def index_file(filename: str, upload_time: str | None) -> IndexFile:
    return IndexFile(
        filename, f"https://f.invalid/{filename}", None, False, None, upload_time, INDEX
    )


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GuardService]:
    from support.scenario import build_advisory_db

    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path))
    build_advisory_db({"SAFE_PIP_CACHE_DIR": str(tmp_path)})
    policy = Policy(min_release_age=timedelta(days=2), yanked=Action.BLOCK)
    guard = GuardService(policy, print_reports=False, now=NOW)
    guard.preload()
    yield guard
    guard.close()


def removed(
    service: GuardService, files: Sequence[dict[str, object]], listed: Sequence[list[object]]
) -> list[int]:
    """The positions of ``listed`` (pip's entries) steering removes, the page of project
    ``demo`` listing ``files``."""
    body = json.dumps({"meta": {"api-version": "1.1"}, "files": list(files)})
    page = {
        "url": INDEX + "demo/",
        "page_url": INDEX + "demo/",
        "content_type": "application/vnd.pypi.simple.v1+json",
        "body": body,
    }
    answer = service.handle(
        {
            "op": "candidates",
            "name": "demo",
            "candidates": [list(entry) for entry in listed],
            "sources": {"index_urls": [INDEX], "find_links": []},
            "pages": [page],
        }
    )
    assert answer["exit_code"] == 0, answer
    return list(answer["remove"])


def avoided_item(service: GuardService, version: str) -> tuple[str | None, str | None]:
    """(URL, upload time) of the file steering's report names for ``version``."""
    items = {a.item.version: a.item for a in service._avoided.get("demo", [])}
    return items[version].url, items[version].upload_time


# ------------------------------------------------------------------ _deciding_file


def test_one_file_without_an_upload_time_makes_the_version_untimed() -> None:
    files = [index_file("a.whl", OLD), index_file("b.tar.gz", None), index_file("c.whl", OLD)]
    assert _deciding_file(files) == (files[1], None)


@pytest.mark.parametrize(
    "unreadable", ["2026-02-30T00:00:00Z", "garbage", "", "9999-12-31T23:00:00-05:00"]
)
def test_one_unreadable_upload_time_makes_the_version_untimed(unreadable: str) -> None:
    files = [index_file("a.whl", OLD), index_file("b.whl", unreadable)]
    assert _deciding_file(files) == (files[1], None)


def test_the_first_untimed_file_is_the_one_named() -> None:
    files = [index_file("a.whl", OLD), index_file("b.whl", "x"), index_file("c.whl", None)]
    assert _deciding_file(files) == (files[1], None)


def test_the_latest_moment_decides_whatever_the_form_each_is_written_in() -> None:
    """As text, ``2026-12-05T01:00:00+00:00`` sorts after ``2026-12-04T23:00:00-05:00``;
    as moments it is three hours earlier."""
    files = [
        index_file("a.whl", "2026-12-05T01:00:00+00:00"),
        index_file("b.whl", "2026-12-04T23:00:00-05:00"),
        index_file("c.whl", " 2026-12-04T12:00:00z "),
        index_file("d.whl", "2026-12-04T20:00:00"),  # naive: UTC
    ]
    assert _deciding_file(files) == (files[1], "2026-12-04T23:00:00-05:00")


def test_of_equal_moments_the_first_decides() -> None:
    files = [
        index_file("a.whl", "2024-01-01T02:00:00+02:00"),
        index_file("b.whl", "2024-01-01T00:00:00Z"),
    ]
    assert _deciding_file(files) == (files[0], "2024-01-01T02:00:00+02:00")


def test_a_single_file_is_passed_on_as_written() -> None:
    """(Nothing is parsed: the release-age check reads the time, unreadable or not.)"""
    files = [index_file("a.whl", "not a time")]
    assert _deciding_file(files) == (files[0], "not a time")


# ------------------------------------------------------------------ _yank


def test_one_yanked_file_makes_the_version_yanked_with_the_first_reason_given() -> None:
    def file(yanked: bool, reason: str | None) -> IndexFile:
        return IndexFile("a.whl", "u", None, yanked, reason, OLD, INDEX)

    assert _yank([file(False, None), file(False, None)]) == (False, None)
    assert _yank([file(False, None), file(True, None)]) == (True, None)
    assert _yank([file(True, None), file(False, "x"), file(True, "bad"), file(True, "worse")]) == (
        True,
        "bad",
    )


# ------------------------------------------------------------------ through the guard


def test_a_version_with_one_untimed_file_is_kept_from_pip(service: GuardService) -> None:
    """The wheel is years old, the sdist on the remote index has no upload time: the
    version counts as too new, both its files are removed, and the report names the
    sdist."""
    files = [
        page_file("demo-1.0-py3-none-any.whl", OLD),
        page_file("demo-2.0-py3-none-any.whl", OLD),
        page_file("demo-2.0.tar.gz", None),
    ]
    listed = [["1.0", False, None, OLD], ["2.0", False, None, OLD], ["2.0", False, None, OLD]]
    assert removed(service, files, listed) == [1, 2]
    assert avoided_item(service, "2.0") == (FILES + "demo-2.0.tar.gz", None)


def test_a_hostile_mix_of_time_forms_is_judged_by_the_latest_moment(
    service: GuardService,
) -> None:
    """2.0's files: one dated a day ago with a -05:00 offset (too new), one written so that
    it sorts last as text but is older; 3.0's are all old, in several forms."""
    files = [
        page_file("demo-2.0-py3-none-any.whl", "2026-12-04T23:00:00-05:00"),
        page_file("demo-2.0.tar.gz", "2026-12-01T01:00:00+00:00"),
        page_file("demo-3.0-py3-none-any.whl", "2026-11-01T10:00:00+02:00"),
        page_file("demo-3.0.tar.gz", " 2026-11-02T00:00:00z "),
    ]
    listed = [["2.0", False, None, None], ["2.0", False, None, None], ["3.0", False, None, None]]
    listed.append(["3.0", False, None, None])
    assert removed(service, files, listed) == [0, 1]
    url, upload_time = avoided_item(service, "2.0")
    assert (url, upload_time) == (
        FILES + "demo-2.0-py3-none-any.whl",
        "2026-12-04T23:00:00-05:00",
    )


def test_an_upload_time_out_of_range_is_untimed_not_an_error(service: GuardService) -> None:
    files = [
        page_file("demo-1.0-py3-none-any.whl", OLD),
        page_file("demo-1.0.tar.gz", "9999-12-31T23:00:00-05:00"),
        page_file("demo-2.0-py3-none-any.whl", "9999-12-31T23:00:00-05:00"),
    ]
    listed = [["1.0", False, None, None], ["1.0", False, None, None], ["2.0", False, None, None]]
    assert removed(service, files, listed) == [0, 1, 2]


def test_one_yanked_file_keeps_every_file_of_the_version_from_pip(
    service: GuardService,
) -> None:
    files = [
        page_file("demo-1.0-py3-none-any.whl", OLD),
        page_file("demo-1.0.tar.gz", OLD, yanked="broken"),
        page_file("demo-1.1-py3-none-any.whl", OLD),
    ]
    listed = [["1.0", False, None, None], ["1.0", False, None, None], ["1.1", False, None, None]]
    assert removed(service, files, listed) == [0, 1]


def test_on_pips_word_each_description_of_a_version_is_judged(service: GuardService) -> None:
    """The index's page for the project was not seen (pip could not read it): pip's entries
    are all there is, and a version whose wheel pip reads as yanked and whose sdist it does
    not loses only the wheel."""
    answer = service.handle(
        {
            "op": "candidates",
            "name": "nopage",
            "candidates": [["1.0", True, "bad", OLD], ["1.0", False, None, OLD]],
            "sources": {"index_urls": [INDEX], "find_links": []},
        }
    )
    assert answer["remove"] == [0]


@pytest.mark.parametrize("listed", [[[]], [["1.0"]], [5], [None], [["1.0", False, None, None, 1]]])
def test_a_malformed_entry_is_an_error_answer_not_a_traceback(
    service: GuardService, listed: list[object]
) -> None:
    answer = service.handle({"op": "candidates", "name": "demo", "candidates": listed})
    assert "could not read the guard's question" in answer["error"]


def test_a_listed_version_that_is_no_version_borrows_no_files(service: GuardService) -> None:
    """Was: a listed version that does not parse was looked up as ``0.dev0``, so it took
    the files (here: yanked) of a ``0.dev0`` release on the page."""
    files = [page_file("demo-0.dev0-py3-none-any.whl", OLD, yanked="broken")]
    assert removed(service, files, [["0.dev0", False, None, None]]) == [0]
    assert removed(service, files, [["not-a-version", False, None, OLD]]) == []
