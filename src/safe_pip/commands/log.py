"""``safe-pip log``: the most recent guarded runs from the decision log."""

from __future__ import annotations

import argparse
import json
import sys

from safe_pip import exit_codes, paths
from safe_pip.console import terminal_safe
from safe_pip.pipeline import decision_log

DEFAULT_COUNT = 20


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``log`` to an ``add_subparsers()`` object."""
    log = subparsers.add_parser(
        "log",
        help="show the decision log of recent guarded runs",
        description=(
            "Every guarded run (install, check, the pip hook, uv) appends one JSON line to "
            f"{paths.decision_log_path()}: time, command, target environment, plan, findings, "
            "decisions and verdict (credentials in URLs are masked). This shows the last ones."
        ),
    )
    log.add_argument(
        "-n",
        "--count",
        type=_count,
        default=DEFAULT_COUNT,
        metavar="N",
        help=f"how many runs (default {DEFAULT_COUNT})",
    )
    log.add_argument(
        "--format",
        dest="output_format",
        choices=("text", "json"),
        default="text",
        help="json: the entries as stored, one per line",
    )
    log.set_defaults(func=run_log)


def run_log(args: argparse.Namespace) -> int:
    entries = decision_log.read_recent(args.count)
    if args.output_format == "json":
        for entry in entries:
            sys.stdout.write(json.dumps(entry) + "\n")
        return exit_codes.OK
    if not entries:
        print(f"no guarded runs logged yet in {paths.decision_log_path()}.")
        return exit_codes.OK
    for entry in entries:
        print(terminal_safe(describe(entry)))  # the log is a file anything may have written
    return exit_codes.OK


def describe(entry: dict[str, object]) -> str:
    """One line per run: when, verdict, exit code, command, target, the blocking/warned ids."""
    command = entry.get("command")
    command_text = " ".join(str(part) for part in command) if isinstance(command, list) else "?"
    plan = entry.get("plan")
    decisions = entry.get("decisions")
    time_text = str(entry.get("time", "?")).replace("T", " ").removesuffix("+00:00")
    parts = [
        f"{time_text}Z" if time_text != "?" else time_text,
        f"{entry.get('verdict', '?')} (exit {entry.get('exit_code', '?')})",
        command_text,
    ]
    if entry.get("target"):
        parts.append(f"target {entry['target']}")
    if isinstance(plan, list):
        parts.append(f"{len(plan)} package{'s' if len(plan) != 1 else ''}")
    if isinstance(decisions, list) and decisions:
        parts.append(", ".join(_decision_text(d) for d in decisions if isinstance(d, dict)))
    if entry.get("error"):
        parts.append(f"error: {entry['error']}")
    return "  ".join(parts)


def _decision_text(decision: dict[str, object]) -> str:
    package = f"{decision.get('name')}=={decision.get('version')}"
    return f"{decision.get('action')} {decision.get('id')} {package}"


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number
