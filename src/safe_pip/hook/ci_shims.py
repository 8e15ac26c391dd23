"""``pip``, ``pip3`` and ``uv`` shims for CI: small scripts in one directory put first on PATH.

Scripts and non-interactive shells ignore shell functions, so ``safe-pip setup --ci DIR``
writes executables named like the installers instead. Each one runs safe-pip with absolute
paths fixed when it was written -- safe-pip's interpreter, the target interpreter, the real uv
found on PATH *without* DIR -- so a shim never finds itself (or another shim) again:

* ``pip``/``pip3 ARGS`` -> ``safe-pip --python TARGET ARGS``: an install (``pip -q install``
  too) is checked like ``safe-pip install``; any other pip command runs ``TARGET -m pip``.
* ``uv ARGS`` -> ``safe-pip uv --uv REAL_UV ARGS``.

POSIX shell scripts; every shim carries ``SHIM_MARKER`` so only safe-pip's shims are replaced
or removed.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from safe_pip.errors import UsageError

SHIM_MARKER = "# safe-pip CI shim"
PIP_SHIMS = ("pip", "pip3")
UV_SHIM = "uv"
ALL_SHIMS = (*PIP_SHIMS, UV_SHIM)

_TEMPLATE = """\
#!/bin/sh
{marker}, written by `safe-pip setup --ci`: {purpose}.
# Remove with `safe-pip setup --undo --ci {directory}`.
exec {command} "$@"
"""


def write_pip_shims(directory: Path, safe_pip: Sequence[str], python: str) -> list[Path]:
    """``pip`` and ``pip3`` in ``directory``, running ``safe_pip --python python ARGS``."""
    command = [*safe_pip, "--python", python]
    purpose = f"pip install is checked by safe-pip; other pip commands run {python} -m pip"
    return [_write_shim(directory, name, command, purpose) for name in PIP_SHIMS]


def write_uv_shim(directory: Path, safe_pip: Sequence[str], uv: str) -> Path:
    """``uv`` in ``directory``, running ``safe_pip uv --uv uv ARGS``."""
    purpose = f"uv pip install/sync, uv sync and uv add are checked by safe-pip ({uv})"
    return _write_shim(directory, UV_SHIM, [*safe_pip, "uv", "--uv", uv], purpose)


def real_uv(directory: Path, env: Mapping[str, str] | None = None) -> str | None:
    """The uv a shim in ``directory`` stands for: the first on PATH outside ``directory``
    that is not a shim itself; None if there is none."""
    env = os.environ if env is None else env
    for entry in (env.get("PATH") or "").split(os.pathsep):
        if not entry or _same_dir(Path(entry), directory):
            continue
        found = shutil.which(UV_SHIM, path=entry)
        if found is not None and not is_shim(Path(found)):
            return str(Path(found).absolute())
    return None


def remove_shims(directory: Path) -> list[Path]:
    """Remove safe-pip's shims from ``directory`` (other files are left); return them."""
    removed = []
    for name in ALL_SHIMS:
        path = directory / name
        if is_shim(path):
            try:
                path.unlink()
            except OSError as exc:
                raise UsageError(f"cannot remove {path}: {exc.strerror or exc}") from exc
            removed.append(path)
    return removed


def is_shim(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as file:
            return SHIM_MARKER in file.read(200)
    except (OSError, UnicodeDecodeError):
        return False


def _write_shim(directory: Path, name: str, command: Sequence[str], purpose: str) -> Path:
    if os.name == "nt":
        raise UsageError("CI shims are POSIX shell scripts; on Windows use `safe-pip hook install`")
    path = directory / name
    if path.exists() and not is_shim(path):
        raise UsageError(f"{path} exists and is not a safe-pip shim; choose an empty directory")
    text = _TEMPLATE.format(
        marker=SHIM_MARKER,
        purpose=purpose,
        directory=shlex.quote(str(directory)),
        command=shlex.join(command),
    )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def _same_dir(entry: Path, directory: Path) -> bool:
    try:
        return entry.resolve() == directory.resolve()
    except OSError:
        return False
