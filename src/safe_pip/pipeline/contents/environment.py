"""What the target environment already has: which installed distribution owns which file and
which command, and the executable ``.pth`` lines each one installed -- read from the
``*.dist-info/RECORD`` files of its site-packages directories (nothing is imported)."""

from __future__ import annotations

import configparser
import csv
import io
import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from safe_pip.pipeline.contents.wheel import MAX_MEMBER_BYTES, executable_lines

_MAX_RECORD_BYTES = 32 << 20


@dataclass(frozen=True)
class InstalledDistribution:
    name: str  # PEP 503-normalized
    version: str
    lib_files: dict[str, str]  # site-packages-relative path -> RECORD hash ("" if none)
    scripts: frozenset[str]
    pth_lines: tuple[str, ...]  # executable lines of the .pth files it installed


class TargetEnvironment:
    """The distributions installed where the wheels will go, read lazily: a project's own
    RECORD when it is asked for, and every RECORD only when a path or command a wheel would
    install already exists there (a fresh install into a large environment reads none).
    ``distributions`` given: those, and nothing is read from disk."""

    def __init__(
        self,
        lib_dirs: Sequence[str] = (),
        scripts_dir: str | None = None,
        distributions: dict[str, InstalledDistribution] | None = None,
    ) -> None:
        self.lib_dirs = list(dict.fromkeys(lib_dirs))
        self.scripts_dir = scripts_dir
        self._all = distributions
        self._dist_infos: dict[str, tuple[Path, Path]] | None = None  # name -> (lib, dist-info)
        self._read: dict[str, InstalledDistribution | None] = {}
        self._file_owners: dict[str, list[str]] | None = None
        self._script_owners: dict[str, list[str]] | None = None

    def installed(self, name: str) -> InstalledDistribution | None:
        """The installed distribution of project ``name`` (PEP 503-normalized), if any."""
        if self._all is not None:
            return self._all.get(name)
        if name not in self._read:
            found = self._listing().get(name)
            self._read[name] = (
                None if found is None else _read_distribution(*found, self.scripts_dir)
            )
        return self._read[name]

    def owners_of_file(self, path: str) -> list[str]:
        if self._all is None and not any(
            os.path.lexists(os.path.join(lib, path)) for lib in self.lib_dirs
        ):
            return []
        if self._file_owners is None:
            owners: dict[str, list[str]] = {}
            for dist in self._everything():
                for file in dist.lib_files:
                    owners.setdefault(file, []).append(dist.name)
            self._file_owners = owners
        return self._file_owners.get(path, [])

    def owners_of_script(self, name: str) -> list[str]:
        if self._all is None and not self._script_exists(name):
            return []
        if self._script_owners is None:
            owners: dict[str, list[str]] = {}
            for dist in self._everything():
                for script in dist.scripts:
                    owners.setdefault(_script_key(script), []).append(dist.name)
            self._script_owners = owners
        return self._script_owners.get(_script_key(name), [])

    def _script_exists(self, name: str) -> bool:
        if self.scripts_dir is None:
            return False
        candidates = (name, name + ".exe", name + "-script.py")
        return any(os.path.lexists(os.path.join(self.scripts_dir, c)) for c in candidates)

    def _listing(self) -> dict[str, tuple[Path, Path]]:
        if self._dist_infos is None:
            found: dict[str, tuple[Path, Path]] = {}
            for lib_dir in self.lib_dirs:
                try:
                    entries = sorted(os.scandir(lib_dir), key=lambda e: e.name)
                except OSError:
                    continue
                for entry in entries:
                    if entry.name.endswith(".dist-info") and entry.is_dir():
                        name = canonicalize_name(entry.name[: -len(".dist-info")].split("-")[0])
                        found.setdefault(name, (Path(lib_dir), Path(entry.path)))
            self._dist_infos = found
        return self._dist_infos

    def _everything(self) -> list[InstalledDistribution]:
        if self._all is not None:
            return list(self._all.values())
        return [d for d in (self.installed(name) for name in self._listing()) if d is not None]


def _script_key(name: str) -> str:
    """Windows launchers are ``tool.exe`` / ``tool-script.py`` for the command ``tool``."""
    lowered = name.lower()
    for suffix in (".exe", "-script.py", "-script.pyw"):
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)]
    return lowered


def read_environment(lib_dirs: Sequence[str], scripts_dir: str | None) -> TargetEnvironment:
    """The ``.dist-info`` distributions in ``lib_dirs`` (missing directories are empty),
    read as they are asked for."""
    return TargetEnvironment(lib_dirs, scripts_dir)


def _read_distribution(
    lib_dir: Path, dist_info: Path, scripts_dir: str | None
) -> InstalledDistribution | None:
    stem = dist_info.name[: -len(".dist-info")]
    name, _, version = stem.partition("-")
    if not name:
        return None
    lib_files: dict[str, str] = {}
    scripts: set[str] = set()
    pth_names: list[str] = []
    scripts_root = os.path.normcase(os.path.realpath(scripts_dir)) if scripts_dir else None
    for path, digest in _record_rows(dist_info / "RECORD"):
        normalized = posixpath.normpath(path.replace("\\", "/"))
        if not normalized.startswith("../") and not posixpath.isabs(normalized):
            lib_files[normalized] = digest
            if "/" not in normalized and normalized.endswith(".pth"):
                pth_names.append(normalized)
            continue
        if scripts_root is not None:
            absolute = os.path.normcase(os.path.realpath(lib_dir / normalized))
            if os.path.dirname(absolute) == scripts_root:
                scripts.add(os.path.basename(absolute))
    scripts.update(_entry_point_scripts(dist_info / "entry_points.txt"))
    pth_lines = tuple(line for pth in pth_names for line in _pth_lines(lib_dir / pth))
    return InstalledDistribution(
        canonicalize_name(name), version, lib_files, frozenset(scripts), pth_lines
    )


def _record_rows(record: Path) -> list[tuple[str, str]]:
    try:
        if record.stat().st_size > _MAX_RECORD_BYTES:
            return []
        text = record.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [
        (row[0], row[1] if len(row) > 1 else "") for row in csv.reader(io.StringIO(text)) if row
    ]


def _entry_point_scripts(path: Path) -> set[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return set()
    return {
        key.strip()
        for section in ("console_scripts", "gui_scripts")
        if parser.has_section(section)
        for key in parser.options(section)
    }


def _pth_lines(path: Path) -> tuple[str, ...]:
    try:
        if path.stat().st_size > MAX_MEMBER_BYTES:
            return ()
        return executable_lines(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ()
