"""Read a requirements file as a lock: exact pins with hashes are taken as they are.

A line ``name==version --hash=sha256:...`` is a complete pin and needs no resolver. Every
other requirement (ranges, unpinned names, pins without a hash, URLs, paths, editables) is
collected in ``LockFile.unresolved``; when all of them are exact pins (``exact_pins``) the
file is checked as written, else ``lockfiles.check`` has pip's dry run resolve them for the
target interpreter, with the complete pins as constraints.

The file is read by ``requirements_file`` (nested ``-r`` files included; ``-c`` files are
passed on to the resolver); its index options are kept for the resolver.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from safe_pip.errors import UsageError
from safe_pip.producers.lockfiles.model import LockedArtifact, LockedPackage, LockFile, LockKind
from safe_pip.producers.requirements_file import RequirementFileEntry, read_requirements_file

_INDEX_URLS = ("--index-url", "--extra-index-url")
_NESTED_FILES = ("--requirement", "--constraint")
_NOT_FOR_RESOLVER = (*_NESTED_FILES, "--editable")


def read_requirements(path: Path) -> LockFile:
    entries = read_requirements_file(path, read_constraints=False)
    options = [entry.option for entry in entries if entry.option is not None]
    pinned: list[LockedPackage] = []
    unresolved: list[str] = []
    exact_pins: list[LockedPackage] = []
    constraint_files: list[Path] = []
    for entry in entries:
        option = entry.option
        if option is None:
            package = _complete_pin(entry)
            if package is None:
                unresolved.append(entry.requirement or "")  # a range, an unhashed pin, a URL
                exact_pin = _unhashed_pin(entry)
                if exact_pin is not None:
                    exact_pins.append(exact_pin)
            else:
                pinned.append(package)
        elif option.name == "--editable":
            unresolved.append(f"-e {shlex.quote(option.value or '')}")
        elif option.name in _NESTED_FILES:
            nested = _local_file(entry)  # the entries of a -r file follow this one
            if option.name == "--constraint":
                constraint_files.append(nested)
    return LockFile(
        path=path,
        kind=LockKind.REQUIREMENTS,
        packages=tuple(pinned),
        index_urls=tuple(dict.fromkeys(o.value or "" for o in options if o.name in _INDEX_URLS)),
        unresolved=tuple(unresolved),
        resolver_options=tuple(o.as_line() for o in options if o.name not in _NOT_FOR_RESOLVER),
        constraint_files=tuple(constraint_files),
        exact_pins=tuple(exact_pins),
    )


def _complete_pin(entry: RequirementFileEntry) -> LockedPackage | None:
    """The package of an exact ``==`` pin with hashes; None for anything a resolver must pin."""
    requirement = entry.parsed
    version = None if requirement is None else _exact_version(requirement)
    if requirement is None or version is None or not entry.hashes:
        return None
    return LockedPackage(
        name=canonicalize_name(requirement.name),
        version=version,
        artifacts=tuple(LockedArtifact(None, None, h) for h in entry.hashes),
        pinned_hashes=entry.hashes,
        extras=tuple(sorted(requirement.extras)),
    )


def _unhashed_pin(entry: RequirementFileEntry) -> LockedPackage | None:
    """The package of an exact ``==`` pin without hashes and without an environment marker
    (which might exclude it from the target), else None."""
    requirement = entry.parsed
    if requirement is None or requirement.marker is not None:
        return None
    version = _exact_version(requirement)
    if version is None:
        return None
    return LockedPackage(
        name=canonicalize_name(requirement.name),
        version=version,
        extras=tuple(sorted(requirement.extras)),
    )


def _local_file(entry: RequirementFileEntry) -> Path:
    """The file a ``-r``/``-c`` entry names; remote ones are not read (nor checked)."""
    nested = entry.included_file
    if nested is None:
        raise UsageError(f"{entry.location}: remote requirements files cannot be checked")
    return nested


def _exact_version(requirement: Requirement) -> str | None:
    """The version of an exact ``==`` pin (no wildcard), else None."""
    if requirement.url:
        return None
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1:
        return None
    only = specifiers[0]
    if only.operator not in ("==", "===") or only.version.endswith(".*"):
        return None
    return only.version
