"""The guard that keeps the ``integration`` marker honest refuses processes and servers."""

from __future__ import annotations

import http.server
import subprocess
import sys

import pytest

from support.integration_guard import IntegrationOnlyError, refuse_processes_and_servers


def test_an_unmarked_test_cannot_start_a_child_process() -> None:
    with refuse_processes_and_servers("t") as started, pytest.raises(IntegrationOnlyError):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
    assert started and "child process" in started[0]


def test_an_unmarked_test_cannot_start_a_local_server() -> None:
    with refuse_processes_and_servers("t") as started, pytest.raises(IntegrationOnlyError):
        http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    assert started == ["a local server (HTTPServer)"]


@pytest.mark.integration
def test_a_marked_test_may_start_processes() -> None:
    completed = subprocess.run([sys.executable, "-c", "print('ok')"], capture_output=True)
    assert completed.stdout.strip() == b"ok"
