"""pip's commands that download, build or write distributions, run through every front end.

``download``, ``wheel`` and ``lock`` (pip >= 25.1) through ``safe-pip COMMAND``, a hooked
venv's ``pip COMMAND`` and its ``python -m pip COMMAND``; each writes into ``out`` (a
directory; ``lock`` writes ``out/pylock.toml``), so a test can see what was written.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.guarded import Guarded
from support.hook_helpers import PIP_MODULE, PIP_SCRIPT, hook_venv, pip_command
from support.isolation import run

SAFE_PIP = "safe-pip"
HOOK_SCRIPT = "hook-pip"
HOOK_MODULE = "hook-python-m-pip"
FRONT_ENDS = (SAFE_PIP, HOOK_SCRIPT, HOOK_MODULE)
DOWNLOAD, WHEEL, LOCK = "download", "wheel", "lock"
COMMANDS = (DOWNLOAD, WHEEL, LOCK)
LOCK_FILE = "pylock.toml"


def output_args(command: str, out: Path) -> list[str]:
    if command == DOWNLOAD:
        return ["-d", str(out)]
    if command == WHEEL:
        return ["-w", str(out)]
    return ["-o", str(out / LOCK_FILE)]


def prepare(guarded: Guarded, front_end: str, python: Path) -> None:
    """Hook ``python``'s venv when ``front_end`` is the hook."""
    if front_end != SAFE_PIP:
        hook_venv(python)


def run_command(
    guarded: Guarded,
    front_end: str,
    python: Path,
    command: str,
    out: Path,
    *args: str | Path,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``COMMAND --index-url INDEX <output option> ARGS`` through ``front_end``."""
    out.mkdir(parents=True, exist_ok=True)
    tail = ["--index-url", guarded.index.url, *output_args(command, out), *map(str, args)]
    if front_end == SAFE_PIP:
        return guarded.safe_pip(command, "--python", python, *tail, env=env)
    via = PIP_SCRIPT if front_end == HOOK_SCRIPT else PIP_MODULE
    return run([*pip_command(python, via), command, *tail], env or guarded.env)


def written(out: Path) -> list[str]:
    """The files a command left in ``out``."""
    return sorted(path.name for path in out.iterdir()) if out.is_dir() else []
