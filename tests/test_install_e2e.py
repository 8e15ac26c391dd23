"""``safe-pip install`` end to end: real pip, a real index on 127.0.0.1, real venvs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.index_server import LocalIndex
from support.outcomes import assert_one_line_error, installed, output
from support.scenario import LOW_SEVERITY_ID, MALICIOUS_ID, VULN_ALIAS, VULN_ID, YANK_REASON
from support.venvs import BUNDLED, NEWEST

SafePip = Callable[..., subprocess.CompletedProcess[str]]


def install(safe_pip: SafePip, python: Path, index: LocalIndex, *args: str, **kw: object):
    return safe_pip("install", "--python", python, "--index-url", index.url, *args, **kw)


@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_clean_install_installs_the_plan(
    kind: str,
    world: LocalIndex,
    pip_venv: Callable[[str], Path],
    safe_pip: SafePip,
    isolated_env: dict[str, str],
) -> None:
    python = pip_venv(kind)
    result = install(safe_pip, python, world, "cleanlib")
    assert result.returncode == 0, output(result)
    assert "no problems found" in result.stdout
    assert installed(python, isolated_env) == {"cleanlib": "1.0"}


@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_vulnerable_direct_dependency_is_blocked(
    kind: str,
    world: LocalIndex,
    pip_venv: Callable[[str], Path],
    safe_pip: SafePip,
    isolated_env: dict[str, str],
) -> None:
    python = pip_venv(kind)
    result = install(safe_pip, python, world, "vulnlib==1.0")
    assert result.returncode == 1, output(result)
    finding_lines = [line for line in result.stdout.splitlines() if "vulnlib==1.0" in line]
    # PYSEC-2099-1 and GHSA-aaaa-bbbb-cccc are one vulnerability: one line, aliases merged.
    assert len(finding_lines) == 1, result.stdout
    line = finding_lines[0]
    assert "BLOCKED" in line and VULN_ID in line and VULN_ALIAS in line and "1.1" in line
    assert installed(python, isolated_env) == {}


def test_vulnerable_transitive_dependency_blocks_the_whole_plan(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    result = install(safe_pip, target_venv, world, "app")
    assert result.returncode == 1, output(result)
    assert "vulnlib==1.0" in result.stdout and VULN_ID in result.stdout
    assert installed(target_venv, isolated_env) == {}


def test_malicious_package_blocks_even_with_warn_only(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    result = install(safe_pip, target_venv, world, "--warn-only", "evilpkg")
    assert result.returncode == 1, output(result)
    assert MALICIOUS_ID in result.stdout and "malicious" in result.stdout
    assert installed(target_venv, isolated_env) == {}


def test_warn_only_installs_a_vulnerable_package_with_a_warning(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    result = install(safe_pip, target_venv, world, "--warn-only", "vulnlib==1.0")
    assert result.returncode == 0, output(result)
    assert "warning" in result.stdout and VULN_ID in result.stdout
    assert installed(target_venv, isolated_env) == {"vulnlib": "1.0"}


def test_yanked_pin_warns_and_installs(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    result = install(safe_pip, target_venv, world, "oldpkg==1.0")
    assert result.returncode == 0, output(result)
    assert "yanked" in result.stdout and YANK_REASON in result.stdout
    assert installed(target_venv, isolated_env) == {"oldpkg": "1.0"}


def test_yanked_pin_blocks_when_policy_says_so(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    env = {**isolated_env, "SAFE_PIP_YANKED": "block"}
    result = install(safe_pip, target_venv, world, "oldpkg==1.0", env=env)
    assert result.returncode == 1, output(result)
    assert "BLOCKED" in result.stdout and YANK_REASON in result.stdout
    assert installed(target_venv, isolated_env) == {}


@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_index_hash_that_differs_from_the_served_file_is_blocked(
    kind: str,
    world: LocalIndex,
    pip_venv: Callable[[str], Path],
    safe_pip: SafePip,
    isolated_env: dict[str, str],
) -> None:
    python = pip_venv(kind)
    world.add("tampered", "1.0", publish_wrong_hash=True, metadata=True)
    result = install(safe_pip, python, world, "tampered")
    assert result.returncode == 1, output(result)
    assert "hash" in output(result).lower()
    assert "Traceback" not in output(result)
    assert installed(python, isolated_env) == {}


def test_user_pinned_hash_mismatch_is_blocked(
    world: LocalIndex,
    target_venv: Path,
    safe_pip: SafePip,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("cleanlib==1.0 --hash=sha256:" + "0" * 64 + "\n")
    result = install(safe_pip, target_venv, world, "-r", str(requirements))
    assert result.returncode == 1, output(result)
    assert "hash" in output(result).lower()
    assert installed(target_venv, isolated_env) == {}


def test_user_pinned_hash_that_matches_installs(
    world: LocalIndex,
    target_venv: Path,
    safe_pip: SafePip,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    sha256 = world.hosted_files("cleanlib")[0].sha256
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"cleanlib==1.0 --hash=sha256:{sha256}\n")
    result = install(safe_pip, target_venv, world, "-r", str(requirements))
    assert result.returncode == 0, output(result)
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}


def test_changed_artifact_for_a_known_filename_is_blocked(
    world: LocalIndex,
    pip_venv: Callable[[str], Path],
    safe_pip: SafePip,
    isolated_env: dict[str, str],
) -> None:
    first = pip_venv(BUNDLED)
    assert install(safe_pip, first, world, "cleanlib").returncode == 0
    hosted = world.hosted_files("cleanlib")[0]
    from support.wheels import wheel_bytes

    world.replace_file(hosted.filename, wheel_bytes("cleanlib", "1.0", salt="re-uploaded"))
    second = pip_venv(BUNDLED)
    result = install(safe_pip, second, world, "cleanlib")
    assert result.returncode == 1, output(result)
    assert "HASH-CHANGED" in result.stdout
    assert installed(second, isolated_env) == {}


def test_direct_url_is_unverifiable_and_warned(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    hosted = world.hosted_files("cleanlib")[0]
    result = install(safe_pip, target_venv, world, f"cleanlib @ {hosted.url}")
    assert result.returncode == 0, output(result)
    assert "unverifiable" in result.stdout
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}


def test_direct_url_blocks_when_unverifiable_is_block(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    hosted = world.hosted_files("cleanlib")[0]
    env = {**isolated_env, "SAFE_PIP_UNVERIFIABLE": "block"}
    result = install(safe_pip, target_venv, world, f"cleanlib @ {hosted.url}", env=env)
    assert result.returncode == 1, output(result)
    assert installed(target_venv, isolated_env) == {}


def test_ignore_with_reason_by_alias_allows_install(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    result = install(
        safe_pip,
        target_venv,
        world,
        "--ignore-vuln",
        f"{VULN_ALIAS}:not reachable here",
        "vulnlib==1.0",
    )
    assert result.returncode == 0, output(result)
    assert "ignored" in result.stdout and "not reachable here" in result.stdout
    assert installed(target_venv, isolated_env) == {"vulnlib": "1.0"}


def test_ignore_without_reason_is_a_usage_error(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip
) -> None:
    result = install(safe_pip, target_venv, world, "--ignore-vuln", VULN_ID, "vulnlib==1.0")
    assert_one_line_error(result, 2)


def test_expired_ignore_in_pyproject_no_longer_applies(
    world: LocalIndex,
    target_venv: Path,
    safe_pip: SafePip,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        "[tool.safe-pip]\n"
        f'ignore = [{{ id = "{VULN_ID}", reason = "waiting for 1.1", expires = 2020-01-01 }}]\n'
    )
    result = install(safe_pip, target_venv, world, "vulnlib==1.0", cwd=project)
    assert result.returncode == 1, output(result)
    assert "expired" in result.stdout
    # The same ignore with a future expiry applies.
    (project / "pyproject.toml").write_text(
        "[tool.safe-pip]\n"
        f'ignore = [{{ id = "{VULN_ID}", reason = "waiting for 1.1", expires = 2999-01-01 }}]\n'
    )
    result = install(safe_pip, target_venv, world, "vulnlib==1.0", cwd=project)
    assert result.returncode == 0, output(result)


def test_min_severity_lets_a_low_severity_vulnerability_through_with_a_warning(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    env = {**isolated_env, "SAFE_PIP_MIN_SEVERITY": "medium"}
    result = install(safe_pip, target_venv, world, "lowsev", env=env)
    assert result.returncode == 0, output(result)
    assert LOW_SEVERITY_ID in result.stdout
    blocked = install(safe_pip, target_venv, world, "lowsev==1.0", "--force-reinstall")
    assert blocked.returncode == 1, output(blocked)


def test_json_output_is_machine_readable(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip
) -> None:
    result = install(safe_pip, target_venv, world, "--format", "json", "app")
    assert result.returncode == 1, output(result)
    report = json.loads(result.stdout)
    assert report["verdict"] == "blocked"
    assert {p["name"] for p in report["packages"]} == {"app", "vulnlib"}
    # Every item says which index it came from and whether it is yanked (even with a pip
    # whose report has no is_yanked field: the index page says).
    assert {p["index_url"] for p in report["packages"]} == {world.url}
    assert {p["yanked"] for p in report["packages"]} == {False}
    (finding,) = report["findings"]
    assert finding["id"] == VULN_ID and VULN_ALIAS in finding["aliases"]
    assert finding["action"] == "block" and finding["fixed_in"] == "1.1"


def test_missing_database_cannot_check(
    local_index: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    local_index.add("cleanlib", "1.0")
    result = install(safe_pip, target_venv, local_index, "cleanlib")
    assert_one_line_error(result, 3)
    assert "safe-pip db update" in result.stderr
    assert installed(target_venv, isolated_env) == {}


def test_missing_database_with_fail_open_installs_with_a_warning(
    local_index: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    local_index.add("cleanlib", "1.0")
    result = install(safe_pip, target_venv, local_index, "--fail-mode", "open", "cleanlib")
    assert result.returncode == 0, output(result)
    assert "warning" in result.stderr
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}


def test_corrupt_database_cannot_check(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    db = Path(isolated_env["SAFE_PIP_CACHE_DIR"]) / "advisories.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    result = install(safe_pip, target_venv, world, "cleanlib")
    assert_one_line_error(result, 3)
    assert installed(target_venv, isolated_env) == {}


def test_unreachable_index_cannot_check(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    world.make_unreachable()
    result = install(safe_pip, target_venv, world, "--retries", "0", "--timeout", "2", "cleanlib")
    assert result.returncode in (2, 3), output(result)
    assert_one_line_error(result, result.returncode)
    assert installed(target_venv, isolated_env) == {}


def test_unknown_package_is_one_clear_line(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip
) -> None:
    result = install(safe_pip, target_venv, world, "no-such-package-anywhere")
    assert result.returncode in (2, 3), output(result)
    assert_one_line_error(result, result.returncode)
    assert "no-such-package-anywhere" in result.stderr


def test_broken_requirements_file_is_a_usage_error(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("cleanlib==1.0\nthis is ((( not a requirement\n")
    result = install(safe_pip, target_venv, world, "-r", str(requirements))
    assert_one_line_error(result, 2)


def test_other_pip_commands_pass_through(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip
) -> None:
    result = safe_pip("list", "--python", target_venv, "--format", "json")
    assert result.returncode == 0, output(result)
    assert any(entry["name"] == "pip" for entry in json.loads(result.stdout))


def test_find_links_artifacts_are_checked_and_the_missing_index_comparison_is_said(
    world: LocalIndex,
    target_venv: Path,
    safe_pip: SafePip,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    from support.wheels import build_wheel

    links = tmp_path / "links"
    links.mkdir()
    build_wheel(links, "vulnlib", "1.0")
    build_wheel(links, "cleanlib", "1.0")
    blocked = safe_pip(
        "install", "--python", target_venv, "--no-index", "--find-links", links, "vulnlib"
    )
    assert blocked.returncode == 1, output(blocked)
    assert VULN_ID in blocked.stdout
    allowed = safe_pip(
        "install", "--python", target_venv, "--no-index", "--find-links", links, "cleanlib"
    )
    assert allowed.returncode == 0, output(allowed)
    assert "index hash could not be compared: cleanlib==1.0" in allowed.stderr
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}
