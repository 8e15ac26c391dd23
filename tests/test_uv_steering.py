"""``resolve = "avoid"`` with uv: uv is kept away from disallowed versions by constraints.

steerpkg 1.1 is clean, 1.2 is affected by ``STEER_VULN_ID``, 2.0 is clean but outside ``<2``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.index_server import LocalIndex
from support.outcomes import output
from support.scenario import STEER_VULN_ID
from support.uv_helpers import SKIP_WITHOUT_UV, installed, safe_uv_pip_install

pytestmark = [SKIP_WITHOUT_UV, pytest.mark.integration]

STEER_ID = STEER_VULN_ID


@pytest.fixture
def steerable(world: LocalIndex) -> LocalIndex:
    for version in ("1.1", "1.2", "2.0"):
        world.add("steerpkg", version)
    world.add("steerapp", "1.0", requires=["steerpkg<2"])
    return world


@pytest.mark.parametrize("requirement", ["steerpkg<2", "steerapp"])
def test_uv_is_steered_to_the_newest_allowed_version_and_says_so(
    steerable: LocalIndex, target_venv: Path, isolated_env: dict[str, str], requirement: str
) -> None:
    result = safe_uv_pip_install(target_venv, steerable, isolated_env, requirement)
    assert result.returncode == 0, output(result)
    assert f"chose steerpkg 1.1, not 1.2: {STEER_ID}" in result.stderr
    assert installed(target_venv, isolated_env)["steerpkg"] == "1.1"


def test_a_pinned_version_is_never_changed(
    steerable: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    result = safe_uv_pip_install(target_venv, steerable, isolated_env, "steerpkg==1.2")
    assert result.returncode == 1, output(result)
    assert STEER_ID in result.stdout and "chose" not in result.stderr
    assert installed(target_venv, isolated_env) == {}


def test_nothing_allowed_blocks_with_the_report(
    steerable: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    result = safe_uv_pip_install(target_venv, steerable, isolated_env, "steerpkg>=1.2,<2")
    assert result.returncode == 1, output(result)
    assert "steerpkg==1.2" in result.stdout and STEER_ID in result.stdout
    assert installed(target_venv, isolated_env) == {}


def test_resolve_block_turns_steering_off(
    steerable: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    env = {**isolated_env, "SAFE_PIP_RESOLVE": "block"}
    result = safe_uv_pip_install(target_venv, steerable, env, "steerpkg<2")
    assert result.returncode == 1, output(result)
    assert STEER_ID in result.stdout
    assert installed(target_venv, isolated_env) == {}
