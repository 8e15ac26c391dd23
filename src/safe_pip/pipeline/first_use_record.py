"""The one way safe-pip keeps a trust-on-first-use record: a small SQLite file.

``seen_hashes.SeenHashes`` (file name -> sha256, project -> first index) and
``project_history.ProjectHistory`` (a project's first ``.pth`` lines and publisher) are such
records. Each is read without a lock and written under a ``filelock.FileLock`` beside it, so
concurrent safe-pip processes never race; first entries are never overwritten. A record that
SQLite cannot read, a lock held too long and a write the disk refuses are one-line
``DatabaseError``s naming the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import ClassVar, TypeVar

from filelock import FileLock, Timeout

from safe_pip.errors import DatabaseError

_LOCK_TIMEOUT_SECONDS = 60.0
_Record = TypeVar("_Record", bound="FirstUseRecord")


class FirstUseRecord:
    """Base of a record: ``SCHEMA`` (its tables), ``WHAT`` (how messages name it) and
    ``RESET`` (what deleting the file does, for the "unusable" message)."""

    SCHEMA: ClassVar[str]
    WHAT: ClassVar[str]
    RESET: ClassVar[str]

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path.with_name(path.name + ".lock")))
        self._connection: sqlite3.Connection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self: _Record) -> _Record:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _one_row(self, query: str, key: str) -> tuple[str, ...] | None:
        """The first row of ``query`` for ``key``; None also when the file does not exist."""
        if self._connection is None and not self.path.exists():
            return None
        with self._sqlite_errors():
            row: tuple[str, ...] | None = self._connect().execute(query, (key,)).fetchone()
        return row

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the file lock, in one transaction."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock.acquire(timeout=_LOCK_TIMEOUT_SECONDS), self._sqlite_errors():
                connection = self._connect()
                with connection:
                    yield connection
        except Timeout as exc:
            raise DatabaseError(
                f"{self.WHAT} {self.path} is locked by another safe-pip process"
                f" (lock file {self._lock.lock_file})"
            ) from exc
        except OSError as exc:
            raise DatabaseError(
                f"cannot write {self.WHAT} {self.path}: {exc.strerror or exc}"
            ) from exc

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # check_same_thread: the guard service asks from each connection's thread,
            # one question at a time (its lock)
            connection = sqlite3.connect(
                str(self.path), timeout=_LOCK_TIMEOUT_SECONDS, check_same_thread=False
            )
            try:
                connection.executescript(self.SCHEMA)
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
        except (sqlite3.Error, ValueError) as exc:  # ValueError: a stored value unreadable
            self.close()
            raise DatabaseError(
                f"{self.WHAT} {self.path} is unusable ({exc}); {self.RESET}"
            ) from exc
