"""The lines safe-pip itself prints on stderr (reports go to stdout)."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    """``safe-pip: <message>`` on stderr."""
    sys.stderr.write(f"safe-pip: {message}\n")


def warn(message: str) -> None:
    """``safe-pip: warning: <message>`` on stderr."""
    say(f"warning: {message}")


def error(message: str) -> None:
    """``safe-pip: error: <message>`` on stderr (the one line of a failed run)."""
    say(f"error: {message}")
