"""uv as an installer backend: plan with ``uv pip compile`` (builds gated by the checks),
install the checked plan with ``uv pip install``/``uv pip sync`` of uv's own lock of it.

With ``resolve = "avoid"`` a blocked plan is planned again with the disallowed versions of
each blocked, unpinned package excluded (``steering``), keeping the first plan's report when
nothing allowed satisfies the requirements.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from safe_pip.console import say
from safe_pip.installers.base import Check, Checked, InstallOutcome, Planned, PlanRefused
from safe_pip.installers.uv.args import UvInstallArgs
from safe_pip.installers.uv.builds import BuildPermits, permits_for
from safe_pip.installers.uv.runs import PlanningRuns, start_planning

if TYPE_CHECKING:
    from safe_pip.installers.uv.build_gate import BuildGate
    from safe_pip.installers.uv.plan import UvPlan
    from safe_pip.models import PlanItem
    from safe_pip.pipeline.policy import Policy
    from safe_pip.pipeline.report_options import ReportOptions

STEERING_ROUNDS = 5  # each round excludes the disallowed versions of newly blocked packages


@dataclass
class UvInstaller:
    uv: str
    global_args: list[str]
    command: str  # "install" or "sync" (of ``uv pip``)
    request: UvInstallArgs
    env: Mapping[str, str]
    work: Path  # removed by close()
    permits: BuildPermits  # what uv may build, for every uv run of this install
    runs: PlanningRuns  # started by start(), before safe-pip imported its checks
    report_options: ReportOptions | None = None  # how a build blocked while installing is shown
    _plan: UvPlan | None = field(default=None, init=False)
    _environment: str | None = field(default=None, init=False)  # where uv installs
    _gate: BuildGate | None = field(default=None, init=False)

    name = "uv"

    @classmethod
    def start(
        cls,
        uv: str,
        global_args: list[str],
        command: str,
        request: UvInstallArgs,
        env: Mapping[str, str],
        *,
        report_options: ReportOptions | None = None,
    ) -> UvInstaller:
        """Start uv's planning runs at once (``runs.start_planning``): they run while safe-pip
        loads its policy and imports its checks; ``close()`` ends what still runs."""
        work = Path(tempfile.mkdtemp(prefix="safe-pip-uv-"))
        try:
            permits = permits_for(request.plan_args, env)
            runs = start_planning(
                uv,
                global_args,
                request,
                work=work,
                permits=permits,
                no_deps=command == "sync",
                env=env,
            )
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return cls(uv, global_args, command, request, env, work, permits, runs, report_options)

    @property
    def dry_run(self) -> bool:
        return "--dry-run" in self.request.install_args

    @property
    def installs_an_empty_plan(self) -> bool:
        return self.command == "sync"  # an empty sync uninstalls everything else

    def plan_and_check(self, policy: Policy, check: Check) -> Checked:
        from safe_pip.errors import SafePipError
        from safe_pip.installers.uv.args import uv_index_settings
        from safe_pip.installers.uv.build_gate import BuildBlocked, BuildGate

        uv, global_args, request, env = self.uv, self.global_args, self.request, self.env
        gate = BuildGate(
            uv_pip=[uv, *global_args, "pip"],
            resolve_args=[*request.target_args, *request.shared_args],
            work=self.work,
            policy=policy,
            settings=uv_index_settings([*global_args, *request.shared_args], env),
            env=env,
            permits=self.permits,
        )
        try:
            checked = self._steered(gate, check)
        except BuildBlocked as blocked:
            self.runs.environment()  # a target uv refuses says so first, as uv would
            raise PlanRefused(blocked.result) from None
        except SafePipError:
            self.runs.environment()
            raise
        checked.environment = self._environment = self.runs.environment()
        return checked

    def _steered(self, gate: BuildGate, check: Check) -> Checked:
        """uv's plan and its check, planned again around blocked versions (see module)."""
        from safe_pip.errors import CannotCheckError
        from safe_pip.installers.uv import steering

        pinned = steering.pinned_names(self.request)

        def plan_and_check() -> tuple[UvPlan, Checked]:
            plan = self._resolve(gate)
            planned = Planned(
                items=plan.items,
                index_urls=plan.index_urls,
                index_settings=gate.settings,
                # index_files: none given, so the check reads every planned package's index
                # pages itself: yanked, upload time and project status from safe-pip's
                # reading of them, as in every front end (uv's lock is not the authority)
            )
            from safe_pip.pipeline.kept import as_kept

            # installed versions uv keeps: warnings, as with pip (pipeline.kept)
            return plan, Checked(planned, as_kept(check(planned), plan.kept_installed))

        plan, checked = plan_and_check()
        avoided: dict[str, steering.Avoided] = {}
        for _ in range(STEERING_ROUNDS):
            blocked = steering.blocked_versions(checked.result)
            to_steer = [name for name in blocked if name not in pinned and name not in avoided]
            if not checked.result.verdict.blocked or not gate.policy.steers or not to_steer:
                break
            refused = steering.disallowed_versions(
                to_steer, gate.policy, plan.index_urls, gate.settings
            )
            for name in to_steer:
                avoided[name] = blocked[name]
                gate.permits.exclude(name, refused.get(name, [blocked[name].version]))
            try:
                plan, checked = plan_and_check()
            except CannotCheckError:
                break  # nothing allowed fits: block with the first plan's report
        self._plan, self._gate = plan, gate
        chosen = {item.name: item.version for item in plan.items}
        checked.notes = [steering.steering_line(a, chosen.get(a.name)) for a in avoided.values()]
        checked.notes += [
            f"uv may not build {build.name} {build.version}: {', '.join(build.ids)}"
            for build in gate.avoided
        ]
        return checked

    def _resolve(self, gate: BuildGate) -> UvPlan:
        from safe_pip.installers.uv.plan import resolve_uv_plan

        return resolve_uv_plan(
            self.uv,
            self.global_args,
            self.request,
            work=gate.work,
            gate=gate,
            runs=self.runs,
            no_deps=self.command == "sync",
            env=self.env,
        )

    def install(self, items: Sequence[PlanItem], *, stdout: TextIO | None) -> InstallOutcome:
        from safe_pip.installers.base import report
        from safe_pip.installers.uv.build_gate import BuildBlocked
        from safe_pip.installers.uv.install import install_with_uv
        from safe_pip.pipeline.report_options import ReportOptions

        if self.dry_run:
            planned = ", ".join(item.spec for item in items)
            say(f"dry run: would install {planned}; nothing was installed.")
            return InstallOutcome(0)
        if self._plan is None or self._gate is None:
            raise RuntimeError("install() before plan_and_check()")
        install_args = [*self.request.target_args, *self.request.install_args]
        stopped = self._inspect_wheels(items)
        if stopped is not None:
            return stopped
        try:
            return install_with_uv(
                self.uv,
                self.global_args,
                self.command,
                self._plan,
                install_args,
                self.env,
                self._gate,
                stdout,
            )
        except BuildBlocked as blocked:  # a build requirement met only now, and flagged
            report(blocked.result, self.report_options or ReportOptions())
            raise

    def _inspect_wheels(self, items: Sequence[PlanItem]) -> InstallOutcome | None:
        """What the plan's wheels carry, before uv writes anything (``inspect_wheels``). A
        downloaded file whose sha256 is not the checked one ends the install as uv's own
        refusal would (nothing installed, the hash-mismatch exit)."""
        from safe_pip.installers.inspection import act_on_inspection
        from safe_pip.installers.uv.inspect_wheels import inspect_for_uv
        from safe_pip.pipeline.report_options import ReportOptions

        assert self._gate is not None and self._plan is not None
        # --target/--prefix install elsewhere than the environment uv names
        environment = None if self.request.location_args else self._environment
        result = inspect_for_uv(
            items,
            self._gate.policy,
            self._gate.settings,
            environment,
            self.work,
            self._plan.index_urls,
        )
        return act_on_inspection(result, self.report_options or ReportOptions(), "uv")

    def close(self) -> None:
        self.runs.cancel()
        shutil.rmtree(self.work, ignore_errors=True)
