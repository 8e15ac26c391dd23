"""ISO 8601 timestamps as indexes, lock files and OSV records write them.

``parse_timestamp`` reads ``2024-05-06T07:08:09Z``, ``...09.123456Z`` or ``...+02:00``
forms as timezone-aware UTC; ``timestamp_text`` writes one fixed-width UTC form that sorts
as text (the advisory database compares ``modified`` times in SQL).
"""

from __future__ import annotations

from datetime import datetime, timezone


def parse_timestamp(text: str | None) -> datetime | None:
    """``text`` as timezone-aware UTC; None when missing or unreadable (naive means UTC)."""
    if not text:
        return None
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def timestamp_text(moment: datetime) -> str:
    """``2024-05-06T07:08:09.000000Z``: UTC, microseconds, sortable as text."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
