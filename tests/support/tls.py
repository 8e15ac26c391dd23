"""TLS for tests: self-signed certificates made with the ``openssl`` command, and an HTTPS
front on 127.0.0.1 that forwards every request to a plain-HTTP server (e.g. a ``LocalIndex``).

    pair = make_certificate(tmp_path, "server")      # CN and IP SAN 127.0.0.1
    with HttpsFront(index.port, pair) as front:
        front.base_url + "simple/"                    # https://127.0.0.1:PORT/simple/
"""

from __future__ import annotations

import http.client
import shutil
import ssl
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import cast

_FORWARDED_REQUEST_HEADERS = ("Accept", "User-Agent", "Range")
_FORWARDED_RESPONSE_HEADERS = ("Content-Type", "Location", "Cache-Control")


def openssl_missing_reason() -> str | None:
    """Why certificates cannot be made here, or None (the ``openssl`` command exists)."""
    if shutil.which("openssl") is None:
        return "the openssl command is not installed: cannot make test certificates"
    return None


@dataclass(frozen=True)
class CertificatePair:
    """A self-signed certificate (also its own CA) and its key; ``combined``: both in one
    PEM file, the form pip's ``--client-cert`` takes."""

    cert: Path
    key: Path
    combined: Path


def make_certificate(directory: Path, name: str) -> CertificatePair:
    """A self-signed EC certificate for CN and IP SAN 127.0.0.1, valid for two days."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-nodes", "-days", "2",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    combined = directory / f"{name}.pem"
    combined.write_bytes(key.read_bytes() + cert.read_bytes())
    return CertificatePair(cert=cert, key=key, combined=combined)


class HttpsFront:
    """HTTPS on 127.0.0.1 (random port) in front of ``http://127.0.0.1:backend_port``.

    ``client_ca``: require a client certificate signed by (or equal to) this one.
    ``requests`` lists the paths asked for over TLS, in order.
    """

    def __init__(
        self, backend_port: int, server: CertificatePair, *, client_ca: Path | None = None
    ) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server.cert, server.key)
        if client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=client_ca)
        self.backend_port = backend_port
        self.requests: list[str] = []
        self._server = _FrontServer(self)
        # The handshake happens in the handler thread, on the first read.
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> HttpsFront:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _FrontServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, front: HttpsFront) -> None:
        self.front = front
        super().__init__(("127.0.0.1", 0), _ForwardingHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that rejects the certificate (or has none) is expected: stay quiet."""


class _ForwardingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        front = cast(_FrontServer, self.server).front
        front.requests.append(self.path)
        backend = http.client.HTTPConnection("127.0.0.1", front.backend_port, timeout=30)
        try:
            headers = {k: v for k in _FORWARDED_REQUEST_HEADERS if (v := self.headers.get(k))}
            backend.request("GET", self.path, headers=headers)
            response = backend.getresponse()
            body = response.read()
        finally:
            backend.close()
        self.send_response(response.status)
        for name in _FORWARDED_RESPONSE_HEADERS:
            value = response.getheader(name)
            if value is not None and name == "Location":  # keep redirects on the TLS side
                value = value.replace(f"http://127.0.0.1:{front.backend_port}/", front.base_url)
            if value is not None:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass
