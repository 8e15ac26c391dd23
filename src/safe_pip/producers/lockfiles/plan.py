"""Lock packages -> plan items, and back to one reported item per package version.

A lock may list many files for one version (a wheel per platform plus the sdist). Each file
becomes its own plan item so that every listed hash is compared with the index, and
``one_item_per_version`` then folds the verdict so each version is reported once and an
advisory is not repeated per file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from safe_pip.models import PlanItem, Verdict
from safe_pip.pipeline.check_plan import GuardResult
from safe_pip.producers.lockfiles.model import LockedPackage


def to_plan(packages: Iterable[LockedPackage]) -> list[PlanItem]:
    items: list[PlanItem] = []
    for package in packages:
        base = PlanItem(
            name=package.name,
            version=package.version,
            source=package.source,
            url=package.location,
            index_url=package.index_url,
            pinned_hashes=package.pinned_hashes,
        )
        if not package.artifacts:
            items.append(base)
            continue
        for artifact in package.artifacts:
            items.append(
                replace(
                    base,
                    url=artifact.url or base.url,
                    filename=artifact.filename,
                    sha256=artifact.sha256,
                )
            )
    return items


def one_item_per_version(result: GuardResult) -> GuardResult:
    """The same verdict with one plan item per (name, version) and no repeated decision."""
    firsts: dict[tuple[str, str], PlanItem] = {}
    for item in result.verdict.plan:
        firsts.setdefault((item.name, item.version), item)
    decisions = list(dict.fromkeys(result.verdict.decisions))
    verdict = Verdict(plan=list(firsts.values()), decisions=decisions)
    return GuardResult(verdict=verdict, notes=list(dict.fromkeys(result.notes)))
