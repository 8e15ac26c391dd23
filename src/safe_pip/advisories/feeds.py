"""Fetch one advisory source, only as much as changed since the last fetch.

An http(s) source is asked with the validators of the last fetch (``If-None-Match`` /
``If-Modified-Since``), so an unchanged feed costs one round trip (HTTP 304). For OSV's
per-ecosystem export (``.../all.zip``) the ``modified_id.csv`` next to it lists every record
with its ``modified`` time, newest first: when the database already holds that source, only
the records modified since are downloaded (``.../<ID>.json``). A local zip, directory or JSON
file is read again when its size or modification time changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from safe_pip import limits
from safe_pip.advisories.database import OFFLINE_HINT
from safe_pip.advisories.sources import (
    OVERSIZED,
    Document,
    is_http_url,
    local_path,
    looks_like_zip,
    read_bytes,
    read_local,
    read_zip,
)
from safe_pip.errors import DatabaseError
from safe_pip.redaction import redact_url
from safe_pip.times import parse_timestamp

if TYPE_CHECKING:
    import httpx  # imported where a feed is downloaded: `db status` does not need it

DOWNLOAD_TIMEOUT_SECONDS = 60.0
MAX_INCREMENTAL_RECORDS = 2000  # more changes than this: download the whole export
_INCREMENTAL_WORKERS = 8
OSV_EXPORT_NAME = "all.zip"
OSV_INDEX_NAME = "modified_id.csv"

Progress = Callable[[int, Optional[int]], None]  # (bytes downloaded, total bytes or None)


@dataclass(frozen=True)
class Validators:
    """What identifies the version of a source that was read (HTTP cache validators, or the
    size and modification time of a local file)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Previous:
    """What the database knows about its last fetch of this source."""

    validators: Validators
    newest_modified: datetime | None


@dataclass
class Fetched:
    documents: Iterator[Document] | None  # None: unchanged since ``Previous``
    validators: Validators
    incremental: bool = False  # documents are only the records modified since ``Previous``


def fetch_source(
    location: str,
    previous: Previous | None,
    new_temporary: Callable[[str], Path],
    *,
    progress: Progress | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    deadline_seconds: float | None = None,
) -> Fetched:
    """Read ``location`` (URL, zip, directory or JSON file) unless unchanged since ``previous``.

    ``timeout`` bounds each read, ``deadline_seconds`` (default
    ``limits.DOWNLOAD_DEADLINE_SECONDS``) the whole fetch: a feed that drips a byte at a
    time never trips the per-read timeout. Raises ``DatabaseError`` (network, HTTP status,
    unreadable data, too slow) or ``UsageError`` (a local source that does not exist)."""
    if not is_http_url(location):
        return _fetch_local(location, previous)
    import httpx

    with httpx.Client(follow_redirects=True, timeout=timeout) as client:
        if previous is not None and previous.newest_modified is not None:
            incremental = _fetch_incremental(client, location, previous)
            if incremental is not None:
                return incremental
        deadline = limits.Deadline.start(
            "download deadline",
            limits.DOWNLOAD_DEADLINE_SECONDS if deadline_seconds is None else deadline_seconds,
        )
        return _fetch_whole(client, location, previous, new_temporary, progress, deadline)


# --- local sources ---------------------------------------------------------------------


def _fetch_local(location: str, previous: Previous | None) -> Fetched:
    path = local_path(location)
    documents = read_local(path)  # raises UsageError when it does not exist
    validators = Validators(etag=_local_fingerprint(path))
    if previous is not None and previous.validators == validators:
        return Fetched(None, validators)
    return Fetched(documents, validators)


def _local_fingerprint(path: Path) -> str:
    """Size and modification time of a file, or of every JSON file under a directory."""
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    parts = []
    for file in files:
        with_stat = file.stat()
        parts.append(f"{file.name}:{with_stat.st_size}:{with_stat.st_mtime_ns}")
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return f"local:{len(parts)}:{digest}"


# --- http sources ----------------------------------------------------------------------


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators is not None and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators is not None and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _validators(response: httpx.Response) -> Validators:
    return Validators(
        etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified")
    )


def _fetch_whole(
    client: httpx.Client,
    url: str,
    previous: Previous | None,
    new_temporary: Callable[[str], Path],
    progress: Progress | None,
    deadline: limits.Deadline,
) -> Fetched:
    import httpx

    destination = new_temporary(".download")
    headers = _conditional_headers(previous.validators if previous else None)
    reason: str | None = None
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304 and previous is not None:
                return Fetched(None, previous.validators)
            if response.status_code != 200:
                reason = f"HTTP {response.status_code}"
            else:
                reason = _save(response, destination, progress, deadline)
                validators = _validators(response)
    except httpx.HTTPError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
    except OSError as exc:
        raise DatabaseError(f"cannot write {destination}: {exc.strerror or exc}") from exc
    if reason is not None:
        raise DatabaseError(
            f"could not download advisories from {redact_url(url)}: {reason}; {OFFLINE_HINT}"
        )
    label = redact_url(url)
    if looks_like_zip(destination):
        return Fetched(read_zip(destination, label), validators)
    return Fetched(iter([(label, read_bytes(destination))]), validators)


def _save(
    response: httpx.Response,
    destination: Path,
    progress: Progress | None,
    deadline: limits.Deadline,
) -> str | None:
    """Write the body to ``destination``; a reason when it came short or too slowly."""
    try:
        total: int | None = int(response.headers["content-length"])
    except (KeyError, ValueError):
        total = None
    if progress is not None:
        progress(0, total)
    with open(destination, "wb") as out:
        for chunk in response.iter_bytes():
            out.write(chunk)
            if progress is not None:
                progress(response.num_bytes_downloaded, total)
            if deadline.expired:
                return deadline.describe()
    if total is not None and response.num_bytes_downloaded < total:
        return f"truncated download ({response.num_bytes_downloaded} of {total} bytes)"
    return None


def _fetch_incremental(client: httpx.Client, url: str, previous: Previous) -> Fetched | None:
    """Only the records modified since the last fetch, when the source is an OSV export with
    a ``modified_id.csv``; None when it is not, or when a full download is cheaper."""
    import httpx

    base, _, name = url.rpartition("/")
    if name != OSV_EXPORT_NAME or previous.newest_modified is None:
        return None
    index_url = f"{base}/{OSV_INDEX_NAME}"
    try:
        response = client.get(index_url, headers=_conditional_headers(previous.validators))
    except httpx.HTTPError:
        return None  # the whole export may still be reachable
    if response.status_code == 304:
        return Fetched(None, previous.validators, incremental=True)
    if response.status_code != 200:
        return None
    changed = _modified_since(response.text, previous.newest_modified)
    if changed is None or len(changed) > MAX_INCREMENTAL_RECORDS:
        return None
    documents = _download_records(client, base, changed)
    return Fetched(iter(documents), _validators(response), incremental=True)


def _modified_since(text: str, since: datetime) -> list[str] | None:
    """Ids of records modified after ``since``; None when the listing cannot be read."""
    changed: list[str] = []
    for line in text.splitlines():
        stamp, _, record_id = line.strip().partition(",")
        moment = parse_timestamp(stamp)
        if moment is None:
            if not changed and stamp.lower() == "modified":  # an optional header line
                continue
            return None
        if moment <= since:
            break  # newest first: everything after this is older
        changed.append(record_id.strip())
    if any(not record_id or "/" in record_id for record_id in changed):
        return None
    return changed


def _download_records(client: httpx.Client, base: str, ids: list[str]) -> list[Document]:
    import httpx

    def download(record_id: str) -> Document:
        url = f"{base}/{record_id}.json"
        try:
            response = client.get(url)
        except httpx.HTTPError as exc:
            raise DatabaseError(f"could not download {redact_url(url)}: {exc}") from None
        if response.status_code != 200:
            raise DatabaseError(
                f"could not download {redact_url(url)}: HTTP {response.status_code}"
            )
        if len(response.content) > limits.ADVISORY_RECORD_MAX_BYTES:
            return redact_url(url), OVERSIZED
        return redact_url(url), response.content

    if not ids:
        return []
    with ThreadPoolExecutor(max_workers=min(_INCREMENTAL_WORKERS, len(ids))) as pool:
        return list(pool.map(download, ids))
