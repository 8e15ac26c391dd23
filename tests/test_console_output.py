"""console: colour decisions and the progress line, on streams that say whether they are
terminals."""

from __future__ import annotations

import io

import pytest

from safe_pip import console


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_at_once_and_erases_itself() -> None:
    stream = Terminal()
    with console.Progress(stream) as progress:
        progress.show("resolving with pip...")
        assert stream.getvalue().endswith("resolving with pip...")
    assert stream.getvalue().endswith("\r\x1b[2K")


def test_progress_writes_nothing_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with console.Progress(stream) as progress:
        progress.show("resolving with pip...")
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    ("env", "terminal", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, False, False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_follows_no_color_force_color_and_the_terminal(
    env: dict[str, str], terminal: bool, expected: bool
) -> None:
    stream = Terminal() if terminal else io.StringIO()
    assert console.colour_enabled(stream, env) is expected


def test_pips_no_color_turns_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_colour_refused", False)
    console.refuse_colour()
    assert not console.colour_enabled(Terminal(), {"FORCE_COLOR": "1"})


def test_installer_output_keeps_pips_colours_but_not_an_indexs_cursor_moves() -> None:
    from safe_pip.console import installer_output_safe

    pip_error = "\x1b[1;31mERROR: \x1b[0mNo matching distribution\n"
    assert installer_output_safe(pip_error) == pip_error
    hostile = "Reason for being yanked: \x1b[1A\x1b[2K\x1b[8m\x1b]0;title\x07\rhidden\x1b[0m\n"
    assert installer_output_safe(hostile) == "Reason for being yanked: hidden\x1b[0m\n"
