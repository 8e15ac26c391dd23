"""``safe-pip alias``: the shell functions, and writing them into a startup file once."""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.commands import hook as hook_commands
from safe_pip.errors import UsageError
from safe_pip.hook.shell_aliases import (
    BEGIN_MARKER,
    END_MARKER,
    SHELLS,
    alias_block,
    detect_shell,
    rc_file,
    shell_from_env,
    write_block,
)
from support.outcomes import assert_one_line_error

FAKE_COMMAND = '#!/bin/sh\necho "{label}" "$@"\n'


def safe_pip_cli(*args: str | Path) -> int:
    parser = argparse.ArgumentParser(prog="safe-pip")
    hook_commands.register(parser.add_subparsers(dest="command", required=True))
    namespace = parser.parse_args([str(arg) for arg in args])
    result: int = namespace.func(namespace)
    return result


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A directory with stand-ins for safe-pip, pip, pip3, python and python3."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for name, label in (
        ("safe-pip", "SAFE-PIP"),
        ("pip", "REAL-PIP"),
        ("pip3", "REAL-PIP3"),
        ("python", "REAL-PYTHON"),
        ("python3", "REAL-PYTHON3"),
    ):
        path = directory / name
        path.write_text(FAKE_COMMAND.format(label=label))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return directory


def run_in_bash(block: str, commands: str, fake_bin: Path, tmp_path: Path) -> list[str]:
    """Source ``block`` in a bash where ``pip`` is already an alias of ``pip3``, run
    ``commands``, return the output lines."""
    script = tmp_path / "block.sh"
    script.write_text(block)
    env = {"PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    completed = subprocess.run(
        [
            "bash",
            "-c",
            f"shopt -s expand_aliases\nalias pip=pip3\n. {script}\n{commands}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    return completed.stdout.splitlines()


@pytest.mark.parametrize("shell", SHELLS)
def test_block_defines_all_four_commands_between_markers(shell: str) -> None:
    block = alias_block(shell)

    lines = block.splitlines()
    assert lines[0] == BEGIN_MARKER
    assert lines[-1] == END_MARKER
    for command in ("pip", "pip3", "python", "python3"):
        assert f"function {command} " in block
    code = [line for line in lines if not line.startswith("#")]
    assert sum(line.count("safe-pip install") for line in code) == 4


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_functions_send_only_installs_to_safe_pip(fake_bin: Path, tmp_path: Path) -> None:
    output = run_in_bash(
        alias_block("bash"),
        "pip install 'a b' c\n"
        "pip list --format json\n"
        "pip3 install d\n"
        "python -m pip install -r req.txt\n"
        "python3 -m pip list\n"
        "python -c pass\n",
        fake_bin,
        tmp_path,
    )

    assert output == [
        "SAFE-PIP install a b c",
        "REAL-PIP3 list --format json",
        "SAFE-PIP install d",
        f"SAFE-PIP install --python {fake_bin / 'python'} -r req.txt",
        "REAL-PYTHON3 -m pip list",
        "REAL-PYTHON -c pass",
    ]


@pytest.mark.integration
@pytest.mark.parametrize("shell", ["zsh", "fish", "pwsh"])
def test_other_shells_run_their_block(shell: str, fake_bin: Path, tmp_path: Path) -> None:
    executable = shutil.which(shell)
    if executable is None:
        pytest.skip(f"{shell} is not installed")
    block_file = tmp_path / "block"
    block_file.write_text(alias_block("powershell" if shell == "pwsh" else shell))
    source = {"zsh": ". {}", "fish": "source {}", "pwsh": ". {}"}[shell].format(block_file)
    env = {"PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    flag = "-Command" if shell == "pwsh" else "-c"

    completed = subprocess.run(
        [executable, flag, f"{source}\npip install x\npip list\n"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert completed.stdout.splitlines() == ["SAFE-PIP install x", "REAL-PIP list"]


def test_detect_shell_from_login_shell() -> None:
    assert detect_shell({"SHELL": "/usr/bin/zsh"}) == "zsh"
    assert detect_shell({"SHELL": "/opt/homebrew/bin/fish"}) == "fish"
    assert detect_shell({"SHELL": "/usr/local/bin/pwsh"}) == "powershell"
    with pytest.raises(UsageError, match="cannot tell your shell"):
        detect_shell({"SHELL": "/bin/tcsh"})


def test_shell_from_env_is_none_for_an_unknown_shell() -> None:
    assert shell_from_env({"SHELL": "/bin/bash"}) == "bash"
    assert shell_from_env({"SHELL": "/bin/tcsh"}) is None


@pytest.mark.integration
def test_alias_command_with_an_unknown_shell_is_a_usage_error(
    safe_pip: Callable[..., subprocess.CompletedProcess[str]], isolated_env: dict[str, str]
) -> None:
    result = safe_pip("alias", env=dict(isolated_env, SHELL="/bin/tcsh"))

    error = assert_one_line_error(result, 2)
    assert "safe-pip alias bash|zsh|fish|powershell" in error
    assert result.stdout == ""


def test_rc_files() -> None:
    env = {"HOME": "/home/u", "ZDOTDIR": "/home/u/.zsh", "XDG_CONFIG_HOME": "/home/u/.cfg"}
    assert rc_file("bash", env) == Path("/home/u/.bashrc")
    assert rc_file("zsh", env) == Path("/home/u/.zsh/.zshrc")
    assert rc_file("fish", env) == Path("/home/u/.cfg/fish/config.fish")
    assert rc_file("zsh", {"HOME": "/home/u"}) == Path("/home/u/.zshrc")


def test_write_twice_leaves_one_block_and_keeps_the_rest(tmp_path: Path) -> None:
    bashrc = tmp_path / ".bashrc"
    bashrc.write_text("export EDITOR=vi\nalias ll='ls -l'")
    block = alias_block("bash")

    assert write_block(bashrc, block) == "added"
    assert write_block(bashrc, block) == "unchanged"

    text = bashrc.read_text()
    assert text == "export EDITOR=vi\nalias ll='ls -l'\n\n" + block
    assert text.count(BEGIN_MARKER) == 1


def test_write_replaces_an_older_block_in_place(tmp_path: Path) -> None:
    bashrc = tmp_path / ".bashrc"
    bashrc.write_text(f"before\n{BEGIN_MARKER}\nold stuff\n{END_MARKER}\nafter\n")

    assert write_block(bashrc, alias_block("bash")) == "replaced"

    assert bashrc.read_text() == "before\n" + alias_block("bash") + "after\n"


def test_write_refuses_an_unterminated_block(tmp_path: Path) -> None:
    bashrc = tmp_path / ".bashrc"
    bashrc.write_text(f"{BEGIN_MARKER}\nhalf a block\n")

    with pytest.raises(UsageError, match="without"):
        write_block(bashrc, alias_block("bash"))
    assert bashrc.read_text() == f"{BEGIN_MARKER}\nhalf a block\n"


def test_write_follows_a_symlinked_rc_file(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "bashrc"
    real.parent.mkdir()
    real.write_text("# mine\n")
    link = tmp_path / ".bashrc"
    link.symlink_to(real)

    write_block(link, alias_block("bash"))

    assert link.is_symlink()
    assert BEGIN_MARKER in real.read_text()


def test_alias_command_prints_the_block_for_the_login_shell(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHELL", "/usr/bin/fish")

    assert safe_pip_cli("alias") == 0

    assert capsys.readouterr().out == alias_block("fish")


def test_alias_write_twice_keeps_one_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    assert safe_pip_cli("alias", "zsh", "--write") == 0
    assert safe_pip_cli("alias", "zsh", "--write") == 0

    zshrc = tmp_path / ".zshrc"
    assert zshrc.read_text() == alias_block("zsh")
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith(f"aliases: added the safe-pip zsh functions in {zshrc}")
    assert second == f"aliases: {zshrc} already has the safe-pip zsh functions."


def test_alias_write_to_a_chosen_file(tmp_path: Path) -> None:
    profile = tmp_path / "profile.ps1"

    assert safe_pip_cli("alias", "powershell", "--write", "--rc-file", profile) == 0

    assert profile.read_text() == alias_block("powershell")


@pytest.mark.parametrize("before", ["", "export A=1\n", "export A=1\n\nexport B=2\n"])
def test_alias_remove_gives_the_startup_file_back(
    before: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = tmp_path / ".bashrc"
    rc.write_text(before)

    assert safe_pip_cli("alias", "bash", "--write", "--rc-file", rc) == 0
    assert BEGIN_MARKER in rc.read_text()
    capsys.readouterr()
    assert safe_pip_cli("alias", "bash", "--remove", "--rc-file", rc) == 0

    assert rc.read_text() == before
    assert capsys.readouterr().out == (
        f"aliases: removed the safe-pip functions from {rc} (open a new shell).\n"
    )
    assert safe_pip_cli("alias", "bash", "--remove", "--rc-file", rc) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_alias_remove_keeps_lines_around_a_block_in_the_middle(tmp_path: Path) -> None:
    rc = tmp_path / ".zshrc"
    rc.write_text(f"export A=1\n{alias_block('zsh')}export B=2\n")

    assert safe_pip_cli("alias", "zsh", "--remove", "--rc-file", rc) == 0

    assert rc.read_text() == "export A=1\nexport B=2\n"


def test_alias_write_and_remove_together_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="exclude each other"):
        safe_pip_cli("alias", "bash", "--write", "--remove", "--rc-file", tmp_path / "rc")
