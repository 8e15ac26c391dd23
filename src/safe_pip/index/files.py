"""One file an index publishes for a project (shared by the index client and its page cache)."""

from __future__ import annotations

from dataclasses import dataclass


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
