"""The severity of an OSV record: a CVSS base score, from the newest CVSS version present.

Vectors are scored by the ``cvss`` library (FIRST's CVSS v2, v3.0/3.1 and v4.0 formulas),
imported only while a database is built. Among a record's ``severity`` entries the newest
CVSS version wins (v4 over v3 over v2) and, within it, the highest score. A record without
any vector falls back to GitHub's ``database_specific.severity`` label, scored as the lower
bound of its CVSS band so that ``min-severity`` means the same for every record. Nothing
usable gives ``None``: a missing score is reported as unknown, never guessed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

# OSV severity type -> (preference, vector prefix it must carry)
_VECTOR_TYPES: Mapping[str, tuple[int, str]] = {
    "CVSS_V4": (4, "CVSS:4.0/"),
    "CVSS_V3": (3, "CVSS:3."),
    "CVSS_V2": (2, ""),
}
# GitHub advisory severity labels -> the lowest CVSS score of that band (FIRST's rating scale)
_LABEL_SCORES: Mapping[str, float] = {
    "LOW": 0.1,
    "MODERATE": 4.0,
    "MEDIUM": 4.0,
    "HIGH": 7.0,
    "CRITICAL": 9.0,
}


@functools.lru_cache(maxsize=4096)  # exports repeat the same vectors many times
def base_score(vector: str, osv_type: str | None = None) -> float | None:
    """The base score (0.0-10.0) of a CVSS v2, v3.x or v4.0 vector, or ``None``.

    ``osv_type`` (``CVSS_V2``...) says which version a prefix-less vector is; without it
    only prefixed (v3, v4) vectors are scored."""
    if not isinstance(vector, str) or not vector.strip():
        return None
    from cvss import CVSS2, CVSS3, CVSS4, CVSSError

    text = vector.strip()
    try:
        if text.upper().startswith("CVSS:4.0/"):
            return float(CVSS4(text).base_score)
        if text.upper().startswith(("CVSS:3.0/", "CVSS:3.1/")):
            return float(CVSS3(text).scores()[0])
        if osv_type == "CVSS_V2" and not text.upper().startswith("CVSS:"):
            return float(CVSS2(text).scores()[0])
    except (CVSSError, KeyError, ValueError, IndexError, TypeError):
        return None
    return None


def record_severity(
    entries: Iterable[object], database_specific: Iterable[object] = ()
) -> float | None:
    """The severity of one record from its ``severity`` entries (record and affected level)
    and its ``database_specific`` objects (GitHub's label), as described above."""
    scored: list[tuple[int, float]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        kind, vector = entry.get("type"), entry.get("score")
        if not isinstance(kind, str) or kind not in _VECTOR_TYPES or not isinstance(vector, str):
            continue
        preference, prefix = _VECTOR_TYPES[kind]
        if not vector.strip().upper().startswith(prefix.upper()):
            continue
        score = base_score(vector, kind)
        if score is not None:
            scored.append((preference, score))
    if scored:
        newest = max(preference for preference, _ in scored)
        return max(score for preference, score in scored if preference == newest)
    labels = [
        _LABEL_SCORES[value.strip().upper()]
        for specific in database_specific
        if isinstance(specific, dict)
        for value in (specific.get("severity"),)
        if isinstance(value, str) and value.strip().upper() in _LABEL_SCORES
    ]
    return max(labels) if labels else None
