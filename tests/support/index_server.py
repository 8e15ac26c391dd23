"""A real package index for tests: a threaded ``http.server`` on 127.0.0.1 (random port).

It serves the simple repository API as PEP 503 HTML and PEP 691 JSON (api-version 1.1, PEP 700
fields), chosen by the request's ``Accept`` header, plus the files themselves under ``/files/``
and, on request, PEP 658/714 ``.metadata`` files. Every request is logged.

    with LocalIndex() as index:
        index.add("demo", "1.0", ["helper>=1"])
        index.add("helper", "1.2")
        # pip install --index-url index.url demo
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import NamedTuple, Union, cast
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import canonicalize_name
from packaging.version import Version

from support.wheels import build_wheel, read_wheel_metadata

TEXT_HTML = "text/html"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
JSON_V1 = "application/vnd.pypi.simple.v1+json"
API_VERSION = "1.1"
# Files are published long ago unless a test says otherwise, so safe-pip's release-age
# cooldown (min-release-age) only sees the fresh releases a test publishes on purpose.
DEFAULT_UPLOAD_TIME = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

# (media type a client may ask for, media type served for it), in the server's preference
# order for ties: plain HTML first, as a wildcard-only client gets it from real indexes.
_HTML_OFFERS = (
    (TEXT_HTML, TEXT_HTML),
    (HTML_V1, HTML_V1),
    ("application/vnd.pypi.simple.latest+html", HTML_V1),
)
_JSON_OFFERS = (
    (JSON_V1, JSON_V1),
    ("application/vnd.pypi.simple.latest+json", JSON_V1),
)

Yanked = Union[bool, str]


@dataclasses.dataclass(frozen=True)
class HostedFile:
    """One file as the index publishes it. ``sha256`` is of the served bytes."""

    name: str
    version: str
    filename: str
    url: str
    sha256: str
    published_sha256: str
    content: bytes = dataclasses.field(repr=False)
    yanked: Yanked = False
    requires_python: str | None = None
    upload_time: datetime | None = None
    metadata: bytes | None = dataclasses.field(default=None, repr=False)
    path: Path | None = None
    provenance: bytes | None = dataclasses.field(default=None, repr=False)  # PEP 740 object

    @property
    def provenance_url(self) -> str:
        return self.url + ".provenance"

    @property
    def metadata_url(self) -> str:
        return self.url + ".metadata"

    @property
    def metadata_sha256(self) -> str | None:
        return None if self.metadata is None else hashlib.sha256(self.metadata).hexdigest()


class LoggedRequest(NamedTuple):
    method: str
    path: str
    accept: str | None
    status: int
    content_type: str | None


# ---------------------------------------------------------------- content negotiation


class _MediaRange(NamedTuple):
    media_type: str
    quality: float
    position: int


def _parse_accept(header: str) -> list[_MediaRange]:
    ranges: list[_MediaRange] = []
    for position, part in enumerate(header.split(",")):
        pieces = [piece.strip() for piece in part.split(";")]
        media_type = pieces[0].lower()
        if not media_type:
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        ranges.append(_MediaRange(media_type, quality, position))
    return ranges


def _specificity(media_range: str, offer: str) -> int:
    """2 for an exact match, 1 for ``type/*``, 0 for ``*/*``, -1 for no match."""
    if media_range == offer:
        return 2
    if media_range == "*/*":
        return 0
    range_type, _, range_subtype = media_range.partition("/")
    if range_subtype == "*" and offer.split("/")[0] == range_type:
        return 1
    return -1


def negotiate(accept: str | None, *, serve_json: bool = True) -> str | None:
    """The media type to answer with, or None when nothing acceptable can be served (406).

    Highest q wins; on a tie an exact match beats a wildcard, then the client's order, then the
    server's. No ``Accept`` header means HTML. An index without JSON always answers HTML, as
    legacy indexes ignore ``Accept``.
    """
    if not serve_json or accept is None or not accept.strip():
        return TEXT_HTML
    ranges = _parse_accept(accept)
    offers = _HTML_OFFERS + _JSON_OFFERS
    best: tuple[tuple[float, int, int, int], str] | None = None
    for server_order, (offer, served_type) in enumerate(offers):
        matches = [(_specificity(r.media_type, offer), r) for r in ranges]
        matches = [(spec, r) for spec, r in matches if spec >= 0]
        if not matches:
            continue
        specificity, media_range = max(matches, key=lambda match: match[0])
        if media_range.quality <= 0:
            continue
        key = (-media_range.quality, -specificity, media_range.position, server_order)
        if best is None or key < best[0]:
            best = (key, served_type)
    return None if best is None else best[1]


# ---------------------------------------------------------------- rendering


def _upload_time_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _html_page(title: str, body_lines: list[str], head_lines: Sequence[str] = ()) -> bytes:
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">',
        *("    " + line for line in head_lines),
        f"    <title>{html.escape(title)}</title>",
        "  </head>",
        "  <body>",
        f"    <h1>{html.escape(title)}</h1>",
        *("    " + line for line in body_lines),
        "  </body>",
        "</html>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _file_anchor(hosted: HostedFile) -> str:
    href = f"../../files/{quote(hosted.filename)}#sha256={hosted.published_sha256}"
    attributes = [f'href="{html.escape(href)}"']
    if hosted.requires_python is not None:
        attributes.append(f'data-requires-python="{html.escape(hosted.requires_python)}"')
    if hosted.yanked is not False:
        reason = "" if hosted.yanked is True else str(hosted.yanked)
        attributes.append(f'data-yanked="{html.escape(reason)}"')
    if hosted.metadata_sha256 is not None:
        value = f"sha256={hosted.metadata_sha256}"
        attributes.append(f'data-core-metadata="{value}"')
        attributes.append(f'data-dist-info-metadata="{value}"')
    if hosted.provenance is not None:
        attributes.append(f'data-provenance="{html.escape(hosted.provenance_url)}"')
    return f"<a {' '.join(attributes)}>{html.escape(hosted.filename)}</a><br/>"


def _file_json(hosted: HostedFile) -> dict[str, object]:
    entry: dict[str, object] = {
        "filename": hosted.filename,
        "url": hosted.url,
        "hashes": {"sha256": hosted.published_sha256},
        "requires-python": hosted.requires_python,
        "yanked": hosted.yanked,
        "size": len(hosted.content),
    }
    # Without metadata the keys are left out, as large public indexes do: pip 23.0.x
    # crashes on an explicit ``"dist-info-metadata": false``.
    if hosted.metadata_sha256 is not None:
        entry["core-metadata"] = entry["dist-info-metadata"] = {"sha256": hosted.metadata_sha256}
    if hosted.upload_time is not None:
        entry["upload-time"] = _upload_time_text(hosted.upload_time)
    if hosted.provenance is not None:
        entry["provenance"] = hosted.provenance_url
    return entry


def _json_bytes(document: dict[str, object]) -> bytes:
    return json.dumps(document, indent=2).encode("utf-8")


def _version_key(version: str) -> Version:
    return Version(version)


# ---------------------------------------------------------------- the index


@dataclasses.dataclass
class _Project:
    display_name: str
    files: dict[str, HostedFile] = dataclasses.field(default_factory=dict)
    status: tuple[str, str | None] | None = None  # PEP 792 (status, reason)

    def sorted_files(self) -> list[HostedFile]:
        return sorted(self.files.values(), key=lambda f: (_version_key(f.version), f.filename))

    def versions(self) -> list[str]:
        return sorted({f.version for f in self.files.values()}, key=_version_key)


class LocalIndex:
    """A simple-API package index on 127.0.0.1; started on construction.

    ``root`` holds the built files (a temporary directory removed by ``close()`` if omitted).
    ``serve_json=False`` makes a legacy HTML-only index that ignores ``Accept``.
    ``validators=True`` makes project pages revalidatable, as real indexes are: an ``ETag``
    (a hash of the page), ``304 Not Modified`` for a matching ``If-None-Match``, and no
    ``Cache-Control: no-store``. Without validators pages say ``Cache-Control: no-store``,
    unless ``no_store=False``: then they say nothing about caching (like an index behind a
    proxy that drops those headers).
    """

    def __init__(
        self,
        root: Path | None = None,
        *,
        serve_json: bool = True,
        validators: bool = False,
        no_store: bool = True,
    ) -> None:
        self._owns_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="local-index-")) if root is None else root
        self.files_dir = self.root / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.serve_json = serve_json
        self.validators = validators
        self.no_store = no_store
        self._lock = threading.Lock()
        self._projects: dict[str, _Project] = {}
        # Project pages as last built, by (project, media type), with the generation they
        # were built at: every change to a project bumps ``_generation``. A page is built and
        # sorted (a Version parse per file) only after a change, as a real index serves a
        # stored page, so answering a revalidation costs the index little CPU.
        self._generation = 0
        self._built_pages: dict[tuple[str, str], tuple[int, bytes]] = {}
        self._log: list[LoggedRequest] = []
        self._simple_api_failure: int | None = None
        self._raw_pages: dict[str, tuple[str, bytes]] = {}
        self._drip: _Drip | None = None
        self._server = _IndexHTTPServer(self)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"local-index-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._running = True

    # ------------------------------------------------------------ addresses

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def url(self) -> str:
        """The simple-API base to give pip as ``--index-url``."""
        return self.base_url + "simple/"

    @property
    def files_url(self) -> str:
        return self.base_url + "files/"

    def project_url(self, name: str) -> str:
        return f"{self.url}{canonicalize_name(name)}/"

    # ------------------------------------------------------------ publishing

    def add(
        self,
        name: str,
        version: str,
        requires: Sequence[str] = (),
        *,
        yanked: Yanked = False,
        upload_time: datetime | None = None,
        publish_wrong_hash: bool = False,
        salt: str = "",
        metadata: bool = False,
        requires_python: str | None = None,
        files: dict[str, str] | None = None,
    ) -> HostedFile:
        """Build a ``py3-none-any`` wheel and publish it.

        ``yanked``: True or a reason. ``publish_wrong_hash``: advertise a sha256 that is not the
        served file's. ``metadata``: also serve and advertise the PEP 658 ``.metadata`` file.
        ``upload_time`` defaults to ``DEFAULT_UPLOAD_TIME`` (long ago).
        """
        path = build_wheel(
            self.root / "build",
            name,
            version,
            requires,
            files=files,
            salt=salt,
            requires_python=requires_python,
        )
        content = path.read_bytes()
        path.unlink()
        return self.add_file(
            name,
            version,
            path.name,
            content,
            yanked=yanked,
            upload_time=upload_time,
            publish_wrong_hash=publish_wrong_hash,
            metadata=read_wheel_metadata(content) if metadata else None,
            requires_python=requires_python,
        )

    def add_file(
        self,
        name: str,
        version: str,
        filename: str,
        content: bytes,
        *,
        yanked: Yanked = False,
        upload_time: datetime | None = None,
        publish_wrong_hash: bool = False,
        metadata: bytes | None = None,
        requires_python: str | None = None,
        provenance: bytes | None = None,
    ) -> HostedFile:
        """Publish arbitrary bytes (a wheel built elsewhere, an sdist) under ``filename``.
        ``provenance``: a PEP 740 provenance object, served next to the file and advertised
        (``provenance`` in JSON pages, ``data-provenance`` in HTML)."""
        if "/" in filename or filename in ("", ".", ".."):
            raise ValueError(f"not a plain filename: {filename!r}")
        sha256 = hashlib.sha256(content).hexdigest()
        path = self.files_dir / filename
        hosted = HostedFile(
            name=name,
            version=str(Version(version)),
            filename=filename,
            url=self.files_url + quote(filename),
            sha256=sha256,
            published_sha256=_wrong_hash(content) if publish_wrong_hash else sha256,
            content=content,
            yanked=yanked,
            requires_python=requires_python,
            upload_time=DEFAULT_UPLOAD_TIME if upload_time is None else upload_time,
            metadata=metadata,
            path=path,
            provenance=provenance,
        )
        with self._lock:
            project = self._projects.setdefault(canonicalize_name(name), _Project(name))
            if filename in project.files:
                raise ValueError(f"{filename} is already published (use replace_file)")
            path.write_bytes(content)
            project.files[filename] = hosted
            self._generation += 1
        return hosted

    def set_status(self, name: str, status: str, reason: str | None = None) -> None:
        """Publish a PEP 792 project status marker (``archived``, ``quarantined``,
        ``deprecated``) on the project's pages; the project need not have files (an index
        serves none for a quarantined project)."""
        with self._lock:
            project = self._projects.setdefault(canonicalize_name(name), _Project(name))
            project.status = (status, reason)
            self._generation += 1

    def replace_file(
        self, filename: str, new_content: bytes, *, keep_published_hash: bool = False
    ) -> HostedFile:
        """Serve different bytes under the same filename (a re-uploaded artifact).

        The index then publishes the new file's hash, unless ``keep_published_hash`` (the file
        was swapped behind the index's back). A wheel's ``.metadata`` follows the new bytes.
        """
        new_sha256 = hashlib.sha256(new_content).hexdigest()

        def change(hosted: HostedFile) -> HostedFile:
            metadata = hosted.metadata
            if metadata is not None:
                metadata = read_wheel_metadata(new_content) or metadata
            assert hosted.path is not None
            hosted.path.write_bytes(new_content)
            published = hosted.published_sha256 if keep_published_hash else new_sha256
            return dataclasses.replace(
                hosted,
                content=new_content,
                sha256=new_sha256,
                published_sha256=published,
                metadata=metadata,
            )

        return self._update(filename, change)

    def set_yanked(self, filename: str, yanked: Yanked) -> HostedFile:
        """Yank (True or a reason) or un-yank (False) a published file."""
        return self._update(filename, lambda hosted: dataclasses.replace(hosted, yanked=yanked))

    def _update(self, filename: str, change: Callable[[HostedFile], HostedFile]) -> HostedFile:
        with self._lock:
            for project in self._projects.values():
                if filename in project.files:
                    project.files[filename] = change(project.files[filename])
                    self._generation += 1
                    return project.files[filename]
        raise KeyError(f"{filename} is not published on this index")

    def hosted_files(self, name: str) -> list[HostedFile]:
        with self._lock:
            project = self._projects.get(canonicalize_name(name))
            return [] if project is None else project.sorted_files()

    # ------------------------------------------------------------ failure modes

    def fail_simple_api_with(self, status: int | None) -> None:
        """Answer every ``/simple/`` request with this HTTP status (None: serve normally)."""
        self._simple_api_failure = status

    def serve_raw_page(self, name: str, body: bytes, content_type: str = JSON_V1) -> None:
        """Answer every request for ``name``'s project page with exactly ``body`` (a hostile
        or malformed page), whatever the client accepts."""
        with self._lock:
            self._raw_pages[canonicalize_name(name)] = (content_type, body)

    def drip_simple_api(self, seconds_per_byte: float, *, stop_after: float) -> None:
        """Send ``/simple/`` answers one byte every ``seconds_per_byte`` (a slow-drip index,
        which no per-read timeout catches); each answer stops by itself after ``stop_after``
        seconds, or when the index stops."""
        self._drip = _Drip(seconds_per_byte, stop_after)

    def make_unreachable(self) -> None:
        """Stop serving: connections to ``url`` are refused from now on."""
        self.stop()

    # ------------------------------------------------------------ request log

    @property
    def request_log(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    @property
    def requests(self) -> list[str]:
        """Paths requested so far, in order (query strings included)."""
        return [entry.path for entry in self.request_log]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    # ------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._running

    def stop(self) -> None:
        """Stop the server (idempotent); the published files stay on disk until ``close()``."""
        if not self._running:
            return
        self._running = False
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def close(self) -> None:
        self.stop()
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ responses (server threads)

    def _root_response(self, media_type: str) -> bytes:
        with self._lock:
            names = sorted(self._projects)
            display = {name: self._projects[name].display_name for name in names}
        if media_type == JSON_V1:
            projects = [{"name": display[name]} for name in names]
            return _json_bytes({"meta": {"api-version": API_VERSION}, "projects": projects})
        anchors = [f'<a href="{name}/">{html.escape(display[name])}</a><br/>' for name in names]
        return _html_page("Simple index", anchors)

    def _project_response(self, normalized: str, media_type: str) -> bytes | None:
        with self._lock:
            generation = self._generation
            built = self._built_pages.get((normalized, media_type))
            if built is not None and built[0] == generation:
                return built[1]
        body = self._build_project_page(normalized, media_type)
        if body is not None:
            with self._lock:
                self._built_pages[(normalized, media_type)] = (generation, body)
        return body

    def _build_project_page(self, normalized: str, media_type: str) -> bytes | None:
        with self._lock:
            project = self._projects.get(normalized)
            if project is None:
                return None
            files = project.sorted_files()
            versions = project.versions()
            status = project.status
        if media_type == JSON_V1:
            document: dict[str, object] = {
                "meta": {"api-version": API_VERSION},
                "name": normalized,
                "versions": versions,
                "files": [_file_json(hosted) for hosted in files],
            }
            if status is not None:
                marker = {"status": status[0]}
                document["project-status"] = (
                    marker
                    if status[1] is None
                    else {
                        **marker,
                        "reason": status[1],
                    }
                )
            return _json_bytes(document)
        head: list[str] = []
        if status is not None:
            head.append(f'<meta name="pypi:project-status" content="{html.escape(status[0])}">')
            if status[1] is not None:
                reason = html.escape(status[1])
                head.append(f'<meta name="pypi:project-status-reason" content="{reason}">')
        anchors = [_file_anchor(hosted) for hosted in files]
        return _html_page(f"Links for {normalized}", anchors, head)

    def _file_response(self, filename: str) -> bytes | None:
        with self._lock:
            for project in self._projects.values():
                if filename in project.files:
                    return project.files[filename].content
                if filename.endswith(".metadata"):
                    hosted = project.files.get(filename[: -len(".metadata")])
                    if hosted is not None and hosted.metadata is not None:
                        return hosted.metadata
                if filename.endswith(".provenance"):
                    hosted = project.files.get(filename[: -len(".provenance")])
                    if hosted is not None and hosted.provenance is not None:
                        return hosted.provenance
        return None


class _Drip(NamedTuple):
    seconds_per_byte: float
    stop_after: float


def _wrong_hash(content: bytes) -> str:
    return hashlib.sha256(b"not the served file\0" + content).hexdigest()


# ---------------------------------------------------------------- HTTP plumbing


class _IndexHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # uv opens many connections at once; the default 5 stalls it

    def __init__(self, index: LocalIndex) -> None:
        self.index = index
        super().__init__(("127.0.0.1", 0), _IndexRequestHandler)


class _IndexRequestHandler(BaseHTTPRequestHandler):
    server_version = "safe-pip-test-index/1.0"

    @property
    def index(self) -> LocalIndex:
        return cast(_IndexHTTPServer, self.server).index

    def do_GET(self) -> None:
        self._handle(send_body=True)

    def do_HEAD(self) -> None:
        self._handle(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log; the index keeps its own."""

    def _handle(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path
        accept = self.headers.get("Accept")
        try:
            status, content_type, body, location = self._route(path, accept)
        except Exception as error:  # a bug in the test index must show, not hang the client
            status, content_type, location = 500, "text/plain", None
            body = f"test index error: {error!r}\n".encode()
        etag = None
        if self.index.validators and status == 200 and path.startswith("/simple/"):
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            if self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
        self.index._record(LoggedRequest(self.command, self.path, accept, status, content_type))
        try:
            self.send_response(status)
            if content_type is not None and status != 304:
                self.send_header("Content-Type", content_type)
            if location is not None:
                self.send_header("Location", location)
            if etag is not None:
                self.send_header("ETag", etag)
            elif self.index.no_store:
                self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            drip = self.index._drip
            if send_body and drip is not None and path.startswith("/simple/"):
                self._drip_body(body, drip)
            elif send_body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _drip_body(self, body: bytes, drip: _Drip) -> None:
        stop_at = time.monotonic() + drip.stop_after
        for position in range(len(body)):
            if time.monotonic() >= stop_at or not self.index.running:
                return  # the connection closes with the body incomplete
            self.wfile.write(body[position : position + 1])
            self.wfile.flush()
            time.sleep(drip.seconds_per_byte)

    def _route(self, path: str, accept: str | None) -> tuple[int, str | None, bytes, str | None]:
        index = self.index
        if path == "/simple" or path.startswith("/simple/"):
            if index._simple_api_failure is not None:
                return index._simple_api_failure, "text/plain", b"simulated failure\n", None
            return self._simple_api(path, accept)
        if path.startswith("/files/"):
            content = index._file_response(unquote(path[len("/files/") :]))
            if content is None:
                return _not_found()
            return 200, "application/octet-stream", content, None
        return _not_found()

    def _simple_api(
        self, path: str, accept: str | None
    ) -> tuple[int, str | None, bytes, str | None]:
        index = self.index
        if path == "/simple":
            return _redirect(index.url)
        media_type = negotiate(accept, serve_json=index.serve_json)
        if media_type is None:
            return 406, "text/plain", b"no acceptable simple-API representation\n", None
        rest = unquote(path[len("/simple/") :])
        if rest == "":
            return 200, media_type, index._root_response(media_type), None
        name = rest.rstrip("/")
        if "/" in name:
            return _not_found()
        normalized = canonicalize_name(name)
        if name != normalized or not rest.endswith("/"):
            return _redirect(index.project_url(name))
        raw = index._raw_pages.get(normalized)
        if raw is not None:
            return 200, raw[0], raw[1], None
        body = index._project_response(normalized, media_type)
        if body is None:
            return _not_found()
        return 200, media_type, body, None


def _not_found() -> tuple[int, str | None, bytes, str | None]:
    return int(HTTPStatus.NOT_FOUND), "text/plain", b"not found\n", None


def _redirect(location: str) -> tuple[int, str | None, bytes, str | None]:
    return int(HTTPStatus.MOVED_PERMANENTLY), "text/plain", b"moved\n", location
