"""Bounded parsing of everything read from outside (issue 8, reproductions 2 and 3).

Deeply nested JSON from an index page, an advisory feed or ``check --plan`` ended in a
``RecursionError`` traceback and exit 1 ("blocked"); wrongly typed plan fields
(``"sha256": 5``, ``"url": {}``, a non-string ``yanked_reason``) in AttributeError/TypeError.
Now: one line, exit 3 for an index or feed, 2 for a file the user named; a bad advisory
record is skipped and counted.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip import limits
from safe_pip.errors import IndexUnreachableError
from safe_pip.index.client import fetch_index_files
from support.index_server import JSON_V1, LocalIndex
from support.outcomes import assert_one_line_error, output
from support.scenario import OSV_LOCAL

SafePip = Callable[..., subprocess.CompletedProcess[str]]
DEEP = 100_000


def nested_json(depth: int = DEEP) -> str:
    return '{"files": ' + "[" * depth + "]" * depth + "}"


def nested_toml(depth: int = DEEP) -> str:
    return "a = " + "[" * depth + "]" * depth + "\n"


# ---------------------------------------------------------------- the limits themselves


def test_nesting_is_measured_without_recursion_and_strings_do_not_count() -> None:
    assert limits.json_nesting(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert limits.json_nesting(b'"\\"[[["') == 0
    assert limits.json_nesting(nested_json().encode()) == DEEP + 1


def test_deep_json_is_a_document_error_not_a_recursion_error() -> None:
    with pytest.raises(limits.DocumentError, match="nested deeper than 64"):
        limits.load_json(nested_json(), max_bytes=limits.PLAN_MAX_BYTES)


def test_oversized_json_is_refused_before_parsing() -> None:
    with pytest.raises(limits.DocumentError, match="larger than the limit of 16 bytes"):
        limits.load_json(b'{"items": ["0123456789"]}', max_bytes=16)


def test_deep_toml_is_a_document_error() -> None:
    with pytest.raises(limits.DocumentError, match="nested deeper"):
        limits.load_toml(nested_toml())


def test_ordinary_documents_still_load() -> None:
    assert limits.load_json('{"files": [{"hashes": {"sha256": "ab"}}]}', max_bytes=100) == {
        "files": [{"hashes": {"sha256": "ab"}}]
    }
    assert limits.load_toml('[tool.safe-pip]\nallow = ["x"]\n') == {
        "tool": {"safe-pip": {"allow": ["x"]}}
    }


# ---------------------------------------------------------------- index pages (exit 3)


HOSTILE_PAGES = {
    "deeply nested": nested_json().encode(),
    "sha256 is a number": (
        b'{"files": [{"filename": "x-1.0.tar.gz", "url": "x", "hashes": {"sha256": 5}}]}'
    ),
    "url is an object": b'{"files": [{"filename": "x-1.0.tar.gz", "url": {}}]}',
    "yanked is an object": b'{"files": [{"filename": "x-1.0.tar.gz", "url": "x", "yanked": {}}]}',
    "files entry is a string": b'{"files": ["x-1.0.tar.gz"]}',
    "page is a list": b"[]",
}


@pytest.mark.integration
@pytest.mark.parametrize("page", sorted(HOSTILE_PAGES))
def test_a_hostile_index_page_cannot_be_read(local_index: LocalIndex, page: str) -> None:
    local_index.serve_raw_page("victim", HOSTILE_PAGES[page], JSON_V1)
    with pytest.raises(IndexUnreachableError, match="unreadable page"):
        fetch_index_files([local_index.url], ["victim"])


@pytest.mark.integration
def test_check_against_an_index_with_a_deeply_nested_page_exits_3(
    world: LocalIndex, safe_pip: SafePip, tmp_path: Path
) -> None:
    (hosted,) = world.hosted_files("cleanlib")
    world.serve_raw_page("cleanlib", nested_json().encode(), JSON_V1)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"--index-url {world.url}\ncleanlib==1.0 --hash=sha256:{hosted.sha256}\n", "utf-8"
    )
    line = assert_one_line_error(safe_pip("check", requirements), 3)
    assert "unreadable page" in line and "nested deeper than 64 levels" in line


# ---------------------------------------------------------------- check --plan (exit 2)

GOOD_ITEM = {"name": "cleanlib", "version": "1.0", "filename": "cleanlib-1.0-py3-none-any.whl"}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("item_fields", "problem"),
    [
        ({"sha256": 5}, "'sha256' must be a string, got int"),
        ({"sha256": "not-a-hash"}, "'sha256' must be 64 hex digits"),
        ({"url": {}}, "'url' must be a string, got dict"),
        ({"yanked_reason": ["a"]}, "'yanked_reason' must be a string, got list"),
        ({"yanked": "yes"}, "'yanked' must be true, false or null"),
        ({"requested": 1}, "'requested' must be true, false or null"),
        ({"name": 5}, "'name' must be a string, got int"),
        ({"pinned_hashes": [5]}, "'pinned_hashes' must be a list of strings"),
        ({"index_url": 7}, "'index_url' must be a string, got int"),
    ],
)
def test_wrongly_typed_plan_fields_exit_2_with_one_line(
    item_fields: dict[str, object], problem: str, safe_pip: SafePip
) -> None:
    document = json.dumps({"items": [{**GOOD_ITEM, **item_fields}]})
    line = assert_one_line_error(safe_pip("check", "--plan", "-", input=document), 2)
    assert "--plan standard input" in line and problem in line


@pytest.mark.integration
@pytest.mark.parametrize(
    "document",
    [
        '{"items": [], "x": ' + "[" * DEEP + "]" * DEEP + "}",
        '{"items": [], "index_urls": [5]}',
        '{"items": [{"name": "x", "version": "1"}], "network": {"trust_env": "no"}}',
        '{"items": [{"name": "x", "version": "1"}], "network": {"trusted_hosts": [{}]}}',
    ],
    ids=["deeply nested", "index url is a number", "trust_env text", "trusted host object"],
)
def test_hostile_plan_documents_exit_2_with_one_line(document: str, safe_pip: SafePip) -> None:
    assert_one_line_error(safe_pip("check", "--plan", "-", input=document), 2)


# ---------------------------------------------------------------- advisory feeds (skipped)


@pytest.mark.integration
def test_a_deeply_nested_record_in_a_feed_directory_is_skipped_and_counted(
    safe_pip: SafePip, tmp_path: Path
) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    for record in OSV_LOCAL.glob("*.json"):
        (feed / record.name).write_bytes(record.read_bytes())
    (feed / "ZZZ-deep.json").write_text(nested_json(), encoding="utf-8")
    result = safe_pip("db", "update", "--source", feed)
    assert result.returncode == 0, output(result)
    assert "Traceback" not in result.stderr
    status = json.loads(safe_pip("db", "status", "--format", "json").stdout)
    assert status["skipped_count"] == 1, status
    assert status["record_count"] == len(list(OSV_LOCAL.glob("*.json")))


# ---------------------------------------------------------------- TOML and requirements (exit 2)


@pytest.mark.integration
def test_a_deeply_nested_pyproject_is_a_configuration_error(
    world: LocalIndex, safe_pip: SafePip, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(nested_toml(), encoding="utf-8")
    result = safe_pip("check", "--plan", "-", input='{"items": []}', cwd=project)
    line = assert_one_line_error(result, 2)
    assert "pyproject.toml" in line and "nested deeper" in line


@pytest.mark.integration
def test_a_deeply_nested_lock_file_is_one_line(safe_pip: SafePip, tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text("version = 1\n" + nested_toml(), encoding="utf-8")
    line = assert_one_line_error(safe_pip("check", lock), 2)
    assert "uv.lock" in line and "nested deeper" in line


@pytest.mark.integration
def test_requirements_including_each_other_without_end_is_one_line(
    safe_pip: SafePip, tmp_path: Path
) -> None:
    for number in range(100):
        (tmp_path / f"r{number}.txt").write_text(f"-r r{number + 1}.txt\n", encoding="utf-8")
    (tmp_path / "r100.txt").write_text("cleanlib==1.0\n", encoding="utf-8")
    line = assert_one_line_error(safe_pip("check", tmp_path / "r0.txt"), 2)
    assert "more than 64 levels deep" in line


def test_a_zip_member_too_large_to_be_one_record_is_never_decompressed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from safe_pip.advisories.sources import OVERSIZED, read_zip

    archive_path = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("small.json", '{"id": "X-1"}')
        archive.writestr("bomb.json", " " * 100_000)  # compresses to almost nothing
    monkeypatch.setattr(limits, "ADVISORY_RECORD_MAX_BYTES", 1000)
    documents = dict(read_zip(archive_path, str(archive_path)))
    assert documents == {"small.json": b'{"id": "X-1"}', "bomb.json": OVERSIZED}
