"""One protocol for the installers safe-pip drives: plan in, vetted install out, outcome ->
exit code.

A backend (``installers.pip.backend.PipInstaller``, ``installers.uv.backend.UvInstaller``)
knows how its installer plans and how it installs exactly a vetted plan. Everything the user
sees around that is written once, here, and holds for every backend:

* a progress line while the installer plans and safe-pip checks (on a terminal only);
* nothing to install: one line on stderr, and with a machine format (``--format json``...)
  still one report; findings on installed versions of the requested projects are warnings;
* the verdict is printed before anything is installed; blocked is exit 1;
* when stdout carries a machine report, the installer's own output goes to stderr;
* a file that differs from the checked sha256 is exit 1, Ctrl-C 130, any other installer
  failure after the checks exit 4 (``INSTALL_FAILED``), never the installer's own code.

The front ends choose a backend once (``commands.install``: pip, ``commands.uv``: uv) and
call :func:`guarded_install`; installs from a checked lock (``uv sync``, ``uv pip sync
pylock.toml``) report with :func:`report` and finish with :func:`exit_code`. A backend plans
and checks in one step (:meth:`Installer.plan_and_check`), so it can plan again around what
the checks refused (uv's steering) while the rules above stay shared.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TextIO

from safe_pip import exit_codes
from safe_pip.console import Progress, say

if TYPE_CHECKING:
    from safe_pip.index.client import IndexFile
    from safe_pip.index.settings import IndexSettings
    from safe_pip.models import PlanItem
    from safe_pip.pipeline.check_plan import GuardResult
    from safe_pip.pipeline.policy import Policy
    from safe_pip.pipeline.report_options import ReportOptions

INSTALL_PLAN = "install the vetted plan"
SYNC_LOCK = "sync the checked lock file"


@dataclass(frozen=True)
class Planned:
    """An installer's exact plan and where it looks for packages."""

    items: list[PlanItem]
    index_urls: Sequence[str]
    index_settings: IndexSettings | None = None  # the installer's network settings
    # index pages already known (e.g. from uv's own lock); None: the check reads them
    index_files: Mapping[str, Sequence[IndexFile]] | None = None


@dataclass
class Checked:
    """A plan with its verdict; ``notes`` are said before the report when it allows the plan
    (e.g. which versions were chosen around blocked ones)."""

    planned: Planned
    result: GuardResult
    notes: list[str] = field(default_factory=list)
    environment: str | None = None  # where the installer will install, when it said so


Check = Callable[[Planned], "GuardResult"]


class PlanRefused(Exception):
    """The installer itself refused a file while planning (a pinned hash did not match, a
    build the plan needs was blocked); ``result`` is the blocking verdict to report."""

    def __init__(self, result: GuardResult) -> None:
        super().__init__("the installer refused a file while planning")
        self.result = result


@dataclass(frozen=True)
class InstallOutcome:
    """What an install did. ``returncode`` is the installer's (130 when interrupted)."""

    returncode: int
    hash_mismatch: bool = False  # a served file differs from the vetted hash; nothing installed

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Installer(Protocol):
    """A backend: how one installer plans and installs exactly a vetted plan."""

    @property
    def name(self) -> str:
        """The installer's name in messages ("pip", "uv")."""
        ...

    @property
    def dry_run(self) -> bool:
        """The user asked for a dry run: check, record no hash as seen, install nothing."""
        ...

    @property
    def installs_an_empty_plan(self) -> bool:
        """An empty plan still changes the environment (``uv pip sync`` removes the rest)."""
        ...

    def plan_and_check(self, policy: Policy, check: Check) -> Checked:
        """The exact plan, checked with ``check`` (``PlanRefused`` when the installer refused
        a file or a build the plan needs was blocked by ``policy``)."""
        ...

    def install(self, items: Sequence[PlanItem], *, stdout: TextIO | None) -> InstallOutcome:
        """Install exactly ``items`` (a dry run installs nothing); the installer's stdout goes
        to ``stdout`` when given."""
        ...

    def close(self) -> None:
        """End whatever still runs and remove what planning left behind (on every way out)."""
        ...


def guarded_install(
    installer: Installer,
    *,
    load_policy: Callable[[], Policy],
    report_options: ReportOptions,
    already_installed: Callable[[Policy], GuardResult] | None = None,
) -> int:
    """Plan, check, report and install with ``installer``; the documented exit code.

    ``load_policy`` runs while the installer plans (pip resolves in the background).
    ``already_installed``: when there is nothing to install, the findings on what the
    environment already has of the requested projects (reported as warnings)."""
    try:
        return _plan_check_install(installer, load_policy, report_options, already_installed)
    finally:
        installer.close()


def _plan_check_install(
    installer: Installer,
    load_policy: Callable[[], Policy],
    options: ReportOptions,
    already_installed: Callable[[Policy], GuardResult] | None,
) -> int:
    from safe_pip.models import Verdict
    from safe_pip.pipeline.check_plan import GuardResult, check_plan

    progress = Progress()
    with progress:
        progress.show(f"resolving with {installer.name}...")
        policy = load_policy()

        def check(planned: Planned) -> GuardResult:
            if not planned.items:
                return GuardResult(verdict=Verdict(plan=[]))
            count = len(planned.items)
            progress.show(f"checking {count} package{'' if count == 1 else 's'}...")
            return check_plan(
                planned.items,
                policy,
                planned.index_urls,
                record_seen=not installer.dry_run,
                index_files=planned.index_files,
                index_settings=planned.index_settings,
            )

        try:
            checked = installer.plan_and_check(policy, check)
        except PlanRefused as refused:
            progress.clear()
            return report(refused.result, options)
    if checked.environment is not None:
        options = options._replace(environment=checked.environment)
    if not checked.planned.items and not installer.installs_an_empty_plan:
        installed = already_installed(policy) if already_installed else checked.result
        problems = bool(installed.verdict.decisions)
        result = installed if problems else checked.result  # an empty plan when all is well
        if problems or options.output_format != "text":  # a machine report in every outcome
            report(result, options)
        say(
            "nothing to install: every requirement is already satisfied"
            + (", but the installed versions above have known problems." if problems else ".")
        )
        return exit_codes.OK
    if not checked.result.verdict.blocked:
        for note in checked.notes:
            say(note)
    if report(checked.result, options) != exit_codes.OK:
        return exit_codes.BLOCKED
    outcome = installer.install(checked.planned.items, stdout=installer_stdout(options))
    return exit_code(outcome, installer.name)


def report(result: GuardResult, options: ReportOptions) -> int:
    """Print the verdict; ``BLOCKED`` or ``OK``."""
    from safe_pip.pipeline.report import print_verdict

    print_verdict(result, options)
    return result.exit_code


def installer_stdout(options: ReportOptions) -> TextIO | None:
    """Where the installer's stdout goes: stderr when stdout carries a machine report."""
    return sys.stderr if options.machine_stdout else None


def exit_code(outcome: InstallOutcome, installer_name: str, what: str = INSTALL_PLAN) -> int:
    """The documented exit code for what the installer did after the checks passed."""
    if outcome.hash_mismatch:
        say(
            "blocked: a downloaded file does not match the sha256 that was checked "
            "(the index served different bytes); nothing was installed."
        )
        return exit_codes.BLOCKED
    if outcome.returncode == exit_codes.INTERRUPTED:
        return exit_codes.INTERRUPTED
    if not outcome.ok:
        say(f"{installer_name} failed to {what} ({installer_name} exit code {outcome.returncode}).")
        return exit_codes.INSTALL_FAILED
    return exit_codes.OK
