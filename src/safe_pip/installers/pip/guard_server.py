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


def answer_line(service: GuardService, line: bytes) -> bytes:
    """One JSON answer line for one JSON question line."""
    try:
        request = json.loads(line)
    except ValueError:
        request = None
    if not isinstance(request, dict):
        answer: dict[str, Any] = {"error": "safe-pip could not read the guard's question"}
    elif request.get("op") == "hello":
        answer = {"exit_code": 0}
    else:
        answer = service.handle(request)
    return (json.dumps(answer) + "\n").encode("utf-8")


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
        answers.write(b'{"exit_code": 0}\n')
        answers.flush()
    for line in iter(questions.readline, b""):
        answers.write(answer_line(service, line))
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
