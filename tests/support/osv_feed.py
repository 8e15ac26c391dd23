"""An OSV feed on 127.0.0.1 laid out like OSV's per-ecosystem export: ``PyPI/all.zip``,
``PyPI/modified_id.csv`` (newest first) and ``PyPI/<ID>.json``, with ETag and
Last-Modified validators and 304 answers to conditional requests. Every request is logged
(path, status) so tests can count round trips. Use it as a context manager: the server
stops on exit.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Mapping
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


def osv_record(
    record_id: str, name: str, modified: str, *, versions: tuple[str, ...] = ("1.0",)
) -> dict[str, Any]:
    """A minimal OSV record affecting ``name`` at ``versions``."""
    return {
        "id": record_id,
        "modified": modified,
        "summary": f"{record_id} affects {name}",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name}, "versions": list(versions)}],
    }


def zip_of(records: Mapping[str, Mapping[str, Any]]) -> bytes:
    """The records as an OSV-style zip; the same records always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record_id, record in records.items():
            member = zipfile.ZipInfo(f"{record_id}.json", date_time=(2024, 1, 1, 0, 0, 0))
            archive.writestr(member, json.dumps(record), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


class OsvFeed:
    """The feed; ``records`` may be changed between requests with ``publish``."""

    def __init__(self, ecosystem: str = "PyPI") -> None:
        self.ecosystem = ecosystem
        self.records: dict[str, dict[str, Any]] = {}
        self.offer_modified_index = True
        self.log: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{self.ecosystem}/"

    @property
    def export_url(self) -> str:
        return self.url + "all.zip"

    def publish(self, *records: dict[str, Any]) -> None:
        with self._lock:
            for record in records:
                self.records[record["id"]] = record

    def statuses(self) -> list[tuple[str, int]]:
        with self._lock:
            taken, self.log = self.log, []
        return taken

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> OsvFeed:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ serving

    def _body(self, path: str) -> bytes | None:
        prefix = f"/{self.ecosystem}/"
        if not path.startswith(prefix):
            return None
        name = path[len(prefix) :]
        with self._lock:
            records = dict(self.records)
        if name == "all.zip":
            return zip_of(records)
        if name == "modified_id.csv" and self.offer_modified_index:
            ordered = sorted(records.values(), key=lambda r: r["modified"], reverse=True)
            return "".join(f"{r['modified']},{r['id']}\n" for r in ordered).encode()
        if name.endswith(".json") and name[: -len(".json")] in records:
            return json.dumps(records[name[: -len(".json")]]).encode()
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = feed._body(self.path)
                if body is None:
                    self._answer(404, b"not found", {})
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                validators = {"ETag": etag, "Last-Modified": formatdate(usegmt=True)}
                if self.headers.get("If-None-Match") == etag:
                    self._answer(304, b"", validators)
                else:
                    self._answer(200, body, validators)

            def _answer(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
                with feed._lock:
                    feed.log.append((self.path, status))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
