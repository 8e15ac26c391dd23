"""The gate uv's builds pass: nothing is built, and no build dependency installed, unchecked.

``allow_sources``: uv needs to build ``X``. Every source version of X that an index page lists
is checked on what is known before download (name, version, file, index page: malicious,
vulnerable, denied, yanked, ...). Versions policy does not allow are excluded; when none is
left the run is blocked with their report. Otherwise uv may build X (``BuildPermits``).

``pin_build_requirements``: a build needs these requirements. They are resolved by uv with
builds disallowed (a build dependency that only exists as source is refused: building it
would run its code), fully checked, and each pinned to the checked file's sha256, which uv
then enforces for the build environment (``--require-build-hashes``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import InvalidSdistFilename, parse_sdist_filename

from safe_pip import exit_codes
from safe_pip.errors import PipError, SafePipError
from safe_pip.installers.uv.builds import BuildPermits, BuildRequirements, needed_sources
from safe_pip.installers.uv.plan import plan_items
from safe_pip.installers.uv.runs import PLAN_FILE, run_uv_completed, uv_failure
from safe_pip.installers.uv.steering import Avoided
from safe_pip.models import Action, Category, PlanItem

if TYPE_CHECKING:
    from safe_pip.index.client import IndexFile
    from safe_pip.index.settings import IndexSettings
    from safe_pip.pipeline.check_plan import GuardResult
    from safe_pip.pipeline.policy import Policy


_NEVER_RUN = (Category.MALICIOUS,)


class BuildBlocked(SafePipError):
    """What uv would have built (or installed to build) is blocked; ``result`` says why."""

    exit_code = exit_codes.BLOCKED

    def __init__(self, result: GuardResult) -> None:
        super().__init__("blocked before uv built anything")
        self.result = result


@dataclass
class BuildGate:
    """Checks each build uv asks for; ``permits`` is what it allowed so far."""

    uv_pip: list[str]  # [uv, *global options, "pip"]
    resolve_args: list[str]  # target, index and network options of the user's command
    work: Path
    policy: Policy
    settings: IndexSettings
    env: Mapping[str, str]
    permits: BuildPermits = field(default_factory=BuildPermits)
    avoided: list[Avoided] = field(default_factory=list)  # source versions kept from uv
    # The check results of the source versions kept from uv (their items and findings), for
    # the report when nothing else satisfies the requirements.
    refusals: list[GuardResult] = field(default_factory=list)

    def allow_sources(
        self, names: Sequence[str], index_urls: Sequence[str], *, can_exclude: bool = True
    ) -> None:
        """``can_exclude``: False where uv takes no constraints (``uv lock``): then one
        refused source version blocks, as uv might pick it."""
        from safe_pip.index.client import fetch_index_files
        from safe_pip.pipeline.check_plan import check_plan

        pages = fetch_index_files(index_urls, names, settings=self.settings)
        for name in names:
            candidates = source_candidates(name, pages.get(name, ()))
            if not candidates:
                raise PipError(
                    f"uv needs to build {name}, but no index page safe-pip read lists a "
                    "source distribution of it"
                )
            result = check_plan(
                candidates, self.policy, index_urls, index_files=pages, record_seen=False
            )
            blocks = [d for d in result.verdict.decisions if d.action is Action.BLOCK]
            refused = {d.finding.version for d in blocks}
            if refused >= {item.version for item in candidates}:
                result.notes.append(f"uv would have to build {name}; no version of it is allowed")
                raise BuildBlocked(result)
            # Code that must never run; other refused versions are avoided only when steering
            # (else uv may build one and the plan check blocks it).
            never_run = {d.finding.version for d in blocks if d.finding.category in _NEVER_RUN}
            if never_run and not can_exclude:
                result.notes.append(
                    f"uv would build {name} and cannot be kept away from the versions above "
                    f"here; require an allowed version of {name} in pyproject.toml"
                )
                raise BuildBlocked(result)
            excluded = refused if self.policy.steers else never_run
            self.permits.allow_source(name, sorted(excluded))
            if excluded:
                self.refusals.append(_only_versions(result, excluded))
            self.avoided.extend(
                Avoided(
                    name,
                    version,
                    tuple(d.finding.id for d in blocks if d.finding.version == version),
                )
                for version in sorted(excluded)
            )

    def refused_result(self, uv_message: str) -> GuardResult | None:
        """When uv found no solution after source versions were kept from it: those versions'
        report (the requirement needs one of them), else None."""
        if not self.refusals:
            return None
        from safe_pip.models import Verdict
        from safe_pip.pipeline.check_plan import GuardResult

        plan = [item for result in self.refusals for item in result.verdict.plan]
        decisions = [d for result in self.refusals for d in result.verdict.decisions]
        names = ", ".join(sorted({item.name for item in plan}))
        notes = [
            f"uv found no other version that satisfies the requirements: {names} could only be "
            f"built from the source versions above, which policy refuses ({uv_message})"
        ]
        return GuardResult(Verdict(plan=plan, decisions=decisions), notes=notes)

    def pin_build_requirements(self, needed: BuildRequirements, index_urls: Sequence[str]) -> None:
        self.permits.pin_build_dependencies(self.checked_build_pins(needed, index_urls))

    def checked_build_pins(self, needed: BuildRequirements, index_urls: Sequence[str]) -> list[str]:
        """``needed`` resolved with wheels only, checked, as ``name==version --hash=...``
        lines; ``BuildBlocked`` when the check blocks."""
        from safe_pip.pipeline.check_plan import check_plan

        builder = needed.for_package or "a source distribution"
        directory = self.work / f"build-requirements-{len(self.permits.build_pins)}"
        directory.mkdir(parents=True, exist_ok=True)
        output = directory / PLAN_FILE
        command = [*self.uv_pip, "compile", "-", "--format", "pylock.toml", "--output-file"]
        command += [str(output), "--no-header", "--quiet", "--only-binary", ":all:"]
        requirements = "\n".join(needed.requirements) + "\n"
        completed = run_uv_completed(command + self.resolve_args, self.env, requirements)
        if completed.returncode != 0:
            sources = needed_sources(completed.stderr)
            if sources:
                raise PipError(
                    f"the build of {builder} needs {', '.join(sources)}, which is only "
                    "published as source; safe-pip does not let uv build a build dependency"
                )
            raise uv_failure(completed.stderr)
        items = plan_items(output, requested=())
        result = check_plan(items, self.policy, index_urls, index_settings=self.settings)
        if result.verdict.blocked:
            result.notes.append(f"build dependencies of {builder}, which uv would have built")
            raise BuildBlocked(result)
        return [_pin(item) for item in items]


def source_candidates(name: str, files: Sequence[IndexFile]) -> list[PlanItem]:
    """One plan item per version of ``name`` with a source distribution on its pages."""
    candidates: dict[str, PlanItem] = {}
    for file in files:
        try:
            _, version = parse_sdist_filename(file.filename)
        except InvalidSdistFilename:
            continue
        candidates.setdefault(
            str(version),
            PlanItem(
                name=name,
                version=str(version),
                url=file.url,
                filename=file.filename,
                sha256=file.sha256,
                index_url=file.index_url,
                yanked=file.yanked,
                yanked_reason=file.yanked_reason,
            ),
        )
    return list(candidates.values())


def _only_versions(result: GuardResult, versions: set[str]) -> GuardResult:
    from safe_pip.models import Verdict
    from safe_pip.pipeline.check_plan import GuardResult

    plan = [item for item in result.verdict.plan if item.version in versions]
    decisions = [d for d in result.verdict.decisions if d.finding.version in versions]
    return GuardResult(Verdict(plan=plan, decisions=decisions))


def _pin(item: PlanItem) -> str:
    if not item.sha256:
        raise PipError(f"build dependency {item.spec} has no sha256 to pin it to")
    return f"{item.name}=={item.version} --hash=sha256:{item.sha256}"
