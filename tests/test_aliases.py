"""``safe-pip alias``: the shell functions, and writing them into a startup file once."""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.commands import hook as hook_commands
from safe_pip.errors import UsageError
from safe_pip.hook.shell_aliases import (
    BEGIN_MARKER,
    CREATED_LINE,
    END_MARKER,
    SHELLS,
    alias_block,
    detect_shell,
    rc_file,
    shell_from_env,
    write_block,
)
from support.index_server import LocalIndex
from support.outcomes import assert_one_line_error, installed, output
from support.scenario import MALICIOUS_ID

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


def run_in_shell(
    shell: str, commands: str, path: str, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Source the alias block for ``shell`` (bash, zsh, fish) in that shell and run
    ``commands`` (one per line) with ``path`` first on PATH."""
    executable = shutil.which(shell)
    if executable is None:
        pytest.skip(f"{shell} is not installed")
    block_file = tmp_path / f"block.{shell}"
    block_file.write_text(alias_block(shell))
    prelude = "shopt -s expand_aliases\nalias pip=pip3\n" if shell == "bash" else ""
    base = {"HOME": str(tmp_path)} if env is None else env
    return subprocess.run(
        [executable, "-c", f"{prelude}. {block_file}\n{commands}"]
        if shell != "fish"
        else [executable, "-c", f"source {block_file}\n{commands}"],
        env=dict(base, PATH=f"{path}{os.pathsep}{os.environ['PATH']}"),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_block_defines_all_four_commands_between_markers(shell: str) -> None:
    block = alias_block(shell)

    lines = block.splitlines()
    assert lines[0] == BEGIN_MARKER
    assert lines[-1] == END_MARKER
    for command in ("pip", "pip3", "python", "python3"):
        assert f"function {command} " in block
    code = [line for line in lines if not line.startswith("#")]
    assert sum(line.count("safe-pip --python") for line in code) == 2  # python, python3


# (command line, what the fake executables print: safe-pip gets it, or the real command)
ROUTES = [
    ("pip install 'a b' c", "SAFE-PIP install a b c"),
    ("pip -q install evil", "SAFE-PIP -q install evil"),
    ("pip --isolated -v install evil", "SAFE-PIP --isolated -v install evil"),
    ("pip list --format json", "SAFE-PIP list --format json"),
    ("pip3 install d", "SAFE-PIP install d"),
    ("pip3 --version", "REAL-PIP3 --version"),
    ("pip3 help install", "REAL-PIP3 help install"),
    ("pip3", "REAL-PIP3"),
    ("python -m pip install -r req.txt", "SAFE-PIP --python {bin}/python install -r req.txt"),
    ("python -m pip -v install evil", "SAFE-PIP --python {bin}/python -v install evil"),
    ("python3 -I -s -m pip install x", "SAFE-PIP --python {bin}/python3 install x"),
    ("python -Im pip list", "SAFE-PIP --python {bin}/python list"),
    ("python3 -mpip install y", "SAFE-PIP --python {bin}/python3 install y"),
    ("python -W ignore -X dev -m pip install z", "SAFE-PIP --python {bin}/python install z"),
    ("python -c pass", "REAL-PYTHON -c pass"),
    ("python script.py -m pip install", "REAL-PYTHON script.py -m pip install"),
    ("python -c 'import pip' -m pip", "REAL-PYTHON -c import pip -m pip"),
    ("python -m pipx install q", "REAL-PYTHON -m pipx install q"),
    ("python -Wpip script.py", "REAL-PYTHON -Wpip script.py"),
    ("python3", "REAL-PYTHON3"),
]


@pytest.mark.integration
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_pip_command_line_goes_to_safe_pip(
    shell: str, fake_bin: Path, tmp_path: Path
) -> None:
    """Whatever options come before pip's command, safe-pip decides; python runs untouched
    unless its arguments run ``-m pip`` (python's own options may come first)."""
    completed = run_in_shell(shell, "\n".join(line for line, _ in ROUTES), str(fake_bin), tmp_path)

    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    expected = [route.format(bin=fake_bin) for _, route in ROUTES]
    if shell == "bash":  # `alias pip=pip3` was defined before the block: still guarded
        expected = [line.replace("REAL-PIP ", "REAL-PIP3 ") for line in expected]
    assert completed.stdout.splitlines() == expected


@pytest.mark.integration
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_options_before_install_are_blocked_through_the_functions(
    shell: str,
    world: LocalIndex,
    target_venv: Path,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """``pip -q install evil`` and ``python -m pip -v install evil`` with the real safe-pip,
    the real pip of an active venv and the local index: blocked, nothing installed, exit 1;
    ``python -c`` in the same shell still runs python itself."""
    tools = tmp_path / "tools"
    tools.mkdir()
    launcher = tools / "safe-pip"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m safe_pip "$@"\n')
    launcher.chmod(0o755)
    venv_bin = target_venv.parent
    env = dict(isolated_env, VIRTUAL_ENV=str(venv_bin.parent))
    path = f"{venv_bin}{os.pathsep}{tools}"
    index = ["--index-url", world.url, "evilpkg"]

    for command in (
        f"pip -q install {' '.join(index)}",
        f"python -m pip -v install {' '.join(index)}",
    ):
        completed = run_in_shell(shell, f"python -c 'print(6 * 7)'\n{command}", path, tmp_path, env)

        assert completed.returncode == 1, output(completed)
        assert completed.stdout.startswith("42\n"), output(completed)
        assert MALICIOUS_ID in completed.stdout, output(completed)
        assert installed(target_venv, isolated_env) == {}


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
    assert zshrc.read_text() == created_block("zsh")
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith(f"aliases: added the safe-pip zsh functions in {zshrc}")
    assert second == f"aliases: {zshrc} already has the safe-pip zsh functions."


def created_block(shell: str) -> str:
    """The block `alias --write` puts into a startup file it creates."""
    return alias_block(shell).replace(f"{BEGIN_MARKER}\n", f"{BEGIN_MARKER}\n{CREATED_LINE}\n", 1)


def test_alias_write_to_a_chosen_file(tmp_path: Path) -> None:
    profile = tmp_path / "profile.ps1"

    assert safe_pip_cli("alias", "powershell", "--write", "--rc-file", profile) == 0

    assert profile.read_text() == created_block("powershell")


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


def test_alias_remove_takes_away_a_startup_file_that_write_created(tmp_path: Path) -> None:
    """`alias --write` created ~/.bashrc; `--remove` left it behind empty."""
    rc = tmp_path / ".bashrc"
    assert safe_pip_cli("alias", "bash", "--write", "--rc-file", rc) == 0
    assert safe_pip_cli("alias", "bash", "--write", "--rc-file", rc) == 0  # rewritten: same
    assert safe_pip_cli("alias", "bash", "--remove", "--rc-file", rc) == 0
    assert not rc.exists()
    # a line the user added since keeps the file
    assert safe_pip_cli("alias", "bash", "--write", "--rc-file", rc) == 0
    rc.write_text(rc.read_text() + "export MINE=1\n")
    assert safe_pip_cli("alias", "bash", "--remove", "--rc-file", rc) == 0
    assert rc.read_text() == "export MINE=1\n"
