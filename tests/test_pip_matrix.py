"""The pip-version matrix (issue 15, item 8): what must hold on every supported pip.

The oldest supported pip (22.3.1), one from the middle (24.0), the newest (the test runner's
26.x), and the newest with ``--use-feature=venv-isolation`` and with
``--use-feature=inprocess-build-deps``. Each runs a few strong cases, asserting on marker
files (an attack package's code writes ``marker`` when it runs): a malicious sdist and a
malicious build dependency never run, through ``safe-pip`` and the hook; download, wheel and
lock (pip >= 25.1) of a malicious sdist write nothing; the last check before pip installs or
writes (the backstop) fires when a refactored pip resolves around the guard; a pinned
vulnerable sdist is never built; ``pip install .`` works.

The pinned pips come from wheels cached once under ``~/.cache/safe-pip-tests``
(``support.venvs.pip_wheel``).
"""

from __future__ import annotations

import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from safe_pip.hook.runtime.pip_versions import version_tuple
from support.guarded import Guarded
from support.hook_helpers import PIP_MODULE, PIP_SCRIPT, hook_venv, pip_command, pip_install
from support.isolation import run
from support.outcomes import assert_one_line_error, output
from support.pip_runs import (
    DOWNLOAD,
    HOOK_MODULE,
    HOOK_SCRIPT,
    LOCK,
    SAFE_PIP,
    WHEEL,
    refactor_pip,
    run_command,
    written,
)
from support.scenario import (
    MALICIOUS_BUILD_DEP_ID,
    MALICIOUS_SDIST_ID,
    publish_build_attacks,
)
from support.sdists import sdist_bytes, sdist_filename
from support.venvs import NEWEST, pinned_pip_kind

pytestmark = pytest.mark.integration

VULN_SDIST_ID = "PYSEC-2099-15"  # tests/data/osv-local: vulnsdist 1.0, an sdist only


@dataclass(frozen=True)
class PipConfig:
    """One column of the matrix: a venv kind, its pip's version, pip options for every run."""

    kind: str
    version: str  # the exact version, or the newest's lowest acceptable one
    options: tuple[str, ...] = ()

    @property
    def has_lock(self) -> bool:
        return version_tuple(self.version) >= (25, 1)


CONFIGS = {
    "pip-22.3.1": PipConfig(pinned_pip_kind("22.3.1"), "22.3.1"),
    "pip-24.0": PipConfig(pinned_pip_kind("24.0"), "24.0"),
    "pip-26": PipConfig(NEWEST, "26.0"),
    "pip-26-venv-isolation": PipConfig(NEWEST, "26.2", ("--use-feature=venv-isolation",)),
    "pip-26-inprocess-build-deps": PipConfig(
        NEWEST, "26.0", ("--use-feature=inprocess-build-deps",)
    ),
}
CONFIG_IDS = list(CONFIGS)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "attacker-code-ran.txt"


@pytest.fixture
def attacks(guarded: Guarded, marker: Path) -> Guarded:
    publish_build_attacks(guarded.index, marker)
    sdist = sdist_bytes("vulnsdist", "1.0", marker=marker)
    guarded.index.add_file("vulnsdist", "1.0", sdist_filename("vulnsdist", "1.0"), sdist)
    return guarded


def _venv(attacks: Guarded, config: PipConfig) -> Path:
    """A hooked venv with the config's pip (checked: the matrix must test what it says)."""
    python = attacks.venv(config.kind)
    version = run([python, "-m", "pip", "--version"], attacks.env).stdout.split()[1]
    if config.kind == NEWEST:
        assert version_tuple(version) >= version_tuple(config.version), version
    else:
        assert version == config.version
    hook_venv(python)
    return python


def _blocked_and_nothing_ran(
    result: subprocess.CompletedProcess[str], marker: Path, advisory: str
) -> None:
    assert result.returncode == 1, output(result)
    assert advisory in output(result), output(result)
    assert not marker.exists(), f"{marker.read_text()}\n{output(result)}"


@pytest.mark.parametrize("config_id", CONFIG_IDS)
def test_no_code_of_a_blocked_package_runs(
    config_id: str, attacks: Guarded, marker: Path, tmp_path: Path
) -> None:
    config = CONFIGS[config_id]
    python = _venv(attacks, config)
    index = ["--index-url", attacks.index.url]
    sdist = attacks.install(python, *config.options, "evilsdist")
    _blocked_and_nothing_ran(sdist, marker, MALICIOUS_SDIST_ID)
    build_dep = pip_install(python, PIP_MODULE, attacks.env, *index, *config.options, "buildapp")
    _blocked_and_nothing_ran(build_dep, marker, MALICIOUS_BUILD_DEP_ID)
    commands = [(DOWNLOAD, HOOK_SCRIPT), (WHEEL, SAFE_PIP)]
    if config.has_lock:
        commands.append((LOCK, HOOK_MODULE))
    for command, front_end in commands:
        out = tmp_path / command
        result = run_command(attacks, front_end, python, command, out, *config.options, "evilsdist")
        _blocked_and_nothing_ran(result, marker, MALICIOUS_SDIST_ID)
        assert written(out) == [], output(result)
    assert attacks.installed(python) == {}


@pytest.mark.parametrize("config_id", CONFIG_IDS)
def test_the_backstop_fires_when_pip_resolves_around_the_guard(
    config_id: str, attacks: Guarded, tmp_path: Path
) -> None:
    config = CONFIGS[config_id]
    python = _venv(attacks, config)
    refactor_pip(python)
    hooked = pip_install(
        python,
        PIP_SCRIPT,
        attacks.env,
        "--index-url",
        attacks.index.url,
        *config.options,
        "cleanlib",
    )
    assert hooked.returncode == 3, output(hooked)
    assert "Traceback" not in output(hooked)
    assert "safe-pip hook:" in hooked.stderr, output(hooked)
    out = tmp_path / "out"
    downloaded = run_command(attacks, SAFE_PIP, python, DOWNLOAD, out, *config.options, "cleanlib")
    assert_one_line_error(downloaded, 3)
    assert written(out) == [], output(downloaded)
    assert attacks.installed(python) == {}


@pytest.mark.parametrize("config_id", CONFIG_IDS)
def test_a_pinned_vulnerable_sdist_is_never_built(
    config_id: str, attacks: Guarded, marker: Path
) -> None:
    config = CONFIGS[config_id]
    python = _venv(attacks, config)
    result = attacks.install(python, *config.options, "vulnsdist==1.0")
    _blocked_and_nothing_ran(result, marker, VULN_SDIST_ID)


@pytest.mark.parametrize("config_id", CONFIG_IDS)
def test_pip_install_dot_works(config_id: str, attacks: Guarded, tmp_path: Path) -> None:
    config = CONFIGS[config_id]
    python = _venv(attacks, config)
    archive = tmp_path / "localproj.tar.gz"
    archive.write_bytes(sdist_bytes("localproj", "1.0", requires=["cleanlib"]))
    with tarfile.open(archive) as opened:
        opened.extractall(tmp_path, filter="data")
    project = tmp_path / "localproj-1.0"
    hooked = run(
        [
            *pip_command(python, PIP_SCRIPT),
            "install",
            "--index-url",
            attacks.index.url,
            *config.options,
            ".",
        ],
        attacks.env,
        cwd=project,
    )
    assert hooked.returncode == 0, output(hooked)
    assert attacks.installed(python) == {"localproj": "1.0", "cleanlib": "1.0"}
    again = attacks.install(python, *config.options, "--force-reinstall", project)
    assert again.returncode == 0, output(again)
