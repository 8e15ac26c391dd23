"""OSV affected-version semantics for the PyPI ecosystem, using ``packaging.version``.

A version is affected when it is listed in an advisory's ``versions`` or falls inside one
of its ECOSYSTEM ranges. A range is a list of events evaluated in version order:
``introduced`` opens it (``"0"`` means "since forever"), ``fixed`` closes it before the
fixed version, ``last_affected`` closes it after that version, and ``limit`` caps the
whole range (``"*"`` = no cap). Events whose version cannot be parsed are skipped.
"""

from __future__ import annotations

import bisect
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


def is_affected(
    version: str, ranges: Iterable[Range | PreparedRange], versions: Container[str]
) -> bool:
    """Whether ``version`` is affected.

    ``versions`` must hold normalized versions (see ``normalize_version``); an unparsable
    installed version can only match that list by exact string. ``ranges``: as the record
    gives them, or prepared once (``prepare_range``) when many versions are asked about.
    """
    if version in versions or normalize_version(version) in versions:
        return True
    parsed = parse_version(version)
    if parsed is None:
        return False
    return any(_in_range(parsed, events) for events in ranges)


def first_fixed(
    version: str, ranges: Iterable[Range | PreparedRange], versions: Container[str]
) -> str | None:
    """The first fixed version above ``version`` that is itself not affected, if any.

    This is the "first safe version" to upgrade to; ``None`` when no fix is known.
    """
    parsed = parse_version(version)
    if parsed is None:
        return None
    range_list = [prepare_range(events) for events in ranges]
    candidates: list[tuple[Version, str]] = []
    for prepared in range_list:
        for fixed, text in prepared.fixed:
            if fixed > parsed:
                candidates.append((fixed, text))
    for _, fixed_text in sorted(candidates):
        if not is_affected(fixed_text, range_list, versions):
            return fixed_text
    return None


@dataclass(frozen=True)
class PreparedRange:
    """One ECOSYSTEM range with its event versions parsed once (unparsable ones dropped)."""

    opened_forever: bool  # an ``introduced: "0"`` event
    unlimited: bool  # a ``limit: "*"`` event
    unreadable_ends: bool  # it has fixed/last_affected ends and none of them parses
    introduced: tuple[Version, ...]
    fixed: tuple[tuple[Version, str], ...]  # (parsed, as written)
    last_affected: tuple[Version, ...]
    limits: tuple[Version, ...]


def prepare_range(events: Range | PreparedRange) -> PreparedRange:
    if isinstance(events, PreparedRange):
        return events
    introduced: list[Version] = []
    fixed: list[tuple[Version, str]] = []
    last_affected: list[Version] = []
    limits: list[Version] = []
    opened_forever = unlimited = False
    ends = readable_ends = 0
    for event in events:
        if event.kind == INTRODUCED and event.version == "0":
            opened_forever = True
            continue
        if event.kind == LIMIT and event.version == "*":
            unlimited = True
            continue
        bound = parse_version(event.version)
        if event.kind in (FIXED, LAST_AFFECTED):
            ends += 1
            readable_ends += bound is not None
        if bound is None:
            continue  # unusable event: skip it, never crash
        if event.kind == INTRODUCED:
            introduced.append(bound)
        elif event.kind == FIXED:
            fixed.append((bound, event.version))
        elif event.kind == LAST_AFFECTED:
            last_affected.append(bound)
        elif event.kind == LIMIT:
            limits.append(bound)
    return PreparedRange(
        opened_forever=opened_forever,
        unlimited=unlimited,
        unreadable_ends=ends > 0 and readable_ends == 0,
        introduced=tuple(introduced),
        fixed=tuple(fixed),
        last_affected=tuple(last_affected),
        limits=tuple(limits),
    )


def affected_spans(
    sorted_versions: Sequence[Version], events: Range | PreparedRange
) -> list[tuple[int, int]]:
    """The positions of ``sorted_versions`` (ascending) that the range affects, as
    ``[start, end)`` spans: for each position the same answer as ``_in_range``, from one walk
    over the range's events (each placed by bisection) instead of one evaluation per version.

    Every event fires from one position on (``introduced``/``fixed``: versions ``>=`` it;
    ``last_affected``: versions ``>`` it), so between two such positions the state of the
    walk, and the answer, is the same; ``limit`` keeps the positions below the highest one.
    """
    prepared = prepare_range(events)
    if prepared.unreadable_ends or not sorted_versions:
        return []
    cap = len(sorted_versions)
    if prepared.limits and not prepared.unlimited:
        cap = bisect.bisect_left(sorted_versions, max(prepared.limits))
    placed: list[tuple[int, bool, Version]] = []  # (first position it fires at, opens?, bound)
    for bound in prepared.introduced:
        placed.append((bisect.bisect_left(sorted_versions, bound), True, bound))
    for bound, _ in prepared.fixed:
        placed.append((bisect.bisect_left(sorted_versions, bound), False, bound))
    for bound in prepared.last_affected:
        placed.append((bisect.bisect_right(sorted_versions, bound), False, bound))
    placed.sort(key=lambda event: event[0])
    spans: list[tuple[int, int]] = []
    newest_opening: Version | None = None
    newest_closing: Version | None = None
    start = 0
    position = 0
    while start < cap:
        while position < len(placed) and placed[position][0] <= start:
            _, opens, bound = placed[position]
            if opens:
                newest_opening = bound if newest_opening is None else max(newest_opening, bound)
            else:
                newest_closing = bound if newest_closing is None else max(newest_closing, bound)
            position += 1
        end = min(cap, placed[position][0]) if position < len(placed) else cap
        if newest_closing is None:
            affected = newest_opening is not None or prepared.opened_forever
        else:
            affected = newest_opening is not None and newest_opening > newest_closing
        if affected and end > start:
            if spans and spans[-1][1] == start:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        start = end
    return spans


def _in_range(version: Version, events: Range | PreparedRange) -> bool:
    """OSV's "walk the events in version order", without sorting.

    After the ordered walk the state is set by the last event that fires for ``version``
    (``introduced <= version``, ``fixed <= version``, ``last_affected < version``), and at
    equal versions an opening event sorts before a closing one. So ``version`` is affected
    iff some introduced event fires and it is strictly above every closing event that fires.
    """
    prepared = prepare_range(events)
    if prepared.unreadable_ends:
        # A range whose every end is unreadable (e.g. a date as "fixed") would match every
        # later version; PyPI records also list the affected versions explicitly, so such a
        # range is left to that list.
        return False
    if (
        prepared.limits
        and not prepared.unlimited
        and not any(version < limit for limit in prepared.limits)
    ):
        return False
    fired = [bound for bound in prepared.introduced if version >= bound]
    if not fired and not prepared.opened_forever:
        return False
    closed = [bound for bound, _ in prepared.fixed if version >= bound]
    closed += [bound for bound in prepared.last_affected if version > bound]
    if not closed:
        return True
    return bool(fired) and max(fired) > max(closed)
