"""Build or refresh the advisory database from one or more OSV sources, atomically.

Sources: http(s) URLs, zip archives laid out like OSV's ``all.zip``, directories of
``*.json`` files, or one ``.json`` file holding a record or a list of records
(``advisories.sources``). Several sources are merged: every record is tagged with its source
and, when two sources carry the same id, lookups use the newest ``modified`` copy.

``update_database`` reads every source in full into a new database. ``refresh_database``
asks each source of the current database only for what changed since its last fetch
(``advisories.feeds``: conditional requests, OSV's ``modified_id.csv``): when nothing
changed it only records the confirmation; otherwise the changes are applied to a copy.

Everything happens under a file lock: a new database is written to a temporary file next
to the old one and moved over it with ``os.replace``, so readers see either the old or the
new database, and any failure (bad archive, truncated download, Ctrl-C) leaves the old one
untouched and no temporary files behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import filelock

from safe_pip import limits, paths
from safe_pip.advisories import integrity
from safe_pip.advisories.database import (
    SCHEMA_VERSION,
    SOURCE_ENV_VAR,
    DatabaseStatus,
    DatabaseWriter,
    SourceStatus,
    confirm_sources,
    read_status,
)
from safe_pip.advisories.feeds import (
    DOWNLOAD_TIMEOUT_SECONDS,
    Fetched,
    Previous,
    Progress,
    Validators,
    fetch_source,
)
from safe_pip.advisories.osv import Advisory, MalformedRecordError, parse_record
from safe_pip.advisories.sources import Document, is_http_url, local_path
from safe_pip.errors import DatabaseError
from safe_pip.redaction import redact_url

DEFAULT_SOURCE = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
LOCK_TIMEOUT_SECONDS = 600.0

__all__ = ["DEFAULT_SOURCE", "Progress", "refresh_database", "update_database"]


def default_sources(configured: Sequence[str] = ()) -> list[str]:
    """``$SAFE_PIP_DB_SOURCE``, else the configured ``advisory-sources``, else OSV's PyPI
    export."""
    from_environment = os.environ.get(SOURCE_ENV_VAR, "").strip()
    if from_environment:
        return [from_environment]
    return list(configured) or [DEFAULT_SOURCE]


def update_database(
    source: str | Sequence[str] | None = None,
    db_path: Path | None = None,
    progress: Progress | None = None,
) -> DatabaseStatus:
    """Replace the advisory database with one built from ``source`` (one or several); return
    its status. Without a source: ``default_sources()``.

    Raises ``DatabaseError`` (old database kept) if a source cannot be read or holds no
    valid PyPI record; malformed individual records are skipped and counted.
    """
    locations = _locations(source)
    target = _target(db_path)
    with _locked(target, LOCK_TIMEOUT_SECONDS):
        return _rebuild_locked(locations, target, progress)


def _rebuild_locked(
    locations: list[tuple[str, str]], target: Path, progress: Progress | None
) -> DatabaseStatus:
    """A new database from every source in full, swapped in (the caller holds the lock)."""
    _remove_stale_temporaries(target)
    with _temporary_files(target) as new_temporary:
        new_db = new_temporary(".sqlite")
        writer = DatabaseWriter(new_db, create=True)
        try:
            for position, (location, label) in enumerate(locations):
                fetched = fetch_source(location, None, new_temporary, progress=progress)
                _store_source(writer, label, position, fetched, full=True)
            status = write_database_file(writer)
        except BaseException:
            writer.abandon()
            raise
        return _swap(new_db, target, status)


def refresh_database(
    db_path: Path | None = None,
    *,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    configured: Sequence[str] = (),
) -> DatabaseStatus:
    """Bring the current database up to date with its own sources, fetching only what
    changed. ``DatabaseError`` (database kept as it is) when a source cannot be read, or
    when another process holds the update lock for longer than ``timeout``. ``configured``:
    the configured source URLs (the database stores them without credentials)."""
    target = _target(db_path)
    with _locked(target, timeout):
        current = read_status(target)
        if current is None:
            raise DatabaseError(f"no usable advisory database at {target} to refresh")
        if current.schema != SCHEMA_VERSION:  # written by an older safe-pip: rebuild it
            locations = [_fetch_location(s.location, configured) for s in current.sources]
            return _rebuild_locked(_locations(locations), target, None)
        _remove_stale_temporaries(target)
        with _temporary_files(target) as new_temporary:
            fetched = [
                (
                    source,
                    fetch_source(
                        _fetch_location(source.location, configured),
                        _previous(source),
                        new_temporary,
                        timeout=timeout,
                        deadline_seconds=timeout,
                    ),
                )
                for source in current.sources
            ]
            now = datetime.now(timezone.utc)
            if all(result.documents is None for _, result in fetched):
                confirm_sources(target, [(source.location, now) for source, _ in fetched])
                refreshed = read_status(target)
                return refreshed if refreshed is not None else current
            new_db = new_temporary(".sqlite")
            shutil.copyfile(target, new_db)
            writer = DatabaseWriter(new_db, create=False)
            try:
                for position, (source, result) in enumerate(fetched):
                    if result.documents is None:
                        writer.record_source(
                            source.location,
                            position,
                            now,
                            etag=result.validators.etag,
                            last_modified=result.validators.last_modified,
                        )
                    else:
                        _store_source(
                            writer, source.location, position, result, full=not result.incremental
                        )
                status = write_database_file(writer)
            except BaseException:
                writer.abandon()
                raise
            return _swap(new_db, target, status)


def write_database_file(writer: DatabaseWriter) -> DatabaseStatus:
    """Finish the new database file (a seam tests use to interrupt before the swap)."""
    status = writer.finish()
    writer.path.chmod(0o644)  # mkstemp creates 0600; the database holds nothing secret
    return status


# --- sources -----------------------------------------------------------------------------


def _locations(source: str | Sequence[str] | None) -> list[tuple[str, str]]:
    """(what to fetch, its label): the label is what the database stores and ``db status``
    shows (a URL without credentials, an absolute path)."""
    given = [source] if isinstance(source, str) else list(source or [])
    given = [item.strip() for item in given if item and item.strip()] or default_sources()
    found: dict[str, str] = {}
    for item in given:
        label = redact_url(item) if is_http_url(item) else str(local_path(item).resolve())
        found.setdefault(label, item)
    return [(fetch, label) for label, fetch in found.items()]


def _fetch_location(label: str, configured: Sequence[str]) -> str:
    """What to fetch for a stored label: the configured source it stands for (a URL's
    credentials are never stored), else the label itself."""
    for candidate in (*configured, *default_sources()):
        if is_http_url(candidate) and redact_url(candidate) == label:
            return candidate
    return label


def _previous(source: SourceStatus) -> Previous:
    return Previous(
        validators=Validators(etag=source.etag, last_modified=source.last_modified),
        newest_modified=source.newest_modified,
    )


@dataclass
class _Counted:
    stored: int = 0
    skipped: int = 0


def _store_source(
    writer: DatabaseWriter, location: str, position: int, fetched: Fetched, *, full: bool
) -> None:
    """Write what was fetched from one source: all its records (``full``), or the records
    modified since the last fetch on top of what is stored."""
    assert fetched.documents is not None
    if full:
        writer.drop_source(location)
    counted = _Counted()
    for advisory in _parse_documents(fetched.documents, counted):
        writer.add(location, advisory)
        counted.stored += 1
    if full and counted.stored == 0:
        raise DatabaseError(
            f"no valid PyPI advisory records in {location} ({counted.skipped} malformed); "
            "advisory database left unchanged"
        )
    writer.record_source(
        location,
        position,
        datetime.now(timezone.utc),
        skipped_count=counted.skipped if full else None,
        etag=fetched.validators.etag,
        last_modified=fetched.validators.last_modified,
    )


def _parse_documents(documents: Iterable[Document], counted: _Counted) -> Iterator[Advisory]:
    """Valid PyPI advisories one at a time (nothing is held in memory); malformed records
    are counted in ``counted.skipped``."""
    for origin, raw in documents:
        try:
            data = limits.load_json(raw, max_bytes=limits.ADVISORY_FEED_MAX_BYTES)
        except ValueError:  # invalid, oversized or too deeply nested JSON, or not UTF-8
            counted.skipped += 1
            continue
        entries = data if isinstance(data, list) else [data]
        for index, entry in enumerate(entries):
            where = f"{origin}[{index}]" if isinstance(data, list) else origin
            try:
                advisory = parse_record(entry, where)
            except MalformedRecordError:
                counted.skipped += 1
                continue
            if advisory is not None:
                yield advisory


# --- locking, temporary files, swapping ------------------------------------------------------


def _target(db_path: Path | None) -> Path:
    target = db_path if db_path is not None else paths.advisory_db_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create {target.parent}: {exc.strerror or exc}") from exc
    return target


@contextmanager
def _locked(target: Path, timeout: float) -> Iterator[None]:
    lock = filelock.FileLock(str(_lock_path(target)), timeout=timeout)
    try:
        with lock:
            yield
    except filelock.Timeout as exc:
        raise DatabaseError(
            f"another advisory database update holds {lock.lock_file}; try again later"
        ) from exc
    except (OSError, sqlite3.Error) as exc:  # disk full, read-only cache dir, ...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DatabaseError(f"cannot write advisory database {target}: {reason}") from exc


def _lock_path(target: Path) -> Path:
    default = paths.advisory_db_path()
    if target.resolve() == default.resolve():
        return paths.advisory_db_lock_path()
    return target.with_name(target.name + ".lock")


def _temporary_prefix(target: Path) -> str:
    return f".{target.name}-"


@contextmanager
def _temporary_files(target: Path) -> Iterator[Callable[[str], Path]]:
    """Yield a factory of temporary files next to ``target``; all are removed on exit."""
    created: list[Path] = []

    def new_temporary(suffix: str) -> Path:
        handle, name = tempfile.mkstemp(
            dir=target.parent, prefix=_temporary_prefix(target), suffix=suffix + ".tmp"
        )
        os.close(handle)
        created.append(Path(name))
        return created[-1]

    try:
        yield new_temporary
    finally:
        for path in created:
            for leftover in (path, path.with_name(path.name + "-journal")):
                _remove_quietly(leftover)


def _remove_stale_temporaries(target: Path) -> None:
    """Remove temporary files of updates that were killed (we hold the lock, so none is live)."""
    for stale in target.parent.glob(_temporary_prefix(target) + "*.tmp*"):
        _remove_quietly(stale)


def _remove_quietly(path: Path) -> None:
    # best effort: a leftover temporary file must not turn a success into a failure
    with contextlib.suppress(OSError):
        path.unlink()


def _swap(new_db: Path, target: Path, status: DatabaseStatus) -> DatabaseStatus:
    """Verify the new file, then ``os.replace`` with a short retry (on Windows an open reader
    blocks the rename), then seal it (``integrity``)."""
    damage = integrity.verify_new_file(new_db)
    if damage is not None:
        raise DatabaseError(
            f"the new advisory database failed its integrity check ({damage}); "
            "advisory database left unchanged"
        )
    for attempt in range(10):
        try:
            os.replace(new_db, target)
            break
        except PermissionError as exc:
            if attempt == 9:
                raise DatabaseError(f"cannot replace {target}: {exc.strerror or exc}") from exc
            time.sleep(0.2)
        except OSError as exc:
            raise DatabaseError(f"cannot replace {target}: {exc.strerror or exc}") from exc
    integrity.seal(target)
    return dataclasses.replace(status, path=target)
