"""Options every checking command shares (report format and policy overrides)."""

from __future__ import annotations

import argparse
from pathlib import Path

from safe_pip.errors import UsageError
from safe_pip.pipeline.config import load_policy
from safe_pip.pipeline.policy import Policy, PolicyOverrides

OUTPUT_FORMATS = ("text", "json")
FAIL_MODES = ("closed", "open")


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--format``, ``--warn-only``, ``--ignore-vuln``, ``--allow``, ``--fail-mode``."""
    group = parser.add_argument_group("policy and output")
    group.add_argument("--format", dest="output_format", choices=OUTPUT_FORMATS, default="text")
    group.add_argument(
        "--warn-only",
        action="store_true",
        default=None,
        help="report problems as warnings and go on (malicious packages still block)",
    )
    group.add_argument(
        "--ignore-vuln",
        action="append",
        default=[],
        metavar="ID:REASON",
        help="ignore an advisory (id or alias); a reason is required",
    )
    group.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="PACKAGE",
        help="ignore vulnerability/yanked/unverifiable findings for this package",
    )
    group.add_argument("--fail-mode", choices=FAIL_MODES, default=None)


def parse_ignore(value: str) -> tuple[str, str]:
    """``"PYSEC-2018-28:reason text"`` -> ``("PYSEC-2018-28", "reason text")``."""
    advisory_id, sep, reason = value.partition(":")
    if not sep or not advisory_id.strip() or not reason.strip():
        raise UsageError(
            f"--ignore-vuln {value!r} needs a reason: --ignore-vuln 'ID:why it is safe here'"
        )
    return advisory_id.strip(), reason.strip()


def policy_from_args(args: argparse.Namespace, start_dir: Path | None = None) -> Policy:
    overrides = PolicyOverrides(
        warn_only=args.warn_only,
        ignore_vulns=[parse_ignore(v) for v in args.ignore_vuln],
        allow=list(args.allow),
        fail_mode=args.fail_mode,
    )
    return load_policy(start_dir or Path.cwd(), overrides)
