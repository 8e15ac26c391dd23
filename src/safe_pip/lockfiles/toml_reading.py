"""Read TOML lock files with one-line errors that name the file and the offending key."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from safe_pip.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

Table = Mapping[str, Any]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def load_toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None


def malformed(path: Path, where: str, problem: str) -> UsageError:
    return UsageError(f"{path}: {where}: {problem}")


def tables(data: Table, key: str, path: Path, where: str, *, required: bool) -> list[Table]:
    """The array of tables at ``data[key]`` (``[]`` when absent and not required)."""
    value = data.get(key)
    if value is None:
        if required:
            raise malformed(path, where, f"missing required key '{key}'")
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise malformed(path, where, f"'{key}' must be an array of tables")
    return value


def table(data: Table, key: str, path: Path, where: str) -> Table | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise malformed(path, where, f"'{key}' must be a table")
    return value


def required_string(data: Table, key: str, path: Path, where: str) -> str:
    value = optional_string(data, key, path, where)
    if value is None:
        raise malformed(path, where, f"missing required key '{key}'")
    return value


def optional_string(data: Table, key: str, path: Path, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise malformed(path, where, f"'{key}' must be a non-empty string")
    return value.strip()


def checked_sha256(digest: str, path: Path, where: str) -> str:
    digest = digest.strip().lower()
    if not _SHA256.fullmatch(digest):
        raise malformed(path, where, f"not a sha256 digest: {digest!r}")
    return digest


def prefixed_sha256(value: str, path: Path, where: str) -> str | None:
    """``"sha256:<hex>"`` -> ``<hex>``; other algorithms -> None (only sha256 is compared)."""
    algorithm, sep, digest = value.partition(":")
    if not sep:
        raise malformed(path, where, f"hash {value!r} must look like 'sha256:<hex>'")
    if algorithm.strip().lower() != "sha256":
        return None
    return checked_sha256(digest, path, where)


def filename_from_url(url: str) -> str | None:
    """The last path segment of an artifact URL or path, URL-decoded."""
    last = unquote(urlsplit(url).path).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return last or None
