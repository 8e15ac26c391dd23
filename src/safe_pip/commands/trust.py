"""``safe-pip trust``: let one project's ``[tool.safe-pip]`` loosen your policy.

    safe-pip trust [PATH]           trust PATH's pyproject.toml as it is now (default: the
                                    nearest one from the current directory)
    safe-pip trust --list           the trusted files, and which changed since
    safe-pip trust --remove [PATH]  forget one

Without trust a project's table may only tighten the policy (``pipeline.config``).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from safe_pip import exit_codes, limits, paths
from safe_pip.errors import UsageError
from safe_pip.pipeline import trust


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "trust",
        help="let a project's [tool.safe-pip] loosen your policy",
        description=(
            "Without trust, a project's [tool.safe-pip] may only tighten the policy of the "
            "administrator and user layers. Trust records the sha256 of that pyproject.toml; "
            "when the file changes, it must be trusted again."
        ),
    )
    parser.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="a pyproject.toml or a directory (default: the nearest pyproject.toml)",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list the trusted projects")
    action.add_argument("--remove", action="store_true", help="forget PATH's trust")
    parser.set_defaults(func=run_trust)


def run_trust(args: argparse.Namespace) -> int:
    if args.list:
        if args.path is not None:
            raise UsageError("trust --list takes no PATH")
        return _list()
    pyproject = _pyproject(args.path)
    if args.remove:
        if not trust.untrust(pyproject):
            raise UsageError(f"{pyproject} is not trusted")
        print(f"no longer trusted: {pyproject}")
        return exit_codes.OK
    entry = trust.trust(pyproject)
    print(
        f"trusted: {entry.pyproject} (sha256 {entry.sha256[:12]}); its [tool.safe-pip] now applies"
    )
    return exit_codes.OK


def _list() -> int:
    for entry in trust.trusted_projects():
        print(f"{entry.pyproject}  sha256 {entry.sha256[:12]}  {entry.trusted_at}  {_state(entry)}")
    return exit_codes.OK


def _state(entry: trust.TrustedProject) -> str:
    try:
        content = limits.read_bytes(entry.pyproject, limits.CONFIG_MAX_BYTES)
    except (OSError, limits.DocumentError):
        return "(missing)"
    current = hashlib.sha256(content).hexdigest()
    return "(trusted)" if current == entry.sha256 else "(changed since trusted: not applied)"


def _pyproject(path_text: str | None) -> Path:
    if path_text is None:
        found = paths.nearest_file(Path.cwd(), "pyproject.toml")
        if found is None:
            raise UsageError("no pyproject.toml in this directory or its parents; name one")
        return found
    path = Path(path_text)
    candidate = path / "pyproject.toml" if path.is_dir() else path
    if not candidate.is_file():
        raise UsageError(f"no such file: {candidate}")
    return candidate.resolve()
