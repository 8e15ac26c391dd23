"""uv's planning runs start together and the first round runs before the installed versions
are known (``installers/uv/runs.py``): the plan must still be the one ``uv pip install``
makes, which keeps installed versions unless told to upgrade them."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from safe_pip.exit_codes import INTERRUPTED
from safe_pip.installers.uv.args import parse_uv_install_args
from safe_pip.installers.uv.plan import _first_round_stands
from safe_pip.models import PlanItem
from support.index_server import LocalIndex
from support.outcomes import assert_one_line_error, output
from support.uv_helpers import SKIP_WITHOUT_UV, UV, installed, uv

SafePip = Callable[..., subprocess.CompletedProcess[str]]
EMPTY_DOCUMENT: dict[str, Any] = {}


NO_SOLUTION = "  x No solution found when resolving dependencies:\n"


def plan(*names: str) -> tuple[list[PlanItem], dict[str, Any]]:
    return [PlanItem(name=name, version="1.0") for name in names], EMPTY_DOCUMENT


def test_the_first_round_stands_when_nothing_is_installed() -> None:
    assert _first_round_stands(plan("toolkit", "helper"), installed=[], stderr="")
    assert _first_round_stands(None, installed=[], stderr=NO_SOLUTION)  # uv's answer either way


def test_the_first_round_stands_when_it_names_no_installed_project() -> None:
    rows = [{"name": "pip", "version": "24.0"}, {"name": "Other_Lib", "version": "1.0"}]
    assert _first_round_stands(plan("toolkit", "helper"), installed=rows, stderr="")


def test_the_first_round_is_planned_again_when_it_names_an_installed_project() -> None:
    rows = [{"name": "Helper", "version": "1.0"}]  # uv pip list spells names as installed
    assert not _first_round_stands(plan("toolkit", "helper"), installed=rows, stderr="")
    # failed on resolving: with the installed versions as preferences uv may answer otherwise
    assert not _first_round_stands(None, installed=rows, stderr=NO_SOLUTION)


def test_a_round_that_failed_on_the_network_is_not_planned_again() -> None:
    """An unreachable index fails the same way again, as slowly (issue 17: 20.5 s against
    uv's 8.8 s): the first failure is the answer."""
    rows = [{"name": "Helper", "version": "1.0"}]
    unreachable = "error: Failed to fetch: http://127.0.0.1:9/simple/helper/\n  cause: refused\n"
    assert _first_round_stands(None, installed=rows, stderr=unreachable)


def test_only_upgrade_frees_every_installed_version() -> None:
    assert parse_uv_install_args(["-U", "x"]).upgrade
    assert not parse_uv_install_args(["-U", "--no-upgrade", "x"]).upgrade
    for scoped in (["-P", "x"], ["--upgrade-package", "x"], ["--upgrade-group", "dev"]):
        assert not parse_uv_install_args([*scoped, "x"]).upgrade  # uv frees only those


@pytest.fixture
def upgradable(world: LocalIndex) -> LocalIndex:
    """The standard world plus ``toolkit`` 1.0 and 2.0 (both need ``helper>=1``), ``helper``
    1.0 and 2.0."""
    for version in ("1.0", "2.0"):
        world.add("toolkit", version, requires=["helper>=1"])
        world.add("helper", version)
    return world


@pytest.mark.integration
@SKIP_WITHOUT_UV
def test_upgrade_package_upgrades_only_that_package_like_uv(
    upgradable: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    """``-P toolkit`` lets uv choose a newer toolkit; every other installed version is kept."""
    index = ["--index-url", upgradable.url]
    uv(
        ["pip", "install", "--python", target_venv, *index, "toolkit==1.0", "helper==1.0"],
        isolated_env,
    )
    result = safe_pip(
        "uv", "pip", "install", "--python", target_venv, *index, "toolkit", "-P", "toolkit"
    )
    assert result.returncode == 0, output(result)
    assert installed(target_venv, isolated_env) == {"toolkit": "2.0", "helper": "1.0"}


@pytest.mark.integration
@SKIP_WITHOUT_UV
def test_an_unrelated_installed_project_leaves_the_plan_as_uv_makes_it(
    upgradable: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    upgradable.add("unrelated", "1.0")
    index = ["--index-url", upgradable.url]
    uv(["pip", "install", "--python", target_venv, *index, "unrelated"], isolated_env)
    result = safe_pip("uv", "pip", "install", "--python", target_venv, *index, "toolkit")
    assert result.returncode == 0, output(result)
    assert installed(target_venv, isolated_env) == {
        "unrelated": "1.0",
        "toolkit": "2.0",
        "helper": "2.0",
    }


@pytest.mark.integration
@SKIP_WITHOUT_UV
def test_a_policy_error_after_uv_started_leaves_nothing_behind(
    world: LocalIndex,
    target_venv: Path,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    tmp_path: Path,
) -> None:
    """uv starts planning before the policy is read: a bad configuration still ends every
    uv run and removes the work directory (exit 2, one line), and installs nothing."""
    temp = tmp_path / "temp"
    temp.mkdir()
    Path(isolated_env["SAFE_PIP_CONFIG_FILE"]).write_text("[tool.safe-pip\n", encoding="utf-8")
    env = {**isolated_env, "TMPDIR": str(temp)}
    index = ["--index-url", world.url]
    result = safe_pip("uv", "pip", "install", "--python", target_venv, *index, "app", env=env)
    assert_one_line_error(result, 2)
    assert list(temp.iterdir()) == []
    assert installed(target_venv, isolated_env) == {}


@pytest.mark.integration
@SKIP_WITHOUT_UV
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals and a shell script")
def test_ctrl_c_while_uv_plans_ends_uvs_runs_and_leaves_nothing_behind(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    """Ctrl-C while safe-pip waits for the plan's first round (a uv that takes long): exit 130,
    the round's uv process is ended, not left running after safe-pip, and no work directory
    remains."""
    started = tmp_path / "plan-started"  # holds the slow round's process id
    slow_uv = tmp_path / "slow-uv"  # the real uv, except that the plan's round takes long
    slow_uv.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *"--format pylock.toml"*) echo $$ > "{started}"; exec sleep 60;; esac\n'
        f'exec "{UV}" "$@"\n'
    )
    slow_uv.chmod(slow_uv.stat().st_mode | stat.S_IXUSR)
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**isolated_env, "TMPDIR": str(temp)}
    args = ["--uv", slow_uv, "pip", "install", "--python", target_venv, "--index-url", world.url]
    command = [sys.executable, "-m", "safe_pip", "uv", *map(str, args), "app"]
    child = subprocess.Popen(
        command, env=env, start_new_session=True, cwd=env["HOME"], stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not (started.exists() and started.read_text().strip()):
            assert time.monotonic() < deadline, "uv's plan never started"
            time.sleep(0.05)
        time.sleep(2)  # safe-pip has loaded its checks and waits for the round
        os.kill(child.pid, signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
        assert child.returncode == INTERRUPTED, stderr
        assert "Traceback" not in stderr and "interrupted" in stderr, stderr
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    round_pid = int(started.read_text())
    try:
        os.kill(round_pid, 0)
        still_running = True
        os.kill(round_pid, signal.SIGKILL)
    except ProcessLookupError:
        still_running = False
    assert not still_running, "uv's plan round outlived safe-pip"
    assert list(temp.iterdir()) == []
