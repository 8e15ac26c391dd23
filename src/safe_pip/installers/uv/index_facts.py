"""What the check needs from index pages, taken from uv's own lock where it already says it.

uv read the index pages to resolve, and its pylock.toml carries each planned file's URL,
sha256 and upload time: fetching the same pages again would only repeat them. The one fact
it lacks is yanked status, and uv chooses a yanked version only when it is pinned with
``==`` / ``===`` or already installed (uv's ``AllowedYanks``). The pages of exactly those
packages are read from the index; every other package is described by the lock.

With more than one index configured every page is read: the lock names only the index uv
took a file from, and dependency confusion (``pipeline.confusion``) is about which other
indexes serve the same name.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from safe_pip.index.client import IndexFile, fetch_index_files
from safe_pip.models import ArtifactSource, PlanItem

if TYPE_CHECKING:
    from safe_pip.index.settings import IndexSettings
    from safe_pip.installers.uv.plan import UvPlan


def index_files_for_check(
    plan: UvPlan, pinned: Collection[str], settings: IndexSettings | None
) -> dict[str, list[IndexFile]]:
    """name -> index files for ``check_plan(index_files=...)``: from the lock, or read from
    the index for packages uv may have chosen although yanked."""
    files: dict[str, list[IndexFile]] = {}
    fetch: list[str] = []
    several_indexes = len(set(plan.index_urls)) > 1
    for item in plan.items:
        if item.source is not ArtifactSource.INDEX:
            continue
        described = _from_lock(item, plan.index_urls)
        if (
            described is None
            or several_indexes
            or item.name in pinned
            or item.name in plan.kept_installed
        ):
            fetch.append(item.name)
        else:
            files[item.name] = [described]
    if fetch and plan.index_urls:
        files.update(fetch_index_files(plan.index_urls, sorted(set(fetch)), settings=settings))
    return files


def _from_lock(item: PlanItem, index_urls: list[str]) -> IndexFile | None:
    index_url = item.index_url or (index_urls[0] if index_urls else None)
    if not (item.filename and item.url and item.sha256 and index_url):
        return None
    return IndexFile(
        filename=item.filename,
        url=item.url,
        sha256=item.sha256,
        yanked=False,  # uv does not choose a yanked file otherwise (see above)
        yanked_reason=None,
        upload_time=item.upload_time,
        index_url=index_url,
    )
