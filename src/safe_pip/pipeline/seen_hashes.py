"""Trust on first use: the sha256 of every artifact file name safe-pip has vetted before.

An index never legitimately serves two different files under one file name, so if a
file name comes back with a different hash than the first time, something changed it.
The record lives in a small SQLite file (``paths.seen_hashes_path()``); writes happen
under a ``filelock.FileLock`` next to it so concurrent safe-pip processes never race.
Entries are never overwritten: the first hash seen is the trusted one. To start over,
delete the file.

The same record keeps, per project name, the index it first came from (dependency
confusion: a later change of index is a finding, ``pipeline.confusion``). Index URLs are
stored with their credentials redacted (``redaction.index_identity``), so no secret is
written and a rotated token does not look like another index.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from safe_pip import paths
from safe_pip.models import ArtifactSource, PlanItem
from safe_pip.pipeline.first_use_record import FirstUseRecord
from safe_pip.redaction import index_identity, redact_url

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_hashes (
    filename TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    url TEXT
);
CREATE TABLE IF NOT EXISTS seen_indexes (
    name TEXT PRIMARY KEY,
    index_url TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
"""
# Only downloaded artifacts have a stable name -> content relation; local builds do not.
_RECORDED_SOURCES = frozenset({ArtifactSource.INDEX, ArtifactSource.DIRECT_URL})


@dataclass(frozen=True)
class SeenIndex:
    name: str  # PEP 503-normalized
    index_url: str  # ``redaction.index_identity`` of the index it first came from
    first_seen: str  # UTC ISO 8601


@dataclass(frozen=True)
class SeenHash:
    filename: str
    sha256: str  # lower-case hex
    first_seen: str  # UTC ISO 8601, e.g. 2024-05-01T12:00:00+00:00
    url: str | None


class SeenHashes(FirstUseRecord):
    """The trust-on-first-use record. Use ``SeenHashes.open()``; close it (or use ``with``)."""

    SCHEMA = _SCHEMA
    WHAT = "seen-hash record"
    RESET = "delete it to reset trust-on-first-use"

    @classmethod
    def open(cls, path: Path | None = None) -> SeenHashes:
        """Open the record; a missing file is an empty record (created on the first write)."""
        record = cls(path if path is not None else paths.seen_hashes_path())
        if record.path.exists():
            with record._sqlite_errors():
                record._connect().execute(
                    "SELECT filename, sha256, first_seen, url FROM seen_hashes LIMIT 1"
                ).fetchall()
        return record

    def lookup(self, filename: str) -> SeenHash | None:
        """The hash first seen for ``filename``, or None if it was never seen."""
        row = self._one_row(
            "SELECT filename, sha256, first_seen, url FROM seen_hashes WHERE filename = ?",
            filename,
        )
        return None if row is None else SeenHash(row[0], row[1], row[2], row[3])

    def first_index(self, name: str) -> SeenIndex | None:
        """The index project ``name`` came from the first time safe-pip allowed it."""
        row = self._one_row(
            "SELECT name, index_url, first_seen FROM seen_indexes WHERE name = ?", name
        )
        return None if row is None else SeenIndex(row[0], row[1], row[2])

    def record(self, items: Iterable[PlanItem], now: datetime | None = None) -> int:
        """Remember the hash of every downloaded artifact not seen before; return how many.

        Known file names are left untouched, even when the hash differs: the first one
        seen stays the trusted one (a difference is reported by the checks instead).
        """
        first_seen = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        stamp = first_seen.isoformat(timespec="seconds")
        items = list(items)
        rows = [
            (item.filename, item.sha256.lower(), stamp, redact_url(item.url) if item.url else None)
            for item in items
            if item.filename and item.sha256 and item.source in _RECORDED_SOURCES
        ]
        index_rows = [
            (item.name, index_identity(item.index_url), stamp)
            for item in items
            if item.index_url and item.source is ArtifactSource.INDEX
        ]
        if not rows and not index_rows:
            return 0
        with self._writing() as connection:
            before = connection.total_changes
            connection.executemany(
                "INSERT OR IGNORE INTO seen_hashes (filename, sha256, first_seen, url)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )
            recorded = connection.total_changes - before
            connection.executemany(
                "INSERT OR IGNORE INTO seen_indexes (name, index_url, first_seen) VALUES (?, ?, ?)",
                index_rows,
            )
        return recorded
