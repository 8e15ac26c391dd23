"""Installed packages an install keeps: one rule for every front end.

An install that leaves an installed version in place -- pip keeps an installed dependency
that satisfies the new plan, ``uv pip install`` keeps installed versions the same way -- does
not install it, so its findings do not stop the install: they are warnings, "already
installed and kept by this install: upgrade it to fix this", so the user learns that the
environment (and now the new packages) depends on a version with known problems. The same
rule as for a requested package that is already installed (nothing to install). A malicious
kept package still blocks: malicious always blocks, and nothing more is installed beside it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from safe_pip.models import Action, Category, PlanItem, Verdict
from safe_pip.pipeline.check_plan import GuardResult

KEPT_REASON = "already installed and kept by this install: upgrade it to fix this"


def as_kept(result: GuardResult, kept: Collection[str]) -> GuardResult:
    """``result`` with the blocks on packages named in ``kept`` made warnings (kept), but for
    malicious findings."""
    decisions = [
        replace(d, action=Action.WARN, reason=KEPT_REASON)
        if d.action is Action.BLOCK
        and d.finding.name in kept
        and d.finding.category is not Category.MALICIOUS
        else d
        for d in result.verdict.decisions
    ]
    verdict = Verdict(plan=result.verdict.plan, decisions=decisions)
    return replace(result, verdict=verdict)


def with_kept(result: GuardResult, kept: GuardResult) -> GuardResult:
    """The plan's ``result`` and the check of the installed packages it keeps (as warnings)."""
    names = {item.name for item in kept.verdict.plan}
    kept = as_kept(kept, names)
    verdict = Verdict(
        plan=[*result.verdict.plan, *kept.verdict.plan],
        decisions=[*result.verdict.decisions, *kept.verdict.decisions],
    )
    return replace(result, verdict=verdict, notes=[*result.notes, *kept.notes])


def kept_dependencies(
    plan: Iterable[PlanItem], requires: dict[str, list[str]], installed: Iterable[PlanItem]
) -> list[PlanItem]:
    """The installed packages the plan depends on (``requires``: name -> the names it asks
    for) that are not in the plan itself: the versions the install keeps."""
    planned = {item.name for item in plan}
    wanted = {name for names in requires.values() for name in names} - planned
    return [item for item in installed if item.name in wanted]
