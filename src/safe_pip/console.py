"""The lines safe-pip itself prints on stderr (reports go to stdout)."""

from __future__ import annotations

import re
import sys

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def say(message: str) -> None:
    """``safe-pip: <message>`` on stderr."""
    sys.stderr.write(f"safe-pip: {message}\n")


def warn(message: str) -> None:
    """``safe-pip: warning: <message>`` on stderr."""
    say(f"warning: {message}")


def error(message: str) -> None:
    """``safe-pip: error: <message>`` on stderr (the one line of a failed run)."""
    say(f"error: {message}")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour/cursor escapes (as installers print them)."""
    return _ANSI_ESCAPE.sub("", text)
