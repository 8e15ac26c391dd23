"""Read what a wheel would install, cheaply: the zip central directory (names and sizes of
every member) and only the members that matter -- RECORD, ``entry_points.txt`` and the
``.pth`` files site.py would process. Nothing is extracted and nothing is run."""

from __future__ import annotations

import base64
import configparser
import csv
import hashlib
import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# site.py executes a .pth line that starts with one of these (Lib/site.py, addpackage()).
EXECUTABLE_PREFIXES = ("import ", "import\t")
# Members larger than this are not read (a .pth, entry_points.txt): a finding says so.
MAX_MEMBER_BYTES = 1 << 20
MAX_RECORD_BYTES = 32 << 20
# RECORD lists every member except itself and its signatures (PEP 376 / PEP 427).
_UNLISTED = ("RECORD", "RECORD.jws", "RECORD.p7s")


class UnreadableWheel(Exception):
    """Not a zip, no ``.dist-info`` directory, or a member that cannot be read."""


@dataclass(frozen=True)
class PthFile:
    """One ``.pth`` file site.py would process at every interpreter start."""

    member: str  # archive path
    name: str  # file name as installed (site-packages/<name>)
    executable_lines: tuple[str, ...]  # lines site.py runs with exec()
    too_large: bool = False


@dataclass
class WheelContents:
    """What one wheel would install, as far as the checks need it."""

    path: Path
    dist_info: str  # e.g. "pkg-1.0.dist-info"
    members: dict[str, int]  # archive path -> uncompressed size (directories left out)
    # install location -> archive path: ("lib", "pkg/__init__.py"), ("scripts", "tool")...
    installed: dict[tuple[str, str], str] = field(default_factory=dict)
    unsafe_paths: list[str] = field(default_factory=list)  # absolute or with ".."
    record: dict[str, tuple[str, str]] | None = None  # path -> (hash, size); None: no RECORD
    record_problems: list[str] = field(default_factory=list)
    pth_files: list[PthFile] = field(default_factory=list)
    entry_point_scripts: list[str] = field(default_factory=list)  # console + gui scripts

    @property
    def lib_paths(self) -> list[str]:
        return [path for (where, path) in self.installed if where == "lib"]

    @property
    def script_names(self) -> list[str]:
        """Every command the wheel puts on PATH: entry points and ``.data/scripts`` files."""
        files = [posixpath.basename(path) for (where, path) in self.installed if where == "scripts"]
        return list(dict.fromkeys([*self.entry_point_scripts, *files]))


def read_wheel(path: Path) -> WheelContents:
    """The contents of the wheel at ``path``; ``UnreadableWheel`` when it is no wheel."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _read(path, archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise UnreadableWheel(f"{path.name} cannot be read as a wheel: {exc}") from None


def _read(path: Path, archive: zipfile.ZipFile) -> WheelContents:
    infos = [info for info in archive.infolist() if not info.filename.endswith("/")]
    members = {info.filename: info.file_size for info in infos}
    dist_info = _dist_info_dir(path, members)
    contents = WheelContents(path=path, dist_info=dist_info, members=members)
    data_dir = dist_info[: -len(".dist-info")] + ".data"
    for name in members:
        if _unsafe(name):
            contents.unsafe_paths.append(name)
            continue
        contents.installed[_install_location(name, data_dir)] = name
    _read_record(archive, contents)
    for (where, installed_path), member in contents.installed.items():
        if where == "lib" and "/" not in installed_path and installed_path.endswith(".pth"):
            contents.pth_files.append(_read_pth(archive, contents, member, installed_path))
    entry_points = f"{dist_info}/entry_points.txt"
    if entry_points in members:
        text = _member_text(archive, contents, entry_points)
        contents.entry_point_scripts = _scripts_of(text or "")
    return contents


def _dist_info_dir(path: Path, members: dict[str, int]) -> str:
    tops = {name.split("/", 1)[0] for name in members if "/" in name}
    dist_infos = sorted(top for top in tops if top.endswith(".dist-info"))
    if not dist_infos:
        raise UnreadableWheel(f"{path.name} has no .dist-info directory")
    if len(dist_infos) > 1:  # pip refuses such a wheel; pick the one named like the file
        stem = path.name.split("-", 2)
        wanted = f"{stem[0]}-{stem[1]}.dist-info".lower() if len(stem) > 1 else ""
        return next((d for d in dist_infos if d.lower() == wanted), dist_infos[0])
    return dist_infos[0]


def _unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")


def _install_location(name: str, data_dir: str) -> tuple[str, str]:
    """Where an archive member is installed: (scheme key, path inside it)."""
    if name.startswith(data_dir + "/"):
        rest = name[len(data_dir) + 1 :]
        key, _, inner = rest.partition("/")
        if key in ("purelib", "platlib"):
            return ("lib", inner)
        return (key, inner)  # scripts, headers, data (and anything unknown, as pip sees it)
    return ("lib", name)


def _read_record(archive: zipfile.ZipFile, contents: WheelContents) -> None:
    """Compare RECORD with the central directory: every member listed, with its size."""
    record_name = f"{contents.dist_info}/RECORD"
    if record_name not in contents.members:
        contents.record_problems.append("the wheel has no RECORD")
        return
    if contents.members[record_name] > MAX_RECORD_BYTES:
        contents.record_problems.append(f"RECORD is larger than {MAX_RECORD_BYTES} bytes")
        return
    text = archive.read(record_name).decode("utf-8", errors="replace")
    record: dict[str, tuple[str, str]] = {}
    for row in csv.reader(io.StringIO(text)):
        if row and row[0]:
            record[row[0]] = (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")
    contents.record = record
    unlisted = {f"{contents.dist_info}/{name}" for name in _UNLISTED}
    missing = sorted(
        name for name in contents.members if name not in record and name not in unlisted
    )
    if missing:
        contents.record_problems.append(f"not listed in RECORD: {_names(missing)}")
    absent = sorted(
        name for name in record if name not in contents.members and name not in unlisted
    )
    if absent:
        contents.record_problems.append(
            f"listed in RECORD but not in the archive: {_names(absent)}"
        )
    wrong_size = sorted(
        name
        for name, (_, size) in record.items()
        if size.isdigit() and name in contents.members and int(size) != contents.members[name]
    )
    if wrong_size:
        contents.record_problems.append(f"size differs from RECORD: {_names(wrong_size)}")


def _names(names: list[str], shown: int = 3) -> str:
    more = f" (and {len(names) - shown} more)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _member_bytes(archive: zipfile.ZipFile, contents: WheelContents, member: str) -> bytes | None:
    """A small member's bytes, checked against its RECORD hash (None: too large)."""
    if contents.members[member] > MAX_MEMBER_BYTES:
        return None
    data = archive.read(member)
    _check_record_hash(contents, member, data)
    return data


def _member_text(archive: zipfile.ZipFile, contents: WheelContents, member: str) -> str | None:
    data = _member_bytes(archive, contents, member)
    return None if data is None else data.decode("utf-8", errors="replace")


def _check_record_hash(contents: WheelContents, member: str, data: bytes) -> None:
    if contents.record is None or member not in contents.record:
        return
    algorithm, _, encoded = contents.record[member][0].partition("=")
    if not encoded:
        contents.record_problems.append(f"RECORD gives no hash for {member}")
        return
    if algorithm not in hashlib.algorithms_guaranteed:
        return  # pip refuses such a RECORD itself
    actual = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=")
    if actual.decode("ascii") != encoded.rstrip("="):
        contents.record_problems.append(f"hash of {member} differs from RECORD")


def _read_pth(archive: zipfile.ZipFile, contents: WheelContents, member: str, name: str) -> PthFile:
    text = _member_text(archive, contents, member)
    if text is None:
        return PthFile(member, name, (), too_large=True)
    return PthFile(member, name, executable_lines(text))


def executable_lines(text: str) -> tuple[str, ...]:
    """The lines of a ``.pth`` file site.py executes (as site.py reads them)."""
    return tuple(
        line.rstrip("\r\n").strip()
        for line in text.splitlines()
        if line.startswith(EXECUTABLE_PREFIXES)
    )


def _scripts_of(text: str) -> list[str]:
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    names: list[str] = []
    for section in ("console_scripts", "gui_scripts"):
        if parser.has_section(section):
            names.extend(key.strip() for key in parser.options(section))
    return names
