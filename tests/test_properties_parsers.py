"""Property: every parser of untrusted input gives a result or its documented error.

Index pages (PEP 691 JSON, PEP 503 HTML), OSV records, requirements files, uv.lock,
pylock.toml, poetry.lock and the policy TOML (and ``SAFE_PIP_*`` variables) are fed valid
documents broken in a few places deep inside (``support.properties.mutated``), random
documents and random text. Each must return or raise its documented error, which the CLI
prints as one line with the documented exit code: ``IndexUnreachableError`` (exit 3) for a
page, ``MalformedRecordError`` for a record (skipped and counted by ``db update``),
``UsageError`` (exit 2) for a file or setting the user named. Any other exception (a
``KeyError``, ``AttributeError``, ``RecursionError``...) would be a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safe_pip.advisories.osv import MalformedRecordError, parse_record
from safe_pip.console import terminal_safe
from safe_pip.errors import IndexUnreachableError, SafePipError, UsageError
from safe_pip.index.client import _parse_page
from safe_pip.pipeline.config import CONFIG_KEYS, ENVIRONMENT_VARIABLES, load_policy
from safe_pip.producers.lockfiles.detect import read_lock_file
from safe_pip.producers.lockfiles.poetry_lock import read_poetry_lock
from safe_pip.producers.lockfiles.pylock import read_pylock
from safe_pip.producers.lockfiles.uv_lock import read_uv_lock
from safe_pip.producers.requirements_file import read_requirements_file
from support.properties import FAST, documents, examples, leaves, mutated, toml_text
from test_lockfiles import POETRY_LOCK, PYLOCK, UV_LOCK

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

T = TypeVar("T")
DATA = Path(__file__).parent / "data"
FEW = examples(40)
SHA = "a" * 64


def result_or(error: type[Exception], call: Callable[[], T]) -> T | None:
    """``call()``, or None when it raised ``error`` with a message the CLI prints on one
    line; any other exception fails the test (with its traceback)."""
    try:
        return call()
    except error as raised:
        message = str(raised)
        assert message.strip(), f"{type(raised).__name__} without a message"
        assert "\n" not in terminal_safe(message)
        return None


# ------------------------------------------------------------------ index pages

PAGE_URL = "https://private.example/simple/pkg/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
JSON_PAGE = {
    "meta": {"api-version": "1.1"},
    "name": "pkg",
    "project-status": {"status": "quarantined", "reason": "malware"},
    "files": [
        {
            "filename": "pkg-1.0-py3-none-any.whl",
            "url": "../../files/pkg-1.0-py3-none-any.whl",
            "hashes": {"sha256": SHA},
            "yanked": "broken",
            "upload-time": "2026-01-01T00:00:00Z",
        },
        {"filename": "pkg-1.0.tar.gz", "url": "https://private.example/pkg-1.0.tar.gz"},
    ],
}
JSON_KEYS = ["files", "filename", "url", "hashes", "sha256", "yanked", "upload-time", "status"]
json_leaves = leaves("pkg-1.0.tar.gz", "https://[::1", "//x", "#sha256=ab", "active", SHA)


@FAST
@given(mutated(JSON_PAGE, documents(json_leaves, JSON_KEYS)))
def test_a_json_index_page_gives_files_or_one_error(page: Any) -> None:
    content = json.dumps(page).encode()
    result_or(IndexUnreachableError, lambda: _parse_page(content, JSON_TYPE, PAGE_URL, PAGE_URL))


HTML_PARTS = [
    '<a href="../../files/pkg-1.0.tar.gz#sha256=' + SHA + '">pkg-1.0.tar.gz</a>',
    '<a href="pkg-1.0-py3-none-any.whl" data-yanked="">x</a>',
    '<a href="pkg-2.0.whl" data-yanked="reason">',
    '<a href="https://[::1/pkg.whl">',
    '<a href="">',
    "<a href>",
    '<base href="https://other.example/">',
    '<base href="http://[bad">',
    '<meta name="pypi:project-status" content="quarantined">',
    '<meta name="pypi:project-status-reason" content="x">',
    "<![CDATA[",
    "<![if x]>",
    "<!x",
    "<?php",
    "<!--",
    "</",
    "&#0;&#xD800;&#99999999;",
    "<a href='x.whl#sha256=' data-yanked>",
    "\x00",
    "\ufffd",
]


@FAST
@given(
    st.lists(st.one_of(st.sampled_from(HTML_PARTS), st.text(max_size=8)), max_size=12),
    st.sampled_from(["text/html", "application/vnd.pypi.simple.v1+html", "text/plain", ""]),
)
def test_an_html_index_page_gives_files_or_one_error(parts: list[str], content_type: str) -> None:
    content = "".join(parts).encode("utf-8", errors="surrogatepass")
    result_or(IndexUnreachableError, lambda: _parse_page(content, content_type, PAGE_URL, PAGE_URL))


@FEW
@given(st.binary(max_size=200), st.sampled_from([JSON_TYPE, "text/html"]))
def test_any_bytes_as_an_index_page_give_files_or_one_error(
    content: bytes, content_type: str
) -> None:
    result_or(IndexUnreachableError, lambda: _parse_page(content, content_type, PAGE_URL, PAGE_URL))


# ------------------------------------------------------------------ OSV records


def valid_records() -> list[Any]:
    records = []
    for path in sorted((DATA / "osv-edge").glob("*.json")):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue  # a record the edge tests keep unreadable on purpose
    return records


RECORDS = valid_records()
OSV_KEYS = [
    *("id", "modified", "withdrawn", "aliases", "summary", "details", "affected", "package"),
    *("ecosystem", "name", "ranges", "type", "events", "introduced", "fixed", "last_affected"),
    *("limit", "versions", "severity", "score", "references", "url", "database_specific"),
]
osv_leaves = leaves("PyPI", "ECOSYSTEM", "0", "1.0", "*", "CVSS:3.1/AV:N", "2026-01-01T00:00:00Z")


@FAST
@given(st.sampled_from(RECORDS).flatmap(lambda r: mutated(r, documents(osv_leaves, OSV_KEYS))))
def test_an_osv_record_parses_or_is_malformed(record: Any) -> None:
    result_or(MalformedRecordError, lambda: parse_record(record, origin="feed.zip"))


# ------------------------------------------------------------------ requirements files

REQUIREMENT_WORDS = [
    *("pkg", "pkg==1.0", "Pkg[extra]>=1,<2", "pkg; python_version < '3'", "pkg @ https://x/"),
    *("./local", "https://private.example/pkg-1.0.whl", "git+https://private.example/r.git"),
    *("-r", "-c", "-e", "-i", "-f", "--hash", "--hash=sha256:" + SHA, "--hash=md5:1"),
    *("--hash=sha256:xyz", "--hash=", "-rother.txt", "--requirement=", "--index-url"),
    *("--extra-index-url", "--find-links", "--no-binary", ":all:", "--pre", "--unknown"),
    *("other.txt", "missing.txt", "requirements.txt", "sub/", ".", "/", "\x00", "${HOME}"),
    *("\\", "#", " # comment", "'", '"', "\t", "==", "[", ";", "@", "é"),
]


@FAST
@given(
    lines=st.lists(
        st.lists(st.one_of(st.sampled_from(REQUIREMENT_WORDS), st.text(max_size=5)), max_size=5),
        max_size=6,
    ),
    read_constraints=st.booleans(),
)
def test_a_requirements_file_reads_or_is_one_error(
    lines: list[list[str]], read_constraints: bool, tmp_path: Path
) -> None:
    (tmp_path / "other.txt").write_text("pkg==1.0\n-r requirements.txt\n", encoding="utf-8")
    path = tmp_path / "requirements.txt"
    text = "\n".join(" ".join(words) for words in lines)
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    result_or(UsageError, lambda: read_requirements_file(path, read_constraints=read_constraints))


# ------------------------------------------------------------------ lock files

LOCK_KEYS = [
    *("version", "package", "packages", "name", "source", "registry", "git", "editable"),
    *("virtual", "sdist", "wheels", "url", "hash", "hashes", "sha256", "path", "filename"),
    *("dependencies", "manifest", "members", "index", "archive", "directory", "vcs", "files"),
    *("file", "metadata", "type", "reference", "lock-version", "dev-dependencies"),
]
lock_leaves = leaves("sha256:" + SHA, SHA, "1.0", "legacy", "https://x/", ".", with_null=False)
LOCKS: list[tuple[str, str, Callable[[Path, Any], object]]] = [
    ("uv.lock", UV_LOCK, read_uv_lock),
    ("pylock.toml", PYLOCK, read_pylock),
    ("poetry.lock", POETRY_LOCK, read_poetry_lock),
]


@FAST
@given(
    case=st.sampled_from(LOCKS).flatmap(
        lambda lock: st.tuples(
            st.just(lock),
            mutated(tomllib.loads(lock[1]), documents(lock_leaves, LOCK_KEYS), changes=2),
        )
    )
)
def test_a_lock_file_reads_or_is_one_error(
    case: tuple[tuple[str, str, Callable[[Path, Any], object]], Any], tmp_path: Path
) -> None:
    (name, _, reader), data = case
    if not isinstance(data, dict):
        data = {"package": data}
    result_or(UsageError, lambda: reader(tmp_path / name, data))


@FEW
@given(lock=st.sampled_from(LOCKS), data=st.data())
def test_lock_file_text_cut_anywhere_reads_or_is_one_error(
    lock: tuple[str, str, Callable[[Path, Any], object]], data: st.DataObject, tmp_path: Path
) -> None:
    name, text, _ = lock
    start = data.draw(st.integers(min_value=0, max_value=len(text)))
    end = data.draw(st.integers(min_value=start, max_value=min(len(text), start + 40)))
    path = tmp_path / name
    path.write_text(text[:start] + data.draw(st.text(max_size=6)) + text[end:], encoding="utf-8")
    result_or(UsageError, lambda: read_lock_file(path))


# ------------------------------------------------------------------ policy


def example_policy() -> dict[str, Any]:
    document = tomllib.loads(
        (Path(__file__).parents[1] / "config-examples" / "pyproject.toml").read_text()
    )
    table: dict[str, Any] = document["tool"]["safe-pip"]
    table.setdefault("ignore", [{"id": "PYSEC-2020-1", "reason": "r", "expires": "2030-01-01"}])
    table.setdefault("index-for", {"pkg": "https://private.example/simple/"})
    return table


policy_leaves = leaves(
    *("block", "warn", "ignore", "open", "closed", "avoid", "critical", "2d", "0", "36h"),
    *("TOO-NEW", "MAL-2020-1", "https://private.example/simple/"),
    with_null=False,
)


@pytest.fixture(autouse=True)
def _no_user_or_admin_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@FAST
@given(table=mutated(example_policy(), documents(policy_leaves, [*CONFIG_KEYS, "id", "reason"])))
def test_a_policy_table_loads_or_is_one_error(table: Any, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    safe_pip = toml_text(table) if isinstance(table, dict) else f"x = {json.dumps(str(table))}\n"
    text = "[project]\nname = 'x'\n[tool.safe-pip]\n" + safe_pip
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    env = {"SAFE_PIP_CONFIG_FILE": str(tmp_path / "none.toml")}
    result_or(UsageError, lambda: load_policy(project, env=env))


@FAST
@given(
    variables=st.dictionaries(
        st.sampled_from(ENVIRONMENT_VARIABLES),
        st.one_of(st.sampled_from(["1", "0", "block", "x:y;z", "2d", "nan", "inf"]), st.text()),
    )
)
def test_policy_environment_variables_load_or_are_one_error(
    variables: dict[str, str], tmp_path: Path
) -> None:
    env = {"SAFE_PIP_CONFIG_FILE": str(tmp_path / "none.toml"), **variables}
    result_or(UsageError, lambda: load_policy(tmp_path, env=env))


def test_the_documented_errors_are_one_line_safe_pip_errors() -> None:
    for error in (IndexUnreachableError, UsageError):
        assert issubclass(error, SafePipError)
    assert issubclass(MalformedRecordError, ValueError)  # db update skips and counts it


@pytest.mark.parametrize("option", ["-r", "--requirement", "-c"])
def test_an_included_file_named_with_a_nul_character_is_one_usage_error(
    option: str, tmp_path: Path
) -> None:
    """Found by the property above: `-r <NUL>` raised ValueError (embedded null byte) from
    resolving the path, a traceback instead of exit 2."""
    path = tmp_path / "requirements.txt"
    path.write_text(f"{option} \0\n", encoding="utf-8")
    with pytest.raises(UsageError, match="NUL character"):
        read_requirements_file(path, read_constraints=True)
