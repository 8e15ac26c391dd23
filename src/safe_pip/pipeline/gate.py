"""The checks that run before a distribution is downloaded, prepared or built.

What is known then: the name, the version, the file and the index page's entry for it
(sha256, yanked, upload time) -- the same findings ``checks.find_problems`` makes from them
(malicious, vulnerable, yanked, too new, unverifiable source, a file whose published hash
differs from the one first seen), decided by the same policy. A source whose version is not
known until its code has run (a direct URL or VCS checkout that does not name it) is decided
by name first: every malicious-package record of the name blocks it, whatever versions the
record lists, and so does ``unverifiable = "block"``. Steering asks
``pipeline.candidates`` (the predicate for versions a resolver may choose); the gate asks this
module, which adds what only a file can tell (its source, its hash against the one first seen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from safe_pip.index.files import IndexFile, ProjectStatus
from safe_pip.models import Action, Category, Decision, Finding, PlanItem, plan_from_json
from safe_pip.pipeline.checks import (
    AdvisoryMatchLike,
    AdvisorySource,
    SeenHashesLike,
    advisory_findings,
    find_problems,
)
from safe_pip.pipeline.confusion import ConfusionRule
from safe_pip.pipeline.policy import Policy, decide
from safe_pip.pipeline.release_age import ReleaseAgeRule

# The version a plan item carries while the real one is not known (the findings say "?").
_UNKNOWN_VERSION_PROBE = "0"


class GateAdvisories(AdvisorySource, Protocol):
    """Advisories by version, and a project's malicious-package records by name alone
    (``advisories.database.AdvisoryDatabase``)."""

    def malicious_for_project(self, name: str) -> Sequence[AdvisoryMatchLike]: ...


@dataclass(frozen=True)
class Candidate:
    """One file the installer may choose, as its index page (if any) describes it."""

    item: PlanItem
    page: IndexFile | None = None
    version_known: bool = True
    name_known: bool = True  # False: an unnamed source (``pip install ./dir``), named for reports


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
    return Candidate(
        item=item,
        page=index_file,
        version_known=bool(version),
        name_known=raw.get("name_known", True) is not False,
    )


def candidate_decisions(
    candidate: Candidate,
    advisories: GateAdvisories,
    seen: SeenHashesLike,
    policy: Policy,
    now: datetime,
    confusion: ConfusionRule | None = None,
    served: Sequence[IndexFile] = (),
    project_statuses: Sequence[ProjectStatus] = (),
) -> list[Decision]:
    """What policy decides about every finding known before download (release age
    included); ``now`` is timezone-aware. ``confusion``: check dependency confusion too, with
    ``served`` (every file each configured index lists for the project) when there are
    several indexes; ``project_statuses``: the PEP 792 markers of the pages pip read. With
    the version unknown, only what the name and the source tell: the project's
    malicious-package records (any version), its status and an unverifiable source."""
    item = candidate.item
    page = [candidate.page] if candidate.page is not None else []
    pages = {item.name: [*page, *served]} if page or served else {}
    rule = ReleaseAgeRule.from_policy(policy, now)
    if candidate.version_known:
        findings = find_problems([item], advisories, pages, seen, rule, confusion, project_statuses)
    else:
        by_name = (
            advisory_findings(item.name, "?", _ByName(advisories)) if candidate.name_known else []
        )
        from_source = find_problems(
            [item], _NO_ADVISORIES, pages, seen, rule, project_statuses=project_statuses
        )
        by_source = (Category.UNVERIFIABLE, Category.PROJECT_STATUS)
        findings = [
            *by_name,
            *(_without_version(f) for f in from_source if f.category in by_source),
        ]
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


@dataclass(frozen=True)
class _ByName:
    """A project's malicious-package records, whatever version is asked about."""

    advisories: GateAdvisories

    def matches(self, name: str, version: str) -> Sequence[AdvisoryMatchLike]:
        return self.advisories.malicious_for_project(name)


class _NoAdvisoryMatches:
    def matches(self, name: str, version: str) -> Sequence[AdvisoryMatchLike]:
        return ()


_NO_ADVISORIES = _NoAdvisoryMatches()
