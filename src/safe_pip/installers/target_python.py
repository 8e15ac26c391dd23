"""Which interpreter an install goes into (``--python`` > active venv > safe-pip's own)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from safe_pip.errors import UsageError

_TOOL_VENV_MARKERS = ("pipx", "uv/tools", "uv\\tools")


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def resolve_target_python(explicit: str | None, env: Mapping[str, str] | None = None) -> str:
    """The interpreter whose environment is being installed into.

    1. ``--python PATH`` (a python executable or a venv directory);
    2. the active virtual environment (``VIRTUAL_ENV``);
    3. when safe-pip itself runs from a tool venv (pipx, uv tool), the ``python3`` on PATH,
       because that is what a plain ``pip install`` would install into;
    4. the interpreter running safe-pip.
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
        return str(venv_python(Path(active)))
    if any(marker in sys.prefix for marker in _TOOL_VENV_MARKERS):
        on_path = shutil.which("python3") or shutil.which("python")
        if on_path:
            return on_path
    return sys.executable


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
        # Absolute (other commands run in other directories), not resolved: a venv's python
        # is a symlink, and following it would leave the venv.
        return str(path.absolute())
    found = shutil.which(explicit)
    if found:
        return found
    raise UsageError(f"--python {explicit}: no such interpreter")
