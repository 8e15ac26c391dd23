"""Installed packages a new plan keeps: their findings warn, except a malicious one."""

from __future__ import annotations

from safe_pip.models import Action, Category, Decision, Finding, PlanItem, Verdict
from safe_pip.pipeline.check_plan import GuardResult
from safe_pip.pipeline.kept import KEPT_REASON, as_kept


def _blocked(name: str, category: Category, finding_id: str) -> Decision:
    finding = Finding(name=name, version="1.0", category=category, id=finding_id, summary="s")
    return Decision(finding=finding, action=Action.BLOCK)


def _result(*decisions: Decision) -> GuardResult:
    plan = [PlanItem(name=d.finding.name, version="1.0") for d in decisions]
    return GuardResult(verdict=Verdict(plan=plan, decisions=list(decisions)))


def test_a_kept_vulnerable_package_warns_with_the_reason() -> None:
    result = as_kept(_result(_blocked("urllib3", Category.VULNERABILITY, "PYSEC-1")), {"urllib3"})
    [decision] = result.verdict.decisions
    assert decision.action is Action.WARN
    assert decision.reason == KEPT_REASON
    assert not result.verdict.blocked


def test_a_kept_malicious_package_still_blocks() -> None:
    # malicious always blocks (README): a plan that depends on it is not installed either
    result = as_kept(_result(_blocked("evil", Category.MALICIOUS, "MAL-1")), {"evil"})
    [decision] = result.verdict.decisions
    assert decision.action is Action.BLOCK
    assert result.verdict.blocked


def test_a_package_that_is_not_kept_keeps_its_block() -> None:
    result = as_kept(_result(_blocked("new", Category.VULNERABILITY, "PYSEC-1")), {"other"})
    assert result.verdict.blocked
