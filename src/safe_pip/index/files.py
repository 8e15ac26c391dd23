"""One file an index publishes for a project (shared by the index client and its page cache)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class IndexFile:
    """One file an index publishes for a project."""

    filename: str
    url: str  # absolute, without fragment
    sha256: str | None  # as the index publishes it, lower-case hex
    yanked: bool
    yanked_reason: str | None
    upload_time: str | None
    index_url: str


# A PEP 792 project status marker other than "active": (status, reason).
Marker = tuple[str, Optional[str]]
# What one project page says: its files and its status marker.
Page = tuple[list[IndexFile], Optional[Marker]]
NO_PAGE: Page = ([], None)


@dataclass(frozen=True)
class ProjectStatus:
    """A PEP 792 project status marker other than ``active`` on one index's project page."""

    name: str  # PEP 503-normalized
    status: str  # "archived", "quarantined", "deprecated" (or a newer marker, lower-case)
    reason: str | None
    index_url: str
