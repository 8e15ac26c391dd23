"""The OSV schema's evaluation algorithm, written as plainly as its pseudocode, as an oracle.

From the OSV schema ("Evaluation"): a version is affected when it is in ``versions`` or in
one of the ranges; a range counts only when the version is below one of its ``limit`` events
(no limit event: an implicit ``"*"``, infinity); then the events are walked in version order
with ``vulnerable = False``: ``introduced <= v`` sets it, ``fixed <= v`` clears it,
``last_affected < v`` clears it. ``introduced: "0"`` sorts before every version.

What the spec leaves open, and how safe-pip (``advisories/version_match.py``) settles it,
stated here once so the property tests compare like with like:

- versions are PEP 440 (``packaging.version``); an event whose version does not parse is
  skipped, and a version that does not parse is in no range;
- equal versions (``1.0`` and ``1.0.0``) sort together, an opening event before a closing one;
- unknown event kinds are skipped; only the exact ``limit: "*"`` is infinity;
- one deliberate deviation: a range that has ``fixed``/``last_affected`` events none of which
  parses (a date written as ``fixed``) is left to the ``versions`` list, not read as "affected
  forever".

Deliberately slow and simple: it sorts every time and shares no code with safe-pip.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from packaging.version import InvalidVersion, Version

Event = tuple[str, str]  # (kind, version as written)


def parsed(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def is_affected(version: str, ranges: Sequence[Sequence[Event]], versions: Collection[str]) -> bool:
    return listed(version, versions) or any(in_range(version, events) for events in ranges)


def listed(version: str, versions: Collection[str]) -> bool:
    mine = parsed(version)
    for other in versions:
        if other == version:
            return True
        theirs = parsed(other)
        if mine is not None and theirs is not None and mine == theirs:
            return True
    return False


def in_range(version: str, events: Sequence[Event]) -> bool:
    v = parsed(version)
    if v is None:
        return False
    ends = [text for kind, text in events if kind in ("fixed", "last_affected")]
    if ends and all(parsed(text) is None for text in ends):
        return False  # the deviation above
    if not before_limits(v, events):
        return False
    vulnerable = False
    for kind, text in sorted(_walked(events), key=_order):
        bound = parsed(text)
        if kind == "introduced" and (text == "0" or (bound is not None and v >= bound)):
            vulnerable = True
        elif kind == "fixed" and bound is not None and v >= bound:  # noqa: SIM114 (the spec's shape)
            vulnerable = False
        elif kind == "last_affected" and bound is not None and v > bound:
            vulnerable = False
    return vulnerable


def before_limits(v: Version, events: Sequence[Event]) -> bool:
    limits = [text for kind, text in events if kind == "limit"]
    readable = [text for text in limits if text == "*" or parsed(text) is not None]
    if not readable:
        return True  # the implicit "*"
    for text in readable:
        bound = parsed(text)
        if text == "*" or (bound is not None and v < bound):
            return True
    return False


def _walked(events: Sequence[Event]) -> list[Event]:
    kinds = ("introduced", "fixed", "last_affected")
    return [
        (kind, text)
        for kind, text in events
        if kind in kinds and ((kind == "introduced" and text == "0") or parsed(text) is not None)
    ]


def _order(event: Event) -> tuple[int, Version, int]:
    kind, text = event
    opening = 0 if kind == "introduced" else 1
    if kind == "introduced" and text == "0":
        return (0, Version("0"), opening)  # before every version
    bound = parsed(text)
    assert bound is not None
    return (1, bound, opening)
