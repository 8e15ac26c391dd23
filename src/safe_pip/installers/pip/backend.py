"""pip as an installer backend: plan with pip's dry run, install the vetted plan with pip.

``PipInstaller.start`` starts pip's dry run and the index-settings lookup at once, so both run
while the caller loads its policy and checking code; ``plan()`` waits for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from safe_pip.errors import IndexUnreachableError, PipError, UsageError
from safe_pip.index.settings import IndexSettings
from safe_pip.installers.base import Check, Checked, InstallOutcome, Planned, PlanRefused
from safe_pip.installers.pip.args import InstallArgs
from safe_pip.installers.pip.config import start_effective_index_urls
from safe_pip.installers.pip.plan import PinnedHashMismatchError, start_plan, unfound_project
from safe_pip.installers.pip.report import HashMismatch
from safe_pip.installers.process import PendingChild
from safe_pip.models import PlanItem

if TYPE_CHECKING:
    from safe_pip.pipeline.check_plan import GuardResult
    from safe_pip.pipeline.policy import Policy
    from safe_pip.pipeline.report_options import ReportOptions


@dataclass
class PipInstaller:
    python: str
    install_args: InstallArgs
    requirement_options: list[str]  # index options of the user's requirement files
    pending_plan: PendingChild[list[PlanItem]]
    pending_settings: PendingChild[IndexSettings]
    report_options: ReportOptions | None = None  # how a blocked inspection is shown
    _policy: Policy | None = field(default=None, init=False)

    name = "pip"
    installs_an_empty_plan = False

    @classmethod
    def start(
        cls,
        python: str,
        install_args: InstallArgs,
        requirement_options: list[str],
        report_options: ReportOptions | None = None,
    ) -> PipInstaller:
        pending_plan = start_plan(python, install_args)
        try:
            pending_settings = start_effective_index_urls(python, install_args)
        except BaseException:
            pending_plan.cancel()
            raise
        return cls(
            python,
            install_args,
            requirement_options,
            pending_plan,
            pending_settings,
            report_options,
        )

    @property
    def dry_run(self) -> bool:
        return self.install_args.dry_run

    def plan_and_check(self, policy: Policy, check: Check) -> Checked:
        self._policy = policy
        planned = self._plan()
        return Checked(planned, check(planned))

    def _plan(self) -> Planned:
        try:
            items = self.pending_plan.result()
        except PinnedHashMismatchError as exc:
            raise PlanRefused(download_mismatch_result(exc.mismatches)) from None
        except PipError as exc:
            raise _explain_pip_failure(exc, self.pending_settings.result()) from None
        settings = self.pending_settings.result()
        return Planned(items=items, index_urls=settings.index_urls, index_settings=settings)

    def install(self, items: Sequence[PlanItem], *, stdout: TextIO | None) -> InstallOutcome:
        from safe_pip.console import say
        from safe_pip.installers.pip.vetted_install import install_vetted

        if self.dry_run:
            say("--dry-run: nothing was installed.")
            return InstallOutcome(0)
        stopped = self._inspect_wheels(items)
        if stopped is not None:
            return stopped
        return install_vetted(
            self.python,
            items,
            self.install_args.passthrough_args,
            requirement_options=self.requirement_options,
            stdout=stdout,
        )

    def _inspect_wheels(self, items: Sequence[PlanItem]) -> InstallOutcome | None:
        """What the plan's wheels carry, before the vetted install (``inspect_plan``); a
        downloaded file whose sha256 is not the checked one ends the install as pip's own
        refusal would (nothing installed, the hash-mismatch exit)."""
        import tempfile
        from pathlib import Path

        from safe_pip.installers.inspection import act_on_inspection
        from safe_pip.installers.pip.inspect_plan import inspect_pip_plan
        from safe_pip.pipeline.report_options import ReportOptions

        if self._policy is None:
            raise RuntimeError("install() before plan_and_check()")
        settings = self.pending_settings.result()
        with tempfile.TemporaryDirectory(prefix="safe-pip-inspect-") as work:
            result = inspect_pip_plan(
                self.python, items, self._policy, settings, self.install_args, Path(work)
            )
        return act_on_inspection(result, self.report_options or ReportOptions(), "pip")

    def close(self) -> None:
        self.pending_plan.cancel()
        self.pending_settings.cancel()


def _explain_pip_failure(error: PipError, index_settings: IndexSettings) -> Exception:
    """pip run with --quiet says only "No matching distribution" when the index is down:
    probe the indexes so the user learns which it is (exit 3), else it is bad input (exit 2)."""
    from safe_pip.index.client import fetch_index_files

    message = str(error)
    if "No matching distribution" not in message and "from versions: none" not in message:
        return error
    # Ask for the project the user asked for, so an unreachable-index error names it; any
    # answer, even a 404, proves the index is up.
    asked_for = unfound_project(message) or "pip"
    try:
        fetch_index_files(index_settings.index_urls, [asked_for], settings=index_settings)
    except IndexUnreachableError as unreachable:
        return unreachable
    usage = UsageError(message)
    usage.details = error.details  # pip's "from versions: ..." list
    return usage


def download_mismatch_result(mismatches: Sequence[HashMismatch]) -> GuardResult:
    """pip refused a downloaded file whose sha256 differs from a pinned or published one."""
    from safe_pip.models import Action, Decision, Verdict
    from safe_pip.pipeline.check_plan import GuardResult
    from safe_pip.pipeline.checks import download_hash_finding

    decisions = []
    for mismatch in mismatches:
        name, version = _name_and_version(mismatch.requirement)
        finding = download_hash_finding(name, version, mismatch.got, mismatch.expected)
        decisions.append(Decision(finding=finding, action=Action.BLOCK))
    return GuardResult(verdict=Verdict(plan=[], decisions=decisions))


def _name_and_version(requirement: str) -> tuple[str, str]:
    """``"Foo_Bar[extra]==1.0"`` (pip's wording of a requirement) -> ``("foo-bar", "1.0")``."""
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement:
        name, _, version = requirement.partition("==")
        return name.strip(), version.strip()
    pinned = [spec.version for spec in parsed.specifier if spec.operator in ("==", "===")]
    return canonicalize_name(parsed.name), pinned[0] if pinned else ""
