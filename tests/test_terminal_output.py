"""What a person sees: colour, width and progress on a real pseudo-terminal, nothing extra
when piped, and findings before the installer's output in a log."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.console import strip_ansi
from support.index_server import LocalIndex
from support.isolation import run_in_terminal
from support.outcomes import output
from support.scenario import VULN_ID, pinned_vulnerable_requirements

SafePip = Callable[..., subprocess.CompletedProcess[str]]
SAFE_PIP = [sys.executable, "-m", "safe_pip"]
ERASE_LINE = "\r\x1b[2K"
COLOUR = re.compile("\x1b\\[[0-9;]*m")  # SGR: colours and styles (the progress line is not)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX"),
]


def test_terminal_report_is_coloured_and_fits_80_columns(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    requirements = pinned_vulnerable_requirements(world, tmp_path)
    code, text = run_in_terminal(
        [*SAFE_PIP, "check", requirements.name], isolated_env, columns=80, cwd=tmp_path
    )
    assert code == 1, text
    assert "\x1b[1;31mFAIL\x1b[0m  vulnlib==1.0  vulnerability  " + VULN_ID in text
    plain = strip_ansi(text)
    assert "fix: >=1.1" in plain
    assert all(len(line) <= 80 for line in plain.splitlines()), plain


def test_no_color_and_force_color(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    requirements = pinned_vulnerable_requirements(world, tmp_path)
    _, text = run_in_terminal(
        [*SAFE_PIP, "check", requirements], {**isolated_env, "NO_COLOR": "1"}, columns=200
    )
    assert not COLOUR.search(text) and f"FAIL  vulnlib==1.0  vulnerability  {VULN_ID}" in text
    piped = safe_pip("check", requirements)
    assert "\x1b[" not in piped.stdout
    forced = safe_pip("check", requirements, env={**isolated_env, "FORCE_COLOR": "1"})
    assert forced.stdout.startswith("\x1b[1;31mFAIL\x1b[0m"), output(forced)


def test_piped_lines_are_whole(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    requirements = pinned_vulnerable_requirements(world, tmp_path)
    narrow = safe_pip("check", requirements, env={**isolated_env, "COLUMNS": "40"})
    first = narrow.stdout.splitlines()[0]
    assert first.startswith(f"FAIL  vulnlib==1.0  vulnerability  {VULN_ID}")
    assert first.endswith("fix: >=1.1") or "fix: >=1.1  http" in first  # one line, not fitted


def test_pips_own_progress_and_a_coloured_report_only_on_a_terminal(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    """pip runs once, with its own live progress: safe-pip adds no status line of its own."""
    args: list[str | Path] = ["install", "--python", target_venv, "--index-url", world.url]
    args += ["--dry-run", "cleanlib"]
    code, text = run_in_terminal([*SAFE_PIP, *args], isolated_env, columns=200)
    assert code == 0, text
    assert "Collecting cleanlib" in text and ERASE_LINE not in text
    assert "\x1b[32msafe-pip: 1 package checked for " in text  # green when clean
    piped = safe_pip(*args)
    assert piped.returncode == 0, output(piped)
    assert "resolving" not in piped.stderr and "\x1b" not in piped.stderr + piped.stdout


def test_findings_come_before_the_installer_output_in_a_log(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    """stdout and stderr into one pipe, as in CI or `| tee`: the report is flushed first."""
    args: list[str | Path] = ["install", "--python", target_venv, "--index-url", world.url]
    args += ["--warn-only", "app"]
    log = subprocess.run(
        [*SAFE_PIP, *args],
        env=isolated_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    ).stdout
    assert f"warning  vulnlib==1.0 via app==1.0  vulnerability  {VULN_ID}" in log, log
    assert "Successfully installed" in log, log
    assert log.index(VULN_ID) < log.index("Successfully installed")


def test_pip_errors_show_pips_whole_block(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip
) -> None:
    result = safe_pip("install", "--python", target_venv, "--index-url", world.url, "oldpkg==9")
    assert result.returncode == 2, output(result)
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("safe-pip: error: ")
    versions = [line for line in lines if "(from versions: 1.0, 1.1)" in line]
    assert versions and lines.index(versions[0]) < len(lines) - 1, output(result)


def test_an_unreachable_index_is_named_with_the_package_asked_for(
    world: LocalIndex, target_venv: Path, safe_pip: SafePip
) -> None:
    world.make_unreachable()
    args = ["--retries", "0", "--timeout", "2", "cleanlib"]
    result = safe_pip("install", "--python", target_venv, "--index-url", world.url, *args)
    assert result.returncode == 3, output(result)
    error = result.stderr.splitlines()[-1]
    assert "unreachable" in error and "/cleanlib/" in error and "/pip/" not in error, error


def test_nothing_to_install_still_mentions_an_installed_vulnerable_version(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    subprocess.run(
        [target_venv, "-m", "pip", "install", "-q", "--index-url", world.url, "vulnlib==1.0"],
        env=isolated_env,
        check=True,
        capture_output=True,
    )
    result = safe_pip("install", "--python", target_venv, "--index-url", world.url, "vulnlib")
    assert result.returncode == 0, output(result)
    # pip's own lines ("Requirement already satisfied") come first: pip runs once, live
    report = result.stdout.split("Requirement already satisfied", 1)[1]
    assert f"\nwarning  vulnlib==1.0  vulnerability  {VULN_ID}" in report
    assert "already installed; nothing was changed" in report
    assert "but the installed versions above have known problems" in result.stderr
    clean = safe_pip("install", "--python", target_venv, "--index-url", world.url, "pip")
    assert clean.returncode == 0, output(clean)
    assert "warning" not in clean.stdout and "safe-pip" not in clean.stdout
    assert "nothing to install: every requirement is already satisfied." in clean.stderr


def test_pips_own_coloured_errors_stay_coloured_through_safe_pip(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    """pip's stderr passes through a pipe (safe-pip keeps a copy): pip still colours it."""
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    args: list[str | Path] = ["install", "--python", target_venv, "--index-url", world.url]
    args += ["--target", not_a_directory / "target", "cleanlib"]  # fails after the checks
    code, text = run_in_terminal([*SAFE_PIP, *args], isolated_env, columns=200)
    assert code == 4, text
    assert "\x1b[31mERROR: " in text, text
    assert "Collecting cleanlib" in text  # pip's own live progress (one pass: no status line)


def test_check_shows_progress_on_a_terminal(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    requirements = pinned_vulnerable_requirements(world, tmp_path)
    _, text = run_in_terminal(
        [*SAFE_PIP, "check", requirements.name], isolated_env, columns=120, cwd=tmp_path
    )
    assert "checking requirements.txt..." in text and ERASE_LINE in text
    assert text.rsplit(ERASE_LINE, 1)[1].startswith("\x1b[1;31mFAIL\x1b[0m  vulnlib==1.0")
