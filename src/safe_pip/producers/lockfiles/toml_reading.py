"""Read TOML lock files with one-line errors that name the file and the offending key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safe_pip import limits
from safe_pip.artifacts import is_sha256
from safe_pip.errors import UsageError

Table = Mapping[str, Any]


def load_toml(path: Path, text: str) -> dict[str, Any]:
    """The parsed lock file, within ``limits`` (size, nesting); one-line ``UsageError``."""
    try:
        return limits.load_toml(text, max_bytes=limits.LOCK_FILE_MAX_BYTES)
    except limits.DocumentError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None


@dataclass(frozen=True)
class TomlReader:
    """Typed access to the tables of the parsed lock file at ``path``.

    ``where`` names the part being read (``"package 'x'"``); every problem becomes a
    ``UsageError`` ``"<path>: <where>: <problem>"``.
    """

    path: Path

    def malformed(self, where: str, problem: str) -> UsageError:
        return UsageError(f"{self.path}: {where}: {problem}")

    def tables(self, data: Table, key: str, where: str, *, required: bool) -> list[Table]:
        """The array of tables at ``data[key]`` (``[]`` when absent and not required)."""
        value = self._value(data, key, where, _is_table_array, "an array of tables")
        if value is None and required:
            raise self.malformed(where, f"missing required key '{key}'")
        return value or []

    def table(self, data: Table, key: str, where: str) -> Table | None:
        value: Table | None = self._value(data, key, where, _is_table, "a table")
        return value

    def required_string(self, data: Table, key: str, where: str) -> str:
        value = self.optional_string(data, key, where)
        if value is None:
            raise self.malformed(where, f"missing required key '{key}'")
        return value

    def optional_string(self, data: Table, key: str, where: str) -> str | None:
        value = self._value(data, key, where, _is_non_empty_string, "a non-empty string")
        return None if value is None else str(value).strip()

    def sha256(self, digest: str, where: str) -> str:
        digest = digest.strip().lower()
        if not is_sha256(digest):
            raise self.malformed(where, f"not a sha256 digest: {digest!r}")
        return digest

    def prefixed_sha256(self, value: str, where: str) -> str | None:
        """``"sha256:<hex>"`` -> ``<hex>``; other algorithms -> None (only sha256 is compared)."""
        algorithm, sep, digest = value.partition(":")
        if not sep:
            raise self.malformed(where, f"hash {value!r} must look like 'sha256:<hex>'")
        if algorithm.strip().lower() != "sha256":
            return None
        return self.sha256(digest, where)

    def _value(
        self, data: Table, key: str, where: str, accepts: Callable[[Any], bool], expected: str
    ) -> Any:
        """``data[key]``, None when absent; a value ``accepts`` refuses is malformed."""
        value = data.get(key)
        if value is not None and not accepts(value):
            raise self.malformed(where, f"'{key}' must be {expected}")
        return value


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and all(_is_table(item) for item in value)


def _is_non_empty_string(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
