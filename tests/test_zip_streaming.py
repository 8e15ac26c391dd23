"""The advisory zip reader streams members from their local headers (memory does not grow
with the member count), handles data descriptors as Go's archive/zip writes them, and leaves
what it does not handle (ZIP64 entries) to zipfile without reading a member twice."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from safe_pip.advisories.sources import read_zip
from safe_pip.errors import DatabaseError


class _Unseekable(io.RawIOBase):
    """A write-only stream without seek/tell: zipfile then writes data descriptors."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        self.data += chunk
        return len(chunk)


RECORDS = {f"PYSEC-2099-{n}.json": json.dumps({"id": f"PYSEC-2099-{n}"}) for n in range(5)}


def write_zip(path: Path, *, descriptors: bool = False, zip64: bool = False) -> Path:
    target: io.RawIOBase | Path = _Unseekable() if descriptors else path
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", "not a record")
        for name, text in RECORDS.items():
            with archive.open(name, "w", force_zip64=zip64) as member:
                member.write(text.encode())
    if isinstance(target, _Unseekable):
        path.write_bytes(bytes(target.data))
    return path


@pytest.mark.parametrize(("descriptors", "zip64"), [(False, False), (True, False), (False, True)])
def test_every_json_member_once(tmp_path: Path, descriptors: bool, zip64: bool) -> None:
    archive = write_zip(tmp_path / "feed.zip", descriptors=descriptors, zip64=zip64)
    if descriptors:
        with zipfile.ZipFile(archive) as check:
            assert all(info.flag_bits & 0x8 for info in check.infolist())
    read = {name: data.decode() for name, data in read_zip(archive, "feed.zip")}
    assert read == RECORDS


def test_a_corrupted_member_is_an_error_not_a_short_read(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "feed.zip", descriptors=True)
    with zipfile.ZipFile(archive) as check:
        member = check.getinfo("PYSEC-2099-2.json")
    damaged = bytearray(archive.read_bytes())
    data_start = member.header_offset + 30 + len(member.filename)  # no extra field here
    damaged[data_start + 3] ^= 0xFF
    archive.write_bytes(bytes(damaged))
    with pytest.raises(DatabaseError, match="corrupt or truncated"):
        list(read_zip(archive, "feed.zip"))
