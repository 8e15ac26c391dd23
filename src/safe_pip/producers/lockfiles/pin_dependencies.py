"""A file of exact pins is checked as written: which pins pull in what it does not pin?

Each pin's dependencies are read from the core metadata its index serves for one of its
wheels (PEP 658 ``.metadata``; no wheel is downloaded, nothing is built, pip does not run),
with environment markers evaluated for the target environment and the pin's extras. A
dependency the file does not pin, or pins at a version the requirement excludes, is named
in a note: it was not checked. So is a pin whose dependencies could not be read (no wheel,
or no metadata served).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from safe_pip.index.settings import IndexSettings
from safe_pip.models import PlanItem
from safe_pip.producers.lockfiles.model import LockedPackage, LockFile

_LISTED_AT_MOST = 10


def unpinned_dependency_notes(
    lock: LockFile,
    items: Sequence[PlanItem],
    settings: IndexSettings | None,
    environment: Mapping[str, str] | None,
) -> list[str]:
    """Notes on the pins of ``lock`` (checked as written) whose dependencies it does not
    pin, and on those whose dependencies could not be read; ``items``: the plan with the
    files the index publishes for each pin; ``environment``: marker values of the target
    (None: this interpreter's)."""
    from safe_pip.index.metadata import fetch_core_metadata, requires_dist

    pins = [*lock.packages, *lock.exact_pins]
    pinned: dict[str, set[str]] = {}
    for pin in pins:
        pinned.setdefault(pin.name, set()).add(pin.version)
    wheels = _one_wheel_each(items)
    metadata = fetch_core_metadata(list(wheels.values()), settings)
    missing: list[str] = []
    unpinned: list[str] = []
    for pin in lock.exact_pins:
        url = wheels.get((pin.name, pin.version))
        found = metadata.get(url) if url is not None else None
        if found is None:
            missing.append(f"{pin.name}=={pin.version}")
            continue
        needed = _needed(requires_dist(found), pin, environment or _own_environment())
        outside = [text for name, text in needed if not _pinned_within(name, text, pinned)]
        if outside:
            unpinned.append(f"{pin.name}=={pin.version} requires {', '.join(outside)}")
    notes = []
    if unpinned:
        notes.append(
            f"{lock.path} does not pin these dependencies, so they were not checked: "
            f"{_listed(unpinned, '; ')} (pin them, as pip freeze does)"
        )
    if missing:
        notes.append(
            f"dependencies of {_listed(missing, ', ')} not checked: the index serves no "
            "wheel metadata for them (PEP 658), and a file of exact pins is not resolved"
        )
    return notes


def _one_wheel_each(items: Sequence[PlanItem]) -> dict[tuple[str, str], str]:
    """(name, version) -> the URL of one wheel the index publishes for it (a pure-Python
    wheel when there is one: its metadata names every platform's dependencies alike)."""
    chosen: dict[tuple[str, str], str] = {}
    for item in items:
        if not item.filename or not item.url or not item.filename.endswith(".whl"):
            continue
        key = (item.name, item.version)
        if key not in chosen or item.filename.endswith("-none-any.whl"):
            chosen[key] = item.url
    return chosen


def _needed(
    lines: Sequence[str], pin: LockedPackage, environment: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(name, requirement as written) for each dependency the target needs."""
    needed: list[tuple[str, str]] = []
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            needed.append(("", line))  # unreadable: named, never silently dropped
            continue
        if requirement.marker is not None and not _applies(requirement, pin, environment):
            continue
        text = str(requirement).split(";")[0].strip()
        needed.append((canonicalize_name(requirement.name), text))
    return needed


def _applies(requirement: Requirement, pin: LockedPackage, environment: Mapping[str, str]) -> bool:
    assert requirement.marker is not None
    for extra in ("", *pin.extras):
        try:
            if requirement.marker.evaluate({**environment, "extra": extra}):
                return True
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return True  # cannot tell: named
    return False


def _pinned_within(name: str, text: str, pinned: Mapping[str, set[str]]) -> bool:
    versions = pinned.get(name)
    if not versions:
        return False
    specifier = Requirement(text).specifier
    return any(specifier.contains(version, prereleases=True) for version in versions)


def _listed(entries: Sequence[str], separator: str) -> str:
    shown = separator.join(entries[:_LISTED_AT_MOST])
    more = len(entries) - _LISTED_AT_MOST
    return f"{shown}{separator}and {more} more" if more > 0 else shown


def _own_environment() -> dict[str, str]:
    from packaging.markers import default_environment

    return {key: str(value) for key, value in default_environment().items()}
