"""Read OSV documents from where advisories come from: a zip laid out like OSV's
``all.zip`` (``*.json`` at the root or in folders), a directory of ``*.json`` files, or one
``.json`` file holding a record or a list of records. Zips are read one member at a time,
so memory stays flat however large the export is.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from safe_pip import limits
from safe_pip.errors import DatabaseError, UsageError

Document = tuple[str, bytes]  # (where it came from, raw JSON)
_ZIP_MAGIC = b"PK\x03\x04"


def is_http_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def local_path(source: str) -> Path:
    if source.lower().startswith("file://"):
        return Path(unquote(urlparse(source).path))
    return Path(source).expanduser()


def read_local(path: Path) -> Iterator[Document]:
    if path.is_dir():
        return _read_directory(path)
    if not path.is_file():
        raise UsageError(f"advisory source not found: {path}")
    if path.suffix.lower() == ".json":
        return iter([(path.name, read_bytes(path))])
    if path.suffix.lower() == ".zip" or looks_like_zip(path):
        return read_zip(path, str(path))
    raise DatabaseError(
        f"unsupported advisory source {path}: expected a URL, a .zip, a .json or a directory"
    )


def looks_like_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(4) == _ZIP_MAGIC or zipfile.is_zipfile(path)
    except OSError:
        return False


def read_zip(path: Path, label: str) -> Iterator[Document]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or not name.lower().endswith(".json"):
                    continue
                if name.startswith("__MACOSX/"):
                    continue
                if info.file_size > limits.ADVISORY_RECORD_MAX_BYTES:
                    yield name, OVERSIZED  # skipped and counted like any malformed record
                    continue
                yield name, archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise DatabaseError(
            f"advisory archive {label} is corrupt or truncated ({' '.join(str(exc).split())})"
        ) from exc


# Stands in for a document too large to be read (never decompressed): skipped and counted.
OVERSIZED = b""


def read_bytes(path: Path, max_bytes: int = limits.ADVISORY_FEED_MAX_BYTES) -> bytes:
    """The file's bytes; ``OVERSIZED`` (skipped and counted) when larger than ``max_bytes``."""
    try:
        return limits.read_bytes(path, max_bytes)
    except limits.DocumentError:
        return OVERSIZED
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _read_directory(directory: Path) -> Iterator[Document]:
    """One OSV record per file: a file too large to be one is skipped and counted."""
    for path in sorted(directory.rglob("*.json")):
        if path.is_file():
            yield (
                str(path.relative_to(directory)),
                read_bytes(path, limits.ADVISORY_RECORD_MAX_BYTES),
            )
