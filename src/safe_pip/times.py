"""Time as safe-pip reads and writes it.

Timestamps (ISO 8601, as indexes, lock files and OSV records write them): ``parse_timestamp``
reads ``2024-05-06T07:08:09Z``, ``...09.123456Z`` or ``...+02:00`` forms as timezone-aware
UTC; ``timestamp_text`` writes one fixed-width UTC form that sorts as text (the advisory
database compares ``modified`` times in SQL).

Durations (as configuration writes them: ``36h``, ``2d``, ``1w``, ``1d12h``, ``90m``, ``0``),
used by ``min-release-age``, ``refresh-after`` and ``max-malware-age``: ``parse_duration``
and ``format_duration``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone


def parse_timestamp(text: str | None) -> datetime | None:
    """``text`` as timezone-aware UTC; None when missing or unreadable (naive means UTC;
    blanks around it and a trailing ``Z``/``z`` are read too). A moment no UTC ``datetime``
    can hold (``9999-12-31T23:00:00-05:00``) is unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)  # most are read as written, at once
    except ValueError:
        lenient = _leniently(text)
        if lenient is None:
            return None
        moment = lenient
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return None


def _leniently(text: str) -> datetime | None:
    """``text`` without the blanks around it, a trailing ``Z``/``z`` read as UTC (Python
    before 3.11 reads no ``Z``): what ``fromisoformat`` then reads, or None. (Where the
    text as written is read, it is read the same: ``tests/test_times.py``.)"""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        return None


def timestamp_text(moment: datetime) -> str:
    """``2024-05-06T07:08:09.000000Z``: UTC, microseconds, sortable as text."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---------------------------------------------------------------- durations

_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_UNITS["w"] = timedelta(weeks=1)
_PART = re.compile(r"(\d+)\s*([mhdw])")
_WHOLE = re.compile(r"(?:\d+\s*[mhdw]\s*)+")


def parse_duration(text: str) -> timedelta:
    """``ValueError`` with a short reason unless ``text`` is a duration (``0`` is none)."""
    cleaned = text.strip().lower()
    if cleaned == "0":
        return timedelta(0)
    if not _WHOLE.fullmatch(cleaned):
        raise ValueError(f"must be a duration like '36h', '2d' or '1w' (0 disables), got {text!r}")
    return sum(
        (int(number) * _UNITS[unit] for number, unit in _PART.findall(cleaned)), timedelta(0)
    )


def format_duration(duration: timedelta) -> str:
    """The shortest readable form: ``2d``, ``1w``, ``36h``, ``5h``, ``12m``, ``0``."""
    minutes = int(duration.total_seconds() // 60)
    if minutes <= 0:
        return "0"
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    if minutes >= 24 * 60:
        return f"{minutes // (24 * 60)}d{(minutes % (24 * 60)) // 60}h"
    if minutes >= 60:
        return f"{minutes // 60}h"
    return f"{minutes}m"
