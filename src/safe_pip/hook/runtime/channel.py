"""The conversation between the guard inside a pip process and safe-pip's checker.

One JSON object per line each way: the guard asks (``{"op": ...}``), the checker answers. Two
ways to reach a checker:

* ``safe-pip install`` serves the checks itself while the pip it started runs; the guard
  connects to the address and token it was given on pip's command line (``connect``);
* the pip hook starts ``<checker> guard-serve`` as its own child and talks over its
  stdin/stdout (``spawn``), so the checker loads its database while pip resolves.

The address is never read from the environment: a script could otherwise point pip at a
checker of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading

from . import run_token
from .checker import CheckerError, CheckerUnavailable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

CONNECT_TIMEOUT_SECONDS = 30.0


class Channel:
    """Ask the checker one question at a time (a lock keeps threads' questions apart)."""

    def __init__(
        self,
        reader: IO[bytes],
        writer: IO[bytes],
        *,
        process: subprocess.Popen[bytes] | None = None,
        closer: Any = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._process = process
        self._closer = closer
        self._lock = threading.Lock()
        # whether the checker said it reads page bytes framed after a question (it says so
        # in every answer; an older one never does): until then they travel as JSON text
        self._frames = False

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """The checker's answer to ``request``; the ``bytes`` of its pages (``"body"``) are
        framed after the line when the checker reads frames, else sent as latin-1 text."""
        with self._lock:
            line, frames = _encoded(request, framed=self._frames)
            try:
                self._writer.write(line)
                for frame in frames:
                    self._writer.write(frame)
                self._writer.flush()
                answer = self._reader.readline()
            except OSError as exc:
                raise CheckerUnavailable(f"lost the safe-pip checker: {exc}") from None
        if not answer:
            raise CheckerUnavailable("the safe-pip checker stopped answering")
        try:
            response = json.loads(answer)
        except ValueError:
            raise CheckerUnavailable("the safe-pip checker answered something unreadable") from None
        if not isinstance(response, dict):
            raise CheckerUnavailable("the safe-pip checker answered something unreadable")
        self._frames = response.get("frames") is True
        if response.get("error"):
            raise CheckerError(str(response["error"]))
        return response

    def abandon(self) -> None:
        """Stop a checker that was never asked anything (it has nothing to finish)."""
        if self._process is not None:
            with contextlib.suppress(OSError):
                self._process.kill()
        self.close()

    def close(self) -> None:
        for stream in (self._writer, self._reader):
            with contextlib.suppress(OSError):
                stream.close()
        if self._closer is not None:
            self._closer.close()
        if self._process is not None:
            try:
                self._process.wait(timeout=CONNECT_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()


def _encoded(request: dict[str, Any], *, framed: bool) -> tuple[bytes, list[bytes]]:
    """The question's line and the page bytes framed after it (see ``guard_server``): each
    page's ``bytes`` body goes after the line (``"frame"``: its position, ``"frames"``: the
    sizes), or, to a checker that has not said it reads frames, into the line as latin-1."""
    frames: list[bytes] = []
    pages = []
    for page in request.get("pages") or []:
        body = page.get("body")
        if isinstance(body, bytes):
            page = dict(page)
            if framed:
                del page["body"]
                page["frame"] = len(frames)
                frames.append(body)
            else:
                page["body"] = body.decode("latin-1")
        pages.append(page)
    if pages:
        request = dict(request, pages=pages)
    if frames:
        request["frames"] = [len(frame) for frame in frames]
    return (json.dumps(request) + "\n").encode("utf-8"), frames


def connect(address: str, token: str) -> Channel:
    """Connect to the checker ``safe-pip install`` serves (``unix:PATH`` or ``tcp:HOST:PORT``)."""
    kind, _, where = address.partition(":")
    try:
        if kind == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # type: ignore[attr-defined,unused-ignore]
            target: Any = where
        elif kind == "tcp":
            host, _, port = where.rpartition(":")
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = (host, int(port))
        else:
            raise CheckerUnavailable(f"unknown checker address {address!r}")
        sock.settimeout(CONNECT_TIMEOUT_SECONDS)
        sock.connect(target)
        sock.settimeout(None)
    except (OSError, ValueError) as exc:
        raise CheckerUnavailable(f"cannot reach the safe-pip checker at {address}: {exc}") from None
    channel = Channel(sock.makefile("rb"), sock.makefile("wb"), closer=sock)
    channel.ask({"op": "hello", "token": token, "pid": os.getpid()})
    return channel


def spawn(command: list[str]) -> Channel:
    """Start ``command guard-serve`` (the hook's recorded safe-pip) and talk over its pipes."""
    env = run_token.without_marker()  # the checker runs no pip: nothing to exempt
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        process = subprocess.Popen(
            [*command, "guard-serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        raise CheckerUnavailable(
            f"cannot run the safe-pip checker {command[0]}: {exc.strerror or exc}"
        ) from None
    assert process.stdin is not None and process.stdout is not None
    return Channel(process.stdout, process.stdin, process=process)
