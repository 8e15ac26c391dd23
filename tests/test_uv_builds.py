"""uv builds source distributions while it resolves: no unchecked package's code may run.

Each sdist here carries an in-tree build backend that writes ``marker`` when it is imported
(``support.sdists``); ``evilbuild`` is a wheel whose module writes it when a build imports it.
Every attack test first shows that plain uv does run the code (so the test can fail), then
that safe-pip's uv front ends block before it runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from support.index_server import LocalIndex
from support.isolation import run
from support.outcomes import assert_one_line_error, output
from support.sdists import marker_wheel_files, sdist_bytes, sdist_filename
from support.uv_helpers import SKIP_WITHOUT_UV, UV, installed, safe_uv_pip_install, uv

pytestmark = [SKIP_WITHOUT_UV, pytest.mark.integration]

EVIL_SDIST_ID = "MAL-2099-8"  # evilsdist
EVIL_BUILD_ID = "MAL-2099-9"  # evilbuild


def publish_sdist(
    index: LocalIndex,
    name: str,
    version: str,
    marker: Path,
    *,
    requires: tuple[str, ...] = (),
    build_requires: tuple[str, ...] = (),
) -> None:
    content = sdist_bytes(
        name,
        version,
        marker=marker,
        requires=requires,
        build_requires=build_requires,
        backend_imports=[b.split("=")[0].split("<")[0] for b in build_requires],
    )
    index.add_file(name, version, sdist_filename(name, version), content)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "code-ran.txt"


@pytest.fixture
def attacks(world: LocalIndex, marker: Path) -> LocalIndex:
    """The standard world plus: ``evilsdist`` (MAL, sdist only), ``wrapper`` (a clean wheel
    that depends on it), ``sdistapp`` (a clean sdist whose build requires the MAL wheel
    ``evilbuild``) and ``cleansdist`` (a clean sdist that writes the marker when built)."""
    publish_sdist(world, "evilsdist", "1.0", marker)
    world.add("wrapper", "1.0", requires=["evilsdist"])
    world.add("evilbuild", "1.0", files=marker_wheel_files("evilbuild", marker))
    publish_sdist(world, "sdistapp", "1.0", marker, build_requires=("evilbuild",))
    publish_sdist(world, "cleansdist", "1.0", marker, requires=("cleanlib",))
    return world


def plain_uv_install(python: Path, index: LocalIndex, env: dict[str, str], *args: str) -> None:
    uv(["pip", "install", "--python", python, "--index-url", index.url, *args], env, check=False)


@pytest.mark.parametrize("requirement", ["evilsdist", "wrapper", "sdistapp"])
def test_plain_uv_runs_the_code_these_tests_guard_against(
    attacks: LocalIndex,
    marker: Path,
    target_venv: Path,
    isolated_env: dict[str, str],
    requirement: str,
) -> None:
    plain_uv_install(target_venv, attacks, isolated_env, requirement)
    assert marker.is_file()


@pytest.mark.parametrize(
    ("requirement", "advisory"),
    [("evilsdist", EVIL_SDIST_ID), ("wrapper", EVIL_SDIST_ID), ("sdistapp", EVIL_BUILD_ID)],
)
def test_a_malicious_sdist_or_build_dependency_is_blocked_before_its_code_runs(
    attacks: LocalIndex,
    marker: Path,
    target_venv: Path,
    isolated_env: dict[str, str],
    requirement: str,
    advisory: str,
) -> None:
    result = safe_uv_pip_install(target_venv, attacks, isolated_env, requirement)
    assert result.returncode == 1, output(result)
    assert advisory in result.stdout
    assert not marker.exists(), output(result)
    assert installed(target_venv, isolated_env) == {}


def test_a_clean_sdist_is_checked_then_built_and_installed(
    attacks: LocalIndex, marker: Path, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    result = safe_uv_pip_install(target_venv, attacks, isolated_env, "cleansdist")
    assert result.returncode == 0, output(result)
    assert marker.is_file()  # its own, checked code built it
    assert installed(target_venv, isolated_env) == {"cleansdist": "1.0", "cleanlib": "1.0"}
    # the wheel uv builds is not opened before it installs: said, not skipped silently
    assert "warning: contents not inspected: uv builds cleansdist==1.0 from source" in (
        result.stderr
    ), output(result)


@pytest.mark.parametrize("resolve", ["avoid", "block"])
def test_a_malicious_source_version_is_left_out_and_a_clean_one_built(
    world: LocalIndex,
    tmp_path: Path,
    target_venv: Path,
    isolated_env: dict[str, str],
    resolve: str,
) -> None:
    """halfevil 2.0 (MAL) and 1.0 (clean) are only published as sdists: uv may build 1.0,
    never 2.0, whether or not steering is on (malicious code must never run)."""
    clean_marker, evil_marker = tmp_path / "clean-ran.txt", tmp_path / "evil-ran.txt"
    publish_sdist(world, "halfevil", "1.0", clean_marker)
    publish_sdist(world, "halfevil", "2.0", evil_marker)
    env = {**isolated_env, "SAFE_PIP_RESOLVE": resolve}
    result = safe_uv_pip_install(target_venv, world, env, "halfevil")
    assert result.returncode == 0, output(result)
    assert "uv may not build halfevil 2.0: MAL-2099-42" in result.stderr
    assert not evil_marker.exists() and clean_marker.is_file()
    assert installed(target_venv, isolated_env) == {"halfevil": "1.0"}


def test_syncing_a_pylock_with_an_sdist_never_runs_a_flagged_build_dependency(
    attacks: LocalIndex,
    marker: Path,
    tmp_path: Path,
    target_venv: Path,
    isolated_env: dict[str, str],
) -> None:
    (sdist,) = attacks.hosted_files("sdistapp")
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\n'
        'name = "sdistapp"\nversion = "1.0"\n'
        f'sdist = {{ url = "{sdist.url}", hashes = {{ sha256 = "{sdist.sha256}" }} }}\n'
    )
    command: list[str | Path] = [sys.executable, "-m", "safe_pip", "uv", "pip", "sync", lock]
    result = run([*command, "--python", target_venv, "--index-url", attacks.url], isolated_env)
    assert result.returncode == 1, output(result)
    assert EVIL_BUILD_ID in result.stdout
    assert not marker.exists(), output(result)
    assert installed(target_venv, isolated_env) == {}


def test_a_malicious_sdist_in_a_project_never_runs_with_sync_or_add(
    attacks: LocalIndex, marker: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["wrapper"]\n'
    )
    options = ["--default-index", attacks.url, "--python", sys.executable]
    safe_uv = [sys.executable, "-m", "safe_pip", "uv"]
    synced = run([*safe_uv, "sync", *options], isolated_env, cwd=project)
    assert synced.returncode == 1, output(synced)
    assert EVIL_SDIST_ID in synced.stdout
    assert not marker.exists(), output(synced)

    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        "dependencies = []\n"
    )
    before = (project / "pyproject.toml").read_bytes()
    added = run([*safe_uv, "add", "sdistapp", *options], isolated_env, cwd=project)
    assert added.returncode == 1, output(added)
    assert EVIL_BUILD_ID in added.stdout
    assert not marker.exists(), output(added)
    assert (project / "pyproject.toml").read_bytes() == before


def test_a_project_builds_a_clean_sdist_and_asks_for_checked_build_pins(
    attacks: LocalIndex, marker: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    """A clean sdist without build requirements is built; one whose build needs a (clean)
    dependency stops with the checked pin to add, and builds once it is there."""
    attacks.add("goodbuild", "1.0")
    publish_sdist(attacks, "pinnedapp", "1.0", marker, build_requires=("goodbuild",))
    project = tmp_path / "demo"
    project.mkdir()
    header = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
    (project / "pyproject.toml").write_text(header + 'dependencies = ["cleansdist"]\n')
    options = ["--default-index", attacks.url, "--python", sys.executable]
    safe_uv = [sys.executable, "-m", "safe_pip", "uv"]
    synced = run([*safe_uv, "sync", *options], isolated_env, cwd=project)
    assert synced.returncode == 0, output(synced)
    assert "warning: contents not inspected: uv builds cleansdist==1.0 from source" in (
        synced.stderr
    ), output(synced)
    assert installed(project / ".venv" / "bin" / "python", isolated_env) == {
        "cleansdist": "1.0",
        "cleanlib": "1.0",
    }

    (project / "pyproject.toml").write_text(header + 'dependencies = ["pinnedapp"]\n')
    asked = run([*safe_uv, "sync", *options], isolated_env, cwd=project)
    line = assert_one_line_error(asked, 2)
    (pin,) = [f.sha256 for f in attacks.hosted_files("goodbuild")]
    entry = f'{{ requirement = "goodbuild==1.0", hashes = ["sha256:{pin}"] }}'
    assert entry in line
    (project / "pyproject.toml").write_text(
        header + 'dependencies = ["pinnedapp"]\n'
        f"[tool.uv]\nbuild-constraint-dependencies = [{entry}]\n"
    )
    pinned = run([*safe_uv, "sync", *options], isolated_env, cwd=project)
    assert pinned.returncode == 0, output(pinned)
    assert "pinnedapp" in installed(project / ".venv" / "bin" / "python", isolated_env)


def test_uv_itself_is_the_one_that_refuses_to_build(
    attacks: LocalIndex, marker: Path, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    """The mechanism, shown on uv alone: with every build disallowed (``--only-binary
    :all:``) uv resolves without running any backend and names the sdist it would build."""
    wheels_only: list[str | Path] = ["--only-binary", ":all:", "--python", target_venv]
    wheels_only += ["--index-url", attacks.url]
    result = run(
        [UV, "pip", "compile", "-", *wheels_only],
        isolated_env,
        input="wrapper\n",
    )
    assert result.returncode != 0
    assert "evilsdist" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("requirement", ["halfevil==2.0", "halfevil>=2"])
def test_an_excluded_source_version_the_requirement_needs_is_blocked_with_findings(
    world: LocalIndex,
    tmp_path: Path,
    target_venv: Path,
    isolated_env: dict[str, str],
    requirement: str,
) -> None:
    """Only a refused source version satisfies the requirement (pyyaml==5.3 of issue 17):
    BLOCKED with its findings and exit 1, as the pip front end does; never uv's cut error."""
    evil_marker = tmp_path / "evil-ran.txt"
    publish_sdist(world, "halfevil", "1.0", tmp_path / "clean-ran.txt")
    publish_sdist(world, "halfevil", "2.0", evil_marker)
    result = safe_uv_pip_install(target_venv, world, isolated_env, requirement)
    assert result.returncode == 1, output(result)
    assert "MAL-2099-42" in result.stdout and "BLOCKED" in result.stdout
    assert not evil_marker.exists()
    json_result = safe_uv_pip_install(
        target_venv, world, isolated_env, requirement, "--format", "json"
    )
    assert json_result.returncode == 1, output(json_result)
    assert json.loads(json_result.stdout)["verdict"] == "blocked"
