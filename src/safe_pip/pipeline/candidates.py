"""May the resolver choose this version? The one predicate resolver steering asks.

A *candidate* is a version the resolver could pick (before anything is chosen): its name,
version, upload time, yanked status and the advisories that affect it. It is allowed when
policy would not block it as a plan item, by the same findings and the same ``decide``
(ignores, allow list, min-severity, warn-only and release-age exemptions all apply).
Checks that need an artifact (hashes, unverifiable sources) are not candidate properties
and are left to the plan check that follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from safe_pip.models import Action, Category, Decision, Finding
from safe_pip.pipeline.checks import (
    YANKED_ID,
    AdvisoryMatchLike,
    advisory_findings,
    yanked_summary,
)
from safe_pip.pipeline.policy import Policy, decide
from safe_pip.pipeline.release_age import ReleaseAgeRule, release_age_finding


@dataclass(frozen=True)
class Candidate:
    name: str  # PEP 503-normalized
    version: str
    upload_time: str | None = None  # ISO 8601 (PEP 700), None when the index publishes none
    yanked: bool = False
    advisories: Sequence[AdvisoryMatchLike] = ()
    yanked_reason: str | None = None


def candidate_blockers(
    candidate: Candidate, policy: Policy, now: datetime, rule: ReleaseAgeRule | None = None
) -> list[Decision]:
    """The decisions that keep policy from allowing ``candidate`` (empty: allowed).

    Pure: no database, index or clock is read; ``now`` must be timezone-aware. ``rule``: the
    policy's release-age rule at ``now``, when the caller asks about many candidates."""
    rule = rule or ReleaseAgeRule.from_policy(policy, now)
    findings = _candidate_findings(candidate, rule)
    if not findings:
        return []
    return [d for d in decide(findings, policy, now.date()) if d.action is Action.BLOCK]


def candidate_allowed(candidate: Candidate, policy: Policy, now: datetime) -> bool:
    """Does policy allow the resolver to choose ``candidate``?"""
    return not candidate_blockers(candidate, policy, now)


def _candidate_findings(candidate: Candidate, rule: ReleaseAgeRule) -> list[Finding]:
    name, version = candidate.name, candidate.version
    findings = advisory_findings(name, version, _Matches(candidate.advisories))
    age = release_age_finding(name, version, candidate.upload_time, rule)
    if age is not None:
        findings.append(age)
    if candidate.yanked:
        summary = yanked_summary(candidate.yanked_reason)
        findings.append(
            Finding(
                name=name, version=version, category=Category.YANKED, id=YANKED_ID, summary=summary
            )
        )
    return findings


@dataclass(frozen=True)
class _Matches:
    """The candidate's own advisories in the shape ``advisory_findings`` reads."""

    advisories: Sequence[AdvisoryMatchLike]

    def matches(self, name: str, version: str) -> Sequence[AdvisoryMatchLike]:
        return self.advisories
