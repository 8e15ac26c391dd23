"""``safe-pip uv`` / ``safe-uv``: real uv, a real index on 127.0.0.1, real target venvs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.index_server import LocalIndex
from support.isolation import run
from support.outcomes import assert_one_line_error, output
from support.scenario import MALICIOUS_ID, VULN_ID
from support.uv_helpers import (
    SKIP_WITHOUT_UV,
    UV,
    compile_requirements,
    installed,
    lock_project,
    uv,
)

SafePip = Callable[..., subprocess.CompletedProcess[str]]
SAFE_UV = Path(sys.executable).parent / "safe-uv"

pytestmark = [pytest.mark.integration, SKIP_WITHOUT_UV]


@pytest.fixture
def toolkit(world: LocalIndex) -> LocalIndex:
    """The standard world plus ``toolkit 1.0`` -> ``helper>=1`` (helper 1.0 and 2.0)."""
    world.add("toolkit", "1.0", requires=["helper>=1"])
    world.add("helper", "1.0")
    world.add("helper", "2.0")
    return world


def uv_install(
    safe_pip: SafePip, python: Path, index: LocalIndex, *args: str | Path, **kw: object
) -> subprocess.CompletedProcess[str]:
    return safe_pip(
        "uv", "pip", "install", "--python", python, "--index-url", index.url, *args, **kw
    )


def plan_of(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {p["name"]: p["version"] for p in json.loads(result.stdout)["packages"]}


def test_vulnerable_transitive_dependency_is_blocked_and_nothing_installed(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    result = uv_install(safe_pip, target_venv, world, "app", "cleanlib")
    assert result.returncode == 1, output(result)
    assert "vulnlib==1.0" in result.stdout and VULN_ID in result.stdout
    assert installed(target_venv, isolated_env) == {}


def test_clean_install_installs_exactly_the_checked_plan(
    toolkit: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    result = uv_install(safe_pip, target_venv, toolkit, "toolkit", "--format", "json")
    assert result.returncode == 0, output(result)
    report = json.loads(result.stdout)
    assert report["verdict"] == "allowed"
    assert report["environment"] == str(target_venv.parent.parent)  # as uv names it
    hosted = {f.filename: f.sha256 for f in toolkit.hosted_files("helper")}
    checked = {p["filename"]: p["sha256"] for p in report["packages"]}
    assert checked["helper-2.0-py3-none-any.whl"] == hosted["helper-2.0-py3-none-any.whl"]
    assert (
        installed(target_venv, isolated_env)
        == plan_of(result)
        == {
            "toolkit": "1.0",
            "helper": "2.0",
        }
    )


def test_installed_versions_are_kept_like_uv_keeps_them(
    toolkit: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    uv(
        ["pip", "install", "--python", target_venv, "--index-url", toolkit.url, "helper==1.0"],
        isolated_env,
    )
    kept = uv_install(safe_pip, target_venv, toolkit, "toolkit", "--format", "json")
    assert kept.returncode == 0, output(kept)
    assert plan_of(kept) == {"toolkit": "1.0", "helper": "1.0"}
    assert installed(target_venv, isolated_env) == {"toolkit": "1.0", "helper": "1.0"}

    upgraded = uv_install(safe_pip, target_venv, toolkit, "toolkit", "--upgrade")
    assert upgraded.returncode == 0, output(upgraded)
    assert installed(target_venv, isolated_env) == {"toolkit": "1.0", "helper": "2.0"}


def test_nothing_to_install_under_json_still_prints_the_report(
    world: LocalIndex, target_venv: Path, tmp_path: Path, safe_pip: SafePip
) -> None:
    """As with ``safe-pip install``: stdout is one JSON document in every outcome."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# nothing yet\n")
    result = uv_install(safe_pip, target_venv, world, "-r", requirements, "--format", "json")
    assert result.returncode == 0, output(result)
    report = json.loads(result.stdout)
    assert (report["verdict"], report["packages"], report["findings"]) == ("allowed", [], [])
    assert "nothing to install" in result.stderr


@pytest.mark.skipif(not SAFE_UV.is_file(), reason="safe-uv script not installed")
def test_safe_uv_means_safe_pip_uv(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    result = run(
        [SAFE_UV, "pip", "install", "evilpkg", "--python", target_venv, "--index-url", world.url],
        isolated_env,
    )
    assert result.returncode == 1, output(result)
    assert "evilpkg==0.1" in result.stdout and MALICIOUS_ID in result.stdout
    assert installed(target_venv, isolated_env) == {}


def test_own_options_before_the_uv_command_still_guard_it(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    """`--uv PATH` (or `--format json`) before `pip install` must not turn the install into
    an unchecked pass-through."""
    args = ["pip", "install", "--python", target_venv, "--index-url", world.url, "vulnlib==1.0"]
    result = safe_pip("uv", "--uv", UV, *args)
    assert result.returncode == 1, output(result)
    assert VULN_ID in result.stdout, output(result)
    as_json = safe_pip("uv", "--format", "json", *args)
    assert as_json.returncode == 1, output(as_json)
    assert json.loads(as_json.stdout)["verdict"] == "blocked"
    assert installed(target_venv, isolated_env) == {}


def test_requirement_files_and_warn_only(
    world: LocalIndex,
    tmp_path: Path,
    target_venv: Path,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index-url {world.url}\nvulnlib==1.0\n")
    result = safe_pip(
        "uv", "pip", "install", "-r", requirements, "--python", target_venv, "--warn-only"
    )
    assert result.returncode == 0, output(result)
    assert "warning  vulnlib==1.0" in result.stdout
    assert installed(target_venv, isolated_env) == {"vulnlib": "1.0"}


def test_a_hash_pinned_in_the_requirements_file_is_enforced(
    world: LocalIndex,
    target_venv: Path,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    tmp_path: Path,
) -> None:
    """Plain `uv pip install -r` refuses a file whose sha256 is not the pinned one; the vetted
    install pins the index's hash instead, so the pin must be checked (HASH-PINNED)."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"cleanlib==1.0 --hash=sha256:{'a' * 64}\n")
    result = uv_install(safe_pip, target_venv, world, "-r", requirements)
    assert result.returncode == 1, output(result)
    assert "HASH-PINNED" in result.stdout, output(result)
    assert installed(target_venv, isolated_env) == {}

    (hosted,) = world.hosted_files("cleanlib")
    requirements.write_text(f"cleanlib==1.0 --hash=sha256:{hosted.sha256}\n")
    allowed = uv_install(safe_pip, target_venv, world, "-r", requirements)
    assert allowed.returncode == 0, output(allowed)
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}


def test_a_file_that_differs_from_the_published_hash_is_never_installed(
    local_index: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    local_index.add("tampered", "1.0", publish_wrong_hash=True)
    result = uv_install(safe_pip, target_venv, local_index, "tampered")
    # uv takes the published hash into the plan; the vetted install then refuses the bytes
    assert result.returncode == 1, output(result)
    assert "does not match the sha256 that was checked" in result.stderr
    assert installed(target_venv, isolated_env) == {}


# ---------------------------------------------------------------- uv pip sync


def test_sync_checks_the_file_then_syncs_exactly_it(
    toolkit: LocalIndex,
    tmp_path: Path,
    target_venv: Path,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
) -> None:
    uv(
        ["pip", "install", "--python", target_venv, "--index-url", toolkit.url, "cleanlib"],
        isolated_env,
    )
    clean = compile_requirements(tmp_path / "clean", toolkit, ["toolkit"], isolated_env)
    result = safe_pip(
        "uv", "pip", "sync", clean, "--python", target_venv, "--index-url", toolkit.url
    )
    assert result.returncode == 0, output(result)
    assert installed(target_venv, isolated_env) == {"toolkit": "1.0", "helper": "2.0"}

    vulnerable = compile_requirements(tmp_path / "vulnerable", toolkit, ["app"], isolated_env)
    blocked = safe_pip(
        "uv", "pip", "sync", vulnerable, "--python", target_venv, "--index-url", toolkit.url
    )
    assert blocked.returncode == 1, output(blocked)
    assert installed(target_venv, isolated_env) == {"toolkit": "1.0", "helper": "2.0"}


def test_sync_of_a_pylock_checks_every_listed_file(
    world: LocalIndex,
    tmp_path: Path,
    target_venv: Path,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
) -> None:
    project = tmp_path / "project"
    lock_project(project, world, ["cleanlib"], isolated_env)
    pylock = project / "pylock.toml"
    uv(["export", "--format", "pylock.toml", "--quiet", "-o", pylock], isolated_env, cwd=project)
    result = safe_pip("uv", "pip", "sync", pylock, "--python", target_venv)
    assert result.returncode == 0, output(result)
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}

    (hosted,) = world.hosted_files("cleanlib")
    pylock.write_text(pylock.read_text().replace(hosted.sha256, "c" * 64))
    tampered = safe_pip("uv", "pip", "sync", pylock, "--python", target_venv)
    assert tampered.returncode == 1, output(tampered)
    assert "HASH-INDEX" in tampered.stdout


# ---------------------------------------------------------------- pass-through and errors


def test_other_uv_commands_pass_straight_through(
    target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    version = safe_pip("uv", "--version")
    assert version.returncode == 0 and version.stdout.startswith("uv "), output(version)
    listing = safe_pip("uv", "pip", "list", "--python", target_venv, "--format", "json")
    assert listing.returncode == 0, output(listing)
    assert "pip" in {entry["name"] for entry in json.loads(listing.stdout)}


def test_pip_run_through_uv_stays_guarded_by_the_hook(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    """A pass-through command must not hand SAFE_PIP_ACTIVE (the hook's off switch) to what
    uv runs: `safe-uv run pip install ...` in a hooked venv is still checked."""
    from support.hook_helpers import hook_venv

    hook_venv(target_venv)
    pip = ["python", "-m", "pip", "install", "--index-url", world.url, "vulnlib==1.0"]
    result = safe_pip("uv", "run", "--no-project", "--python", target_venv, *pip)
    assert result.returncode == 1, output(result)
    assert VULN_ID in result.stdout, output(result)
    assert installed(target_venv, isolated_env) == {}


def test_uv_not_found_is_a_usage_error_with_a_hint(safe_pip: SafePip, tmp_path: Path) -> None:
    line = assert_one_line_error(
        safe_pip("uv", "--uv", tmp_path / "no-uv", "pip", "install", "cleanlib"), 2
    )
    assert "--uv" in line


def test_unreachable_index_while_planning_exits_3_with_one_line(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    world.make_unreachable()
    env = {**isolated_env, "UV_HTTP_RETRIES": "0"}
    with_secret = world.url.replace("http://", "http://user:s3cret@")
    result = safe_pip(
        "uv", "pip", "install", "--python", target_venv, "--index-url", with_secret, "cleanlib",
        env=env,
    )  # fmt: skip
    line = assert_one_line_error(result, 3)
    assert "uv could not resolve the install plan" in line
    # uv's own error block is shown whole above the line: the URL it could not reach kept
    assert f"{world.url}cleanlib/" in result.stderr.replace("user:****@", ""), output(result)
    assert "s3cret" not in result.stderr + result.stdout


def test_no_virtual_environment_fails_with_uvs_message_before_resolving(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    """No venv, no --python, no --system: uv refuses at once; safe-uv says so before a
    resolution against the index (issue 17: 2.0-2.6 s against uv's 0.43 s)."""
    world.make_unreachable()  # a resolution would fail differently (exit 3)
    empty = tmp_path / "no-venv-here"
    empty.mkdir()
    line = assert_one_line_error(
        safe_pip("uv", "pip", "install", "--index-url", world.url, "cleanlib", cwd=empty), 2
    )
    assert "No virtual environment found" in line
    as_json = safe_pip(
        "uv", "pip", "install", "--index-url", world.url, "cleanlib", "--format", "json",
        cwd=empty,
    )  # fmt: skip
    assert as_json.returncode == 2, output(as_json)
    document = json.loads(as_json.stdout)  # one JSON document in every outcome
    assert document["verdict"] == "error" and document["error"]["exit_code"] == 2
    assert "No virtual environment found" in document["error"]["message"]


def test_malformed_requirements_file_exits_2_with_one_line(
    world: LocalIndex, tmp_path: Path, target_venv: Path, safe_pip: SafePip
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("cleanlib >= = 1\n")
    line = assert_one_line_error(uv_install(safe_pip, target_venv, world, "-r", requirements), 2)
    assert "requirements.txt" in line


def test_unknown_uv_options_are_refused_not_guessed(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip
) -> None:
    line = assert_one_line_error(
        uv_install(safe_pip, target_venv, world, "cleanlib", "--surprise-option"), 2
    )
    assert "--surprise-option" in line
    assert UV.is_file()


@pytest.mark.parametrize("front_end", ["pip", "uv"])
def test_an_installed_dependency_the_install_keeps_is_one_warning_in_both_front_ends(
    front_end: str,
    world: LocalIndex,
    target_venv: Path,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
) -> None:
    """vulnlib 1.0 is installed; `app` needs vulnlib<1.1 and both installers keep 1.0. Was:
    pip "no problems found", uv blocked. One rule now (pipeline.kept): installed, kept,
    a warning that says so, and the install goes ahead."""
    uv(["pip", "install", "--python", target_venv, "--index-url", world.url, "vulnlib==1.0"],
       isolated_env)  # fmt: skip
    command = ["uv", "pip"] if front_end == "uv" else []
    result = safe_pip(*command, "install", "--python", target_venv, "--index-url", world.url, "app")
    assert result.returncode == 0, output(result)
    [line] = [line for line in result.stdout.splitlines() if VULN_ID in line]
    assert line.startswith("warning  vulnlib==1.0"), output(result)
    assert "already installed and kept by this install: upgrade it to fix this" in line
    assert installed(target_venv, isolated_env) == {"app": "1.0", "vulnlib": "1.0"}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["run", "app.py"], "`uv run` may install packages that safe-uv does not check"),
        (["tool", "install", "ruff"], "`uv tool install` may install packages"),
        (["sync", "--script", "s.py"], "`uv sync` may install packages"),
        (["sync", "--dry-run"], None),
        (["tree"], None),
    ],
)
def test_uv_commands_that_install_unchecked_say_so(
    argv: list[str], said: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    from safe_pip.commands.uv import main

    assert main(["--uv", "/bin/true", *argv]) == 0
    err = capsys.readouterr().err
    if said is None:
        assert "does not check" not in err
    else:
        assert said in err
