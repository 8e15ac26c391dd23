"""CVSS v3.0 / v3.1 base score from a vector string (FIRST specification, section 7).

Anything else (CVSS v2, v4, a malformed vector) gives ``None``: a missing score is
reported as unknown, never guessed.
"""

from __future__ import annotations

import math

_ATTACK_VECTOR = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_ATTACK_COMPLEXITY = {"L": 0.77, "H": 0.44}
_PRIVILEGES_UNCHANGED = {"N": 0.85, "L": 0.62, "H": 0.27}
_PRIVILEGES_CHANGED = {"N": 0.85, "L": 0.68, "H": 0.5}
_USER_INTERACTION = {"N": 0.85, "R": 0.62}
_SCOPE = ("U", "C")
_IMPACT = {"H": 0.56, "L": 0.22, "N": 0.0}
_BASE_METRICS = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")
_PREFIXES = {"CVSS:3.0": "3.0", "CVSS:3.1": "3.1"}


def base_score(vector: str) -> float | None:
    """The base score (0.0-10.0) of a CVSS v3.x vector, or ``None`` if it is not one."""
    parsed = _parse_vector(vector)
    if parsed is None:
        return None
    version, metrics = parsed
    scope_changed = metrics["S"] == "C"
    privileges = _PRIVILEGES_CHANGED if scope_changed else _PRIVILEGES_UNCHANGED
    impact_subscore = 1 - (
        (1 - _IMPACT[metrics["C"]]) * (1 - _IMPACT[metrics["I"]]) * (1 - _IMPACT[metrics["A"]])
    )
    if scope_changed:
        impact = 7.52 * (impact_subscore - 0.029) - 3.25 * (impact_subscore - 0.02) ** 15
    else:
        impact = 6.42 * impact_subscore
    exploitability = (
        8.22
        * _ATTACK_VECTOR[metrics["AV"]]
        * _ATTACK_COMPLEXITY[metrics["AC"]]
        * privileges[metrics["PR"]]
        * _USER_INTERACTION[metrics["UI"]]
    )
    if impact <= 0:
        return 0.0
    total = impact + exploitability
    if scope_changed:
        total *= 1.08
    return _roundup(min(total, 10.0), version)


def _parse_vector(vector: str) -> tuple[str, dict[str, str]] | None:
    if not isinstance(vector, str):
        return None
    prefix, _, rest = vector.strip().partition("/")
    version = _PREFIXES.get(prefix.upper())
    if version is None or not rest:
        return None
    metrics: dict[str, str] = {}
    for part in rest.split("/"):
        key, sep, value = part.partition(":")
        if not sep or not key or not value or key in metrics:
            return None
        metrics[key] = value  # temporal/environmental metrics are kept but not used
    if not all(key in metrics for key in _BASE_METRICS):
        return None
    valid = (
        metrics["AV"] in _ATTACK_VECTOR
        and metrics["AC"] in _ATTACK_COMPLEXITY
        and metrics["PR"] in _PRIVILEGES_UNCHANGED
        and metrics["UI"] in _USER_INTERACTION
        and metrics["S"] in _SCOPE
        and all(metrics[key] in _IMPACT for key in ("C", "I", "A"))
    )
    return (version, metrics) if valid else None


def _roundup(value: float, version: str) -> float:
    """Smallest one-decimal number >= value (v3.1 avoids floating point artefacts)."""
    if version == "3.0":
        return math.ceil(value * 10) / 10
    as_int = round(value * 100_000)
    if as_int % 10_000 == 0:
        return as_int / 100_000
    return (math.floor(as_int / 10_000) + 1) / 10.0
