"""Tell which kind of lock file a path is (by name, then by content) and read it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from safe_pip import limits
from safe_pip.errors import UsageError
from safe_pip.producers.lockfiles.model import LockFile, LockKind
from safe_pip.producers.lockfiles.toml_reading import load_toml

_PYLOCK_NAME = re.compile(r"pylock(\.[^.]+)?\.toml")
_REQUIREMENTS_SUFFIXES = (".txt", ".in")


def kind_from_name(path: Path) -> LockKind | None:
    name = path.name.lower()
    if name == "uv.lock":
        return LockKind.UV_LOCK
    if name == "poetry.lock":
        return LockKind.POETRY_LOCK
    if _PYLOCK_NAME.fullmatch(name):
        return LockKind.PYLOCK
    if name.endswith(_REQUIREMENTS_SUFFIXES) or name.startswith("requirements"):
        return LockKind.REQUIREMENTS
    return None


def kind_from_content(data: dict[str, Any]) -> LockKind | None:
    """Sniff a parsed TOML document; None when it looks like no lock format we know."""
    if "lock-version" in data and "packages" in data:
        return LockKind.PYLOCK
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and "content-hash" in metadata:
        return LockKind.POETRY_LOCK
    if isinstance(data.get("version"), int) and "package" in data:
        return LockKind.UV_LOCK
    return None


def read_lock_file(path: Path) -> LockFile:
    """Read ``path`` as whatever lock format it is; ``UsageError`` when unreadable/malformed."""
    from safe_pip.producers.lockfiles.poetry_lock import read_poetry_lock
    from safe_pip.producers.lockfiles.pylock import read_pylock
    from safe_pip.producers.lockfiles.requirements import read_requirements
    from safe_pip.producers.lockfiles.uv_lock import read_uv_lock

    kind = kind_from_name(path)
    if kind is LockKind.REQUIREMENTS:
        return read_requirements(path)
    text = _read_text(path)
    if kind is None:
        data = _toml_or_none(path, text)
        if data is None:
            return read_requirements(path)
        kind = kind_from_content(data)
        if kind is None:
            raise UsageError(
                f"{path}: not a lock file safe-pip knows "
                "(requirements.txt, uv.lock, pylock.toml or poetry.lock)"
            )
    else:
        data = load_toml(path, text)
    if kind is LockKind.UV_LOCK:
        return read_uv_lock(path, data)
    if kind is LockKind.PYLOCK:
        return read_pylock(path, data)
    return read_poetry_lock(path, data)


def _read_text(path: Path) -> str:
    try:
        return limits.read_bytes(path, limits.LOCK_FILE_MAX_BYTES).decode("utf-8")
    except limits.DocumentError as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a lock file") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not valid UTF-8"
        raise UsageError(f"cannot read {path}: {reason}") from None


def _toml_or_none(path: Path, text: str) -> dict[str, Any] | None:
    try:
        return load_toml(path, text)
    except UsageError:
        return None
