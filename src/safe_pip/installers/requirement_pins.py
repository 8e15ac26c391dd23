"""Read the user's requirement files: pinned ``--hash=sha256:`` values and index options.

pip itself enforces the hashes in ``--require-hashes`` mode; safe-pip reads them to report a
mismatch clearly and keeps the index options for the vetted install. Files are read by
``requirements_file`` (nested ``-r`` and ``-c`` files included). Remote requirement files
(``-r https://...``) are not read: pip still enforces their hashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from safe_pip.artifacts import filename_from_url
from safe_pip.producers.requirements_file import (
    RequirementFileEntry,
    RequirementFileOption,
    is_remote,
    read_requirements_file,
)

__all__ = [
    "RequirementFileOption",
    "RequirementFiles",
    "pinned_hashes",
    "read_requirement_files",
    "requested_names",
]

_EGG_FRAGMENT = re.compile(r"[#&]egg=([A-Za-z0-9_.\-]+)")

# Option lines that decide where pip finds packages; they go to the vetted install as well.
_INDEX_OPTIONS = frozenset(
    {"--index-url", "--extra-index-url", "--no-index", "--find-links", "--trusted-host"}
    | {"--only-binary", "--no-binary", "--prefer-binary"}
)


@dataclass(frozen=True)
class RequirementFiles:
    """What safe-pip takes from a set of requirement files."""

    hashes: dict[str, frozenset[str]] = field(default_factory=dict)  # canonical name -> sha256s
    options: tuple[RequirementFileOption, ...] = ()  # index options, in pip's reading order

    def option_lines(self) -> list[str]:
        """The index options as requirement-file lines (for the vetted requirements file)."""
        return [option.as_line() for option in self.options]


def read_requirement_files(files: Iterable[str | Path]) -> RequirementFiles:
    """Read requirement files (and the files they include) as pip would."""
    hashes: dict[str, set[str]] = {}
    options: list[RequirementFileOption] = []
    for file in files:
        if is_remote(str(file)):
            continue
        for entry in read_requirements_file(Path(file), read_constraints=True):
            if entry.option is not None:
                if entry.option.name in _INDEX_OPTIONS:
                    options.append(entry.option)
                continue
            name = _project_name(entry) if entry.hashes else None
            if name is not None:
                hashes.setdefault(name, set()).update(entry.hashes)
    return RequirementFiles(
        hashes={name: frozenset(values) for name, values in hashes.items()},
        options=tuple(options),
    )


def pinned_hashes(files: Iterable[str | Path]) -> dict[str, set[str]]:
    """``{canonical name: {sha256, ...}}`` pinned with ``--hash`` in these requirement files."""
    return {name: set(values) for name, values in read_requirement_files(files).hashes.items()}


def requested_names(requirements: Iterable[str], files: Iterable[str | Path]) -> set[str]:
    """The canonical names of the projects asked for on the command line (``requirements``)
    and in requirement ``files`` (remote files are not read); unreadable entries are skipped."""
    names: set[str] = set()
    for text in requirements:
        try:
            names.add(canonicalize_name(Requirement(text).name))
        except InvalidRequirement:
            name = _project_name(RequirementFileEntry(Path("."), 0, requirement=text))
            names.update([name] if name else [])
    for file in files:
        if is_remote(str(file)):
            continue
        for entry in read_requirements_file(Path(file), read_constraints=False):
            name = _project_name(entry) if entry.requirement else None
            names.update([name] if name else [])
    return names


def _project_name(entry: RequirementFileEntry) -> str | None:
    """The canonical project name of a requirement, a wheel/sdist path or an ``#egg=`` URL."""
    if entry.parsed is not None:
        return canonicalize_name(entry.parsed.name)
    location = entry.requirement or ""
    egg = _EGG_FRAGMENT.search(location)
    if egg:
        return canonicalize_name(egg.group(1))
    filename = filename_from_url(location.split(";", 1)[0].strip()) or ""
    try:
        return canonicalize_name(parse_wheel_filename(filename)[0])
    except InvalidWheelFilename:
        pass
    try:
        return canonicalize_name(parse_sdist_filename(filename)[0])
    except InvalidSdistFilename:
        return None
