"""Which interpreter an install goes into (``--python`` > active venv > ``python3`` on PATH).

safe-pip never chooses the environment it runs from by default, however it was installed (a
plain venv such as ``~/.safe-pip`` linked onto PATH, pipx, ``uv tool``): with no venv active
the target is the ``python3`` a plain ``pip install`` would use, the first one on PATH outside
safe-pip's own environment.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from safe_pip.errors import UsageError

_PATH_NAMES = ("python3", "python")


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def resolve_target_python(explicit: str | None, env: Mapping[str, str] | None = None) -> str:
    """The interpreter whose environment is being installed into.

    1. ``--python PATH`` (a python executable or a venv directory);
    2. the active virtual environment (``VIRTUAL_ENV``);
    3. the ``python3`` on PATH (else ``python``), skipping safe-pip's own environment when
       safe-pip runs from a virtual environment of its own: that is what a plain ``pip
       install`` would install into;
    4. safe-pip's own interpreter only when it is not a virtual environment (safe-pip
       installed into the user's interpreter) and PATH has no Python at all.
    """
    env = os.environ if env is None else env
    if explicit is not None:
        if not explicit.strip():
            raise UsageError("--python needs a value, got an empty one")
        return _checked(explicit)
    active = env.get("VIRTUAL_ENV")
    if active:
        if not venv_python(Path(active)).exists():
            raise UsageError(
                f"the active virtualenv {active} (VIRTUAL_ENV) has no Python; "
                "activate a working one or pass --python"
            )
        return os.path.abspath(venv_python(Path(active)))
    on_path = python_on_path(env)
    if on_path is not None:
        return on_path
    own = own_environment()
    if own is None:
        return sys.executable
    raise UsageError(
        f"no virtualenv is active and PATH has no python3 outside safe-pip's own environment "
        f"({own}): activate a virtualenv or pass --python PATH"
    )


def default_target_note(
    python: str, explicit: str | None, env: Mapping[str, str] | None = None
) -> str | None:
    """The line that names the target when the user did not choose one (no ``--python``,
    no active venv), so an install into a system or user site is never a surprise."""
    env = os.environ if env is None else env
    if explicit is not None or env.get("VIRTUAL_ENV"):
        return None
    return (
        f"no virtualenv is active: the target is the python3 on PATH, {python} "
        "(--python PATH to choose another)"
    )


def own_environment() -> Path | None:
    """The virtual environment safe-pip itself runs from (None: it runs from an interpreter
    outside any venv, which is then the user's own)."""
    if sys.prefix == getattr(sys, "base_prefix", sys.prefix):
        return None
    return Path(sys.prefix).absolute()


def python_on_path(env: Mapping[str, str]) -> str | None:
    """The first ``python3`` (else ``python``) on ``env``'s PATH that is not in safe-pip's
    own environment; absolute, not resolved (a venv's python is a symlink)."""
    own = own_environment()
    own_dirs = set() if own is None else {_real(own / "bin"), _real(own / "Scripts")}
    directories = [d for d in env.get("PATH", os.defpath).split(os.pathsep) if d]
    suffix = ".exe" if os.name == "nt" else ""
    for name in _PATH_NAMES:
        for directory in directories:
            candidate = Path(directory).absolute() / f"{name}{suffix}"
            if _real(candidate.parent) in own_dirs:
                continue
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def _real(path: Path) -> str:
    return os.path.realpath(path)


def environment_label(python: str) -> str:
    """How reports name the environment of interpreter ``python``: its virtual environment's
    directory, else the interpreter itself (a system or user-site install)."""
    path = Path(python)
    if path.parent.name in ("bin", "Scripts") and (path.parent.parent / "pyvenv.cfg").is_file():
        return str(path.parent.parent)
    return python


def _checked(explicit: str) -> str:
    path = Path(explicit)
    if path.is_dir():
        path = venv_python(path)
    if path.is_file() and os.access(path, os.X_OK):
        # Absolute (other commands run in other directories) and normalised (no ``a/../b``),
        # not resolved: a venv's python is a symlink, and following it would leave the venv.
        return os.path.abspath(path)
    found = shutil.which(explicit)
    if found:
        return os.path.abspath(found)
    raise UsageError(f"--python {explicit}: no such interpreter")
