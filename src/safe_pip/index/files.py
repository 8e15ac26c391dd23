"""One file an index publishes for a project (shared by the index client and its page cache),
and finding the file a plan item refers to among them. Light: the checks import it without
the client's HTTP and HTML code."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from safe_pip.artifacts import without_fragment

if TYPE_CHECKING:
    from safe_pip.models import PlanItem


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
    provenance: str | None = None  # PEP 740: the URL of the file's provenance object


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


def match_file(item: PlanItem, files: Iterable[IndexFile]) -> IndexFile | None:
    """The index file the plan item refers to: same URL first, else same filename."""
    return FileMatcher(list(files)).match(item)


class FileMatcher:
    """``match_file`` for the many items of one project: its files are indexed by URL and
    by file name once (a lock lists thousands of a project's files; scanning the page for
    each took time quadratic in its size). With ``items``, only the files those items can
    match are indexed: a page lists every file of every version."""

    def __init__(self, files: Sequence[IndexFile], items: Iterable[PlanItem] | None = None) -> None:
        self.by_url: dict[str, IndexFile] = {}
        self.by_filename: dict[str, list[IndexFile]] = {}
        if items is None:
            for file in files:
                self.by_url.setdefault(file.url, file)
                self.by_filename.setdefault(file.filename, []).append(file)
            return
        urls = {without_fragment(item.url) for item in items if item.url is not None}
        names = {item.filename for item in items if item.filename is not None}
        names.update(file.filename for file in files if file.url in urls)
        for file in files:
            if file.url in urls:
                self.by_url.setdefault(file.url, file)
            if file.filename in names:
                self.by_filename.setdefault(file.filename, []).append(file)

    def match(self, item: PlanItem) -> IndexFile | None:
        if item.url is not None:
            found = self.by_url.get(without_fragment(item.url))
            if found is not None:
                return found
        if item.filename is not None:
            same_name = self.by_filename.get(item.filename)
            return same_name[0] if same_name else None
        return None

    def same_name(self, file: IndexFile) -> list[IndexFile]:
        """Every listed file (on any index) with ``file``'s name."""
        return self.by_filename.get(file.filename, [])
