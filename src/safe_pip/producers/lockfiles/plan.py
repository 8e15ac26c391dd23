"""Lock packages -> plan items.

A lock may list many files for one version (a wheel per platform plus the sdist). Each file
becomes its own plan item so that every listed hash is compared with the index, and
``check_plan.one_item_per_version`` then folds the verdict so each version is reported once
and an advisory is not repeated per file.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from safe_pip.models import PlanItem
from safe_pip.producers.lockfiles.model import LockedArtifact, LockedPackage


def to_plan(
    packages: Iterable[LockedPackage], *, requested: Collection[str] = ()
) -> list[PlanItem]:
    """One plan item per file each package lists (per package when it lists none);
    ``requested``: the names the user asked for (the others are dependencies)."""
    items: list[PlanItem] = []
    for package in packages:
        artifacts: Iterable[LockedArtifact | None] = package.artifacts or (None,)
        asked = package.name in requested
        items.extend(package_item(package, artifact, requested=asked) for artifact in artifacts)
    return items


def package_item(
    package: LockedPackage, artifact: LockedArtifact | None = None, *, requested: bool = False
) -> PlanItem:
    """The plan item for one file (``artifact``) of ``package``, or for the package alone."""
    item = PlanItem(
        name=package.name,
        version=package.version,
        source=package.source,
        url=package.location,
        index_url=package.index_url,
        pinned_hashes=package.pinned_hashes,
        requested=requested,
    )
    if artifact is None:
        return item
    return replace(
        item,
        url=artifact.url or item.url,
        filename=artifact.filename,
        sha256=artifact.sha256,
        upload_time=artifact.upload_time,
    )
