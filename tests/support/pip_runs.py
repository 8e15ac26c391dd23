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
from support.venvs import venv_site_packages

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


# A refactored pip whose commands resolve around the guard (``resolve`` taken before the
# guard wrapped it), loaded at every start of the venv's Python (a ``.pth`` file): what pip
# then installs, downloads or writes was never checked, and the last check before it does
# must stop it (exit 3), in the hook and under safe-pip.
RESOLVE_AROUND_THE_GUARD = """
from pip._internal.resolution.resolvelib import resolver
from pip._internal.cli import req_command
unguarded_resolve = resolver.Resolver.resolve

class Unguarded:
    def __init__(self, real):
        self.real = real
    def __getattr__(self, name):
        return getattr(self.real, name)
    def resolve(self, *args, **kwargs):
        return unguarded_resolve(self.real, *args, **kwargs)

make_resolver = req_command.RequirementCommand.make_resolver
req_command.RequirementCommand.make_resolver = (
    lambda self, *a, **k: Unguarded(make_resolver(*a, **k))
)
"""


def refactor_pip(python: Path) -> None:
    """Make ``python``'s pip resolve around the guard, the way a refactor could."""
    site_packages = venv_site_packages(python.parents[1])
    (site_packages / "refactored_pip.py").write_text(RESOLVE_AROUND_THE_GUARD, encoding="utf-8")
    (site_packages / "refactored_pip.pth").write_text("import refactored_pip\n", encoding="utf-8")
