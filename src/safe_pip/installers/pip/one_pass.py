"""Run the target interpreter's pip once, with safe-pip's guard loaded into it for that run.

``<python> -c CODE install ARGS``: ``CODE`` (``hook/runtime/bootstrap.py``) loads the guard's
stdlib-only runtime from safe-pip's own installation (nothing is written into the target
environment) and runs pip; pip's own option parser reads ``ARGS``, so safe-pip never has to
agree with pip about what an argument means. While pip runs, this process answers the
guard's questions (``GuardService`` behind a ``GuardListener``): every candidate before pip
chooses, every distribution before it is downloaded or built, the resolved set before
anything is installed. The advisory database is opened while pip starts and resolves.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from safe_pip import exit_codes
from safe_pip.console import say
from safe_pip.errors import (
    CannotCheckError,
    IndexUnreachableError,
    PipError,
    SafePipError,
    UnsatisfiableError,
    UsageError,
)
from safe_pip.installers.pip.guard_server import GuardListener
from safe_pip.installers.process import InstallerRun, pip_child_env, run_installer
from safe_pip.pipeline import decision_log

# Only what starting pip needs is imported up front: the checking code is imported while pip
# starts up (``run_guarded_pip``), so it costs the user no time.
if TYPE_CHECKING:
    from safe_pip.index.settings import IndexSettings
    from safe_pip.installers.pip.guard_service import GuardOutcome, GuardService
    from safe_pip.models import Decision, PlanItem
    from safe_pip.pipeline.check_plan import GuardResult
    from safe_pip.pipeline.policy import Policy
    from safe_pip.pipeline.report_options import ReportOptions

INSTALL = "install"
AUDIT = "audit"
# pip's commands that fetch, build or write distributions: each runs with the guard (their
# plan is what they would download, build or write into a lock file)
GUARDED_COMMANDS = ("install", "download", "wheel", "lock")


class GuardedRun(NamedTuple):
    """pip's exit code and stderr, and what the guard saw."""

    pip: InstallerRun
    outcome: GuardOutcome
    command: str = INSTALL  # pip's command word (``GUARDED_COMMANDS``)


def guarded_pip_command(
    python: str,
    pip_args: Sequence[str],
    listener: GuardListener,
    *,
    mode: str,
    command: str = INSTALL,
) -> list[str]:
    from safe_pip.hook.runtime import bootstrap

    settings = {"address": listener.address, "token": listener.token, "mode": mode}
    return [python, "-c", bootstrap.code(settings), command, *pip_args]


def run_guarded_pip(
    python: str,
    pip_args: Sequence[str],
    make_service: Callable[[], GuardService],
    *,
    mode: str = INSTALL,
    output_to_stderr: bool = False,
    pip_command: str = INSTALL,
) -> GuardedRun:
    """Run pip once with the guard. pip starts first; then a thread imports the checking code,
    builds the service (``make_service``) and opens the database while pip starts up (pip
    asks nothing for its first few hundred milliseconds), and the guard's questions wait for
    it. Nothing before the start of pip imports more than it needs to start it."""
    services: list[GuardService] = []
    with GuardListener() as listener:

        def prepare() -> None:
            service = make_service()
            services.append(service)
            listener.attach(service)
            service.preload()
            decision_log.prepare()  # its line is written after pip, when the user waits

        preparing = threading.Thread(target=prepare, daemon=True)
        command = guarded_pip_command(python, pip_args, listener, mode=mode, command=pip_command)
        if mode == AUDIT:  # pip's own lines are not part of an audit's report
            with subprocess.Popen(
                command,
                env=pip_child_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            ) as child:
                preparing.start()
                out, err = child.communicate()
            text = err.decode("utf-8", errors="replace")
            if child.returncode != 0:  # pip explains a conflict on stdout ("caused by")
                text += _conflict_explanation(out.decode("utf-8", errors="replace"))
            pip = InstallerRun(child.returncode, text)
        else:
            stdout = sys.stderr if output_to_stderr else None
            pip = run_installer(command, pip_child_env(), stdout, started=preparing.start)
        if preparing.ident is not None:  # started with pip
            preparing.join()
    service = services[0]
    service.close()
    from safe_pip.hook.runtime.bootstrap import NO_PIP_EXIT

    if pip.returncode == NO_PIP_EXIT:
        raise no_pip_error(python)
    return GuardedRun(pip, service.outcome, pip_command)


def install(
    python: str,
    pip_args: Sequence[str],
    load_policy: Callable[[], Policy],
    report: ReportOptions,
    *,
    fallback: Callable[[], int],
    already_installed: Callable[[Policy], GuardResult] | None = None,
    pip_command: str = INSTALL,
) -> int:
    """``safe-pip install``: one guarded pip run; the exit code the README documents.

    ``load_policy`` runs while pip starts. ``fallback`` (the two-pass check) runs only when
    the guard does not recognise this pip and policy says ``fail-mode = "open"``.
    ``already_installed``: when pip has nothing to install, the findings on what the
    environment already has of the requested projects (reported as warnings)."""
    policies: list[Policy] = []

    def make_service() -> GuardService:
        from safe_pip.installers.pip.guard_service import GuardService

        try:
            policies.append(load_policy())
        except SafePipError as exc:
            return GuardService.refusing(exc)
        return GuardService(policies[0], print_reports=True, report=report)

    run = run_guarded_pip(
        python,
        pip_args,
        make_service,
        output_to_stderr=report.machine_stdout,
        pip_command=pip_command,
    )
    if unsupported_pip(run) and policies and policies[0].fails_open:
        from safe_pip.hook.runtime.pip_patch import UNSUPPORTED_BY_GUARD
        from safe_pip.installers.pip.binary_only import NOT_CHECKED

        say(f"warning: {run.outcome.unsupported or UNSUPPORTED_BY_GUARD}; {NOT_CHECKED}.")
        return fallback()
    installed = None
    if already_installed is not None and policies and _nothing_to_install(run.outcome):
        installed = already_installed(policies[0])
    return install_exit_code(run, report, installed)


def _nothing_to_install(outcome: GuardOutcome) -> bool:
    return outcome.main_result is not None and not outcome.main_result.verdict.plan


def unsupported_pip(run: GuardedRun) -> bool:
    """The guard said it does not recognise this pip's internals (to the checker, or in its
    own error line when it could not reach it)."""
    if run.outcome.unsupported is not None:
        return True
    if run.pip.returncode != exit_codes.CANNOT_CHECK:
        return False  # (no import of the guard's module here after every run)
    from safe_pip.hook.runtime.pip_patch import UNSUPPORTED_BY_GUARD

    return UNSUPPORTED_BY_GUARD in run.pip.stderr


def audit(python: str, pip_args: Sequence[str], policy: Policy) -> Audit:
    """Resolve ``pip install --dry-run ARGS`` for an audit: the same gate as an install, and
    nothing is ever built (an sdist that would have to be is a ``NEEDS-BUILD`` finding)."""

    def make_service() -> GuardService:
        from safe_pip.installers.pip.guard_service import GuardService

        return GuardService(policy, print_reports=False, audit=True)

    # not --quiet: pip tells why a resolution is impossible at its normal level
    args = ["--dry-run", "--disable-pip-version-check", *pip_args]
    run = run_guarded_pip(python, args, make_service, mode=AUDIT)
    outcome = run.outcome
    if outcome.error is not None:
        raise CannotCheckError(outcome.error)
    stopped = outcome.stop_result.verdict.decisions if outcome.stop_result is not None else []
    decisions = [*stopped, *outcome.needs_build]
    if run.pip.returncode != 0 and not decisions:
        failure = pip_failure(run.pip, outcome.failed_index)
        failure.details = failure.details or run.pip.stderr.strip()  # pip's explanation
        raise failure
    return Audit(items=list(outcome.audit_items), decisions=decisions)


def _conflict_explanation(stdout: str) -> str:
    """pip's "The conflict is caused by: ..." block from its stdout, if it wrote one."""
    start = stdout.find("The conflict is caused by")
    return "" if start < 0 else "\n" + stdout[start:].strip() + "\n"


class Audit(NamedTuple):
    """What an audit's resolution found: the plan, and decisions that stopped it early."""

    items: list[PlanItem]
    decisions: list[Decision]


def install_exit_code(
    run: GuardedRun, report: ReportOptions, installed: GuardResult | None = None
) -> int:
    """Map pip's exit and the guard's outcome onto safe-pip's exit codes (printing the JSON
    report and the one-line reasons on the way). ``installed``: with nothing to install, the
    findings on the installed versions of the requested projects."""
    outcome, pip = run.outcome, run.pip
    if pip.returncode == exit_codes.INTERRUPTED:
        return exit_codes.INTERRUPTED
    if outcome.usage_error is not None:
        raise UsageError(outcome.usage_error)
    if outcome.error is not None:
        raise CannotCheckError(outcome.error)
    if outcome.stop_code != exit_codes.OK:
        _print_machine_report(outcome.stop_result, report)
        return outcome.stop_code
    if pip.returncode == 0 and run.command == INSTALL and _nothing_to_install(outcome):
        problems = installed is not None and bool(installed.verdict.decisions)
        if installed is not None and problems:
            from safe_pip.pipeline.report import print_verdict

            print_verdict(installed, report)
        else:
            _print_machine_report(outcome.main_result, report)
        say(
            "nothing to install: every requirement is already satisfied"
            + (", but the installed versions above have known problems." if problems else ".")
        )
        return exit_codes.OK
    if pip.returncode == 0 and run.command != INSTALL and outcome.main_result is None:
        # what pip downloaded, built or locked was never checked as a whole: not a pass
        raise CannotCheckError(
            f"pip {run.command} ended without its plan being checked; do not use its output"
        )
    if pip.returncode == 0:
        _print_machine_report(outcome.main_result, report)
        if outcome.dry_run:
            say("--dry-run: nothing was installed.")
        return exit_codes.OK
    from safe_pip.installers.pip.report import hash_mismatches, is_hash_mismatch

    if outcome.main_result is not None:  # every check passed; pip failed afterwards
        _print_machine_report(outcome.main_result, report)
        if is_hash_mismatch(pip.stderr):
            say(
                "blocked: a downloaded file does not match the sha256 that was checked "
                "(the index served different bytes); nothing was installed."
            )
            return exit_codes.BLOCKED
        what = "install" if run.command == INSTALL else f"{run.command} (after the checks)"
        say(f"pip failed to {what} the checked plan (pip exit code {pip.returncode}).")
        return exit_codes.INSTALL_FAILED
    if unsupported_pip(run):
        return exit_codes.CANNOT_CHECK  # the guard said so in its one error line
    mismatches = hash_mismatches(pip.stderr)
    if mismatches:
        from safe_pip.installers.pip.backend import download_mismatch_result
        from safe_pip.pipeline.report import print_verdict

        print_verdict(download_mismatch_result(mismatches), report)
        return exit_codes.BLOCKED
    raise pip_failure(pip, outcome.failed_index)


def _print_machine_report(result: GuardResult | None, report: ReportOptions) -> None:
    """A machine-readable report on stdout (``--format json`` and the like) is written once,
    when pip has ended, in every outcome; a text report (and ``--output``) came while pip
    ran."""
    if report.machine_stdout:
        from safe_pip.models import Verdict
        from safe_pip.pipeline.check_plan import GuardResult
        from safe_pip.pipeline.report import print_verdict

        print_verdict(result or GuardResult(verdict=Verdict(plan=[])), report)


_MISSING_REQUIREMENTS_FILE = re.compile(
    r"Could not open requirements file: \[Errno 2\] No such file or directory: '([^']*)'"
)


def no_pip_error(python: str) -> UsageError:
    """The target interpreter has no pip (a venv made by ``uv venv``): the ways forward."""
    from safe_pip.installers.target_python import environment_label

    where = environment_label(python)
    return UsageError(
        f"{where} has no pip: install into it with `safe-uv pip install --python {where} ...`, "
        f"or add pip to it first: `{python} -m ensurepip`"
    )


def pip_failure(pip: InstallerRun, index: IndexSettings | None = None) -> SafePipError:
    """pip stopped before its plan could be checked: bad input (2) or could not check (3)."""
    from safe_pip.installers.pip.plan import USAGE_MARKERS, pip_error_line

    line = pip_error_line(pip.stderr, pip.returncode)
    missing = _MISSING_REQUIREMENTS_FILE.search(pip.stderr)
    if missing is not None:  # worded as `safe-pip check` words it
        return UsageError(f"requirements file not found: {missing.group(1)}")
    if any(marker in pip.stderr for marker in USAGE_MARKERS) or pip.returncode == 2:
        return UsageError(f"pip rejected the install arguments: {line}")
    if "No matching distribution" in pip.stderr or "from versions: none" in pip.stderr:
        return _unknown_or_unreachable(line, index)
    return PipError(f"pip could not resolve the install plan: {line}")


def _unknown_or_unreachable(line: str, index: IndexSettings | None) -> SafePipError:
    """pip says only "No matching distribution" when the index is down, too: probe the
    indexes pip used so the user learns which it is (exit 3), else it is bad input (exit 2)."""
    if index is None or not index.index_urls:
        return UnsatisfiableError(line)
    from safe_pip.index.client import fetch_index_files
    from safe_pip.installers.pip.plan import unfound_project

    # Ask for the project the user asked for, so an unreachable-index error names it; any
    # answer, even a 404, proves the index is up.
    asked_for = unfound_project(line) or "pip"
    try:
        fetch_index_files(index.index_urls, [asked_for], settings=index)
    except IndexUnreachableError as unreachable:
        return unreachable
    return UnsatisfiableError(line)
