"""Ask the target interpreter's pip for its exact install plan (``--dry-run --report -``).

pip resolves; safe-pip only reads the report. The user's arguments go to pip unchanged
(see ``pip_args``), so the plan is exactly what ``pip install ARGS`` would install.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from safe_pip.console import strip_ansi
from safe_pip.errors import PipError, SafePipError, UsageError
from safe_pip.hook.runtime import run_token
from safe_pip.installers.pip.args import InstallArgs
from safe_pip.installers.pip.report import HashMismatch, hash_mismatches, parse_report
from safe_pip.installers.process import (
    ChildOutput,
    PendingChild,
    check_interpreter,
    pip_child_env,
    start_child,
)
from safe_pip.installers.requirement_pins import pinned_hashes
from safe_pip.models import PlanItem

_TOO_OLD_MARKERS = ("no such option: --report", "no such option: --dry-run")
_RESOLUTION_HINT = "ResolutionImpossible"
_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
# pip rejected the command line or a requirement itself: the user's input is wrong (exit 2).
USAGE_MARKERS = (
    "no such option:",
    "option requires",
    "invalid choice:",
    "You must give at least one requirement",
    "Invalid requirement:",
    "is not a valid editable requirement",
    "is not a valid wheel filename",
    "does not appear to be a Python project",
    "is not installable",
    "Can not combine",
    "Can not use any platform or abi specific options",
    "Can not perform a '--user' install",
)


class PinnedHashMismatchError(PipError):
    """A downloaded file did not match a hash the user pinned in a requirements file."""

    def __init__(self, message: str, mismatches: list[HashMismatch]) -> None:
        super().__init__(message)
        self.mismatches = mismatches


def dry_run_command(python: str, install_args: InstallArgs, report: str = "-") -> list[str]:
    """pip's dry run writing its report to ``report`` (a file: pip's log lines, which a
    ``verbose`` setting in pip's config or ``PIP_VERBOSE`` puts on stdout, stay out of it)."""
    return [
        python,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--report",
        report,
        "--quiet",
        "--disable-pip-version-check",
        *install_args.dry_run_args,
    ]


def resolve_plan(
    python: str, install_args: InstallArgs, env: Mapping[str, str] | None = None
) -> list[PlanItem]:
    """The exact list of distributions ``pip install ARGS`` would install into ``python``.

    Raises ``UsageError`` (no such interpreter, broken requirements file, arguments pip
    rejects) or ``PipError`` (pip failed, is too old, or a pinned hash did not match).
    """
    with start_plan(python, install_args, env) as pending:
        return pending.result()


def start_plan(
    python: str, install_args: InstallArgs, env: Mapping[str, str] | None = None
) -> PendingChild[list[PlanItem]]:
    """Start pip's dry run and return at once, so the caller can prepare its checks while pip
    resolves; ``.result()`` waits for the plan (see ``resolve_plan`` for the errors)."""
    interpreter = check_interpreter(python)
    pins = pinned_hashes(install_args.requirement_inputs)  # UsageError before pip runs
    work_dir = Path(tempfile.mkdtemp(prefix="safe-pip-plan-"))
    report = work_dir / "report.json"

    def read(output: ChildOutput) -> list[PlanItem]:
        if output.returncode != 0:
            raise _pip_failure(python, output.returncode, strip_ansi(output.stderr))
        return [_with_pins(item, pins) for item in _read_report(report)]

    def cannot_start(error: OSError) -> UsageError:
        return UsageError(f"cannot run Python interpreter {python}: {error.strerror}")

    token = run_token.issue()  # safe-pip checks this plan itself: a hook stays off

    def cleanup() -> None:
        token.revoke()
        shutil.rmtree(work_dir, ignore_errors=True)

    return start_child(
        dry_run_command(interpreter, install_args, str(report)),
        pip_child_env(env, token),
        read,
        cannot_start=cannot_start,
        cleanup=cleanup,
    )


def _read_report(report: Path) -> list[PlanItem]:
    try:
        text = report.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        text = ""
    except OSError as error:
        raise PipError(
            f"could not read pip's installation report {report}: {error.strerror}"
        ) from None
    if not text.strip():
        raise PipError("could not read pip's installation report: pip wrote none")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PipError(f"could not read pip's installation report: not JSON ({error})") from None
    return parse_report(document)


def _with_pins(item: PlanItem, pins: Mapping[str, set[str]]) -> PlanItem:
    pinned = pins.get(item.name)
    if not pinned:
        return item
    return dataclasses.replace(item, pinned_hashes=tuple(sorted(pinned)))


def _pip_failure(python: str, returncode: int, stderr: str) -> SafePipError:
    if any(marker in stderr for marker in _TOO_OLD_MARKERS):
        return PipError(
            f"pip in {python} is too old: safe-pip needs pip >= 22.2 (for --dry-run --report); "
            f"upgrade it with: {python} -m pip install --upgrade pip"
        )
    if "No module named pip" in stderr:
        return PipError(
            f"pip is not installed in {python} (install it with: {python} -m ensurepip)"
        )
    mismatches = hash_mismatches(stderr)
    if mismatches:
        described = "; ".join(mismatch.describe() for mismatch in mismatches)
        return PinnedHashMismatchError(
            f"a downloaded file does not match the hash pinned in the requirements: {described}",
            mismatches,
        )
    line = pip_error_line(stderr, returncode)
    failure: SafePipError
    if any(marker in stderr for marker in USAGE_MARKERS):
        failure = UsageError(f"pip rejected the install arguments: {line}")
    else:
        failure = PipError(f"pip could not resolve the install plan: {line}")
    block = pip_error_block(stderr)
    if block.strip() != line:  # more than the line already in the message
        failure.details = block
    return failure


def pip_error_block(stderr: str) -> str:
    """pip's whole error block: from its first error line to the end ("from versions: ..."
    lists, which build dependency failed, notes and hints), without leading log lines."""
    lines = stderr.rstrip().splitlines()
    start = next(
        (i for i, text in enumerate(lines) if text.lstrip().lower().startswith("error:")), 0
    )
    return "\n".join(lines[start:])


def unfound_project(message: str) -> str | None:
    """The project in pip's "No matching distribution found for NAME[...]" line, normalized."""
    match = _NOT_FOUND.search(message)
    if match is None:
        return None
    try:
        return canonicalize_name(Requirement(match.group(1)).name)
    except InvalidRequirement:
        return None


def pip_error_line(stderr: str, returncode: int) -> str:
    """The most telling single line of pip's error output, without pip's own ``ERROR:`` /
    ``error:`` label (it follows safe-pip's ``error:``: never "error: ERROR: ...")."""
    line = _pip_error_line(stderr, returncode)
    label, colon, rest = line.partition(":")
    return rest.strip() if colon and label.lower() == "error" and rest.strip() else line


def _pip_error_line(stderr: str, returncode: int) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    if len(errors) > 1 and _RESOLUTION_HINT in errors[-1]:
        return errors[-2]
    if errors:
        return errors[-1]
    diagnostics = [line for line in lines if line.lower().startswith("error:")]
    if diagnostics:
        return diagnostics[0]
    return lines[-1] if lines else f"pip exited with code {returncode}"
