"""What safe-pip itself puts on the terminal: its stderr lines, the one rule that makes text
from outside (indexes, advisories, config files) safe to show there, colour, the terminal's
width and the progress line.

Reports go to stdout (``pipeline.report``); both pass every line through
:func:`terminal_safe` and ``redaction.redact_text``; safe-pip's own colour is added after that.
Colour follows the usual conventions: ``NO_COLOR`` (any value) turns it off, ``FORCE_COLOR``
turns it on even when piped, pip's ``--no-color`` turns it off, else a terminal that is not
``TERM=dumb`` gets colour.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import TextIO

_STYLES = {"red": "1;31", "yellow": "33", "green": "32", "dim": "2", "bold": "1"}
_RESET = "\x1b[0m"
_SPINNER = "|/-\\"
_SPIN_SECONDS = 0.12

_colour_refused = False  # pip's --no-color was given on this command line

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


# What an installer may still print through safe-pip: colour (SGR) sequences that set
# bold/dim, a foreground colour or reset them -- nothing that moves the cursor, erases,
# conceals or retitles. Line ends and tabs stay; every other control character goes.
_INSTALLER_COLOUR = re.compile(r"\x1b\[(?:(?:0|1|2|22|3[0-7]|39|9[0-7])(?:;|(?=m)))*m")
_INSTALLER_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)"
)


def installer_output_safe(text: str) -> str:
    """An installer's output line, made safe to pass to the terminal: pip prints text an
    index chose (a yanked reason, a project's name) and must not be able to erase or hide
    safe-pip's lines with it; pip's own colours stay."""
    kept: list[str] = []
    position = 0
    for colour in _INSTALLER_COLOUR.finditer(text):
        kept.append(_INSTALLER_CONTROL.sub("", strip_ansi(text[position : colour.start()])))
        kept.append(colour.group())
        position = colour.end()
    kept.append(_INSTALLER_CONTROL.sub("", strip_ansi(text[position:])))
    return "".join(kept)


def terminal_safe(text: str) -> str:
    """``text`` with escape sequences removed and control characters shown as spaces (tab,
    newline and carriage return included), so an index or advisory cannot move the cursor,
    erase earlier lines, recolour or retitle the terminal, or reorder what is displayed."""
    return _CONTROL.sub(" ", strip_ansi(text))


def say(message: str) -> None:
    """``safe-pip: <message>`` on stderr (credentials redacted, control characters removed)."""
    sys.stderr.write(f"safe-pip: {terminal_safe(_redacted(message))}\n")


def warn(message: str) -> None:
    """``safe-pip: warning: <message>`` on stderr ("warning" yellow where colour is on)."""
    _say_labelled("warning", "yellow", message)


def error(message: str) -> None:
    """``safe-pip: error: <message>`` on stderr (the one line of a failed run)."""
    _say_labelled("error", "red", message)


def _say_labelled(label: str, style: str, message: str) -> None:
    coloured = paint(label, style, colour_enabled(sys.stderr))
    sys.stderr.write(f"safe-pip: {coloured}: {terminal_safe(_redacted(message))}\n")


def show_installer_output(text: str) -> None:
    """An installer's own lines (pip's error block) on stderr, each made terminal-safe and
    redacted like safe-pip's own."""
    for line in text.rstrip().splitlines():
        sys.stderr.write(terminal_safe(_redacted(line)).rstrip() + "\n")


def _redacted(text: str) -> str:
    """``redaction.redact_text``, imported at the first message: not before the installer
    starts (``tests/test_start_path.py``)."""
    from safe_pip.redaction import redact_text

    return redact_text(text)


def strip_ansi(text: str) -> str:
    """``text`` without terminal escape sequences (as installers print them); line breaks
    stay. :func:`terminal_safe` also removes the remaining control characters."""
    return _ESCAPE_SEQUENCE.sub("", text)


def refuse_colour() -> None:
    """pip's ``--no-color``: no colour from safe-pip either, for the rest of this run."""
    global _colour_refused
    _colour_refused = True


def colour_enabled(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Whether text written to ``stream`` may carry colour."""
    env = os.environ if env is None else env
    if _colour_refused or env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    return _is_terminal(stream) and env.get("TERM") != "dumb"


def paint(text: str, style: str, enabled: bool) -> str:
    """``text`` in ``style`` (red, yellow, green, dim, bold) when ``enabled``."""
    return f"\x1b[{_STYLES[style]}m{text}{_RESET}" if enabled and text else text


def terminal_width(stream: TextIO) -> int | None:
    """The width to fit lines to: the terminal's (``COLUMNS`` overrides), or None when
    ``stream`` is not a terminal (logs keep whole lines)."""
    if not _is_terminal(stream):
        return None
    import shutil

    return shutil.get_terminal_size().columns


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


class Progress:
    """A spinner and a status line on stderr while something slow runs ("resolving with
    pip", "checking 12 packages"). Writes nothing at all unless stderr is a terminal, and
    erases itself before anything else is printed (use as a context manager)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._enabled = _is_terminal(self._stream)
        self._text = ""
        self._frame = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def show(self, text: str) -> None:
        """Replace the status text (starts the spinner on first use)."""
        if not self._enabled:
            return
        with self._lock:
            self._text = text
            self._draw()  # at once: a quick step still shows what it was doing
        if self._thread is None:
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()

    def clear(self) -> None:
        """Stop and erase the status line."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        self._stop.clear()
        with self._lock:
            self._write("\r\x1b[2K")

    def _spin(self) -> None:
        while not self._stop.wait(_SPIN_SECONDS):
            with self._lock:
                self._frame += 1
                self._draw()

    def _draw(self) -> None:
        width = (terminal_width(self._stream) or 80) - 1
        line = f"{_SPINNER[self._frame % len(_SPINNER)]} {self._text}"[:width]
        self._write(f"\r\x1b[2K{line}")

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.clear()
