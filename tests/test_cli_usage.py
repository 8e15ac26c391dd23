"""Help and usage: what `--help` shows at each level, and how typos and bad options end."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip import cli
from safe_pip.commands.own_options import OWN_OPTIONS
from safe_pip.pipeline.config import ENVIRONMENT_VARIABLES
from support.outcomes import assert_one_line_error, output

SafePip = Callable[..., subprocess.CompletedProcess[str]]
COMMANDS = ("install", "check", "db", "hook", "alias", "setup", "uv")


def test_top_level_help_explains_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in COMMANDS:
        assert f"\n  {command} " in text, command
    assert "`safe-pip COMMAND --help`" in text
    assert "2 usage or configuration error" in text


def test_no_arguments_is_a_usage_error_with_the_help_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("usage: safe-pip COMMAND")


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_install_help_shows_safe_pips_options_then_how_to_see_pips(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["install", flag]) == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: safe-pip install [SAFE-PIP OPTIONS] PIP_INSTALL_ARGS...")
    for option in OWN_OPTIONS:
        assert (f"  {option.name} " in text) is (option.name != "--uv"), option.name
    words = " ".join(text.split())
    assert "default: the active virtualenv" in words  # what --python really defaults to
    assert "[tool.safe-pip]" in words and "config.toml" in words
    assert "administrator's policy /etc/safe-pip/policy.toml" in words  # the first layer
    assert "--dry-run --report" not in words and "two" not in words  # not the old design
    assert "before pip downloads, prepares or builds anything" in words
    assert all(name in words for name in ENVIRONMENT_VARIABLES)
    assert "130 interrupted" in text
    assert text.rstrip().endswith(
        "`safe-pip install --pip-help` (the target's `pip install --help`)"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["uv", "--help"],
        ["uv", "pip", "install", "--help"],
        ["uv", "sync", "-h"],
    ],
)
def test_uv_help_shows_safe_pips_options(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: safe-uv [SAFE-PIP OPTIONS] UV_ARGS...")
    assert "  --uv PATH " in text and "  --python " not in text
    assert "--python keeps uv's meaning" in text
    assert "`safe-uv --uv-help`" in text


def test_safe_uv_help_is_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.uv_main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: safe-uv [SAFE-PIP OPTIONS]")


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["db", "update", "--bogus"], "usage: safe-pip db update "),
        (["hook", "status", "--nope"], "usage: safe-pip hook status "),
        (["setup", "--frobnicate"], "usage: safe-pip setup "),
        (["check", "--installed", "--nope"], "usage: safe-pip check "),
    ],
)
def test_a_bad_option_prints_its_subcommands_usage(
    argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage), err
    assert "unrecognized arguments" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["install", "--python", "", "cleanlib"],
        ["hook", "status", "--python", ""],
        ["check", "--installed", "--python", ""],
        ["uv", "pip", "install", "--python", "", "cleanlib"],
        ["--python", "", "list"],
    ],
)
def test_an_empty_python_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == "safe-pip: error: --python needs a value, got an empty one"


@pytest.mark.integration
def test_a_mistyped_command_is_a_usage_error_keeping_pips_suggestion(
    safe_pip: SafePip, target_venv: Path
) -> None:
    result = safe_pip("instal", "--python", target_venv, "requests")

    line = assert_one_line_error(result, 2)
    assert "unknown command 'instal'" in line and "safe-pip --help" in line
    assert 'maybe you meant "install"' in result.stderr


@pytest.mark.integration
def test_pip_commands_still_pass_through(safe_pip: SafePip, target_venv: Path) -> None:
    result = safe_pip("--python", target_venv, "list", "--format", "freeze")
    assert result.returncode == 0, output(result)


@pytest.mark.integration
def test_pip_help_is_the_target_pips_own(safe_pip: SafePip, target_venv: Path) -> None:
    result = safe_pip("install", "--python", target_venv, "--pip-help")

    assert result.returncode == 0, output(result)
    assert f"{target_venv} -m pip install [options]" in result.stdout


@pytest.mark.integration
def test_uv_help_option_shows_uvs_own(safe_pip: SafePip) -> None:
    result = safe_pip("uv", "pip", "install", "--uv-help")

    assert result.returncode == 0, output(result)
    assert "Usage: uv pip install" in result.stdout


def test_setup_undo_with_database_options_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["setup", "--undo", "--source", "osv.zip"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == "safe-pip: error: setup --undo takes no --source or --no-db-update"


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["help", "install"], "usage: safe-pip install [SAFE-PIP OPTIONS]"),
        (["help", "uv"], "usage: safe-uv [SAFE-PIP OPTIONS]"),
    ],
)
def test_help_command_is_command_help(
    argv: list[str], start: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.startswith(start)


def test_help_for_an_argparse_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["help", "setup"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: safe-pip setup ")


@pytest.mark.integration
def test_db_status_imports_neither_httpx_nor_the_other_commands(
    isolated_env: dict[str, str],
) -> None:
    """Building the parser imported every command's module (httpx among them): `db status`
    took 0.2-0.4 s. Only the command's own module is imported now."""
    script = (
        "import sys\n"
        "from safe_pip import cli\n"
        "cli.main(['db', 'status'])\n"
        "unwanted = ('httpx', 'safe_pip.commands.check', 'safe_pip.commands.uv')\n"
        "print(sorted(m for m in unwanted if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=isolated_env, capture_output=True, text=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


@pytest.mark.parametrize(("typed", "meant"), [("--versin", "--version"), ("--hlep", "--help")])
def test_a_mistyped_top_level_option_says_what_was_meant(
    typed: str, meant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: pip's usage only (pip never heard of safe-pip's --version)."""
    assert cli.main([typed]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"safe-pip: error: no such option: {typed} (did you mean {meant}?")
    assert len(err.splitlines()) == 1
