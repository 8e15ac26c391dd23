"""``safe-pip check``: audit lock files, a plan or an installed environment; install nothing.

    safe-pip check FILE...          requirements.txt, uv.lock, pylock.toml, poetry.lock
    safe-pip check --plan FILE|-    a plan in the ``models.plan_to_json`` format (the pip hook)
    safe-pip check --installed      what is installed for --python (default: the active env)

Same checks, policy, report and exit codes as an install; nothing is downloaded or installed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from safe_pip import limits
from safe_pip.commands.own_options import add_policy_options, own_options_from_parsed
from safe_pip.console import Progress, say
from safe_pip.errors import CannotCheckError, UsageError
from safe_pip.index.settings import IndexSettings, settings_from_json
from safe_pip.installers.pip.lock_resolution import PipLockResolver
from safe_pip.installers.target_python import (
    default_target_note,
    environment_label,
    resolve_target_python,
)
from safe_pip.models import Action, PlanItem, Verdict, plan_from_json
from safe_pip.pipeline import decision_log
from safe_pip.pipeline.check_plan import GuardResult, check_plan
from safe_pip.pipeline.policy import Policy
from safe_pip.pipeline.report import print_verdict
from safe_pip.producers.installed import installed_plan, release_upload_time
from safe_pip.producers.lockfiles.check import check_lock_files

INSTALLED_NOTE = (
    "installed packages are checked against advisories only: an installed package has no "
    "artifact hash or index entry, so yanked and hash checks were skipped"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``check`` to an ``add_subparsers()`` object."""
    parser = subparsers.add_parser(
        "check",
        help="audit lock files, a plan or an installed environment without installing",
        description=(
            "Check lock files (requirements.txt, uv.lock, pylock.toml, poetry.lock), a plan "
            "(--plan) or an installed environment (--installed) against the advisory "
            "database, yanked releases and index hashes. Nothing is installed. "
            "Exit codes: 0 ok, 1 blocked, 2 bad input, 3 could not check."
        ),
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="lock or requirements files")
    parser.add_argument(
        "--plan", metavar="FILE", help="check a plan JSON file ('-' reads standard input)"
    )
    parser.add_argument(
        "--installed", action="store_true", help="check what is installed for --python"
    )
    parser.add_argument(
        "--inspect",
        action="store_true",
        help="also download every wheel the FILEs list (for uv.lock and pylock.toml: every "
        "platform's) into a temporary directory and look at what it carries: .pth code, "
        "startup hooks, shadowed commands, RECORD (docs/package-contents.md)",
    )
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter (or venv directory) for --installed and for resolving unpinned "
        "requirements (default: the active virtual environment, else the python3 on PATH "
        "outside safe-pip's own environment); the report names the environment it checked",
    )
    parser.add_argument(
        "--index-url",
        dest="index_urls",
        action="append",
        default=[],
        metavar="URL",
        help="index to verify hashes against when a file names none "
        "(default: pip's configured index); may be repeated",
    )
    add_policy_options(parser)
    parser.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    chosen = [bool(args.files), args.plan is not None, bool(args.installed)]
    if sum(chosen) != 1:
        raise UsageError("check needs exactly one of: FILE..., --plan FILE, --installed")
    if args.inspect and not args.files:
        raise UsageError("--inspect inspects the wheels of lock or requirements FILEs")
    own = own_options_from_parsed(args)
    policy = own.policy()
    if args.plan is not None:
        result = check_plan_json(args.plan, policy)
        # the pip hook, about to install: hints for a plain pip command
        options = own.report_options()._replace(through_hook=True)
    elif args.installed:
        python = resolve_target_python(args.python)
        note = default_target_note(python, args.python)
        if note is not None:
            say(note)
        with Progress() as progress:
            progress.show(f"checking what {environment_label(python)} has installed...")
            result = check_installed(python, policy, args.index_urls)
        options = own.report_options(audit=True, environment=environment_label(python))
    else:
        files = tuple(args.files)
        with Progress() as progress:
            progress.show(f"checking {', '.join(files)}...")
            result = check_lock_files(
                [Path(f) for f in files],
                policy,
                resolver=PipLockResolver(args.python),
                index_urls=args.index_urls,
            )
            if args.inspect:
                progress.show("downloading and inspecting the wheels...")
                _add_inspection(result, policy)
        options = own.report_options(audit=True, environment=", ".join(files), sources=files)
    print_verdict(result, options)
    return result.exit_code


def _add_inspection(result: GuardResult, policy: Policy) -> None:
    """``--inspect``: the contents findings of every wheel the checked plan lists."""
    import tempfile

    from safe_pip.pipeline.contents.fetch import inspect_plan_wheels
    from safe_pip.pipeline.contents.inspect import InstallTarget

    with tempfile.TemporaryDirectory(prefix="safe-pip-inspect-") as work:
        inspected = inspect_plan_wheels(
            result.verdict.plan, policy, None, InstallTarget(), Path(work), record=False
        )
    result.verdict.decisions.extend(inspected.verdict.decisions)
    result.notes.extend(inspected.notes)


def check_plan_json(source: str, policy: Policy) -> GuardResult:
    """The pip hook's entry: a plan it is about to install; passing hashes are recorded."""
    items, index_urls, settings = read_plan_json(source)
    if not items:
        return GuardResult(verdict=Verdict(plan=[]))
    return check_plan(items, policy, index_urls, record_seen=True, index_settings=settings)


def read_plan_json(source: str) -> tuple[list[PlanItem], list[str], IndexSettings | None]:
    """The plan, its index URLs and, when the plan says, pip's network settings."""
    label = "standard input" if source == "-" else source
    try:
        raw = (
            sys.stdin.buffer.read(limits.PLAN_MAX_BYTES + 1)
            if source == "-"
            else limits.read_bytes(Path(source), limits.PLAN_MAX_BYTES)
        )
        data = limits.load_json(raw, max_bytes=limits.PLAN_MAX_BYTES)
    except OSError as exc:
        raise UsageError(f"--plan {label}: cannot read: {exc.strerror or exc}") from None
    except limits.DocumentError as exc:
        raise UsageError(f"--plan {label}: {exc}") from None
    try:
        decision_log.note_origin(data.get("origin"))
        return read_plan_data(data)
    except (ValueError, TypeError, AttributeError) as exc:
        raise UsageError(f"--plan {label}: not a safe-pip plan: {exc}") from None


def read_plan_data(data: Any) -> tuple[list[PlanItem], list[str], IndexSettings | None]:
    """A decoded plan: its items, index URLs and network settings (``ValueError`` if bad)."""
    items, index_urls = plan_from_json(data)
    return items, index_urls, settings_from_json(data.get("network"), index_urls)


def check_installed(python: str, policy: Policy, index_urls: Sequence[str] = ()) -> GuardResult:
    """Audit what interpreter ``python`` has installed. Release ages are read from the
    index (``index_urls``, else pip's) and only warned about: it is installed already."""
    decision_log.note_target(python)
    items = installed_plan(python)
    if not items:
        return GuardResult(verdict=Verdict(plan=[]))
    notes: list[str] = []
    if policy.min_release_age > timedelta(0):
        items = _with_release_times(items, python, index_urls, notes)
    result = check_plan(items, replace(policy, too_new=Action.WARN), [], record_seen=False)
    result.notes.extend([*notes, INSTALLED_NOTE])
    return result


def _with_release_times(
    items: list[PlanItem], python: str, index_urls: Sequence[str], notes: list[str]
) -> list[PlanItem]:
    """The items with the upload time of their release on the index; an index that cannot
    be read leaves them without (a note says so: an audit still runs offline)."""
    from safe_pip.index.client import fetch_index_files
    from safe_pip.installers.pip.lock_resolution import pip_settings

    try:
        settings = pip_settings(python, required=False)
        urls = list(index_urls) or (list(settings.index_urls) if settings else [])
        if not urls:
            return items
        files = fetch_index_files(urls, [item.name for item in items], settings=settings)
    except CannotCheckError as exc:
        notes.append(f"release ages of installed packages not checked: {exc}")
        return items
    return [
        replace(item, upload_time=release_upload_time(files.get(item.name, ()), item.version))
        for item in items
    ]
