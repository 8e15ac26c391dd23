"""Keep the ``integration`` marker honest: a test without it may not start a child process
or a local server (the package index, a TLS or HTTP server).

``python -m pytest -m "not integration"`` is the fast unit run; a test that starts pip, uv,
a venv, safe-pip itself, a shell or the local index belongs to the integration run, and this
guard fails any unmarked test that does.
"""

from __future__ import annotations

import socketserver
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

MARKER = "integration"


class IntegrationOnlyError(BaseException):
    """Raised where an unmarked test starts a process or server (a BaseException, so the
    code under test cannot swallow it as an ordinary error)."""


@contextmanager
def refuse_processes_and_servers(test_name: str) -> Iterator[list[str]]:
    """While active, starting a child process or a socket server raises and is recorded."""
    started: list[str] = []
    original_popen = subprocess.Popen.__init__
    original_server = socketserver.BaseServer.__init__

    def refuse(what: str) -> None:
        started.append(what)
        raise IntegrationOnlyError(
            f"{test_name} starts {what}: mark it @pytest.mark.integration "
            "(or give the module pytestmark = pytest.mark.integration)"
        )

    def popen(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        refuse(f"a child process ({args!r:.80})")

    def server(self: socketserver.BaseServer, *rest: Any, **kwargs: Any) -> None:
        refuse(f"a local server ({type(self).__name__})")

    subprocess.Popen.__init__ = popen  # type: ignore[method-assign]
    socketserver.BaseServer.__init__ = server  # type: ignore[method-assign]
    try:
        yield started
    finally:
        subprocess.Popen.__init__ = original_popen  # type: ignore[method-assign]
        socketserver.BaseServer.__init__ = original_server  # type: ignore[method-assign]


def guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """The body of conftest's autouse fixture."""
    if request.node.get_closest_marker(MARKER) is not None:
        yield
        return
    with refuse_processes_and_servers(request.node.nodeid) as started:
        yield
    if started:
        pytest.fail(f"{request.node.nodeid} starts {started[0]} but is not marked integration")
