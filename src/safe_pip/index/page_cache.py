"""A disk cache of parsed index project pages, revalidated with the index on every use.

``safe-pip check`` of a lock file reads one page per package; most have not changed since the
last run. Each page read over HTTP(S) is kept as one file -- the ``ETag`` / ``Last-Modified``
the index sent plus the files already parsed -- and the next read sends them back
(``If-None-Match`` / ``If-Modified-Since``): a ``304 Not Modified`` answer costs no download
and no parsing. An index that sends no validators sends the whole page every time; the entry
then also records the sha256 of the page's bytes (with the URL it came from after redirects
and its media type), and a page whose bytes are the same is not parsed again. The index is
asked every time, as pip asks (no page is trusted by age alone), so a new upload or a yank is
seen at once.

Safety: an entry is named by the sha256 of the full page URL (index included) and records that
URL, so two indexes never share an entry; a page whose URL carries credentials
(``https://user:token@host/...``) is never written; writes are atomic (temp file + rename);
an entry that cannot be read, is foreign or malformed counts as absent (the page is fetched
in full); the directory is kept under ``MAX_BYTES`` by removing the least recently used
entries. Everything here is best effort: a cache that cannot be written changes nothing but
speed. Entries live in ``<cache dir>/index-pages`` (``SAFE_PIP_CACHE_DIR``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from safe_pip import paths
from safe_pip.index.files import IndexFile, Marker

SCHEMA = 4  # 2: the PEP 792 status marker too; 3: the body's sha256; 4: simple-API types only
MAX_BYTES = 256 * 1024 * 1024
DIRECTORY_NAME = "index-pages"
_SUFFIX = ".json"


@dataclass(frozen=True)
class Body:
    """What a page's parsed files follow from: its bytes (by sha256), the URL they came from
    (after redirects: relative file URLs are resolved against it) and their media type."""

    sha256: str
    page_url: str
    media_type: str

    @classmethod
    def of(cls, content: bytes, page_url: str, media_type: str) -> Body:
        return cls(hashlib.sha256(content).hexdigest(), page_url, media_type)


@dataclass(frozen=True)
class CachedPage:
    """A page as it was last read: its validators, its body's digest and its parsed files."""

    etag: str | None
    last_modified: str | None
    files: list[IndexFile]
    status: Marker | None = None  # PEP 792, when not "active"
    body: Body | None = None

    def conditional_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class PageCache:
    """The cache directory; every method is safe to call from several threads."""

    def __init__(self, directory: Path, max_bytes: int = MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._wrote = False

    @classmethod
    def default(cls) -> PageCache:
        return cls(paths.cache_dir() / DIRECTORY_NAME)

    def load(self, url: str) -> CachedPage | None:
        """The entry for ``url``, or None (never cached, unreadable, foreign or malformed)."""
        if not cacheable(url):
            return None
        path = self._path(url)
        try:
            with path.open("rb") as file:
                document = json.load(file)
            page = _page_from_json(document, url)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if page is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used: trimmed last
        return page

    def store(
        self,
        url: str,
        index_url: str,
        headers: Mapping[str, str],
        files: Sequence[IndexFile],
        status: Marker | None = None,
        body: Body | None = None,
    ) -> None:
        """Keep ``files`` for ``url`` when the index sent a validator or the ``body`` they
        were parsed from is known (and no ``Cache-Control: no-store``); else forget the
        page."""
        if not cacheable(url) or not cacheable(index_url):
            return
        etag, last_modified = headers.get("etag"), headers.get("last-modified")
        no_store = "no-store" in headers.get("cache-control", "").lower()
        if no_store or (not etag and not last_modified and body is None):
            with contextlib.suppress(OSError):
                self._path(url).unlink(missing_ok=True)
            return
        document = {
            "schema": SCHEMA,
            "url": url,
            "index_url": index_url,
            "etag": etag,
            "last_modified": last_modified,
            "files": [
                [
                    f.filename,
                    f.url,
                    f.sha256,
                    f.yanked,
                    f.yanked_reason,
                    f.upload_time,
                    f.provenance,
                ]
                for f in files
            ],
            "status": None if status is None else list(status),
            "body": None if body is None else [body.sha256, body.page_url, body.media_type],
        }
        with contextlib.suppress(OSError):
            self._write_atomically(self._path(url), json.dumps(document).encode("utf-8"))
            self._wrote = True

    def trim(self) -> None:
        """Remove least recently used entries until the directory is under ``max_bytes``
        (only after this process wrote something)."""
        if not self._wrote:
            return
        try:
            entries = [
                (entry.stat().st_mtime, entry.stat().st_size, Path(entry.path))
                for entry in os.scandir(self.directory)
                if entry.name.endswith(_SUFFIX)
            ]
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size

    def _path(self, url: str) -> Path:
        return self.directory / (hashlib.sha256(url.encode("utf-8")).hexdigest() + _SUFFIX)

    def _write_atomically(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temp_name = tempfile.mkstemp(prefix=".page-", dir=self.directory)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.replace(temp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise


def cacheable(url: str) -> bool:
    """Only http(s) pages without credentials in the URL are written to disk."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and "@" not in parts.netloc


def _page_from_json(document: object, url: str) -> CachedPage | None:
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        return None
    if document.get("url") != url:
        return None  # another URL with the same hash, or a copied file: not this page
    index_url, etag, modified = (document.get(k) for k in ("index_url", "etag", "last_modified"))
    rows = document.get("files")
    if not isinstance(index_url, str) or not isinstance(rows, list):
        return None
    if not _optional_str(etag) or not _optional_str(modified):
        return None
    body = _body(document)
    if not (etag or modified or body):
        return None
    files = _files_from_rows(rows, index_url)
    return CachedPage(etag, modified, files, _status(document), body)


def _body(document: dict[str, object]) -> Body | None:
    body = document.get("body")
    if body is None:
        return None
    if not isinstance(body, list) or len(body) != 3 or not all(isinstance(v, str) for v in body):
        raise ValueError("malformed cache body")
    return Body(*body)


def _status(document: dict[str, object]) -> Marker | None:
    marker = document.get("status")
    if marker is None:
        return None
    if not isinstance(marker, list) or len(marker) != 2 or not isinstance(marker[0], str):
        raise ValueError("malformed cache status")
    if not _optional_str(marker[1]):
        raise ValueError("malformed cache status")
    return marker[0], marker[1]


def _files_from_rows(rows: list[object], index_url: str) -> list[IndexFile]:
    """The rows as files; ``ValueError`` for any row of the wrong shape.

    A page lists up to thousands of files: the checks are written out rather than called
    per value, and each file's fields are put in its ``__dict__`` at once: the frozen
    dataclass's ``__init__`` sets them one by one through ``object.__setattr__``, most of
    the time of reading a cached page. The file is equal to ``IndexFile(...)`` in every way
    (``test_a_file_read_back_from_the_cache_is_the_file_stored``)."""
    files: list[IndexFile] = []
    for row in rows:
        # 7 fields since PEP 740 provenance URLs are kept (a 6-field row from an older
        # safe-pip is malformed: the page is read again rather than taken without them)
        if type(row) is not list or len(row) != 7:
            raise ValueError("malformed cache row")
        filename, url, sha256, yanked, reason, upload_time, provenance = row
        if (
            type(filename) is not str
            or type(url) is not str
            or type(yanked) is not bool
            or (sha256 is not None and type(sha256) is not str)
            or (reason is not None and type(reason) is not str)
            or (upload_time is not None and type(upload_time) is not str)
            or (provenance is not None and type(provenance) is not str)
        ):
            raise ValueError("malformed cache row")
        file = object.__new__(IndexFile)
        file.__dict__.update(
            filename=filename,
            url=url,
            sha256=sha256,
            yanked=yanked,
            yanked_reason=reason,
            upload_time=upload_time,
            index_url=index_url,
            provenance=provenance,
        )
        files.append(file)
    return files


def _optional_str(value: object) -> bool:
    return value is None or isinstance(value, str)
