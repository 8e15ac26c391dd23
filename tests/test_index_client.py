"""``index_client``: project pages from real local indexes (PEP 691 JSON and PEP 503 HTML)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from safe_pip.errors import IndexUnreachableError
from safe_pip.index_client import IndexFile, fetch_index_files, match_file, redact
from safe_pip.models import PlanItem
from support.index_server import JSON_V1, TEXT_HTML, LocalIndex

UPLOADED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


@pytest.fixture
def html_index(tmp_path: Path) -> Iterator[LocalIndex]:
    """A legacy index that only speaks PEP 503 HTML."""
    with LocalIndex(tmp_path / "html-index", serve_json=False) as index:
        yield index


def publish(index: LocalIndex) -> dict[str, str]:
    """demo 1.0 (yanked with a reason), 1.1 (yanked, no reason), 1.2 (wrong published hash)."""
    first = index.add("demo", "1.0", yanked="broken build", upload_time=UPLOADED)
    second = index.add("demo", "1.1", yanked=True)
    third = index.add("demo", "1.2", publish_wrong_hash=True)
    return {"1.0": first.sha256, "1.1": second.sha256, "1.2": third.published_sha256}


@pytest.mark.parametrize("kind", ["json", "html"])
def test_files_hashes_and_yanked_status(
    kind: str, local_index: LocalIndex, html_index: LocalIndex
) -> None:
    index = local_index if kind == "json" else html_index
    hashes = publish(index)
    files = fetch_index_files([index.url], ["Demo"])
    base = index.files_url
    assert files == {
        "demo": [
            IndexFile(
                filename="demo-1.0-py3-none-any.whl",
                url=base + "demo-1.0-py3-none-any.whl",
                sha256=hashes["1.0"],
                yanked=True,
                yanked_reason="broken build",
                upload_time="2024-05-06T07:08:09.000000Z" if kind == "json" else None,
                index_url=index.url,
            ),
            IndexFile(
                filename="demo-1.1-py3-none-any.whl",
                url=base + "demo-1.1-py3-none-any.whl",
                sha256=hashes["1.1"],
                yanked=True,
                yanked_reason=None,
                upload_time=files["demo"][1].upload_time,
                index_url=index.url,
            ),
            IndexFile(
                filename="demo-1.2-py3-none-any.whl",
                url=base + "demo-1.2-py3-none-any.whl",
                sha256=hashes["1.2"],  # what the index publishes, not what it serves
                yanked=False,
                yanked_reason=None,
                upload_time=files["demo"][2].upload_time,
                index_url=index.url,
            ),
        ]
    }
    served_as = {entry.content_type for entry in index.request_log}
    assert served_as == {JSON_V1 if kind == "json" else TEXT_HTML}


def test_every_index_and_name_is_asked_and_missing_projects_are_empty(
    local_index: LocalIndex, html_index: LocalIndex
) -> None:
    local_index.add("demo", "1.0")
    html_index.add("demo", "2.0")
    html_index.add("other_pkg", "1.0")
    found = fetch_index_files([local_index.url, html_index.url], ["demo", "Other.Pkg", "absent"])
    assert [(f.filename, f.index_url) for f in found["demo"]] == [
        ("demo-1.0-py3-none-any.whl", local_index.url),
        ("demo-2.0-py3-none-any.whl", html_index.url),
    ]
    assert [f.filename for f in found["other-pkg"]] == ["other_pkg-1.0-py3-none-any.whl"]
    assert found["absent"] == []
    assert sorted(local_index.requests) == [
        "/simple/absent/",
        "/simple/demo/",
        "/simple/other-pkg/",
    ]


def test_no_indexes_or_no_names_fetch_nothing() -> None:
    assert fetch_index_files([], ["demo"]) == {"demo": []}
    assert fetch_index_files(["http://127.0.0.1:9/simple/"], []) == {}


def test_index_url_without_trailing_slash(local_index: LocalIndex) -> None:
    local_index.add("demo", "1.0")
    found = fetch_index_files([local_index.url.rstrip("/")], ["demo"])
    assert [f.index_url for f in found["demo"]] == [local_index.url.rstrip("/")]


def test_unreachable_index(local_index: LocalIndex) -> None:
    url = local_index.url
    local_index.make_unreachable()
    with pytest.raises(IndexUnreachableError) as caught:
        fetch_index_files([url], ["demo"])
    assert str(caught.value) == f"package index unreachable: {url}demo/ (connection refused)"


def test_server_error_is_unreachable(local_index: LocalIndex) -> None:
    local_index.fail_simple_api_with(503)
    with pytest.raises(IndexUnreachableError) as caught:
        fetch_index_files([local_index.url], ["demo"])
    assert str(caught.value) == f"package index unreachable: {local_index.url}demo/ (HTTP 503)"


def test_index_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/simple/"
        with pytest.raises(IndexUnreachableError) as caught:
            fetch_index_files([url], ["demo"], timeout=0.3)
    assert str(caught.value) == f"package index unreachable: {url}demo/ (timed out)"


class _BrokenJSONHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"meta": {"api-version": "1.0"}, "files": "nope"}'
        self.send_response(200)
        self.send_header("Content-Type", JSON_V1)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_unreadable_json_page() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BrokenJSONHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
        with pytest.raises(IndexUnreachableError) as caught:
            fetch_index_files([url], ["demo"])
    finally:
        server.shutdown()
        server.server_close()
    assert str(caught.value) == (
        f"package index sent an unreadable page: {url}demo/ ('files' is not a list)"
    )


def test_file_index_is_read_from_disk(tmp_path: Path) -> None:
    project = tmp_path / "simple" / "demo"
    project.mkdir(parents=True)
    (project / "index.html").write_text(
        '<html><body><a href="../../files/demo-1.0.tar.gz#sha256=ABCD" data-yanked="">'
        "demo-1.0.tar.gz</a></body></html>"
    )
    index_url = (tmp_path / "simple").as_uri()
    found = fetch_index_files([index_url], ["demo", "absent"])
    assert found == {
        "demo": [
            IndexFile(
                filename="demo-1.0.tar.gz",
                url=(tmp_path / "files" / "demo-1.0.tar.gz").as_uri(),
                sha256="abcd",
                yanked=True,
                yanked_reason=None,
                upload_time=None,
                index_url=index_url,
            )
        ],
        "absent": [],
    }


def _file(filename: str, url: str, sha256: str) -> IndexFile:
    return IndexFile(filename, url, sha256, False, None, None, "http://i/simple/")


def test_match_file_prefers_the_same_url_then_the_same_filename() -> None:
    mirror = _file("demo-1.0.whl", "http://mirror/demo-1.0.whl", "a" * 64)
    origin = _file("demo-1.0.whl", "http://origin/demo-1.0.whl", "b" * 64)
    item = PlanItem("demo", "1.0", url="http://origin/demo-1.0.whl", filename="demo-1.0.whl")
    assert match_file(item, [mirror, origin]) is origin
    moved = PlanItem("demo", "1.0", url="http://elsewhere/demo-1.0.whl", filename="demo-1.0.whl")
    assert match_file(moved, [mirror, origin]) is mirror
    other = PlanItem("demo", "2.0", url="http://origin/demo-2.0.whl", filename="demo-2.0.whl")
    assert match_file(other, [mirror, origin]) is None


def test_passwords_are_redacted_from_urls() -> None:
    assert (
        redact("https://user:secret@host.invalid/simple/")
        == "https://user:***@host.invalid/simple/"
    )
    assert redact("https://host.invalid/simple/") == "https://host.invalid/simple/"
