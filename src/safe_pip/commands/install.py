"""``safe-pip install ARGS``: plan with pip's resolver, check, then install exactly the plan.

pip's dry run is started first; safe-pip loads its policy and its checking modules while pip
resolves (they are imported inside ``run_install`` for that reason).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from safe_pip import exit_codes
from safe_pip.commands.help_text import PIP_HELP_OPTION, install_help
from safe_pip.commands.own_options import split_own_options
from safe_pip.console import Progress, refuse_colour, say
from safe_pip.errors import IndexUnreachableError, PipError, UsageError
from safe_pip.index.settings import IndexSettings
from safe_pip.installers.pip.args import parse_install_args
from safe_pip.installers.pip.config import start_effective_index_urls
from safe_pip.installers.pip.plan import PinnedHashMismatchError, start_plan, unfound_project
from safe_pip.installers.pip.report import HashMismatch
from safe_pip.installers.requirement_pins import read_requirement_files
from safe_pip.installers.target_python import environment_label, resolve_target_python
from safe_pip.models import Action, Decision, Verdict
from safe_pip.pipeline import decision_log

if TYPE_CHECKING:
    from safe_pip.pipeline.check_plan import GuardResult

_TRUE = ("1", "true", "yes", "on")  # how pip reads a boolean PIP_* variable


def run_install(argv: Sequence[str]) -> int:
    own, pip_args = split_own_options(argv)
    if PIP_HELP_OPTION in pip_args:  # the target pip's own help for `pip install`
        return subprocess.call([resolve_target_python(own.python), "-m", "pip", "install", "-h"])
    install_args = parse_install_args(pip_args)
    if install_args.help_requested:
        sys.stdout.write(install_help())
        return exit_codes.OK
    if install_args.python:
        raise UsageError("pip's --python is safe-pip's own option here: use it once, before pip's")
    python = resolve_target_python(own.python)
    decision_log.note_target(python)
    decision_log.note_check_started()  # from here on, even a failed plan is a guarded run
    report = own.report_options(environment=environment_label(python))
    if "--no-color" in pip_args or os.environ.get("PIP_NO_COLOR", "").lower() in _TRUE:
        refuse_colour()
    requirement_options = read_requirement_files(install_args.requirement_inputs).option_lines()

    progress = Progress()
    progress.show("resolving with pip...")
    pending_plan = start_plan(python, install_args)
    with progress, pending_plan, start_effective_index_urls(python, install_args) as urls:
        # While pip resolves: load the policy and the checking code (httpx, SQLite, TOML).
        from safe_pip.installers.pip.vetted_install import install_vetted
        from safe_pip.pipeline.check_plan import GuardResult, check_plan
        from safe_pip.pipeline.report import print_verdict

        policy = own.policy()
        try:
            plan = pending_plan.result()
        except PinnedHashMismatchError as exc:
            progress.clear()
            print_verdict(_download_mismatch_result(exc.mismatches), report)
            return exit_codes.BLOCKED
        except PipError as exc:
            raise _explain_pip_failure(exc, urls.result()) from None
        index_settings = urls.result()
        if plan:
            progress.show(f"checking {len(plan)} packages...")
            result = check_plan(
                plan,
                policy,
                index_settings.index_urls,
                record_seen=not install_args.dry_run,
                index_settings=index_settings,
            )

    if not plan:
        say("nothing to install: every requirement is already satisfied.")
        if report.output_format != "text":  # a machine report is written in every outcome
            print_verdict(GuardResult(verdict=Verdict(plan=[])), report)
        return exit_codes.OK

    print_verdict(result, report)
    if result.verdict.blocked:
        return exit_codes.BLOCKED
    if install_args.dry_run:
        say("--dry-run: nothing was installed.")
        return exit_codes.OK

    outcome = install_vetted(
        python,
        plan,
        install_args.passthrough_args,
        requirement_options=requirement_options,
        output_to_stderr=report.machine_stdout,
    )
    if outcome.hash_mismatch:
        say(
            "blocked: a downloaded file does not match the sha256 that was checked "
            "(the index served different bytes); nothing was installed."
        )
        return exit_codes.BLOCKED
    if outcome.returncode == exit_codes.INTERRUPTED:
        return exit_codes.INTERRUPTED
    if outcome.returncode != 0:
        say(f"pip failed to install the vetted plan (pip exit code {outcome.returncode}).")
        return exit_codes.INSTALL_FAILED
    return exit_codes.OK


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


def _download_mismatch_result(mismatches: Sequence[HashMismatch]) -> GuardResult:
    """pip refused a downloaded file whose sha256 differs from a pinned or published one."""
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
