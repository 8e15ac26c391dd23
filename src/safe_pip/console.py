"""What safe-pip itself puts on the terminal: its stderr lines, and the one rule that makes
text from outside (indexes, advisories, config files) safe to show there.

Reports go to stdout (``pipeline.report``); both pass every line through
:func:`terminal_safe` and ``redaction.redact_text``.
"""

from __future__ import annotations

import re
import sys

from safe_pip.redaction import redact_text

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), DCS/SOS/PM/APC
# strings, and two-character escapes. A lone 8-bit CSI (U+009B) is a control character below.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_].*?(?:\x07|\x1b\\|$)"
    r"|\x1b[ -~]?",
    re.DOTALL,
)
# C0 and C1 control characters, DEL, and the Unicode bidirectional controls that reorder
# what is displayed ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with escape sequences removed and control characters shown as spaces (tab,
    newline and carriage return included), so an index or advisory cannot move the cursor,
    erase earlier lines, recolour or retitle the terminal, or reorder what is displayed."""
    return _CONTROL.sub(" ", strip_ansi(text))


def say(message: str) -> None:
    """``safe-pip: <message>`` on stderr (credentials redacted, control characters removed)."""
    sys.stderr.write(f"safe-pip: {terminal_safe(redact_text(message))}\n")


def warn(message: str) -> None:
    """``safe-pip: warning: <message>`` on stderr."""
    say(f"warning: {message}")


def error(message: str) -> None:
    """``safe-pip: error: <message>`` on stderr (the one line of a failed run)."""
    say(f"error: {message}")


def strip_ansi(text: str) -> str:
    """``text`` without terminal escape sequences (as installers print them); line breaks
    stay. :func:`terminal_safe` also removes the remaining control characters."""
    return _ESCAPE_SEQUENCE.sub("", text)
