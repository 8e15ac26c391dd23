"""Subprocess environments that nothing on the machine leaks into, and a helper to run them.

The machine has a global pip config (extra index URLs, find-links, constraints) and PIP_*
variables; every pip, uv or safe-pip subprocess in a test runs with ``isolated_env``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Union

DROPPED_PREFIXES = ("PIP_", "UV_", "SAFE_PIP_")
DROPPED_NAMES = frozenset(
    {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "CONDA_PREFIX"}
)
DEFAULT_TIMEOUT = 120.0

Command = Sequence[Union[str, "os.PathLike[str]"]]


def isolated_env(tmp: Path) -> dict[str, str]:
    """A copy of ``os.environ`` with pip/uv/safe-pip settings removed and caches under ``tmp``.

    ``SAFE_PIP_CONFIG_FILE`` points to a file that is not created; ``HOME`` and the XDG dirs
    are fresh directories, so no user or system config (``/etc/xdg/pip``) is found.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(DROPPED_PREFIXES) and key not in DROPPED_NAMES
    }
    home = tmp / "home"
    xdg = {
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
        "XDG_CONFIG_DIRS": tmp / "xdg-config-dirs",
        "XDG_DATA_DIRS": tmp / "xdg-data-dirs",
    }
    for directory in (home, *xdg.values()):
        directory.mkdir(parents=True, exist_ok=True)
    env.update({key: str(path) for key, path in xdg.items()})
    env.update(
        {
            "HOME": str(home),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PIP_CACHE_DIR": str(tmp / "pip-cache"),
            "UV_NO_CONFIG": "1",
            "UV_CACHE_DIR": str(tmp / "uv-cache"),
            "UV_PYTHON_DOWNLOADS": "never",
            "SAFE_PIP_CACHE_DIR": str(tmp / "safe-pip-cache"),
            "SAFE_PIP_CONFIG_FILE": str(tmp / "safe-pip-config.toml"),
            # a fixed test snapshot: its age by the clock is not what a test is about
            "SAFE_PIP_MAX_DB_AGE_DAYS": "0",
        }
    )
    return env


def run(
    cmd: Command,
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    input: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` with text output captured; stdin is empty unless ``input`` is given.

    ``check=True`` fails the test with the command's full output if it exits non-zero.
    """
    args = [os.fspath(part) for part in cmd]
    completed = subprocess.run(
        args,
        env=dict(env),
        cwd=cwd,
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and completed.returncode != 0:
        raise AssertionError(describe(completed))
    return completed


def describe(completed: subprocess.CompletedProcess[str]) -> str:
    """The command, exit code and output, for assertion messages."""
    command = " ".join(str(part) for part in completed.args)
    return (
        f"command: {command}\nexit code: {completed.returncode}\n"
        f"--- stdout ---\n{completed.stdout}\n--- stderr ---\n{completed.stderr}"
    )


def run_in_terminal(
    cmd: Command,
    env: Mapping[str, str],
    *,
    columns: int = 80,
    cwd: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[int, str]:
    """Run ``cmd`` with stdout and stderr on a pseudo-terminal ``columns`` wide (POSIX only);
    its exit code and everything it wrote there, escape sequences included."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    terminal_env = {key: value for key, value in env.items() if key not in ("COLUMNS", "LINES")}
    terminal_env.setdefault("TERM", "xterm-256color")
    process = subprocess.Popen(
        [os.fspath(part) for part in cmd],
        env=terminal_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process and its children are done
                break
            if not chunk:
                break
            chunks.append(chunk)
        else:
            process.kill()
            raise AssertionError(f"timed out after {timeout} s: {b''.join(chunks)!r}")
        returncode = process.wait(timeout=timeout)
    finally:
        os.close(controller)
    return returncode, b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")
