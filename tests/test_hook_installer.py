"""``safe-pip hook install|uninstall|status`` and ``safe-pip setup``: which files are written
and removed, what an interpreter start costs, and what the commands print."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.commands import hook as hook_commands
from safe_pip.commands import setup as setup_command
from safe_pip.errors import UsageError
from safe_pip.hook.runtime import run_token
from safe_pip.hook.shell_aliases import BEGIN_MARKER
from safe_pip.hook.site_files import (
    PACKAGE_MARKER,
    PTH_LINE,
    RUNTIME_DIR,
    default_checker_command,
    hook_status,
    hook_target,
    install_hook,
    interpreter_info,
    uninstall_hook,
)
from support.hook_helpers import hook_venv
from support.isolation import run
from support.outcomes import assert_one_line_error, output
from support.scenario import OSV_LOCAL
from support.venvs import venv_site_packages

BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
FINDER_PRESENT = (
    "import sys; print(any(type(f).__name__ == 'PipInstallFinder' for f in sys.meta_path))"
)
MODULES_AT_START = "import sys, json; print(json.dumps(sorted(sys.modules)))"


def safe_pip_cli(*args: str | Path) -> int:
    """Run a hook/alias/setup command through the parser ``hook_commands.register`` builds."""
    parser = argparse.ArgumentParser(prog="safe-pip")
    subparsers = parser.add_subparsers(dest="command", required=True)
    hook_commands.register(subparsers)
    setup_command.register(subparsers)
    namespace = parser.parse_args([str(arg) for arg in args])
    result: int = namespace.func(namespace)
    return result


def files_under(directory: Path) -> set[Path]:
    return {path for path in directory.rglob("*")}


def finder_present(python: Path, env: dict[str, str]) -> bool:
    result = run([python, "-c", FINDER_PRESENT], env, check=True)
    return result.stdout.strip() == "True"


# ---------------------------------------------------------------- files


@pytest.mark.integration
def test_install_writes_the_pth_line_and_the_package(target_venv: Path) -> None:
    site_packages = venv_site_packages(target_venv.parent.parent)
    before = files_under(site_packages)

    target = hook_venv(target_venv)

    assert target.site_dir == site_packages
    assert (site_packages / "safe_pip_hook.pth").read_text() == PTH_LINE
    added = {path.relative_to(site_packages).as_posix() for path in files_under(site_packages)}
    added -= {path.relative_to(site_packages).as_posix() for path in before}
    sources = {
        "__init__",
        "bootstrap",
        "channel",
        "checker",
        "installed",
        "pip_commands",
        "pip_patch",
        "pip_versions",
        "plan_from_pip",
        "run_token",
    }
    assert {name for name in added if "__pycache__" not in name} == {
        "safe_pip_hook.pth",
        "_safe_pip_hook",
        "_safe_pip_hook/config.json",
        *(f"_safe_pip_hook/{module}.py" for module in sources),
    }
    compiled = {Path(name).name.split(".")[0] for name in added if name.endswith(".pyc")}
    assert compiled == sources
    config = json.loads((site_packages / "_safe_pip_hook" / "config.json").read_text())
    assert config["checker"] == default_checker_command()
    assert config["checker"][1:] == ["-m", "safe_pip"]


@pytest.mark.integration
def test_uninstall_removes_exactly_what_install_wrote(
    target_venv: Path, isolated_env: dict[str, str]
) -> None:
    site_packages = venv_site_packages(target_venv.parent.parent)
    before = files_under(site_packages)
    target = hook_venv(target_venv)
    assert finder_present(target_venv, isolated_env)  # byte-code of a first start included

    removed = uninstall_hook(target)

    assert target.pth_file in removed
    assert files_under(site_packages) == before
    assert not finder_present(target_venv, isolated_env)
    assert uninstall_hook(target) == []


@pytest.mark.integration
def test_installing_twice_updates_the_same_files(target_venv: Path) -> None:
    target = hook_target(interpreter_info(str(target_venv)), user=False)
    assert install_hook(target) is False
    first = files_under(target.site_dir)

    assert install_hook(target) is True
    assert files_under(target.site_dir) == first


@pytest.mark.integration
def test_uninstall_keeps_a_foreign_pth_file_of_the_same_name(target_venv: Path) -> None:
    target = hook_target(interpreter_info(str(target_venv)), user=False)
    target.pth_file.write_text("import something_else\n")

    uninstall_hook(target)

    assert target.pth_file.read_text() == "import something_else\n"
    assert not hook_status(target).guarded


@pytest.mark.integration
def test_install_refuses_a_foreign_pth_file_of_the_same_name(target_venv: Path) -> None:
    target = hook_target(interpreter_info(str(target_venv)), user=False)
    target.pth_file.write_text("import something_else\n")

    with pytest.raises(UsageError, match=re.escape(str(target.pth_file))):
        install_hook(target)

    assert target.pth_file.read_text() == "import something_else\n"
    assert not target.package_dir.exists()


@pytest.mark.integration
def test_cli_hook_install_refuses_a_foreign_pth_file_with_exit_2(
    safe_pip: Callable[..., subprocess.CompletedProcess[str]], target_venv: Path
) -> None:
    pth = venv_site_packages(target_venv.parent.parent) / "safe_pip_hook.pth"
    pth.write_text("import something_else\n")

    result = safe_pip("hook", "install", "--python", target_venv)

    assert str(pth) in assert_one_line_error(result, 2)
    assert pth.read_text() == "import something_else\n"


def test_runtime_package_starts_with_the_marker_uninstall_recognises() -> None:
    init = (RUNTIME_DIR / "__init__.py").read_text(encoding="utf-8")

    assert init.startswith(PACKAGE_MARKER)


@pytest.mark.integration
@pytest.mark.parametrize("lost_file", [None, "config.json", "__init__.py"])
def test_uninstall_removes_an_older_hook_package_with_extra_modules(
    target_venv: Path, lost_file: str | None
) -> None:
    """An earlier safe-pip wrote more modules; uninstall removes the whole package, which it
    recognises by ``config.json`` or by the marker in ``__init__.py``."""
    site_packages = venv_site_packages(target_venv.parent.parent)
    before = files_under(site_packages)
    target = hook_venv(target_venv)
    old_module = target.package_dir / "old_finder.py"
    old_module.write_text("OLD = True\n")
    old_bytecode = target.package_dir / "__pycache__" / "old_finder.cpython-39.pyc"
    old_bytecode.write_bytes(b"not really byte-code")
    if lost_file is not None:
        (target.package_dir / lost_file).unlink()

    removed = uninstall_hook(target)

    assert {target.pth_file, old_module, old_bytecode} <= set(removed)
    assert files_under(site_packages) == before
    assert not hook_status(target).guarded


@pytest.mark.integration
def test_uninstall_leaves_a_foreign_package_directory_alone(target_venv: Path) -> None:
    target = hook_target(interpreter_info(str(target_venv)), user=False)
    target.package_dir.mkdir()
    (target.package_dir / "__init__.py").write_text("VALUE = 1\n")
    (target.package_dir / "config.json").write_text('{"installed_by": "someone else"}\n')
    (target.package_dir / "checker.py").write_text("CHECK = 1\n")
    before = {path: path.read_bytes() for path in files_under(target.package_dir)}

    assert uninstall_hook(target) == []

    assert {path: path.read_bytes() for path in files_under(target.package_dir)} == before


@pytest.mark.integration
def test_user_site_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: dict[str, str]
) -> None:
    user_base = tmp_path / "user-base"
    monkeypatch.setenv("PYTHONUSERBASE", str(user_base))
    env = dict(isolated_env, PYTHONUSERBASE=str(user_base))
    info = interpreter_info(BASE_PYTHON)
    assert not info.is_venv

    target = hook_target(info, user=True)
    install_hook(target)

    assert target.site_dir.is_relative_to(user_base)
    assert finder_present(Path(BASE_PYTHON), env)
    uninstall_hook(target)
    assert not finder_present(Path(BASE_PYTHON), env)


@pytest.mark.integration
def test_user_site_of_a_venv_is_refused(target_venv: Path) -> None:
    with pytest.raises(UsageError, match="does not load the user site"):
        hook_target(interpreter_info(str(target_venv)), user=True)


# ---------------------------------------------------------------- interpreter start


@pytest.mark.integration
def test_startup_imports_nothing_new(target_venv: Path, isolated_env: dict[str, str]) -> None:
    plain = json.loads(run([target_venv, "-c", MODULES_AT_START], isolated_env).stdout)
    hook_venv(target_venv)

    hooked = json.loads(run([target_venv, "-c", MODULES_AT_START], isolated_env).stdout)

    assert set(hooked) - set(plain) == {"_safe_pip_hook"}
    assert finder_present(target_venv, isolated_env)


@pytest.mark.integration
def test_only_a_run_token_issued_for_this_process_leaves_no_finder(
    target_venv: Path, isolated_env: dict[str, str]
) -> None:
    hook_venv(target_venv)

    # ``finder_present`` starts the venv's python as a child of this test process.
    with run_token.issue() as token:
        assert not finder_present(target_venv, token.child_env(isolated_env))
        assert finder_present(target_venv, token.child_env(isolated_env))  # used up
    assert finder_present(target_venv, dict(isolated_env, SAFE_PIP_ACTIVE=str(os.getpid())))
    assert finder_present(target_venv, dict(isolated_env, SAFE_PIP_ACTIVE="1"))


@pytest.mark.integration
def test_existing_sitecustomize_still_runs(target_venv: Path, isolated_env: dict[str, str]) -> None:
    site_packages = venv_site_packages(target_venv.parent.parent)
    sitecustomize = site_packages / "sitecustomize.py"
    sitecustomize.write_text("import sys\nsys.sitecustomize_ran = True\n")

    hook_venv(target_venv)
    result = run(
        [target_venv, "-c", FINDER_PRESENT + "; print(sys.sitecustomize_ran)"], isolated_env
    )

    assert result.stdout.split() == ["True", "True"], output(result)
    assert sitecustomize.read_text() == "import sys\nsys.sitecustomize_ran = True\n"


# ---------------------------------------------------------------- commands


@pytest.mark.integration
def test_hook_commands_report_and_exit_codes(
    target_venv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = target_venv.parent.parent
    pth = venv_site_packages(venv) / "safe_pip_hook.pth"

    assert safe_pip_cli("hook", "status", "--python", target_venv) == 1
    assert "not guarded" in capsys.readouterr().out

    assert safe_pip_cli("hook", "install", "--python", target_venv) == 0
    assert capsys.readouterr().out.startswith(f"safe-pip hook installed: {pth}\n")

    assert safe_pip_cli("hook", "install", "--python", venv) == 0
    assert f"safe-pip hook already installed, updated: {pth}" in capsys.readouterr().out

    assert safe_pip_cli("hook", "status", "--python", target_venv) == 0
    status = capsys.readouterr().out
    assert f"guarded: {pth}" in status
    assert " ".join(default_checker_command()) in status

    assert safe_pip_cli("hook", "uninstall", "--python", target_venv) == 0
    assert "safe-pip hook removed from" in capsys.readouterr().out
    assert safe_pip_cli("hook", "uninstall", "--python", target_venv) == 0
    assert "nothing to remove" in capsys.readouterr().out
    assert safe_pip_cli("hook", "status", "--python", target_venv) == 1


@pytest.mark.integration
def test_hook_status_warns_when_the_checker_is_gone(
    target_venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook_venv(target_venv, [str(tmp_path / "gone" / "python"), "-m", "safe_pip"])

    assert safe_pip_cli("hook", "status", "--python", target_venv) == 0

    assert "safe-pip is no longer installed" in capsys.readouterr().err


@pytest.mark.integration
def test_hook_install_uses_the_active_venv_by_default(
    target_venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", str(target_venv.parent.parent))

    assert safe_pip_cli("hook", "install") == 0

    assert (venv_site_packages(target_venv.parent.parent) / "safe_pip_hook.pth").is_file()


@pytest.mark.integration
def test_cli_hook_install(
    safe_pip: Callable[..., subprocess.CompletedProcess[str]], target_venv: Path
) -> None:
    """The real ``safe-pip`` entry point dispatches to the hook commands."""
    result = safe_pip("hook", "install", "--python", target_venv)

    assert result.returncode == 0, output(result)
    assert "safe-pip hook installed:" in result.stdout
    assert safe_pip("hook", "status", "--python", target_venv).returncode == 0


# ---------------------------------------------------------------- setup


@pytest.fixture
def setup_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, cache and advisory source of a fresh workstation; returns HOME."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SHELL", "/bin/bash")
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SAFE_PIP_DB_SOURCE", str(OSV_LOCAL))
    monkeypatch.setenv("PYTHONUSERBASE", str(tmp_path / "user-base"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    return home


@pytest.mark.integration
def test_setup_hooks_the_venv_writes_aliases_and_builds_the_database(
    setup_env: Path, target_venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert safe_pip_cli("setup", "--python", target_venv) == 0

    lines = capsys.readouterr().out.splitlines()
    pth = venv_site_packages(target_venv.parent.parent) / "safe_pip_hook.pth"
    assert lines[0] == f"hook: installed {pth}"
    assert lines[1].startswith(f"aliases: added the safe-pip bash functions in {setup_env}")
    assert lines[2].startswith("advisory database: ")
    assert lines[3] == f"undo: safe-pip setup --undo --python {target_venv}"
    assert len(lines) == 4
    assert (setup_env / ".bashrc").read_text().count(BEGIN_MARKER) == 1
    assert (tmp_path / "cache" / "advisories.sqlite").is_file()


@pytest.mark.integration
def test_setup_without_a_venv_hooks_the_user_site(
    setup_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert safe_pip_cli("setup", "--python", BASE_PYTHON, "--no-db-update", "--shell", "zsh") == 0

    lines = capsys.readouterr().out.splitlines()
    user_site = hook_target(interpreter_info(BASE_PYTHON), user=True).site_dir
    assert user_site.is_relative_to(tmp_path / "user-base")
    assert lines[0] == f"hook: installed {user_site / 'safe_pip_hook.pth'}"
    assert "zsh" in lines[1] and (setup_env / ".zshrc").is_file()
    assert lines[2] == "advisory database: not updated (--no-db-update)."


@pytest.mark.integration
@pytest.mark.parametrize("user_flag", [[], ["--user"]])
def test_setup_without_a_venv_guards_the_python3_on_path_not_safe_pips_own_env(
    setup_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    user_flag: list[str],
) -> None:
    """safe-pip installed in a venv of its own (here: the test venv) and no venv active:
    `setup` (and `setup --user`) hook the user site of the python3 on PATH, which is what a
    plain `python3 -m pip install` runs; safe-pip's own venv is left alone."""
    path_dir = tmp_path / "path-bin"
    path_dir.mkdir()
    (path_dir / "python3").symlink_to(BASE_PYTHON)
    monkeypatch.setenv("PATH", f"{path_dir}{os.pathsep}{os.environ['PATH']}")

    assert safe_pip_cli("setup", *user_flag, "--no-db-update", "--shell", "bash") == 0

    captured = capsys.readouterr()
    user_site = hook_target(interpreter_info(BASE_PYTHON), user=True).site_dir
    assert captured.out.splitlines()[0] == f"hook: installed {user_site / 'safe_pip_hook.pth'}"
    assert "-s`, `python -I`" in captured.err  # the user-site caveat, with the --system offer
    own_site = hook_target(interpreter_info(sys.executable), user=False).site_dir
    assert not (own_site / "safe_pip_hook.pth").exists()
    assert safe_pip_cli("setup", "--undo", *user_flag) == 0
    assert not (user_site / "safe_pip_hook.pth").exists()


@pytest.mark.integration
def test_setup_reports_what_it_did_when_the_database_update_fails(
    setup_env: Path,
    target_venv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SAFE_PIP_DB_SOURCE", str(tmp_path / "no-such-source"))

    assert safe_pip_cli("setup", "--python", target_venv) == 3

    captured = capsys.readouterr()
    assert captured.out.startswith("hook: installed ")
    assert "aliases: added" in captured.out
    [error] = captured.err.splitlines()
    assert error.startswith("advisory database: NOT updated: ")
    assert hook_status(hook_target(interpreter_info(str(target_venv)), user=False)).guarded


@pytest.mark.integration
def test_setup_with_an_unknown_shell_skips_aliases_and_still_builds_the_database(
    safe_pip: Callable[..., subprocess.CompletedProcess[str]],
    target_venv: Path,
    isolated_env: dict[str, str],
) -> None:
    env = dict(isolated_env, SHELL="/bin/tcsh", SAFE_PIP_DB_SOURCE=str(OSV_LOCAL))

    result = safe_pip("setup", "--python", target_venv, env=env)

    assert result.returncode == 0, output(result)
    pth = venv_site_packages(target_venv.parent.parent) / "safe_pip_hook.pth"
    hook_line, database_line, undo_line = result.stdout.splitlines()
    assert undo_line.startswith("undo: safe-pip setup --undo --python ")
    assert hook_line == f"hook: installed {pth}"
    assert database_line.startswith("advisory database: ")
    assert str(OSV_LOCAL) in database_line
    [warning] = result.stderr.splitlines()
    assert "aliases skipped" in warning and "tcsh" in warning
    assert "safe-pip alias bash|zsh|fish|powershell" in warning
    assert [path for path in Path(env["HOME"]).rglob("*") if path.is_file()] == []
    assert (Path(env["SAFE_PIP_CACHE_DIR"]) / "advisories.sqlite").is_file()
    assert hook_status(hook_target(interpreter_info(str(target_venv)), user=False)).guarded


@pytest.mark.integration
def test_hook_commands_share_setups_default_outside_a_venv(
    setup_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside a venv, install, status and uninstall all mean the user site, and say so."""
    user_site = hook_target(interpreter_info(BASE_PYTHON), user=True).site_dir
    assert safe_pip_cli("setup", "--python", BASE_PYTHON, "--no-db-update", "--shell", "zsh") == 0
    capsys.readouterr()

    assert safe_pip_cli("hook", "status", "--python", BASE_PYTHON) == 0
    assert f"guarded: {user_site / 'safe_pip_hook.pth'}" in capsys.readouterr().out
    assert safe_pip_cli("hook", "uninstall", "--python", BASE_PYTHON) == 0
    assert f"safe-pip hook removed from {user_site}" in capsys.readouterr().out
    assert safe_pip_cli("hook", "status", "--python", BASE_PYTHON) == 1
    not_guarded = capsys.readouterr().out
    assert f"user site of {BASE_PYTHON} ({user_site})" in not_guarded
    assert safe_pip_cli("hook", "install", "--python", BASE_PYTHON) == 0
    assert f"installed: {user_site / 'safe_pip_hook.pth'}" in capsys.readouterr().out


# ---------------------------------------------------------------- user site: what it cannot see


@pytest.mark.integration
def test_a_user_site_hook_says_which_runs_it_does_not_guard(
    setup_env: Path,
    tmp_path: Path,
    isolated_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``python -s``, ``python -I`` and ``PYTHONNOUSERSITE`` skip the user site: the hook is
    not loaded there, and ``hook install``/``hook status`` say so and name the fix."""
    env = dict(isolated_env, PYTHONUSERBASE=str(tmp_path / "user-base"))
    assert safe_pip_cli("hook", "install", "--python", BASE_PYTHON) == 0
    installed_output = capsys.readouterr()

    assert finder_present(Path(BASE_PYTHON), env)
    for skipped in (["-s"], ["-I"]):
        gap = run([BASE_PYTHON, *skipped, "-c", FINDER_PRESENT], env, check=True)
        assert gap.stdout.strip() == "False"
    fix = f"sudo safe-pip hook install --system --python {BASE_PYTHON}"
    [warning] = installed_output.err.splitlines()
    assert warning.startswith("safe-pip: warning: runs that skip the user site are NOT guarded")
    assert "`python -s`, `python -I` and PYTHONNOUSERSITE=1" in warning
    assert warning.endswith(fix)

    assert safe_pip_cli("hook", "status", "--python", BASE_PYTHON) == 0
    assert capsys.readouterr().err.strip().endswith(fix)


@pytest.mark.integration
def test_status_under_pythonnousersite_is_not_guarded(
    setup_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert safe_pip_cli("hook", "install", "--python", BASE_PYTHON) == 0
    capsys.readouterr()
    monkeypatch.setenv("PYTHONNOUSERSITE", "1")

    assert safe_pip_cli("hook", "status", "--python", BASE_PYTHON) == 1
    assert capsys.readouterr().out.startswith("not guarded here: PYTHONNOUSERSITE is set")


@pytest.mark.integration
def test_system_means_the_interpreters_own_site_packages(setup_env: Path) -> None:
    """The location a ``-s``/``-I`` run still loads (not written here: it is the machine's)."""
    info = interpreter_info(BASE_PYTHON)

    target = hook_target(info, user=False, system=True)

    assert target.site_dir == info.purelib
    assert not target.user
    assert hook_target(info, user=False).user  # the default outside a venv stays the user site
