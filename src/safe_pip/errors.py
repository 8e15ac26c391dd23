"""Errors that end a safe-pip run with one clear line and a documented exit code."""

from __future__ import annotations

from safe_pip import exit_codes


class SafePipError(Exception):
    """Base class: ``str(error)`` is the one line shown to the user; ``details``, when set,
    is the failing installer's own error block, shown above that line."""

    exit_code: int = exit_codes.CANNOT_CHECK
    details: str = ""


class UsageError(SafePipError):
    """Bad command line, configuration file or input file (exit 2)."""

    exit_code = exit_codes.USAGE


class UnsatisfiableError(UsageError):
    """pip found no distribution of a requirement it may install here (no such project or
    version, none for this Python or platform): bad input, exit 2."""


class CannotCheckError(SafePipError):
    """A check could not run: database missing/corrupt, index unreachable, pip failed (exit 3)."""

    exit_code = exit_codes.CANNOT_CHECK


class DatabaseError(CannotCheckError):
    """The advisory database is missing, corrupt or could not be updated."""


class IndexUnreachableError(CannotCheckError):
    """A package index could not be reached or answered with something unusable."""


class PipError(CannotCheckError):
    """pip (or uv) failed while planning; its own message is carried along."""


class BlockedError(SafePipError):
    """Raised where a blocked verdict must stop a run that cannot return normally (the hook)."""

    exit_code = exit_codes.BLOCKED
