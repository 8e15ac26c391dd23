"""Carry the guard's questions to a ``GuardService``: over the hook checker's stdin/stdout, or
over a local socket that ``safe-pip install`` listens on while the pip it started runs.

The socket is a Unix socket in a fresh directory only this user can enter (a loopback TCP
port where there are no Unix sockets); the first question on every connection must carry the
service's random token.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from safe_pip.installers.pip.guard_service import GuardService

_BACKLOG = 8


# Every answer says the checker reads page bytes framed after the question line (below):
# a guard sends them so once it has seen that (an older checker never says it).
FRAMES = "frames"
MAX_FRAMES = 4096  # pages with one question (each at most limits.INDEX_PAGE_MAX_BYTES)


def answer_line(service: GuardService, request: object) -> bytes:
    """One JSON answer line for one question (None: unreadable)."""
    if not isinstance(request, dict):
        answer: dict[str, Any] = {"error": "safe-pip could not read the guard's question"}
    elif request.get("op") == "hello":
        answer = {"exit_code": 0}
    else:
        answer = service.handle(request)
    answer[FRAMES] = True
    return (json.dumps(answer) + "\n").encode("utf-8")


def read_question(line: bytes, questions: IO[bytes]) -> object:
    """The question on ``line``, with the page bytes framed after it read from ``questions``:
    ``"frames": [n, ...]`` on the line says that n bytes follow for each page whose
    ``"frame"`` is that position (they become its ``"content"``). None when unreadable;
    ``FramingError`` when the frames cannot be read (the conversation cannot go on)."""
    try:
        request = json.loads(line)
    except ValueError:
        return None
    if not isinstance(request, dict) or FRAMES not in request:
        return request
    sizes = request.pop(FRAMES)
    if not isinstance(sizes, list) or not all(
        isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in sizes
    ):
        raise FramingError("frame sizes must be a list of byte counts")
    from safe_pip.limits import INDEX_PAGE_MAX_BYTES  # not before pip starts (dataclasses)

    if len(sizes) > MAX_FRAMES or any(size > INDEX_PAGE_MAX_BYTES for size in sizes):
        raise FramingError("frames larger or more than the pages they can be")
    frames = []
    for size in sizes:
        frame = questions.read(size)
        if len(frame) != size:
            raise FramingError("the guard's question ended inside its page bytes")
        frames.append(frame)
    for page in request.get("pages") or []:
        if isinstance(page, dict) and "frame" in page:
            position = page.pop("frame")
            if not isinstance(position, int) or not 0 <= position < len(frames):
                raise FramingError("a page names a frame that was not sent")
            page["content"] = frames[position]
    return request


class FramingError(Exception):
    """The page bytes after a question could not be read as announced."""


def serve_stdio(service: GuardService) -> None:
    """Answer questions on stdin until it closes (the hook's checker). stdout carries only
    answers: anything else printed goes to stderr."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    questions = sys.stdin.buffer
    try:
        _serve(service, questions, answers, token=None)
    finally:
        answers.close()


def _serve(
    service: GuardService, questions: IO[bytes], answers: IO[bytes], token: str | None
) -> None:
    if token is not None:
        hello = questions.readline()
        try:
            greeting = json.loads(hello)
        except ValueError:
            return
        if not isinstance(greeting, dict) or greeting.get("token") != token:
            answers.write(b'{"error": "safe-pip: wrong token"}\n')
            answers.flush()
            return
        answers.write(b'{"exit_code": 0, "frames": true}\n')
        answers.flush()
    for line in iter(questions.readline, b""):
        try:
            request = read_question(line, questions)
        except FramingError as exc:  # the next question's start is unknown: stop here
            answers.write(json.dumps({"error": f"safe-pip: {exc}"}).encode("utf-8") + b"\n")
            answers.flush()
            return
        answers.write(answer_line(service, request))
        answers.flush()


class GuardListener:
    """Listen for guards while pip runs: ``address`` and ``token`` go to the guard.

    Connections are accepted at once; their questions wait until ``attach`` hands over the
    service (so pip starts while safe-pip still imports its checking code)."""

    def __init__(self) -> None:
        self.token = os.urandom(16).hex()  # what secrets.token_hex does, without its imports
        self._service: GuardService | None = None
        self._attached = threading.Event()
        self._directory: str | None = None
        self._socket = self._listen()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _listen(self) -> socket.socket:
        if hasattr(socket, "AF_UNIX"):
            self._directory = tempfile.mkdtemp(prefix="safe-pip-guard-")
            os.chmod(self._directory, 0o700)
            path = os.path.join(self._directory, "guard.sock")
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(path)
            self.address = f"unix:{path}"
        else:  # pragma: no cover - platforms without Unix sockets
            server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            server.bind(("127.0.0.1", 0))
            self.address = f"tcp:127.0.0.1:{server.getsockname()[1]}"
        server.listen(_BACKLOG)
        return server

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            thread = threading.Thread(target=self._converse, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def attach(self, service: GuardService) -> None:
        self._service = service
        self._attached.set()

    def _converse(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as questions, connection.makefile("wb") as out:
            self._attached.wait()
            if self._service is None:
                return  # closed before a service came
            with contextlib.suppress(OSError):  # OSError: the guard's pip ended
                _serve(self._service, questions, out, token=self.token)

    def close(self) -> None:
        self._attached.set()  # no conversation waits for a service that never comes
        try:
            self._socket.close()
        finally:
            if self._directory is not None:
                shutil.rmtree(self._directory, ignore_errors=True)

    def __enter__(self) -> GuardListener:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
