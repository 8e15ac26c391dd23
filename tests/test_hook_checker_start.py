"""The hook starts its checker as pip loads a guarded command, not when the command runs:
loading safe-pip and its data (~150 ms) then overlaps pip's own start. Measured with the
hook's channel timed: the questions of a hooked `pip install requests` waited ~85 ms for
answers when the checker started with the run, ~45 ms when started as pip loads the command.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from safe_pip.hook.runtime import bootstrap, channel
from safe_pip.hook.runtime.checker import CheckerUnavailable
from support.hook_helpers import PIP_SCRIPT, hook_venv, pip_install


class _Started:
    def __init__(self) -> None:
        self.abandoned = False

    def abandon(self) -> None:
        self.abandoned = True


@pytest.fixture
def hook_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """The hook's bootstrap state (loaded by the ``.pth`` file: no settings), a recording
    stand-in for starting the checker, and nothing left behind for other tests."""
    spawned: list[object] = []

    def spawn() -> object:
        spawned.append(_Started())
        return spawned[-1]

    monkeypatch.setattr(bootstrap, "_settings", None)
    monkeypatch.setattr(bootstrap, "_early", [])
    monkeypatch.setattr(bootstrap, "_spawn_checker", spawn)
    monkeypatch.setattr(bootstrap, "atexit", SimpleNamespace(register=lambda function: None))
    monkeypatch.delenv("SAFE_PIP_DISABLE", raising=False)
    yield spawned


def test_the_run_takes_the_checker_started_early(hook_settings: list[object]) -> None:
    bootstrap.start_checker_early()
    bootstrap.start_checker_early()  # a second guarded module (main parser, command): one
    assert len(hook_settings) == 1
    assert bootstrap.open_channel() is hook_settings[0]


def test_a_checker_that_could_not_start_early_is_reported_by_the_run(
    hook_settings: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable() -> channel.Channel:
        raise CheckerUnavailable("cannot run the safe-pip checker /gone: No such file")

    monkeypatch.setattr(bootstrap, "_spawn_checker", unavailable)
    bootstrap.start_checker_early()  # no error yet: pip has not been asked to do anything
    with pytest.raises(CheckerUnavailable, match="/gone"):
        bootstrap.open_channel()


def test_any_error_starting_the_checker_early_waits_for_the_run_as_one_line(
    hook_settings: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It happens inside pip's import of its command: an exception there would be pip's
    traceback (``Popen`` raises ValueError for a NUL in the recorded command)."""

    def broken() -> channel.Channel:
        raise ValueError("embedded null byte")

    monkeypatch.setattr(bootstrap, "_spawn_checker", broken)
    bootstrap.start_checker_early()
    with pytest.raises(CheckerUnavailable, match="cannot start the safe-pip checker: embedded"):
        bootstrap.open_channel()


def test_no_early_checker_when_pip_runs_unguarded_or_safe_pip_serves_one(
    hook_settings: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFE_PIP_DISABLE", "1")
    bootstrap.start_checker_early()
    monkeypatch.delenv("SAFE_PIP_DISABLE")
    monkeypatch.setattr(bootstrap, "_settings", {"address": "unix:/x", "token": "t"})
    bootstrap.start_checker_early()
    assert hook_settings == []


def test_a_checker_the_run_never_asked_for_is_stopped(hook_settings: list[object]) -> None:
    bootstrap.start_checker_early()
    bootstrap._stop_unused_checker()
    started = hook_settings[0]
    assert isinstance(started, _Started) and started.abandoned


# A checker that notes its process id, then is the real one.
PID_NOTING_CHECKER = """\
import os, sys
with open(sys.argv[1], "w") as note:
    note.write(str(os.getpid()))
os.execv(sys.executable, [sys.executable, "-m", "safe_pip", *sys.argv[2:]])
"""


@pytest.mark.integration
def test_pip_help_in_a_hooked_venv_leaves_no_checker_behind(
    target_venv: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    script, pid_file = tmp_path / "checker.py", tmp_path / "checker.pid"
    script.write_text(PID_NOTING_CHECKER, encoding="utf-8")
    hook_venv(target_venv, [sys.executable, str(script), str(pid_file)])

    shown = pip_install(target_venv, PIP_SCRIPT, isolated_env, "--help")

    assert shown.returncode == 0, shown.stderr
    assert "Usage:" in shown.stdout
    assert pid_file.exists()  # started as pip loaded `install` ...
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)  # ... and stopped when pip ended without asking anything


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    waited = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return not waited.stdout.strip().startswith("Z")  # a zombie has ended
