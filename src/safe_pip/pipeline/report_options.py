"""How and where a verdict is reported: a module of its own, so that a front end can decide
where the installer's output goes before it imports the reporting code."""

from __future__ import annotations

import os
from typing import NamedTuple

from safe_pip.errors import UsageError


class ReportOptions(NamedTuple):
    """How and where a verdict is reported, and what it is about (a named tuple, not a
    dataclass: front ends build one before the installer starts, where every millisecond of
    import is paid on each run; ``_replace`` changes a field)."""

    output_format: str = "text"
    output_file: str | None = None  # --output: the report goes there, a text one to stdout
    audit: bool = False  # safe-pip check: nothing is being installed
    environment: str | None = None  # the environment installed into or audited, for people
    sources: tuple[str, ...] = ()  # the files that were checked (SARIF locations)
    # The pip hook: the user typed plain pip, which takes none of safe-pip's options, so hints
    # offer what works there (an environment variable, a config entry).
    through_hook: bool = False
    # pip's and uv's -q: 1 keeps warnings and errors (no "no problems found"), 2 errors only
    quiet: int = 0
    # a step before the verdict (build dependencies checked while pip prepares): its last
    # line must not read like the verdict on the install
    intermediate: str | None = None

    @property
    def machine_stdout(self) -> bool:
        """Whether stdout carries a machine-readable document (installer output must not)."""
        return self.output_format != "text" and self.output_file is None


class _RunReport:
    """What this run was asked to report, so that a run that ends in an error still gives
    one document on stdout (a machine format) and in ``--output FILE``."""

    def __init__(self) -> None:
        self.options: ReportOptions | None = None
        self.reported = False  # a verdict report went out already


_RUN = _RunReport()


def note_requested(options: ReportOptions) -> None:
    """The report options this run's front end asked for (the latest wins)."""
    _RUN.options = options


def note_reported() -> None:
    _RUN.reported = True


def unreported_request() -> ReportOptions | None:
    """The report options of a run that ended before any report went out, when the report
    is a machine format or goes to a file (else None: the error line says it all)."""
    options = _RUN.options
    if _RUN.reported or options is None:
        return None
    if options.output_format == "text" and options.output_file is None:
        return None
    return options


def check_output_path(value: str) -> None:
    """``--output FILE`` must be a file safe-pip can write (replace), checked before anything
    runs: a usage error (exit 2) otherwise."""
    from pathlib import Path

    path = Path(value).expanduser()
    if path.is_dir():
        raise UsageError(f"--output {value}: is a directory; name a file")
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"--output {value}: no such directory: {os.path.abspath(parent)}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--output {value}: cannot write in {os.path.abspath(parent)}")
