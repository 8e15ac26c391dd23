"""Bounded reading of every document safe-pip takes from outside.

Index pages, OSV records, plan JSON, lock files and config files are written by someone
else: each is read with a size limit and, for JSON and TOML, a nesting limit, so a hostile
document ends in one clear line (``DocumentError``, a ``ValueError``) instead of a
``RecursionError``, a MemoryError or a hang. The caller turns that line into its documented
exit code: 3 for an index or feed that cannot be read, 2 for a file the user named, and a
skipped (counted) record for one bad OSV record.

Fields are validated by type where they are used (``models.plan_from_json``,
``index.client``, ``advisories.osv``, the lock-file readers, ``pipeline.config``).

Network waits are bounded the same way: :class:`Deadline` is an overall time limit per
request and per run (policy ``request-deadline`` / ``run-deadline``), on top of the per-read
timeout, so an index that sends one byte every few seconds cannot hold a run forever.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

MIB = 1 << 20
# Far above anything legitimate: the largest PEP 691 page of a public index is a few MiB,
# the largest OSV record well under 1 MiB, a pip hook plan a few KiB per package.
INDEX_PAGE_MAX_BYTES = 64 * MIB
ADVISORY_RECORD_MAX_BYTES = 16 * MIB  # one record (a file in a zip or directory)
ADVISORY_FEED_MAX_BYTES = 1024 * MIB  # a single JSON file holding a list of records
PLAN_MAX_BYTES = 64 * MIB
LOCK_FILE_MAX_BYTES = 64 * MIB
CONFIG_MAX_BYTES = 4 * MIB
# PEP 691 pages nest 4 deep, OSV records about 6, plans 3; TOML lock files about 5.
MAX_NESTING = 64

# A JSON string, written as an unrolled loop (twice as fast as an alternation per byte).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_NOT_QUOTES_OR_BRACKETS = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_PLAIN_STRING = re.compile(rb'"[^"]*"')  # a string of a text without backslashes
_OPENING_AS_ONE = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")


class DocumentError(ValueError):
    """A document from outside is too large, too deeply nested or not well formed."""


def load_json(data: bytes | str, *, max_bytes: int, max_depth: int = MAX_NESTING) -> Any:
    """``json.loads`` within limits: size and nesting are checked before parsing."""
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else data
    check_size(len(raw), max_bytes)
    # A text with no more opening brackets than the limit cannot nest deeper than it: the
    # count is a fast C scan, and most documents (OSV records, plans) end the check here.
    openers = raw.count(b"[") + raw.count(b"{")
    if openers > max_depth and json_nesting(raw) > max_depth:
        raise DocumentError(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(raw)
    except RecursionError:  # pragma: no cover - the pre-scan rejects such documents first
        raise DocumentError(f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise DocumentError(f"not valid JSON: {' '.join(str(exc).split())}") from None


def load_toml(text: str, *, max_bytes: int = CONFIG_MAX_BYTES) -> dict[str, Any]:
    """``tomllib.loads`` within limits; ``DocumentError`` for bad or oversized TOML."""
    check_size(len(text.encode("utf-8", errors="surrogatepass")), max_bytes)
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise DocumentError(f"TOML nested deeper than this reader allows ({MAX_NESTING})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DocumentError(f"invalid TOML: {' '.join(str(exc).split())}") from None


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of a file; ``DocumentError`` when it is larger (``OSError`` as is)."""
    with path.open("rb") as file:
        data = file.read(max_bytes + 1)
    check_size(len(data), max_bytes)
    return data


def check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise DocumentError(f"larger than the limit of {_size_text(max_bytes)}")


def json_nesting(raw: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (strings are skipped, so brackets
    inside them do not count). Linear time, no recursion."""
    if b"\\" in raw:
        brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    else:
        # No quote is escaped: keep only quotes and brackets, then drop the (now short)
        # strings; twice as fast on index pages, which list thousands of files.
        outside = _PLAIN_STRING.sub(b"", raw.translate(None, _NOT_QUOTES_OR_BRACKETS))
        brackets = outside.translate(None, _NOT_BRACKETS)  # an unmatched quote, if any
    steps = brackets.translate(_OPENING_AS_ONE)  # 1 opens a level, 255 closes one
    return max(
        accumulate(steps, lambda depth, step: depth + 1 if step == 1 else depth - 1, initial=0)
    )


def _size_text(size: int) -> str:
    return f"{size // MIB} MiB" if size >= MIB else f"{size} bytes"


# ---------------------------------------------------------------- network waits

# Defaults a user would accept: a project page that takes longer than 30 s, or a run whose
# index pages take longer than 2 minutes in all, is an index that is down or hostile (a
# slow drip of one byte every few seconds never trips a per-read timeout).
DEFAULT_REQUEST_DEADLINE_SECONDS = 30.0
DEFAULT_RUN_DEADLINE_SECONDS = 120.0
READ_TIMEOUT_SECONDS = 15.0  # one read without a byte: an unreachable index, sooner
# ``db update`` downloads a whole feed (tens of MB) once: a longer overall bound.
DOWNLOAD_DEADLINE_SECONDS = 600.0


@dataclass(frozen=True)
class Deadline:
    """A moment after which a network wait must end (``time.monotonic`` clock)."""

    name: str  # the setting it comes from, for messages ("request-deadline")
    seconds: float
    expires_at: float

    @classmethod
    def start(cls, name: str, seconds: float) -> Deadline:
        return cls(name, seconds, time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.expires_at

    def within(self, name: str, seconds: float) -> Deadline:
        """A deadline ``seconds`` from now that never ends later than this one."""
        own = Deadline.start(name, seconds)
        return own if own.expires_at <= self.expires_at else self

    def describe(self) -> str:
        return f"no complete answer within {self.seconds:g} s ({self.name})"
