"""Durations as configuration writes them: ``36h``, ``2d``, ``1w``, ``1d12h``, ``90m``, ``0``.

Used by ``min-release-age``, ``refresh-after`` and ``max-malware-age``.
"""

from __future__ import annotations

import re
from datetime import timedelta

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
