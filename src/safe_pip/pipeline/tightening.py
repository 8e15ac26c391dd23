"""Which configuration values loosen a policy: one rule per key, in one table.

Two layers may only make the policy stricter: a project's ``[tool.safe-pip]`` that the user
has not trusted (``safe-pip trust``), and any layer after the administrator's policy file
for the keys that file lists in ``locked`` (the command line included). For those, a value
that *loosens* the policy built so far is dropped and named in one warning line.

``LOOSENS[key](current, proposed)`` says whether ``proposed`` would be looser than
``current`` for that TOML key (values as ``pipeline.config`` parses them). A new key MUST
get a rule here (``tests/test_policy_trust.py`` checks that every key has one): "looser"
means fewer blocks, later or fewer warnings, longer waits, more exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from safe_pip.models import Action
from safe_pip.pipeline.policy import FailMode


def _opens(current: object, proposed: object) -> bool:
    """fail-mode: "open" is looser than "closed"."""
    return current is FailMode.CLOSED and proposed is FailMode.OPEN


def _block_to_warn(current: object, proposed: object) -> bool:
    """Category actions: "warn" is looser than "block"."""
    return current is Action.BLOCK and proposed is Action.WARN


_ACTION_STRICTNESS = {Action.IGNORE: 0, Action.WARN: 1, Action.BLOCK: 2}


def _weaker_action(current: object, proposed: object) -> bool:
    """Actions with an "ignore" choice (unknown-upload-time): ignore < warn < block."""
    assert isinstance(current, Action) and isinstance(proposed, Action)
    return _ACTION_STRICTNESS[proposed] < _ACTION_STRICTNESS[current]


def _shorter(current: object, proposed: object) -> bool:
    """min-release-age: a shorter cooldown lets newer (unvetted) releases in; 0 is none."""
    assert isinstance(current, timedelta) and isinstance(proposed, timedelta)
    return proposed < current


def _later_or_off(current: object, proposed: object) -> bool:
    """refresh-after, max-malware-age: a longer wait is looser, and 0 (never refresh / no
    limit) is the loosest."""
    assert isinstance(current, timedelta) and isinstance(proposed, timedelta)
    never = timedelta.max
    return (proposed or never) > (current or never)


def _drops_sources(current: object, proposed: object) -> bool:
    """advisory-sources: leaving out a source the policy reads (an empty list means OSV's
    PyPI export) could hide its advisories; adding sources only adds advisories."""
    assert isinstance(current, Sequence) and isinstance(proposed, Sequence)
    default = ("",)  # stands for the default source in both lists
    return any(source not in (proposed or default) for source in (current or default))


def _never(current: object, proposed: object) -> bool:
    """resolve: "avoid" and "block" both install only what policy allows; neither loosens."""
    return False


def _higher(current: object, proposed: object) -> bool:
    """Thresholds and waits: a higher min-severity lets more through, a longer deadline
    waits longer."""
    assert isinstance(current, (int, float)) and isinstance(proposed, (int, float))
    return proposed > current


def _switched_on(current: object, proposed: object) -> bool:
    """warn-only: true is looser than false."""
    return proposed is True and current is not True


def _later_warning(current: object, proposed: object) -> bool:
    """max-db-age-days: more days is looser, and 0 (never warn) is the loosest."""
    assert isinstance(current, int) and isinstance(proposed, int)
    never = float("inf")
    return (proposed or never) > (current or never)


_CONTENTS_STRICTNESS = {"warn": 0, "default": 1, "block": 2}


def _weaker_contents(current: object, proposed: object) -> bool:
    """contents: "warn" < "default" < "block"."""
    return (
        _CONTENTS_STRICTNESS[str(getattr(proposed, "value", proposed))]
        < _CONTENTS_STRICTNESS[str(getattr(current, "value", current))]
    )


def _drops_entries(current: object, proposed: object) -> bool:
    """require-provenance: leaving out a name the policy requires provenance for loosens."""
    assert isinstance(current, Sequence) and isinstance(proposed, Sequence)
    return any(entry not in proposed for entry in current)


def _adds_entries(current: object, proposed: object) -> bool:
    """allow: any package not already allowed loosens. (``ignore`` entries are limited in
    ``config``, not dropped: an untrusted project's ignores apply to vulnerability advisories
    only, so MAL- ids and safe-pip's own check ids need trust.)"""
    assert isinstance(current, Sequence) and isinstance(proposed, Sequence)
    return any(entry not in current for entry in proposed)


def _rebinds(current: object, proposed: object) -> bool:
    """index-for: binding a name to an index it was not bound to can hide dependency
    confusion, so any new or changed binding loosens."""
    assert isinstance(current, Mapping) and isinstance(proposed, Mapping)
    return any(current.get(name) != url for name, url in proposed.items())


LOOSENS: Mapping[str, Callable[[object, object], bool]] = {
    "fail-mode": _opens,
    "vulnerability": _block_to_warn,
    "min-severity": _higher,
    "yanked": _block_to_warn,
    "hash-mismatch": _block_to_warn,
    "unverifiable": _block_to_warn,
    "confusion": _block_to_warn,
    "contents": _weaker_contents,
    "typosquat": _block_to_warn,
    "attestation-dropped": _block_to_warn,
    "require-provenance": _drops_entries,
    "pth-allow": _adds_entries,
    "max-db-age-days": _later_warning,
    "min-release-age": _shorter,
    "unknown-upload-time": _weaker_action,
    "indexes-without-upload-time": _adds_entries,
    "resolve": _never,
    "refresh-after": _later_or_off,
    "max-malware-age": _later_or_off,
    "advisory-sources": _drops_sources,
    "warn-only": _switched_on,
    "request-deadline": _higher,
    "run-deadline": _higher,
    "allow": _adds_entries,
    "index-for": _rebinds,
    "ignore": _adds_entries,
}


def loosens(key: str, current: object, proposed: object) -> bool:
    """Would setting ``key`` to ``proposed`` loosen a policy where it is ``current``?

    An unknown key counts as loosening: fail closed until it has a rule."""
    rule = LOOSENS.get(key)
    return True if rule is None else rule(current, proposed)
