"""OSV affected-version semantics for the PyPI ecosystem, using ``packaging.version``.

A version is affected when it is listed in an advisory's ``versions`` or falls inside one
of its ECOSYSTEM ranges. A range is a list of events evaluated in version order:
``introduced`` opens it (``"0"`` means "since forever"), ``fixed`` closes it before the
fixed version, ``last_affected`` closes it after that version, and ``limit`` caps the
whole range (``"*"`` = no cap). Events whose version cannot be parsed are skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

INTRODUCED = "introduced"
FIXED = "fixed"
LAST_AFFECTED = "last_affected"
LIMIT = "limit"
EVENT_KINDS = (INTRODUCED, FIXED, LAST_AFFECTED, LIMIT)

# Among events at the same version, open before closing: [1.0, fixed 1.0) is empty.
_TIE_ORDER = {INTRODUCED: 0, LAST_AFFECTED: 1, FIXED: 2, LIMIT: 3}


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


def normalize_version(text: str) -> str:
    """The canonical form of a version (``"1.0.0-RC1"`` -> ``"1.0.0rc1"``); unparsable as is."""
    parsed = parse_version(text)
    return str(parsed) if parsed is not None else text


def is_affected(version: str, ranges: Iterable[Range], versions: Collection[str]) -> bool:
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


def first_fixed(version: str, ranges: Iterable[Range], versions: Collection[str]) -> str | None:
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
    ordered: list[tuple[Version | None, int, RangeEvent]] = []
    limits: list[Version] = []
    unlimited = False
    for event in events:
        if event.kind == INTRODUCED and event.version == "0":
            ordered.append((None, _TIE_ORDER[INTRODUCED], event))
            continue
        if event.kind == LIMIT and event.version == "*":
            unlimited = True
            continue
        parsed = parse_version(event.version)
        if parsed is None or event.kind not in _TIE_ORDER:
            continue  # unusable event: skip it, never crash
        if event.kind == LIMIT:
            limits.append(parsed)
        else:
            ordered.append((parsed, _TIE_ORDER[event.kind], event))
    if limits and not unlimited and not any(version < limit for limit in limits):
        return False
    ordered.sort(key=_event_sort_key)
    affected = False
    for event_version, _, event in ordered:
        if event.kind == INTRODUCED:
            if event_version is None or version >= event_version:
                affected = True
        elif event_version is not None:
            if event.kind == FIXED and version >= event_version:
                affected = False
            elif event.kind == LAST_AFFECTED and version > event_version:
                affected = False
    return affected


def _event_sort_key(item: tuple[Version | None, int, RangeEvent]) -> tuple[int, Version, int]:
    event_version, tie, _ = item
    if event_version is None:  # introduced "0": before every version
        return (0, Version("0"), tie)
    return (1, event_version, tie)
