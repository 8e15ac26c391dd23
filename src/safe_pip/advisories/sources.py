"""Read OSV documents from where advisories come from: a zip laid out like OSV's
``all.zip`` (``*.json`` at the root or in folders), a directory of ``*.json`` files, or one
``.json`` file holding a record or a list of records. Zips are read one member at a time,
so memory stays flat however large the export is.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
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
    """Every ``*.json`` member, read front to back from the local headers, so memory does
    not grow with the number of members (``zipfile`` keeps an entry per member). Archives
    this reader does not handle (ZIP64, encryption, unusual compression) are read with
    ``zipfile``, continuing after the members already read."""
    done = 0
    try:
        with open(path, "rb") as file:
            for name, data in _stream_members(file):
                done += 1
                if _wanted(name):
                    yield name, data
    except _NotStreamable:
        yield from _read_with_zipfile(path, label, skip=done)
    except (_Corrupt, zlib.error, EOFError, OSError, struct.error) as exc:
        raise _corrupt(label, exc) from exc


def _wanted(name: str) -> bool:
    return name.lower().endswith(".json") and not name.startswith("__MACOSX/")


def _corrupt(label: str, exc: BaseException) -> DatabaseError:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return DatabaseError(f"advisory archive {label} is corrupt or truncated ({reason})")


def _read_with_zipfile(path: Path, label: str, skip: int) -> Iterator[Document]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist()[skip:]:
                if info.is_dir() or not _wanted(info.filename):
                    continue
                if info.file_size > limits.ADVISORY_RECORD_MAX_BYTES:
                    yield info.filename, OVERSIZED  # skipped and counted as malformed
                    continue
                yield info.filename, archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise _corrupt(label, exc) from exc


class _NotStreamable(Exception):
    """A member this reader leaves to ``zipfile``."""


class _Corrupt(Exception):
    pass


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")  # PKWARE APPNOTE 4.3.7
_LOCAL_SIGNATURE = b"PK\x03\x04"
_END_SIGNATURES = (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06")  # central directory
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
_ENCRYPTED, _HAS_DESCRIPTOR = 0x1, 0x8
_STORED, _DEFLATED = 0, 8
_CHUNK = 64 * 1024


def _stream_members(file: BinaryIO) -> Iterator[Document]:
    """(name, bytes) per member in file order; a member too large to be one record gives
    ``OVERSIZED`` (its data is skipped, never kept)."""
    limit = limits.ADVISORY_RECORD_MAX_BYTES
    while True:
        header = file.read(_LOCAL_HEADER.size)
        if header[:4] in _END_SIGNATURES:
            return
        if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
            raise _Corrupt("no central directory where the members end")
        (_, _, flags, method, _, _, crc, packed, size, name_length, extra_length) = (
            _LOCAL_HEADER.unpack(header)
        )
        name = file.read(name_length).decode("utf-8", errors="replace")
        file.seek(extra_length, 1)
        if flags & _ENCRYPTED or method not in (_STORED, _DEFLATED) or 0xFFFFFFFF in (packed, size):
            raise _NotStreamable(name)
        if flags & _HAS_DESCRIPTOR:
            if method == _STORED:
                raise _NotStreamable(name)
            data, oversized = _inflate_until_end(file, limit)
            crc = _read_descriptor(file)
        elif size > limit or not _wanted(name):
            file.seek(packed, 1)
            yield name, OVERSIZED
            continue
        else:
            raw = file.read(packed)
            if len(raw) < packed:
                raise _Corrupt(f"{name} is cut short")
            data, oversized = raw, False
            if method == _DEFLATED:  # inflate no further than the limit, whatever the header says
                inflater = zlib.decompressobj(-15)
                data = inflater.decompress(raw, limit + 1)
                oversized = len(data) > limit
                if not oversized and not inflater.eof:
                    raise _Corrupt(f"{name} is cut short")
        if oversized:
            yield name, OVERSIZED
            continue
        if zlib.crc32(data) != crc:
            raise _Corrupt(f"{name} fails its CRC check")
        yield name, data


def _inflate_until_end(file: BinaryIO, limit: int) -> tuple[bytes, bool]:
    """Inflate a member whose size the header does not give; keep at most ``limit`` bytes
    and leave the file at the data descriptor."""
    inflater = zlib.decompressobj(-15)
    kept: list[bytes] = []
    total = 0
    while not inflater.eof:
        chunk = file.read(_CHUNK)
        if not chunk:
            raise _Corrupt("a member is cut short")
        piece = inflater.decompress(chunk)
        total += len(piece)
        if total <= limit:
            kept.append(piece)
    file.seek(-len(inflater.unused_data), 1)
    return (b"", True) if total > limit else (b"".join(kept), False)


def _read_descriptor(file: BinaryIO) -> int:
    first = file.read(4)
    crc_bytes = file.read(4) if first == _DESCRIPTOR_SIGNATURE else first
    file.read(8)  # compressed and uncompressed sizes
    if len(crc_bytes) < 4:
        raise _Corrupt("a data descriptor is cut short")
    return int(struct.unpack("<I", crc_bytes)[0])


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
