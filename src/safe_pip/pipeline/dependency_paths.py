"""Which requested package pulls a dependency into a plan (``idna==2.7 via requests==2.19.0``).

Producers that know the plan's dependency edges (pip's report: each distribution's
``Requires-Dist``) hand them to :func:`attach_required_by`; reports then name, for every
finding on a dependency, the requirements that brought it in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from safe_pip.models import PlanItem


def attach_required_by(
    items: Sequence[PlanItem], edges: Mapping[str, Iterable[str]]
) -> list[PlanItem]:
    """``items`` with ``required_by`` set on every dependency reachable from a requested item.

    ``edges``: normalized name -> normalized names it depends on (edges to names outside the
    plan are ignored)."""
    by_name = {item.name: item for item in items}
    roots: dict[str, list[str]] = {}
    for root in items:
        if not root.requested:
            continue
        seen = {root.name}
        pending = [root.name]
        while pending:
            for child in edges.get(pending.pop(), ()):
                if child in by_name and child not in seen:
                    seen.add(child)
                    pending.append(child)
                    roots.setdefault(child, []).append(root.spec)
    return [
        replace(item, required_by=tuple(sorted(set(roots[item.name]))))
        if item.name in roots and not item.requested
        else item
        for item in items
    ]


def requirement_names(
    requires_dist: Iterable[object],
    environment: Mapping[str, str] | None,
    extras: Iterable[str] = (),
) -> list[str]:
    """The normalized names ``Requires-Dist`` entries ask for in ``environment`` (marker
    values, as pip's report records them) with ``extras``; unreadable entries are skipped."""
    return [
        canonicalize_name(requirement.name)
        for requirement in requirements_in_effect(requires_dist, environment, extras)
    ]


def requirements_in_effect(
    requires_dist: Iterable[object],
    environment: Mapping[str, str] | None,
    extras: Iterable[str] = (),
) -> list[Requirement]:
    """The ``Requires-Dist`` entries whose markers hold in ``environment`` with ``extras``
    (unreadable entries are skipped). A plan's entries are asked about several times (its
    dependency edges, the specifiers on each name, the report): each distinct question is
    answered once per process."""
    texts = tuple(text for text in requires_dist if isinstance(text, str))
    question = (texts, tuple(sorted((environment or {}).items())), tuple(extras))
    try:
        return list(_in_effect(*question))
    except TypeError:  # a marker value that is not text (a hostile report): no caching
        return list(_in_effect.__wrapped__(*question))


@functools.lru_cache(maxsize=2048)
def _in_effect(
    texts: tuple[str, ...], environment: tuple[tuple[str, str], ...], extras: tuple[str, ...]
) -> tuple[Requirement, ...]:
    wanted_extras = [""] + [canonicalize_name(extra) for extra in extras]
    values = dict(environment)
    in_effect: list[Requirement] = []
    for text in texts:
        requirement = _parsed(text)
        if requirement is None:
            continue
        if requirement.marker is None or any(
            _marker_holds(requirement, values, extra) for extra in wanted_extras
        ):
            in_effect.append(requirement)
    return tuple(in_effect)


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Requirement | None:
    """``text`` read as a requirement, or None; shared, so never changed by a caller."""
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _marker_holds(
    requirement: Requirement, environment: Mapping[str, str] | None, extra: str
) -> bool:
    assert requirement.marker is not None
    values = {**(environment or {}), "extra": extra}
    try:
        return requirement.marker.evaluate(values)
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return False
