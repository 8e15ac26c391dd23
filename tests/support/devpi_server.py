"""A real devpi-server on 127.0.0.1 for the tests: ``devpi-init`` + ``devpi-server`` in a
temporary server directory, its mirror ``root/pypi`` pointed at the tests' local index.

``DevpiServer.start`` waits until the server answers, ``stop`` terminates it (killed after a
grace period); ``LIFETIME_SECONDS`` ends a server a crashed test run forgot (it runs under
``timeout`` where the platform has it). Indexes are made over devpi's HTTP API as root.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

ROOT_PASSWORD = "secret"
LIFETIME_SECONDS = 900
START_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else name


def write_secret(path: Path) -> Path:
    """A secret for ``--secretfile``: a primary and its replicas must share one (the
    replica's token is signed with it)."""
    path.write_text("safe-pip-tests-" + "x" * 40)
    path.chmod(0o600)
    return path


def init_serverdir(serverdir: Path, env: Mapping[str, str], primary_url: str | None = None) -> None:
    """``devpi-init`` without the default mirror (the tests make their own), or of a
    replica of ``primary_url`` (which copies everything from its primary)."""
    command = [_tool("devpi-init"), "--serverdir", str(serverdir)]
    if primary_url is None:
        command += ["--no-root-pypi", "--root-passwd", ROOT_PASSWORD]
    else:
        command += ["--primary-url", primary_url]
    subprocess.run(command, env=dict(env), check=True, capture_output=True, timeout=120)


class DevpiServer:
    """One devpi-server process."""

    def __init__(
        self,
        serverdir: Path,
        env: Mapping[str, str],
        args: Sequence[str] = (),
        *,
        port: int | None = None,
    ) -> None:
        self.serverdir = serverdir
        self.port = port or free_port()
        self.env = dict(env)
        self.args = list(args)
        self.log_path = serverdir.parent / f"{serverdir.name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def index_url(self, stage: str) -> str:
        """The simple-API URL of ``user/index`` to give pip as ``--index-url``."""
        return f"{self.url}/{stage}/+simple/"

    def start(self) -> DevpiServer:
        command = [_tool("devpi-server"), "--serverdir", str(self.serverdir)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), *self.args]
        limit = shutil.which("timeout")
        if limit is not None:
            command = [limit, str(LIFETIME_SECONDS), *command]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"devpi-server exited:\n{self.log()}")
            try:
                if httpx.get(self.url + "/+api", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"devpi-server did not start:\n{self.log()}")

    def serial(self) -> int:
        """The server's change serial; -1 while it cannot say (a replica starting)."""
        try:
            status = httpx.get(
                self.url + "/+status", headers={"Accept": "application/json"}, timeout=30
            )
            return int(status.json()["result"]["serial"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return -1

    def wait_in_sync_with(self, primary: DevpiServer, timeout: float = 300.0) -> None:
        """Wait until this replica has every change ``primary`` has made so far."""
        wanted = primary.serial()
        deadline = time.monotonic() + timeout
        while self.serial() < wanted:
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica not in sync after {timeout}s:\n{self.log()}")
            time.sleep(0.2)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __enter__(self) -> DevpiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ API

    def put_index(self, stage: str, config: Mapping[str, Any]) -> None:
        """Create ``user/index`` (the user is made first when it is not root)."""
        user = stage.split("/", 1)[0]
        auth = ("root", ROOT_PASSWORD)
        if user != "root":
            found = httpx.get(f"{self.url}/{user}", headers={"Accept": "application/json"})
            if found.status_code == 404:
                made = httpx.put(
                    f"{self.url}/{user}", json={"password": ROOT_PASSWORD}, auth=auth, timeout=30
                )
                made.raise_for_status()
        response = httpx.put(f"{self.url}/{stage}", json=dict(config), auth=auth, timeout=30)
        response.raise_for_status()

    def upload(self, stage: str, path: Path, name: str, version: str) -> None:
        """Upload a distribution file to a private index (as root)."""
        response = httpx.post(
            f"{self.url}/{stage}/",
            data={":action": "file_upload", "name": name, "version": version},
            files={"content": (path.name, path.read_bytes())},
            auth=("root", ROOT_PASSWORD),
            timeout=30,
        )
        response.raise_for_status()

    def get(self, path: str, accept: str | None = None) -> httpx.Response:
        headers = {"Accept": accept} if accept else {}
        return httpx.get(self.url + path, headers=headers, timeout=30)


def mirror_config(upstream_url: str) -> dict[str, Any]:
    """A devpi mirror of the tests' local index (pages re-read after a second)."""
    return {"type": "mirror", "mirror_url": upstream_url, "mirror_cache_expiry": 1}
