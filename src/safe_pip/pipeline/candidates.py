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
    guarded_index_yank,
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
    # where a file without an upload time was read from (a remote index's counts as too new)
    index_url: str | None = None
    file_url: str | None = None


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


class CandidateJudge:
    """``candidate_blockers`` for the many candidates of index pages, as the ids of what
    blocks each (empty: allowed); what resolver steering asks about every listed version.

    Policy decides an advisory finding by its ids, package, category and severity, never by
    its version (nor by the other findings), so each advisory is decided once per project,
    and each list of advisories once (``AdvisoryDatabase.matches_for_versions`` gives
    versions affected by the same records the same list, built of the same matches);
    release age and yanked status are decided per candidate."""

    def __init__(self, policy: Policy, now: datetime) -> None:
        self._policy = policy
        self._now = now
        self._rule = ReleaseAgeRule.from_policy(policy, now)
        # Keyed by the id of the list (or match) looked at, which is kept alive alongside so
        # its id stays its own.
        self._by_advisories: dict[tuple[str, int], tuple[object, tuple[str, ...]]] = {}
        self._by_match: dict[tuple[str, int], tuple[object, bool]] = {}

    def blocking_ids(self, candidate: Candidate) -> tuple[str, ...]:
        key = (candidate.name, id(candidate.advisories))
        known = self._by_advisories.get(key)
        if known is None or known[0] is not candidate.advisories:
            blocking = tuple(
                match.id for match in candidate.advisories if self._blocks(candidate, match)
            )
            known = self._by_advisories[key] = (candidate.advisories, blocking)
        others = _other_findings(candidate, self._rule)
        return known[1] + self._blocking(others) if others else known[1]

    def _blocks(self, candidate: Candidate, match: AdvisoryMatchLike) -> bool:
        """Does policy block this advisory for this project (decided once per match)?"""
        key = (candidate.name, id(match))
        known = self._by_match.get(key)
        if known is None or known[0] is not match:
            findings = advisory_findings(candidate.name, candidate.version, _Matches([match]))
            known = self._by_match[key] = (match, bool(self._blocking(findings)))
        return known[1]

    def _blocking(self, findings: list[Finding]) -> tuple[str, ...]:
        if not findings:
            return ()
        decisions = decide(findings, self._policy, self._now.date())
        return tuple(d.finding.id for d in decisions if d.action is Action.BLOCK)


def _candidate_findings(candidate: Candidate, rule: ReleaseAgeRule) -> list[Finding]:
    findings = advisory_findings(candidate.name, candidate.version, _Matches(candidate.advisories))
    return findings + _other_findings(candidate, rule)


def _other_findings(candidate: Candidate, rule: ReleaseAgeRule) -> list[Finding]:
    """Release age and yanked status: the findings that depend on the candidate itself."""
    name, version = candidate.name, candidate.version
    findings: list[Finding] = []
    age = release_age_finding(
        name,
        version,
        candidate.upload_time,
        rule,
        index_url=candidate.index_url,
        file_url=candidate.file_url,
    )
    if age is not None:
        findings.append(age)
    if candidate.yanked and not guarded_index_yank(candidate.yanked_reason):
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
