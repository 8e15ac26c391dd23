"""Release-age cooldown end to end: real pip and uv, a real index on 127.0.0.1 publishing
PEP 700 upload times (old and fresh releases), the real CLI."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from support.hook_helpers import PIP_MODULE, hook_venv
from support.hook_helpers import pip_install as hooked_pip_install
from support.index_server import LocalIndex
from support.outcomes import installed, output
from support.scenario import build_advisory_db
from support.uv_helpers import SKIP_WITHOUT_UV
from support.venvs import BUNDLED

pytestmark = pytest.mark.integration

SafePip = Callable[..., subprocess.CompletedProcess[str]]
HOURS_OLD = 3


@pytest.fixture
def aged(world: LocalIndex) -> LocalIndex:
    """The standard world plus ``agedlib`` 1.0 (long ago) and 1.1 (3 hours ago), and
    ``freshonly`` 2.0 (3 hours ago, its only release)."""
    recently = datetime.now(timezone.utc) - timedelta(hours=HOURS_OLD)
    world.add("agedlib", "1.0")
    world.add("agedlib", "1.1", upload_time=recently)
    world.add("freshonly", "2.0", upload_time=recently)
    return world


def pip_install(
    safe_pip: SafePip, python: Path, index: LocalIndex, *args: str, **kw: object
) -> subprocess.CompletedProcess[str]:
    return safe_pip("install", "--python", python, "--index-url", index.url, *args, **kw)


def user_config(env: dict[str, str], text: str) -> None:
    Path(env["SAFE_PIP_CONFIG_FILE"]).write_text(text, encoding="utf-8")


def test_pip_blocks_a_release_younger_than_min_release_age(
    aged: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    result = pip_install(safe_pip, target_venv, aged, "freshonly")
    assert result.returncode == 1, output(result)
    assert "freshonly==2.0" in result.stdout and "TOO-NEW" in result.stdout
    assert f"uploaded {HOURS_OLD}h ago, allowed from " in result.stdout
    assert "hint: too new: freshonly; " in result.stdout
    assert installed(target_venv, isolated_env) == {}


def test_a_shorter_min_release_age_lets_it_in(
    aged: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    env = {**isolated_env, "SAFE_PIP_MIN_RELEASE_AGE": "2h"}
    result = pip_install(safe_pip, target_venv, aged, "freshonly", env=env)
    assert result.returncode == 0, output(result)
    assert installed(target_venv, isolated_env) == {"freshonly": "2.0"}


def test_exemption_for_one_package_with_expiry(
    aged: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    exemption = (
        '[[ignore]]\nid = "TOO-NEW"\npackage = "freshonly"\n'
        'reason = "our own release"\nexpires = {day}\n'
    )
    yesterday = date.today() - timedelta(days=1)
    user_config(isolated_env, exemption.format(day=yesterday.isoformat()))
    expired = pip_install(safe_pip, target_venv, aged, "freshonly")
    assert expired.returncode == 1, output(expired)
    assert f"ignore expired on {yesterday.isoformat()}" in expired.stdout

    tomorrow = date.today() + timedelta(days=1)
    user_config(isolated_env, exemption.format(day=tomorrow.isoformat()))
    allowed = pip_install(safe_pip, target_venv, aged, "freshonly")
    assert allowed.returncode == 0, output(allowed)
    assert "reason: our own release" in allowed.stdout
    assert installed(target_venv, isolated_env) == {"freshonly": "2.0"}


def test_an_index_without_upload_times_is_a_warning_or_a_block_by_policy(
    tmp_path: Path,
    isolated_env: dict[str, str],
    target_venv: Path,
    safe_pip: SafePip,
) -> None:
    build_advisory_db(isolated_env)
    html_only = LocalIndex(tmp_path / "html-index", serve_json=False)
    try:
        html_only.add("cleanlib", "1.0")
        # named as an index that publishes no upload times (else: TOO-NEW, issue 16)
        named = {**isolated_env, "SAFE_PIP_INDEXES_WITHOUT_UPLOAD_TIME": html_only.url}
        env = {**named, "SAFE_PIP_UNKNOWN_UPLOAD_TIME": "block"}
        blocked = pip_install(safe_pip, target_venv, html_only, "cleanlib", env=env)
        warned = pip_install(safe_pip, target_venv, html_only, "cleanlib", env=named)
    finally:
        html_only.close()
    assert blocked.returncode == 1, output(blocked)
    assert "NO-UPLOAD-TIME" in blocked.stdout
    assert warned.returncode == 0, output(warned)
    assert "NO-UPLOAD-TIME" in warned.stdout and "warning" in warned.stdout
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}


@SKIP_WITHOUT_UV
def test_uv_blocks_a_fresh_only_release_and_steers_around_a_fresh_newest(
    aged: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    def uv_install(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return safe_pip(
            "uv", "pip", "install", "--python", target_venv, "--index-url", aged.url, *args, **kw
        )

    blocked = uv_install("freshonly")
    assert blocked.returncode == 1, output(blocked)
    assert "TOO-NEW" in blocked.stdout
    no_steering = uv_install("agedlib", env={**isolated_env, "SAFE_PIP_RESOLVE": "block"})
    assert no_steering.returncode == 1, output(no_steering)
    assert "agedlib==1.1" in no_steering.stdout and "TOO-NEW" in no_steering.stdout
    steered = uv_install("agedlib")
    assert steered.returncode == 0, output(steered)
    assert installed(target_venv, isolated_env) == {"agedlib": "1.0"}


def test_the_pip_hook_blocks_a_release_younger_than_min_release_age(
    aged: LocalIndex, pip_venv: Callable[[str], Path], isolated_env: dict[str, str]
) -> None:
    python = pip_venv(BUNDLED)
    hook_venv(python)
    result = hooked_pip_install(
        python, PIP_MODULE, isolated_env, "--index-url", aged.url, "freshonly"
    )
    assert result.returncode == 1, output(result)
    assert "TOO-NEW" in result.stdout, output(result)
    assert installed(python, isolated_env) == {}
