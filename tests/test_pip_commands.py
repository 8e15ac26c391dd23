"""pip download, pip wheel and pip lock are guarded like pip install (issue 15, items 3, 4, 7).

Through ``safe-pip download|wheel|lock``, a hooked venv's ``pip`` and its ``python -m
pip``: a malicious sdist never runs (marker file), nothing of it is downloaded, built or
locked; a vulnerable pin is blocked by the full check before anything is written; clean
packages are written; a run that would write without a full check exits 3.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.guarded import Guarded
from support.hook_helpers import PIP_MODULE, hook_venv, pip_install
from support.outcomes import output
from support.pip_runs import (
    COMMANDS,
    DOWNLOAD,
    FRONT_ENDS,
    HOOK_MODULE,
    HOOK_SCRIPT,
    LOCK,
    LOCK_FILE,
    SAFE_PIP,
    WHEEL,
    prepare,
    refactor_pip,
    run_command,
    written,
)
from support.scenario import MALICIOUS_SDIST_ID, VULN_ID, publish_build_attacks
from support.sdists import sdist_filename, setup_requires_sdist_bytes
from support.venvs import BUNDLED, NEWEST, pinned_pip_kind, venv_site_packages

pytestmark = pytest.mark.integration


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "attacker-code-ran.txt"


@pytest.fixture
def attacks(guarded: Guarded, marker: Path) -> Guarded:
    publish_build_attacks(guarded.index, marker)
    return guarded


def _no_marker(marker: Path, result: subprocess.CompletedProcess[str]) -> None:
    assert not marker.exists(), f"{marker.read_text()}\n{output(result)}"


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_malicious_sdist_is_neither_built_nor_written(
    command: str, front_end: str, attacks: Guarded, marker: Path, tmp_path: Path
) -> None:
    python = attacks.venv(NEWEST)
    prepare(attacks, front_end, python)
    out = tmp_path / "out"
    result = run_command(attacks, front_end, python, command, out, "evilsdist")
    assert result.returncode == 1, output(result)
    assert MALICIOUS_SDIST_ID in output(result)
    _no_marker(marker, result)
    assert written(out) == [], output(result)


# each command through another front end (the matrix and the test above cover the rest)
ROTATED = [(DOWNLOAD, SAFE_PIP), (WHEEL, HOOK_MODULE), (LOCK, HOOK_SCRIPT)]


@pytest.mark.parametrize(("command", "front_end"), ROTATED)
def test_a_vulnerable_pin_is_blocked_before_anything_is_written(
    command: str, front_end: str, guarded: Guarded, tmp_path: Path
) -> None:
    python = guarded.venv(NEWEST)
    prepare(guarded, front_end, python)
    out = tmp_path / command
    result = run_command(guarded, front_end, python, command, out, "vulnlib==1.0")
    assert result.returncode == 1, output(result)
    assert VULN_ID in output(result)
    assert written(out) == [], output(result)


@pytest.mark.parametrize(("command", "front_end"), ROTATED)
def test_clean_packages_are_checked_and_written(
    command: str, front_end: str, guarded: Guarded, tmp_path: Path
) -> None:
    python = guarded.venv(NEWEST)
    prepare(guarded, front_end, python)
    out = tmp_path / command
    result = run_command(guarded, front_end, python, command, out, "cleanlib")
    assert result.returncode == 0, output(result)
    assert "checked" in output(result), output(result)
    expected = [LOCK_FILE] if command == LOCK else ["cleanlib-1.0-py3-none-any.whl"]
    assert written(out) == expected, output(result)
    assert guarded.installed(python) == {}


# ---------------------------------------------------------------- a pip that setuptools starts


@pytest.mark.parametrize("front_end", [SAFE_PIP, HOOK_MODULE])
def test_setup_requires_fetched_by_a_nested_pip_is_guarded(
    front_end: str, attacks: Guarded, marker: Path
) -> None:
    """setuptools fetches ``setup_requires`` with ``python -m pip wheel`` from inside the
    guarded build (``--no-build-isolation``): that pip is guarded too, so the malicious
    sdist it would build never runs."""
    index = attacks.index
    sdist = setup_requires_sdist_bytes("setupreq", "1.0", ["evilsdist"])
    index.add_file("setupreq", "1.0", sdist_filename("setupreq", "1.0"), sdist)
    python = attacks.venv(BUNDLED)  # with setuptools (and pip 23: --no-use-pep517 exists)
    # pip's legacy path (``setup.py egg_info``, where setuptools runs ``pip wheel``) only
    # asks whether a ``wheel`` package can be imported; egg_info needs none of it
    (venv_site_packages(python.parents[1]) / "wheel").mkdir()
    (venv_site_packages(python.parents[1]) / "wheel" / "__init__.py").write_text("")
    env = attacks.env_with(PIP_INDEX_URL=index.url)  # where setuptools' pip looks
    args = ["--no-build-isolation", "--no-use-pep517", "setupreq"]  # setup.py egg_info
    if front_end == SAFE_PIP:
        result = attacks.install(python, *args, env=env)
    else:
        hook_venv(python)
        result = pip_install(python, PIP_MODULE, env, "--index-url", index.url, *args)
    assert result.returncode == 1, output(result)
    assert MALICIOUS_SDIST_ID in output(result)
    _no_marker(marker, result)
    assert attacks.installed(python) == {}


def test_pip_25_1_lock_is_guarded(attacks: Guarded, marker: Path, tmp_path: Path) -> None:
    """pip 25.1 writes its lock file through ``Pylock.from_install_requirements`` (later
    pips through a function): both are checked before they write."""
    python = attacks.venv(pinned_pip_kind("25.1"))
    prepare(attacks, HOOK_SCRIPT, python)
    evil = run_command(attacks, HOOK_SCRIPT, python, LOCK, tmp_path / "evil", "evilsdist")
    assert evil.returncode == 1 and MALICIOUS_SDIST_ID in output(evil), output(evil)
    _no_marker(marker, evil)
    assert written(tmp_path / "evil") == []
    clean = run_command(attacks, HOOK_SCRIPT, python, LOCK, tmp_path / "clean", "cleanlib")
    assert clean.returncode == 0, output(clean)
    assert "cleanlib" in (tmp_path / "clean" / LOCK_FILE).read_text()
    refactor_pip(python)  # now pip resolves around the guard: the lock writer stops it
    around = run_command(attacks, HOOK_SCRIPT, python, LOCK, tmp_path / "around", "cleanlib")
    assert around.returncode == 3 and "Traceback" not in output(around), output(around)
    assert written(tmp_path / "around") == []
