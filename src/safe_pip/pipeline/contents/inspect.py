"""The one entry front ends call: the wheels about to be installed -> contents findings.

Each wheel is opened after its hash check and before the installer writes anything (pip's
guard: just before ``install_given_reqs``; ``safe-pip check --inspect``: the lock's files).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from safe_pip.errors import CannotCheckError
from safe_pip.models import Category, Finding, PlanItem, Verdict
from safe_pip.pipeline.check_plan import GuardResult, unless_fail_open
from safe_pip.pipeline.contents.environment import TargetEnvironment, read_environment
from safe_pip.pipeline.contents.findings import Previous, contents_findings
from safe_pip.pipeline.contents.pth_allow import PthAllowance
from safe_pip.pipeline.contents.wheel import UnreadableWheel, WheelContents, read_wheel
from safe_pip.pipeline.policy import RECORD_MISMATCH_ID, Policy, decide
from safe_pip.pipeline.project_history import ProjectHistory


@dataclass(frozen=True)
class WheelToInspect:
    name: str
    version: str
    path: Path


@dataclass(frozen=True)
class InstallTarget:
    """Where the wheels go: the site-packages directories and the scripts directory."""

    lib_dirs: tuple[str, ...] = ()
    scripts_dir: str | None = None


def wheels_from_json(
    request: Mapping[str, Any],
) -> tuple[list[WheelToInspect], InstallTarget]:
    """The guard's ``inspect`` question: ``wheels`` [{name, version, path}] and ``target``
    {lib_dirs, scripts_dir}; ``ValueError`` on bad input."""
    raw_wheels = request.get("wheels")
    if not isinstance(raw_wheels, list):
        raise ValueError("'wheels' must be a list")
    wheels = []
    for raw in raw_wheels:
        if not isinstance(raw, Mapping) or not all(
            isinstance(raw.get(key), str) and raw.get(key) for key in ("name", "version", "path")
        ):
            raise ValueError("every wheel needs 'name', 'version' and 'path'")
        wheels.append(WheelToInspect(raw["name"], raw["version"], Path(raw["path"])))
    raw_target = request.get("target") or {}
    if not isinstance(raw_target, Mapping):
        raise ValueError("'target' must be an object")
    lib_dirs = raw_target.get("lib_dirs") or []
    scripts_dir = raw_target.get("scripts_dir")
    if not isinstance(lib_dirs, list) or not all(isinstance(d, str) for d in lib_dirs):
        raise ValueError("'target.lib_dirs' must be a list of paths")
    if scripts_dir is not None and not isinstance(scripts_dir, str):
        raise ValueError("'target.scripts_dir' must be a path")
    return wheels, InstallTarget(tuple(lib_dirs), scripts_dir)


@dataclass
class Inspection:
    findings: list[Finding]
    # name -> (version, executable .pth lines) of every wheel read, for the first-seen record
    pth_lines: dict[str, tuple[str, tuple[str, ...]]]


def inspect_wheels(
    wheels: Sequence[WheelToInspect],
    target: InstallTarget,
    history: ProjectHistory | None,
    allowances: Sequence[PthAllowance] = (),
) -> Inspection:
    """Open every wheel (central directory + the members that matter) and compare it with the
    target environment and the project's first-seen release."""
    environment = read_environment(target.lib_dirs, target.scripts_dir)
    findings: list[Finding] = []
    seen_lines: dict[str, tuple[str, tuple[str, ...]]] = {}
    for wheel in wheels:
        name = canonicalize_name(wheel.name)
        try:
            contents = read_wheel(wheel.path)
        except UnreadableWheel as exc:
            summary = str(exc)
            findings.append(
                Finding(name, wheel.version, Category.CONTENTS, RECORD_MISMATCH_ID, summary)
            )
            continue
        previous = _previous(name, environment, history)
        findings.extend(
            contents_findings(name, wheel.version, contents, environment, previous, allowances)
        )
        seen_lines[name] = (wheel.version, _all_lines(contents))
    return Inspection(findings, seen_lines)


def record_first_seen(
    history: ProjectHistory, inspection: Inspection, now: datetime | None = None
) -> None:
    """Remember the ``.pth`` lines of each project's first inspected release."""
    history.record_pth_lines(inspection.pth_lines, now)


def _previous(
    name: str, environment: TargetEnvironment, history: ProjectHistory | None
) -> Previous:
    installed = environment.installed(name)
    first = history.first_pth_lines(name) if history is not None else None
    return Previous(
        installed_version=installed.version if installed else None,
        installed_lines=installed.pth_lines if installed else None,
        first_seen_version=first.version if first else None,
        first_seen_lines=first.values if first else None,
    )


def _all_lines(contents: WheelContents) -> tuple[str, ...]:
    return tuple(line for pth in contents.pth_files for line in pth.executable_lines)


def check_wheels(
    wheels: Sequence[WheelToInspect],
    target: InstallTarget,
    policy: Policy,
    *,
    plan: Sequence[PlanItem] = (),
    now: datetime | None = None,
    record: bool = True,
    history_path: Path | None = None,
) -> GuardResult:
    """Inspect the wheels, decide with ``policy``; when nothing blocks and ``record`` is
    true, remember each project's first-seen ``.pth`` lines. ``plan``: the checked plan items
    the wheels belong to (for the report); a wheel without one gets a minimal item."""
    now = now or datetime.now(timezone.utc)
    notes: list[str] = []
    history = ProjectHistory.open(history_path)
    try:
        try:
            inspection = inspect_wheels(wheels, target, history, policy.pth_allow)
        except CannotCheckError as exc:  # the history is unreadable
            if not policy.fails_open:
                raise
            notes.append(f"first-seen .pth lines not compared (fail-mode is open): {exc}")
            inspection = inspect_wheels(wheels, target, None, policy.pth_allow)
            record = False
        by_name = {item.name: item for item in plan}
        items = [
            by_name.get(canonicalize_name(w.name))
            or PlanItem(canonicalize_name(w.name), w.version, filename=w.path.name)
            for w in wheels
        ]
        verdict = Verdict(plan=items, decisions=decide(inspection.findings, policy, now.date()))
        if record and not verdict.blocked:
            unless_fail_open(lambda: record_first_seen(history, inspection, now), policy, notes)
        return GuardResult(verdict=verdict, notes=notes)
    finally:
        history.close()
