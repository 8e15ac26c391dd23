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
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from safe_pip import paths
from safe_pip.errors import DatabaseError

_LOCK_TIMEOUT_SECONDS = 60.0
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


class ProjectHistory:
    """Use ``ProjectHistory.open()``; close it (or use ``with``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path.with_name(path.name + ".lock")))
        self._connection: sqlite3.Connection | None = None

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
        if self._connection is None and not self.path.exists():
            return None
        with self._sqlite_errors():
            row = (
                self._connect()
                .execute(
                    f"SELECT version, {column}, first_seen FROM {table} WHERE name = ?", (name,)
                )
                .fetchone()
            )
        if row is None:
            return None
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
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock.acquire(timeout=_LOCK_TIMEOUT_SECONDS), self._sqlite_errors():
                connection = self._connect()
                with connection:
                    connection.executemany(
                        f"INSERT OR IGNORE INTO {table} (name, version, {column}, first_seen)"
                        " VALUES (?, ?, ?, ?)",
                        rows,
                    )
        except Timeout as exc:
            raise DatabaseError(
                f"project history {self.path} is locked by another safe-pip process"
            ) from exc
        except OSError as exc:
            raise DatabaseError(
                f"cannot write project history {self.path}: {exc.strerror or exc}"
            ) from exc

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> ProjectHistory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(
                str(self.path), timeout=_LOCK_TIMEOUT_SECONDS, check_same_thread=False
            )
            try:
                connection.executescript(_SCHEMA)
                connection.commit()
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    @contextmanager
    def _sqlite_errors(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, ValueError) as exc:
            self.close()
            raise DatabaseError(
                f"project history {self.path} is unusable ({exc}); delete it to start over"
            ) from exc
