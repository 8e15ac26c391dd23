"""OSV affected-version semantics for the PyPI ecosystem, using ``packaging.version``.

A version is affected when it is listed in an advisory's ``versions`` or falls inside one
of its ECOSYSTEM ranges. A range is a list of events evaluated in version order:
``introduced`` opens it (``"0"`` means "since forever"), ``fixed`` closes it before the
fixed version, ``last_affected`` closes it after that version, and ``limit`` caps the
whole range (``"*"`` = no cap). Events whose version cannot be parsed are skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version

INTRODUCED = "introduced"
FIXED = "fixed"
LAST_AFFECTED = "last_affected"
LIMIT = "limit"
EVENT_KINDS = (INTRODUCED, FIXED, LAST_AFFECTED, LIMIT)


@dataclass(frozen=True)
class RangeEvent:
    """One event of an ECOSYSTEM range, e.g. ``RangeEvent("fixed", "2.20.0")``."""

    kind: str
    version: str


Range = Sequence[RangeEvent]


@functools.lru_cache(maxsize=8192)
def parse_version(text: str) -> Version | None:
    """``Version(text)``, or ``None`` if it is not a valid PEP 440 version."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


@functools.lru_cache(maxsize=8192)
def normalize_version(text: str) -> str:
    """A comparison key: equal for equal versions (``"1.0"``, ``"1.0.0"`` -> ``"1"``).

    Unparsable versions are kept as they are (they can only match by exact string).
    """
    return canonicalize_version(text) if parse_version(text) is not None else text


def is_affected(version: str, ranges: Iterable[Range], versions: Container[str]) -> bool:
    """Whether ``version`` is affected.

    ``versions`` must hold normalized versions (see ``normalize_version``); an unparsable
    installed version can only match that list by exact string.
    """
    if version in versions or normalize_version(version) in versions:
        return True
    parsed = parse_version(version)
    if parsed is None:
        return False
    return any(_in_range(parsed, events) for events in ranges)


def first_fixed(version: str, ranges: Iterable[Range], versions: Container[str]) -> str | None:
    """The first fixed version above ``version`` that is itself not affected, if any.

    This is the "first safe version" to upgrade to; ``None`` when no fix is known.
    """
    parsed = parse_version(version)
    if parsed is None:
        return None
    range_list = list(ranges)
    candidates: list[tuple[Version, str]] = []
    for events in range_list:
        for event in events:
            fixed = parse_version(event.version) if event.kind == FIXED else None
            if fixed is not None and fixed > parsed:
                candidates.append((fixed, event.version))
    for _, fixed_text in sorted(candidates):
        if not is_affected(fixed_text, range_list, versions):
            return fixed_text
    return None


def _in_range(version: Version, events: Range) -> bool:
    """OSV's "walk the events in version order", without sorting.

    After the ordered walk the state is set by the last event that fires for ``version``
    (``introduced <= version``, ``fixed <= version``, ``last_affected < version``), and at
    equal versions an opening event sorts before a closing one. So ``version`` is affected
    iff some introduced event fires and it is strictly above every closing event that fires.
    """
    if _only_unreadable_ends(events):
        # A range whose every end is unreadable (e.g. a date as "fixed") would match every
        # later version; PyPI records also list the affected versions explicitly, so such a
        # range is left to that list.
        return False
    opened = unlimited = False
    opened_at: Version | None = None  # stays None for introduced "0" (minus infinity)
    closed_at: Version | None = None  # the highest closing event that fires, if any
    limits: list[Version] = []
    for event in events:
        if event.kind == INTRODUCED and event.version == "0":
            opened = True
            continue
        if event.kind == LIMIT and event.version == "*":
            unlimited = True
            continue
        bound = parse_version(event.version)
        if bound is None:
            continue  # unusable event: skip it, never crash
        if event.kind == LIMIT:
            limits.append(bound)
        elif event.kind == INTRODUCED and version >= bound:
            opened = True
            opened_at = bound if opened_at is None else max(opened_at, bound)
        elif _closes_range(event.kind, bound, version):
            closed_at = bound if closed_at is None else max(closed_at, bound)
    if limits and not unlimited and not any(version < limit for limit in limits):
        return False
    if not opened:
        return False
    if closed_at is None:
        return True
    return opened_at is not None and opened_at > closed_at


def _only_unreadable_ends(events: Range) -> bool:
    ends = [e.version for e in events if e.kind in (FIXED, LAST_AFFECTED)]
    return bool(ends) and all(parse_version(end) is None for end in ends)


def _closes_range(kind: str, bound: Version, version: Version) -> bool:
    """Whether a ``fixed``/``last_affected`` event at ``bound`` leaves ``version`` outside."""
    if kind == FIXED:
        return version >= bound
    return kind == LAST_AFFECTED and version > bound
