"""The checks that run before a distribution is downloaded, prepared or built.

What is known then: the name, the version, the file and the index page's entry for it
(sha256, yanked, upload time) -- the same findings ``checks.find_problems`` makes from them
(malicious, vulnerable, yanked, unverifiable source, a file whose published hash differs from
the one first seen), decided by the same policy. Steering asks
``pipeline.candidates`` (the predicate for versions a resolver may choose); the gate asks this
module, which adds what only a file can tell (its source, its hash against the one first seen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from safe_pip.index.files import IndexFile
from safe_pip.models import Action, Category, Decision, Finding, PlanItem, plan_from_json
from safe_pip.pipeline.checks import (
    AdvisorySource,
    ProjectStatusLike,
    SeenHashesLike,
    find_problems,
)
from safe_pip.pipeline.policy import Policy, decide
from safe_pip.pipeline.release_age import ReleaseAgeRule

# A version to look advisories up with when a file name does not tell the version: records
# that affect every version ("introduced: 0") still match, and only malicious ones are kept.
_UNKNOWN_VERSION_PROBE = "0"


@dataclass(frozen=True)
class Candidate:
    """One file the installer may choose, as its index page (if any) describes it."""

    item: PlanItem
    page: IndexFile | None = None
    version_known: bool = True


def candidate_from_json(raw: Mapping[str, Any]) -> Candidate:
    """A candidate in the plan item JSON format plus ``page`` (the index page's entry);
    ``ValueError`` on bad input."""
    version = raw.get("version")
    page = raw.get("page")
    fields = dict(raw, version=version or _UNKNOWN_VERSION_PROBE)
    if isinstance(page, Mapping) and page.get("upload_time") and not fields.get("upload_time"):
        fields["upload_time"] = page["upload_time"]
    (item,), _ = plan_from_json({"items": [fields]})
    index_file = None
    if isinstance(page, Mapping) and item.filename and item.url:
        index_file = IndexFile(
            filename=item.filename,
            url=item.url,
            sha256=page.get("sha256"),
            yanked=bool(page.get("yanked")),
            yanked_reason=page.get("yanked_reason"),
            upload_time=page.get("upload_time"),
            index_url=str(page.get("index_url") or item.index_url or ""),
            provenance=page["provenance"] if isinstance(page.get("provenance"), str) else None,
        )
    return Candidate(item=item, page=index_file, version_known=bool(version))


def candidate_decisions(
    candidate: Candidate,
    advisories: AdvisorySource,
    seen: SeenHashesLike,
    policy: Policy,
    now: datetime,
    *,
    project_statuses: Sequence[ProjectStatusLike] = (),
) -> list[Decision]:
    """What policy decides about every finding known before download (release age and the
    project's PEP 792 ``project_statuses`` included); ``now`` is timezone-aware."""
    item = candidate.item
    pages = {item.name: [candidate.page]} if candidate.page is not None else {}
    findings = find_problems(
        [item],
        advisories,
        pages,
        seen,
        ReleaseAgeRule.from_policy(policy, now),
        project_statuses=project_statuses,
    )
    if not candidate.version_known:
        findings = [_without_version(f) for f in findings if f.category is Category.MALICIOUS]
    return decide(findings, policy, now.date())


def is_allowed(decisions: Sequence[Decision]) -> bool:
    """The predicate: nothing policy blocks."""
    return not any(decision.action is Action.BLOCK for decision in decisions)


def _without_version(finding: Finding) -> Finding:
    return Finding(
        name=finding.name,
        version="?",
        category=finding.category,
        id=finding.id,
        summary=finding.summary,
        aliases=finding.aliases,
    )
