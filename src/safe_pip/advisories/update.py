"""Build a new advisory database from OSV data and swap it in atomically.

Sources: an http(s) URL (downloaded to a temporary file), a zip archive laid out like
OSV's ``all.zip`` (``*.json`` at the root or in folders), a directory of ``*.json``
files, or one ``.json`` file holding a record or a list of records.

Everything happens under a file lock: the new database is written to a temporary file
next to the old one and moved over it with ``os.replace``, so readers see either the old
or the new database, and any failure (bad archive, truncated download, Ctrl-C) leaves the
old one untouched and no temporary files behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlparse

import filelock
import httpx

from safe_pip import limits, paths
from safe_pip.advisories.database import (
    OFFLINE_HINT,
    SOURCE_ENV_VAR,
    DatabaseStatus,
    write_database,
)
from safe_pip.advisories.osv import Advisory, MalformedRecordError, parse_record
from safe_pip.errors import DatabaseError, UsageError
from safe_pip.redaction import redact_url

DEFAULT_SOURCE = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
LOCK_TIMEOUT_SECONDS = 600.0
DOWNLOAD_TIMEOUT_SECONDS = 60.0
_ZIP_MAGIC = b"PK\x03\x04"

Progress = Callable[[int, Optional[int]], None]  # (bytes downloaded, total bytes or None)


def update_database(
    source: str | None = None,
    db_path: Path | None = None,
    progress: Progress | None = None,
) -> DatabaseStatus:
    """Replace the advisory database with one built from ``source``; return its status.

    ``source`` defaults to ``$SAFE_PIP_DB_SOURCE``, then ``DEFAULT_SOURCE``. Raises
    ``DatabaseError`` (old database kept) if the source cannot be read or holds no valid
    PyPI record; malformed individual records are skipped and counted.
    """
    source = source or os.environ.get(SOURCE_ENV_VAR) or DEFAULT_SOURCE
    target = db_path if db_path is not None else paths.advisory_db_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create {target.parent}: {exc.strerror or exc}") from exc
    lock = filelock.FileLock(str(_lock_path(target)), timeout=LOCK_TIMEOUT_SECONDS)
    try:
        with lock:
            return _update_locked(source, target, progress)
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


def _update_locked(source: str, target: Path, progress: Progress | None) -> DatabaseStatus:
    _remove_stale_temporaries(target)
    with _temporary_files(target) as new_temporary:
        if _is_http_url(source):
            archive = new_temporary(".download")
            _download(source, archive, progress)
            documents = _read_downloaded(archive, source)
            label = redact_url(source)  # stored in the database and shown by `db status`
        else:
            local = _local_path(source)
            documents = _read_local(local)
            label = str(local.resolve())
        advisories, skipped = _collect_advisories(documents)
        if not advisories:
            raise DatabaseError(
                f"no valid PyPI advisory records in {label} ({skipped} malformed); "
                "advisory database left unchanged"
            )
        new_db = new_temporary(".sqlite")
        status = write_database(
            new_db,
            advisories,
            source=label,
            skipped_count=skipped,
            updated_at=datetime.now(timezone.utc),
        )
        new_db.chmod(0o644)  # mkstemp creates 0600; the database holds nothing secret
        _replace(new_db, target)
    return dataclasses.replace(status, path=target)


# --- temporary files -------------------------------------------------------------------


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


def _replace(new_db: Path, target: Path) -> None:
    """``os.replace`` with a short retry: on Windows an open reader blocks the rename."""
    for attempt in range(10):
        try:
            os.replace(new_db, target)
            return
        except PermissionError as exc:
            if attempt == 9:
                raise DatabaseError(f"cannot replace {target}: {exc.strerror or exc}") from exc
            time.sleep(0.2)
        except OSError as exc:
            raise DatabaseError(f"cannot replace {target}: {exc.strerror or exc}") from exc


# --- reading sources -------------------------------------------------------------------

Document = tuple[str, bytes]  # (where it came from, raw JSON)


def _is_http_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _local_path(source: str) -> Path:
    if source.lower().startswith("file://"):
        return Path(unquote(urlparse(source).path))
    return Path(source).expanduser()


def _download(url: str, destination: Path, progress: Progress | None) -> None:
    """Download ``url`` to ``destination`` within ``limits.DOWNLOAD_DEADLINE_SECONDS`` in
    all (a feed that drips a byte at a time never trips the per-read timeout)."""
    reason: str | None = None
    deadline = limits.Deadline.start("download deadline", limits.DOWNLOAD_DEADLINE_SECONDS)
    try:
        with httpx.stream(
            "GET", url, follow_redirects=True, timeout=DOWNLOAD_TIMEOUT_SECONDS
        ) as response:
            if response.status_code != 200:
                reason = f"HTTP {response.status_code}"
            else:
                total = _content_length(response)
                if progress is not None:
                    progress(0, total)
                with open(destination, "wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                        if progress is not None:
                            progress(response.num_bytes_downloaded, total)
                        if deadline.expired:
                            reason = deadline.describe()
                            break
                if reason is None and total is not None and response.num_bytes_downloaded < total:
                    reason = (
                        f"truncated download ({response.num_bytes_downloaded} of {total} bytes)"
                    )
    except httpx.HTTPError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
    except OSError as exc:
        raise DatabaseError(f"cannot write {destination}: {exc.strerror or exc}") from exc
    if reason is not None:
        raise DatabaseError(f"could not download advisories from {url}: {reason}; {OFFLINE_HINT}")


def _content_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _read_downloaded(path: Path, url: str) -> Iterator[Document]:
    if _looks_like_zip(path):
        return _read_zip(path, url)
    return iter([(url, _read_bytes(path))])


def _read_local(path: Path) -> Iterator[Document]:
    if path.is_dir():
        return _read_directory(path)
    if not path.is_file():
        raise UsageError(f"advisory source not found: {path}")
    if path.suffix.lower() == ".json":
        return iter([(path.name, _read_bytes(path))])
    if path.suffix.lower() == ".zip" or _looks_like_zip(path):
        return _read_zip(path, str(path))
    raise DatabaseError(
        f"unsupported advisory source {path}: expected a URL, a .zip, a .json or a directory"
    )


def _read_bytes(path: Path, max_bytes: int = limits.ADVISORY_FEED_MAX_BYTES) -> bytes:
    """The file's bytes; ``_OVERSIZED`` (skipped and counted) when larger than ``max_bytes``."""
    try:
        return limits.read_bytes(path, max_bytes)
    except limits.DocumentError:
        return _OVERSIZED
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _looks_like_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(4) == _ZIP_MAGIC or zipfile.is_zipfile(path)
    except OSError:
        return False


# Stands in for a zip member too large to be one OSV record (never decompressed).
_OVERSIZED = b""


def _read_directory(directory: Path) -> Iterator[Document]:
    """One OSV record per file: a file too large to be one is skipped and counted."""
    for path in sorted(directory.rglob("*.json")):
        if path.is_file():
            yield (
                str(path.relative_to(directory)),
                _read_bytes(path, limits.ADVISORY_RECORD_MAX_BYTES),
            )


def _read_zip(path: Path, label: str) -> Iterator[Document]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or not name.lower().endswith(".json"):
                    continue
                if name.startswith("__MACOSX/"):
                    continue
                if info.file_size > limits.ADVISORY_RECORD_MAX_BYTES:
                    yield name, _OVERSIZED  # skipped and counted like any malformed record
                    continue
                yield name, archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise DatabaseError(
            f"advisory archive {label} is corrupt or truncated ({' '.join(str(exc).split())})"
        ) from exc


def _collect_advisories(documents: Iterable[Document]) -> tuple[list[Advisory], int]:
    """Valid PyPI advisories (the last one wins per id) and the number of malformed records."""
    by_id: dict[str, Advisory] = {}
    skipped = 0
    for origin, raw in documents:
        try:
            data = limits.load_json(raw, max_bytes=limits.ADVISORY_FEED_MAX_BYTES)
        except ValueError:  # invalid, oversized or too deeply nested JSON, or not UTF-8
            skipped += 1
            continue
        entries = data if isinstance(data, list) else [data]
        for index, entry in enumerate(entries):
            where = f"{origin}[{index}]" if isinstance(data, list) else origin
            try:
                advisory = parse_record(entry, where)
            except MalformedRecordError:
                skipped += 1
                continue
            if advisory is not None:
                by_id[advisory.id] = advisory
    return list(by_id.values()), skipped
