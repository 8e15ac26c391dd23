"""``index_client``: project pages from real local indexes (PEP 691 JSON and PEP 503 HTML)."""

from __future__ import annotations

import base64
import gc
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from safe_pip.errors import IndexUnreachableError
from safe_pip.index.client import (
    FileMatcher,
    IndexFile,
    _FewCollections,
    fetch_index_files,
    match_file,
)
from safe_pip.index.settings import IndexSettings
from safe_pip.models import PlanItem
from safe_pip.redaction import redact_url
from support.index_server import JSON_V1, TEXT_HTML, LocalIndex
from support.tls import CertificatePair, HttpsFront, make_certificate, openssl_missing_reason

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


@pytest.mark.integration
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


@pytest.mark.integration
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


@pytest.mark.integration
def test_index_url_without_trailing_slash(local_index: LocalIndex) -> None:
    local_index.add("demo", "1.0")
    found = fetch_index_files([local_index.url.rstrip("/")], ["demo"])
    assert [f.index_url for f in found["demo"]] == [local_index.url.rstrip("/")]


@pytest.mark.integration
def test_unreachable_index(local_index: LocalIndex) -> None:
    url = local_index.url
    local_index.make_unreachable()
    with pytest.raises(IndexUnreachableError) as caught:
        fetch_index_files([url], ["demo"])
    assert str(caught.value) == f"package index unreachable: {url}demo/ (connection refused)"


@pytest.mark.integration
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


class _JSONPageHandler(BaseHTTPRequestHandler):
    """A one-page index: every GET gets ``body`` as a PEP 691 page."""

    body = b'{"meta": {"api-version": "1.0"}, "files": []}'

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", JSON_V1)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _BrokenJSONHandler(_JSONPageHandler):
    body = b'{"meta": {"api-version": "1.0"}, "files": "nope"}'


@pytest.mark.integration
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


def test_a_matcher_for_the_plans_items_matches_them_as_match_file_does() -> None:
    """Indexing only the files the items can match changes no match, also for an item whose
    URL names a file listed under another name, and keeps every same-named file."""
    mirror = _file("demo-1.0.whl", "http://mirror/demo-1.0.whl", "a" * 64)
    origin = _file("demo-1.0.whl", "http://origin/demo-1.0.whl", "b" * 64)
    renamed = _file("demo-1.0-renamed.whl", "http://origin/x/demo-1.0.whl", "c" * 64)
    older = _file("demo-0.9.whl", "http://origin/demo-0.9.whl", "d" * 64)
    files = [mirror, origin, renamed, older]
    items = [
        PlanItem("demo", "1.0", url="http://origin/demo-1.0.whl#sha256=" + "b" * 64),
        PlanItem("demo", "1.0", url="http://elsewhere/demo-1.0.whl", filename="demo-1.0.whl"),
        PlanItem("demo", "1.0", url="http://origin/x/demo-1.0.whl", filename="demo-1.0.whl"),
        PlanItem("demo", "2.0", filename="demo-2.0.whl"),
    ]
    matcher = FileMatcher(files, items)

    assert [matcher.match(item) for item in items] == [match_file(i, files) for i in items]
    assert matcher.same_name(renamed) == [renamed]
    assert matcher.same_name(origin) == [mirror, origin]
    assert older not in [f for name in matcher.by_filename.values() for f in name]


def test_page_reads_collect_garbage_less_often_until_the_last_overlapping_read_ends() -> None:
    own = gc.get_threshold()
    few_collections = _FewCollections()
    with few_collections():
        raised = gc.get_threshold()
        with few_collections():
            pass
        assert gc.get_threshold() == raised  # the other read still runs
    assert raised[0] > own[0]
    assert gc.get_threshold() == own


def test_passwords_are_redacted_from_urls() -> None:
    assert (
        redact_url("https://user:secret@host.invalid/simple/")
        == "https://user:****@host.invalid/simple/"
    )
    assert redact_url("https://host.invalid/simple/") == "https://host.invalid/simple/"


# ---------------------------------------------------------------- pip's network settings


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CertificatePair]:
    """A self-signed server certificate and a self-signed client certificate."""
    reason = openssl_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("tls")
    return {name: make_certificate(directory, name) for name in ("server", "client")}


@pytest.fixture(autouse=True)
def no_requests_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip's requests prefers these variables to pip's ``cert``; the machine may set them."""
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def https_index(
    local_index: LocalIndex, certificates: dict[str, CertificatePair]
) -> Iterator[HttpsFront]:
    """demo 1.0 on an HTTPS index whose certificate no default CA bundle knows."""
    local_index.add("demo", "1.0")
    with HttpsFront(local_index.port, certificates["server"]) as front:
        yield front


def _demo_versions(index_url: str, settings: IndexSettings | None) -> list[str]:
    files = fetch_index_files([index_url], ["demo"], settings=settings)["demo"]
    assert {file.index_url for file in files} == {index_url}
    return [file.filename for file in files]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.integration
def test_an_index_with_its_own_ca_is_read_with_pips_cert(
    https_index: HttpsFront, certificates: dict[str, CertificatePair]
) -> None:
    url = https_index.base_url + "simple/"
    with pytest.raises(IndexUnreachableError, match="certificate verify failed") as caught:
        fetch_index_files([url], ["demo"])
    assert str(caught.value).startswith(f"package index unreachable: {url}demo/ (")
    with pytest.raises(IndexUnreachableError, match="certificate verify failed"):
        fetch_index_files([url], ["demo"], settings=IndexSettings())
    settings = IndexSettings(cert=str(certificates["server"].cert))
    assert _demo_versions(url, settings) == ["demo-1.0-py3-none-any.whl"]
    assert https_index.requests[-1] == "/simple/demo/"


@pytest.mark.integration
def test_requests_ca_bundle_variables_override_pips_cert_as_in_pip(
    https_index: HttpsFront,
    certificates: dict[str, CertificatePair],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = https_index.base_url + "simple/"
    server, unrelated = certificates["server"], certificates["client"]
    monkeypatch.setenv("CURL_CA_BUNDLE", str(unrelated.cert))
    with pytest.raises(IndexUnreachableError, match="certificate verify failed"):
        fetch_index_files([url], ["demo"], settings=IndexSettings(cert=str(server.cert)))
    ignoring_environment = IndexSettings(cert=str(server.cert), trust_env=False)
    assert _demo_versions(url, ignoring_environment) == ["demo-1.0-py3-none-any.whl"]
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))  # the first one set wins
    assert _demo_versions(url, IndexSettings()) == ["demo-1.0-py3-none-any.whl"]


@pytest.mark.integration
def test_a_missing_ca_bundle_is_one_clear_line(https_index: HttpsFront, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(IndexUnreachableError) as caught:
        fetch_index_files(
            [https_index.base_url], ["demo"], settings=IndexSettings(cert=str(missing))
        )
    assert str(caught.value) == f"CA certificate bundle not found: {missing} (pip's cert)"


@pytest.mark.integration
def test_trusted_hosts_are_read_without_certificate_checks(https_index: HttpsFront) -> None:
    url = https_index.base_url + "simple/"
    port = https_index.port
    for trusted in (f"127.0.0.1:{port}", "127.0.0.1"):  # host:port, or the host on any port
        settings = IndexSettings(trusted_hosts=(trusted,))
        assert _demo_versions(url, settings) == ["demo-1.0-py3-none-any.whl"], trusted
    other_port = IndexSettings(trusted_hosts=(f"127.0.0.1:{port + 1}", "localhost"))
    with pytest.raises(IndexUnreachableError, match="certificate verify failed"):
        fetch_index_files([url], ["demo"], settings=other_port)


@pytest.mark.integration
def test_a_client_certificate_is_presented(
    local_index: LocalIndex, certificates: dict[str, CertificatePair]
) -> None:
    local_index.add("demo", "1.0")
    server, client = certificates["server"], certificates["client"]
    with HttpsFront(local_index.port, server, client_ca=client.cert) as front:
        url = front.base_url + "simple/"
        without = IndexSettings(cert=str(server.cert))
        with pytest.raises(IndexUnreachableError):
            fetch_index_files([url], ["demo"], settings=without)
        assert front.requests == []
        with_client_cert = IndexSettings(cert=str(server.cert), client_cert=str(client.combined))
        assert _demo_versions(url, with_client_cert) == ["demo-1.0-py3-none-any.whl"]
        trusted = IndexSettings(trusted_hosts=("127.0.0.1",), client_cert=str(client.combined))
        assert _demo_versions(url, trusted) == ["demo-1.0-py3-none-any.whl"]


@pytest.mark.integration
def test_pages_go_through_pips_proxy(local_index: LocalIndex) -> None:
    """The local index answers proxy requests (absolute URLs) too: it is the proxy here."""
    local_index.add("demo", "1.0")
    unreachable = f"http://127.0.0.1:{_free_port()}/simple/"
    with pytest.raises(IndexUnreachableError, match="connection refused"):
        fetch_index_files([unreachable], ["demo"])
    for proxy in (local_index.base_url, f"127.0.0.1:{local_index.port}"):  # pip allows no scheme
        assert _demo_versions(unreachable, IndexSettings(proxy=proxy)) == [
            "demo-1.0-py3-none-any.whl"
        ]
    assert local_index.requests == [f"{unreachable}demo/"] * 2


@pytest.mark.integration
def test_environment_proxies_apply_unless_pip_ignores_the_environment(
    local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_index.add("demo", "1.0")
    for variable in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HTTP_PROXY", local_index.base_url)
    monkeypatch.setenv("http_proxy", local_index.base_url)
    unreachable = f"http://127.0.0.1:{_free_port()}/simple/"
    assert _demo_versions(unreachable, IndexSettings()) == ["demo-1.0-py3-none-any.whl"]
    with pytest.raises(IndexUnreachableError, match="connection refused"):
        fetch_index_files([unreachable], ["demo"], settings=IndexSettings(trust_env=False))


@pytest.mark.integration
@pytest.mark.parametrize("content_type", ["application/x-nonsense", "text/plain", ""])
def test_a_page_pip_would_skip_for_its_type_cannot_be_checked(
    content_type: str, tmp_path: Path
) -> None:
    """pip reads only simple-API and HTML pages and skips others; the check must not take
    such a page for an empty one (a project the index does not have)."""
    with LocalIndex(tmp_path / "index") as index:
        index.add("demo", "1.0")
        index.serve_raw_page("demo", b"<a href='x'>demo-9.9.tar.gz</a>", content_type)
        with pytest.raises(IndexUnreachableError) as caught:
            fetch_index_files([index.url], ["demo"])
    assert "is no simple-API page" in str(caught.value)


class _PrivateIndexHandler(_JSONPageHandler):
    """A private index: the project page only with the right basic-auth credentials."""

    expected = "Basic " + base64.b64encode(b"reader:s3cr3t-netrc").decode()

    def do_GET(self) -> None:
        if self.headers.get("Authorization") == self.expected:
            super().do_GET()
            return
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="private"')
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.mark.integration
def test_a_private_index_is_read_with_the_credentials_pip_would_use_from_netrc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PrivateIndexHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    try:
        monkeypatch.setenv("NETRC", str(tmp_path / "no-such-netrc"))
        with pytest.raises(IndexUnreachableError) as caught:
            fetch_index_files([url], ["demo"])
        assert "HTTP 401" in str(caught.value)

        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login reader password s3cr3t-netrc\n")
        monkeypatch.setenv("NETRC", str(netrc))
        assert fetch_index_files([url], ["demo"]) == {"demo": []}
        # pip's --isolated / trust_env false: no netrc, as requests does
        with pytest.raises(IndexUnreachableError):
            fetch_index_files([url], ["demo"], settings=IndexSettings(trust_env=False))
    finally:
        server.shutdown()
        server.server_close()
