"""Nothing unchecked runs or installs (issue 11): the guard inside pip's own single run.

Real pip (bundled and newest), the real safe-pip, a real index on 127.0.0.1. Every attack
package writes ``marker`` when its code runs; the marker must never appear.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.guarded import Guarded
from support.hook_helpers import PIP_MODULE, hook_venv, pip_install
from support.outcomes import assert_one_line_error, output
from support.scenario import (
    MALICIOUS_BUILD_DEP_ID,
    MALICIOUS_SDIST_ID,
    STEER_VULN_ID,
    VULN_ID,
    publish_build_attacks,
    publish_steering,
)
from support.sdists import sdist_bytes, sdist_filename
from support.venvs import BUNDLED, NEWEST
from support.wheels import build_wheel

pytestmark = pytest.mark.integration

PIP_KINDS = (BUNDLED, NEWEST)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "attacker-code-ran.txt"


@pytest.fixture
def attacks(guarded: Guarded, marker: Path) -> Guarded:
    publish_build_attacks(guarded.index, marker)
    return guarded


def _no_marker(marker: Path, result: subprocess.CompletedProcess[str]) -> None:
    assert not marker.exists(), f"{marker.read_text()}\n{output(result)}"


# ---------------------------------------------------------------- code that runs while preparing


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_install_never_builds_a_malicious_sdist(kind: str, attacks: Guarded, marker: Path) -> None:
    python = attacks.venv(kind)
    result = attacks.install(python, "evilsdist")
    assert result.returncode == 1, output(result)
    assert MALICIOUS_SDIST_ID in result.stdout, output(result)
    _no_marker(marker, result)
    assert attacks.installed(python) == {}


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_install_never_runs_a_malicious_build_dependency(
    kind: str, attacks: Guarded, marker: Path
) -> None:
    python = attacks.venv(kind)
    result = attacks.install(python, "buildapp")
    assert result.returncode == 1, output(result)
    assert MALICIOUS_BUILD_DEP_ID in output(result)
    _no_marker(marker, result)
    assert attacks.installed(python) == {}


def test_in_process_build_dependencies_of_newest_pip_are_gated(
    attacks: Guarded, marker: Path
) -> None:
    python = attacks.venv(NEWEST)
    result = attacks.install(python, "--use-feature=inprocess-build-deps", "buildapp")
    assert result.returncode == 1, output(result)
    assert MALICIOUS_BUILD_DEP_ID in output(result)
    _no_marker(marker, result)
    assert attacks.installed(python) == {}


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_hook_never_builds_a_malicious_sdist_or_build_dependency(
    kind: str, attacks: Guarded, marker: Path
) -> None:
    python = attacks.venv(kind)
    hook_venv(python)
    for name, advisory in (("evilsdist", MALICIOUS_SDIST_ID), ("buildapp", MALICIOUS_BUILD_DEP_ID)):
        result = pip_install(
            python, PIP_MODULE, attacks.env, "--index-url", attacks.index.url, name
        )
        assert result.returncode == 1, output(result)
        assert advisory in output(result)
        _no_marker(marker, result)
    assert attacks.installed(python) == {}


def test_clean_sdist_still_installs(guarded: Guarded) -> None:
    sdist = sdist_bytes("goodsdist", "1.0")
    guarded.index.add_file("goodsdist", "1.0", sdist_filename("goodsdist", "1.0"), sdist)
    python = guarded.venv()
    result = guarded.install(python, "goodsdist")
    assert result.returncode == 0, output(result)
    assert guarded.installed(python) == {"goodsdist": "1.0"}


# ---------------------------------------------------------------- pip alone reads the command line


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_option_abbreviation_cannot_smuggle_a_requirement(
    kind: str, guarded: Guarded, tmp_path: Path
) -> None:
    """``--in`` is pip's abbreviation of ``--index-url``: whatever pip makes of this line is
    what gets checked, so ``evilpkg`` (malicious) cannot slip in as the value of an option."""
    evil = guarded.index.hosted_files("evilpkg")[0]
    assert evil.path is not None
    good = build_wheel(tmp_path / "dist", "goodlocal", "1.0")
    python = guarded.venv(kind)
    evil_requirement = f"evilpkg @ {evil.path.as_uri()}#sha256={evil.sha256}"
    result = guarded.safe_pip(
        "install", "--python", python, "--in", guarded.index.url, "--target", evil_requirement, good
    )
    assert "evilpkg" not in guarded.installed(python), output(result)
    home = Path(guarded.env["HOME"])
    assert not list(home.glob("**/evilpkg/__init__.py")), output(result)


def test_pips_own_python_option_cannot_run_an_unguarded_pip(guarded: Guarded) -> None:
    """``--pyth`` is pip's abbreviation of its ``--python``, which re-runs pip under another
    interpreter -- without the guard. Refused, nothing installed anywhere."""
    python, other = guarded.venv(), guarded.venv()
    result = guarded.install(python, "--pyth", other, "evilpkg")
    line = assert_one_line_error(result, 2)
    assert "--python" in line
    assert guarded.installed(python) == {} and guarded.installed(other) == {}


# ---------------------------------------------------------------- steering (issue 9, item 2)


@pytest.fixture
def steering(guarded: Guarded) -> Guarded:
    publish_steering(guarded.index)
    return guarded


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_steering_picks_the_newest_allowed_version(kind: str, steering: Guarded) -> None:
    python = steering.venv(kind)
    result = steering.install(python, "steerpkg<2")
    assert result.returncode == 0, output(result)
    assert f"chose steerpkg 1.1, not 1.2: {STEER_VULN_ID}" in output(result)
    assert steering.installed(python) == {"steerpkg": "1.1"}


def test_a_version_the_requirement_rules_out_is_not_reported_as_steered(
    steering: Guarded,
) -> None:
    """``steerpkg<1.2`` never allowed the vulnerable 1.2: saying "chose 1.1, not 1.2" would
    claim a choice steering did not make."""
    python = steering.venv()
    result = steering.install(python, "steerpkg<1.2")
    assert result.returncode == 0, output(result)
    assert "chose steerpkg" not in output(result)
    assert steering.installed(python) == {"steerpkg": "1.1"}


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_an_exact_pin_is_never_steered(kind: str, steering: Guarded) -> None:
    """A blocked ``==`` pin is not hidden from pip, which would then print "Could not find a
    version": the gate blocks it with its findings before anything of it is downloaded
    (issue 15: the gate decides vulnerabilities too)."""
    python = steering.venv(kind)
    result = steering.install(python, "steerpkg==1.2", "app")
    assert result.returncode == 1, output(result)
    assert STEER_VULN_ID in result.stdout, output(result)
    assert "Could not find a version" not in output(result)
    assert steering.installed(python) == {}


def test_resolve_block_turns_steering_off(steering: Guarded) -> None:
    python = steering.venv()
    result = steering.install(python, "steerpkg<2", env=steering.env_with(SAFE_PIP_RESOLVE="block"))
    assert result.returncode == 1, output(result)
    assert STEER_VULN_ID in result.stdout, output(result)
    assert steering.installed(python) == {}


def test_hook_steers_too(steering: Guarded) -> None:
    python = steering.venv(NEWEST)
    hook_venv(python)
    args = ("--index-url", steering.index.url, "steerpkg<2")
    result = pip_install(python, PIP_MODULE, steering.env, *args)
    assert result.returncode == 0, output(result)
    assert f"chose steerpkg 1.1, not 1.2: {STEER_VULN_ID}" in output(result)
    assert steering.installed(python) == {"steerpkg": "1.1"}


# ---------------------------------------------------------------- audits never run package code


@pytest.mark.parametrize(
    ("requirements", "finding"),
    [("buildapp\ncleanlib\n", "NEEDS-BUILD"), ("evilsdist\n", MALICIOUS_SDIST_ID)],
)
def test_check_never_builds_an_sdist_to_resolve(
    requirements: str, finding: str, attacks: Guarded, marker: Path, tmp_path: Path
) -> None:
    requirements_file = tmp_path / "requirements.txt"
    requirements_file.write_text(f"--index-url {attacks.index.url}\n{requirements}")
    result = attacks.safe_pip("check", "--python", attacks.venv(), requirements_file)
    assert result.returncode == 1, output(result)
    assert finding in result.stdout, output(result)
    _no_marker(marker, result)


def test_an_audit_stopped_by_a_build_still_checks_the_other_exact_pins(
    attacks: Guarded, marker: Path, tmp_path: Path
) -> None:
    requirements_file = tmp_path / "requirements.txt"
    # buildapp is not pinned, so the file goes through pip's resolution (a file of nothing but
    # exact pins is checked as written, without one)
    requirements_file.write_text(f"--index-url {attacks.index.url}\nbuildapp>=1\nvulnlib==1.0\n")
    result = attacks.safe_pip("check", "--python", attacks.venv(), requirements_file)
    assert result.returncode == 1, output(result)
    assert "NEEDS-BUILD" in result.stdout and VULN_ID in result.stdout, output(result)
    assert "2 of 2 packages" in result.stdout, output(result)
    _no_marker(marker, result)
