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
from dataclasses import dataclass, field
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


@dataclass
class TargetEnvironment:
    """The distributions installed where the wheels will go (empty: nothing known)."""

    distributions: dict[str, InstalledDistribution] = field(default_factory=dict)
    _file_owners: dict[str, list[str]] | None = None
    _script_owners: dict[str, list[str]] | None = None

    def owners_of_file(self, path: str) -> list[str]:
        if self._file_owners is None:
            owners: dict[str, list[str]] = {}
            for dist in self.distributions.values():
                for file in dist.lib_files:
                    owners.setdefault(file, []).append(dist.name)
            self._file_owners = owners
        return self._file_owners.get(path, [])

    def owners_of_script(self, name: str) -> list[str]:
        if self._script_owners is None:
            owners: dict[str, list[str]] = {}
            for dist in self.distributions.values():
                for script in dist.scripts:
                    owners.setdefault(_script_key(script), []).append(dist.name)
            self._script_owners = owners
        return self._script_owners.get(_script_key(name), [])


def _script_key(name: str) -> str:
    """Windows launchers are ``tool.exe`` / ``tool-script.py`` for the command ``tool``."""
    lowered = name.lower()
    for suffix in (".exe", "-script.py", "-script.pyw"):
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)]
    return lowered


def read_environment(lib_dirs: Sequence[str], scripts_dir: str | None) -> TargetEnvironment:
    """Every ``.dist-info`` distribution in ``lib_dirs`` (missing directories are empty)."""
    environment = TargetEnvironment()
    for lib_dir in dict.fromkeys(lib_dirs):
        try:
            entries = sorted(os.scandir(lib_dir), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".dist-info") and entry.is_dir():
                dist = _read_distribution(Path(lib_dir), Path(entry.path), scripts_dir)
                if dist is not None:
                    environment.distributions.setdefault(dist.name, dist)
    return environment


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
