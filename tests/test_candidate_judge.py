"""CandidateJudge: the cached batch form of ``candidate_blockers`` that steering asks.

The rule: for every candidate the judge answers exactly what the uncached predicate answers
(the ids of the blocking decisions, in order), whatever it was asked before, including
versions that share one advisory list (as ``matches_for_versions`` gives them), lists that
share matches, and two projects handed the same list. And the point of the cache: each list
of advisories is read once per project, each advisory decided once per project.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest

from safe_pip.advisories.database import AdvisoryMatch
from safe_pip.models import Action, Finding
from safe_pip.pipeline import candidates as candidates_module
from safe_pip.pipeline import policy as policy_module
from safe_pip.pipeline.candidates import Candidate, CandidateJudge, candidate_blockers
from safe_pip.pipeline.policy import IgnoreRule, Policy

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
OLD = "2025-06-01T00:00:00Z"
NEW = "2025-12-31T12:00:00Z"  # younger than the default min-release-age
INDEX = "https://index.example/simple/"
PROJECT, OTHER = "demo", "other"


def advisory(
    advisory_id: str, severity: float | None = None, *, malicious: bool = False
) -> AdvisoryMatch:
    return AdvisoryMatch(
        id=advisory_id,
        aliases=(f"CVE-{advisory_id}",),
        summary="summary",
        fixed_in=None,
        severity=severity,
        malicious=malicious,
    )


CRITICAL = advisory("PYSEC-2099-1", 9.8)
LOW = advisory("PYSEC-2099-2", 2.0)
UNSCORED = advisory("PYSEC-2099-3")
MALWARE = advisory("MAL-2099-4", malicious=True)


class CountingList(list[AdvisoryMatch]):
    """An advisory list that counts how often it is read."""

    reads = 0

    def __iter__(self) -> Iterator[AdvisoryMatch]:
        self.reads += 1
        return super().__iter__()


def _lists() -> dict[str, CountingList]:
    return {
        "none": CountingList(),
        "critical+low": CountingList([CRITICAL, LOW]),  # shared by several versions
        "low+unscored": CountingList([LOW, UNSCORED]),  # shares LOW with the list above
        "malware": CountingList([MALWARE, CRITICAL]),
    }


def _candidates(lists: dict[str, CountingList]) -> list[Candidate]:
    """Versions sharing lists, in an order that asks a list again after others; then another
    project handed the very same list objects."""
    plan = [
        ("1.0", "critical+low", OLD, False, None),
        ("1.1", "critical+low", NEW, False, None),
        ("1.2", "low+unscored", OLD, True, "broken"),
        ("1.3", "critical+low", None, True, None),
        ("1.4", "none", NEW, False, None),
        ("1.5", "none", OLD, True, "safe-pip: hidden by the guarded index"),
        ("1.6", "malware", OLD, False, None),
        ("1.7", "low+unscored", NEW, True, None),
        ("1.8", "critical+low", OLD, True, "broken"),
        ("2.0", "none", OLD, False, None),
    ]
    return [
        Candidate(
            name=name,
            version=version,
            upload_time=uploaded,
            yanked=yanked,
            yanked_reason=reason,
            advisories=lists[key],
            index_url=INDEX,
        )
        for name in (PROJECT, OTHER)
        for version, key, uploaded, yanked, reason in plan
    ]


POLICIES = {
    "defaults": Policy(),
    "no release age": Policy(min_release_age=timedelta(0)),
    "yanked blocks": Policy(yanked=Action.BLOCK),
    "vulnerabilities warn": Policy(vulnerability=Action.WARN),
    "min severity": Policy(min_severity=7.0),
    "warn only": Policy(warn_only=True),
    "allow one project": Policy(allow=(PROJECT,)),
    "ignores": Policy(
        ignore=(
            IgnoreRule(id="CVE-PYSEC-2099-1", reason="by alias", package=PROJECT),
            IgnoreRule(id="PYSEC-2099-2", reason="any package"),
            IgnoreRule(id="PYSEC-2099-3", reason="expired", expires=date(2025, 1, 1)),
            IgnoreRule(id="MAL-2099-4", reason="untrusted", trusted=False),
        )
    ),
}


def _uncached(candidate: Candidate, policy: Policy) -> tuple[str, ...]:
    return tuple(decision.finding.id for decision in candidate_blockers(candidate, policy, NOW))


@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
def test_the_judge_answers_as_the_uncached_predicate_for_every_candidate(policy: Policy) -> None:
    everything = _candidates(_lists())
    judge = CandidateJudge(policy, NOW)
    for _ in range(2):  # the second round is answered from the cache
        for candidate in everything:
            answer = judge.blocking_ids(candidate)
            assert answer == _uncached(candidate, policy), (candidate.name, candidate.version)


def test_the_cases_reach_every_kind_of_answer() -> None:
    """The table above is not vacuous: some candidates are allowed, some blocked for their
    advisories only, some for their age or yank only, some for both."""
    answers = {
        name: {c.version: _uncached(c, POLICIES[name]) for c in _candidates(_lists())}
        for name in ("defaults", "yanked blocks", "allow one project")
    }
    assert answers["defaults"]["2.0"] == ()
    assert answers["defaults"]["1.0"] == ("PYSEC-2099-1", "PYSEC-2099-2")
    assert answers["defaults"]["1.4"] == ("TOO-NEW",)
    assert answers["defaults"]["1.1"] == ("PYSEC-2099-1", "PYSEC-2099-2", "TOO-NEW")
    assert answers["yanked blocks"]["1.8"] == ("PYSEC-2099-1", "PYSEC-2099-2", "YANKED")
    assert answers["yanked blocks"]["1.5"] == ()  # a guarded index's yank is not a finding
    judge = CandidateJudge(POLICIES["allow one project"], NOW)
    shared = [c for c in _candidates(_lists()) if c.version == "1.0"]
    assert [judge.blocking_ids(c) for c in shared] == [(), ("PYSEC-2099-1", "PYSEC-2099-2")]


def test_each_advisory_list_is_read_once_per_project() -> None:
    lists = _lists()
    judge = CandidateJudge(Policy(), NOW)
    for candidate in _candidates(lists):
        judge.blocking_ids(candidate)
    assert {key: found.reads for key, found in lists.items()} == dict.fromkeys(lists, 2)


def test_each_advisory_is_decided_once_per_project(monkeypatch: pytest.MonkeyPatch) -> None:
    decided: list[str] = []
    original = policy_module.decide

    def counting(findings: list[Finding], policy: Policy, today: date) -> object:
        decided.extend(f.id for f in findings if f.category.value != "release-age")
        return original(findings, policy, today)

    monkeypatch.setattr(candidates_module, "decide", counting)
    judge = CandidateJudge(Policy(yanked=Action.BLOCK), NOW)
    for candidate in _candidates(_lists()):
        judge.blocking_ids(candidate)
    advisories = [found for found in decided if found != "YANKED"]
    assert sorted(advisories) == sorted(2 * [m.id for m in (CRITICAL, LOW, UNSCORED, MALWARE)])
