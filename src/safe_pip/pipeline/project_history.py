"""Trust on first use, per project: what its first-seen release carried.

Two records, next to the seen-hash record (``paths.project_history_path()``), written under a
file lock like it:

* the executable ``.pth`` lines of the first release of each project safe-pip inspected
  (``pipeline.contents``): a later release that adds one is the compromise pattern;
* the Trusted Publisher identity (repository, workflow, environment) of the first attested
  release, and whether any release was attested (``pipeline.provenance``).

Entries are never overwritten: the first one stays the trusted one. To start over, delete the
file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from safe_pip import paths
from safe_pip.pipeline.first_use_record import FirstUseRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS first_pth_lines (
    name TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    lines TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS first_publishers (
    name TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    publisher TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class FirstRelease:
    """What a project's first-seen release had."""

    version: str
    values: tuple[str, ...]  # .pth lines, or the publisher identity's fields
    first_seen: str


class ProjectHistory(FirstUseRecord):
    """Use ``ProjectHistory.open()``; close it (or use ``with``)."""

    SCHEMA = _SCHEMA
    WHAT = "project history"
    RESET = "delete it to start over"

    @classmethod
    def open(cls, path: Path | None = None) -> ProjectHistory:
        return cls(path if path is not None else paths.project_history_path())

    def first_pth_lines(self, name: str) -> FirstRelease | None:
        return self._first("first_pth_lines", "lines", name)

    def first_publisher(self, name: str) -> FirstRelease | None:
        return self._first("first_publishers", "publisher", name)

    def record_pth_lines(
        self, entries: dict[str, tuple[str, tuple[str, ...]]], now: datetime | None = None
    ) -> None:
        """name -> (version, executable .pth lines); projects already recorded are kept."""
        self._record("first_pth_lines", "lines", entries, now)

    def record_publishers(
        self, entries: dict[str, tuple[str, tuple[str, ...]]], now: datetime | None = None
    ) -> None:
        """name -> (version, publisher identity fields); projects already recorded are kept."""
        self._record("first_publishers", "publisher", entries, now)

    def _first(self, table: str, column: str, name: str) -> FirstRelease | None:
        query = f"SELECT version, {column}, first_seen FROM {table} WHERE name = ?"
        row = self._one_row(query, name)
        if row is None:
            return None
        with self._sqlite_errors():
            values = json.loads(row[1])
        return FirstRelease(str(row[0]), tuple(str(v) for v in values), str(row[2]))

    def _record(
        self,
        table: str,
        column: str,
        entries: dict[str, tuple[str, tuple[str, ...]]],
        now: datetime | None,
    ) -> None:
        if not entries:
            return
        stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        rows = [
            (name, version, json.dumps(list(values)), stamp.isoformat(timespec="seconds"))
            for name, (version, values) in entries.items()
        ]
        with self._writing() as connection:
            connection.executemany(
                f"INSERT OR IGNORE INTO {table} (name, version, {column}, first_seen)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )
