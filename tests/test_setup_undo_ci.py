"""``safe-pip setup --undo`` gives a workstation back; ``setup --ci DIR`` guards scripts through
``pip``/``pip3``/``uv`` shims on PATH (real shells, real pip and uv, the local index)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.hook.ci_shims import real_uv, write_uv_shim
from safe_pip.hook.shell_aliases import BEGIN_MARKER
from support.index_server import LocalIndex
from support.isolation import run
from support.outcomes import installed, output
from support.scenario import MALICIOUS_ID, OSV_LOCAL
from support.venvs import venv_site_packages

SafePip = Callable[..., subprocess.CompletedProcess[str]]
TOOLS_DIR = Path(sys.executable).parent  # where the test venv keeps uv


def _pth(python: Path) -> Path:
    return venv_site_packages(python.parent.parent) / "safe_pip_hook.pth"


@pytest.mark.integration
def test_setup_undo_removes_hook_and_every_shells_functions(
    safe_pip: SafePip, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    home = Path(isolated_env["HOME"])
    bashrc, zshrc = home / ".bashrc", home / ".zshrc"
    bashrc.write_text("export KEEP=1\n")
    env = dict(isolated_env, SHELL="/bin/bash", SAFE_PIP_DB_SOURCE=str(OSV_LOCAL))
    setup = safe_pip("setup", "--python", target_venv, env=env)
    assert setup.returncode == 0, output(setup)
    assert safe_pip("alias", "zsh", "--write", env=env).returncode == 0
    assert _pth(target_venv).is_file() and BEGIN_MARKER in zshrc.read_text()
    undo_line = setup.stdout.splitlines()[-1]
    assert undo_line.startswith("undo: safe-pip setup --undo ")

    undone = safe_pip(*shlex.split(undo_line.removeprefix("undo: safe-pip ")), env=env)

    assert undone.returncode == 0, output(undone)
    assert not _pth(target_venv).exists()
    assert bashrc.read_text() == "export KEEP=1\n"
    assert not zshrc.exists()  # `alias --write` created it: taken away again
    lines = undone.stdout.splitlines()
    assert lines[0] == f"hook: removed from {_pth(target_venv).parent}."
    assert f"aliases: removed the safe-pip functions from {bashrc}" in undone.stdout
    assert f"aliases: removed the safe-pip functions from {zshrc}" in undone.stdout
    assert lines[-1].startswith("kept: the advisory database in ")
    # this safe-pip runs from a plain venv (the test venv): removing it means deleting that
    assert f"safe-pip itself (to remove it): rm -r {Path(sys.prefix).absolute()}" in lines[-1]

    again = safe_pip("setup", "--undo", "--python", target_venv, env=env)
    assert again.returncode == 0, output(again)
    assert again.stdout.splitlines()[0].startswith("hook: none in ")


@pytest.mark.integration
def test_setup_takes_an_advisory_source(
    safe_pip: SafePip, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    env = dict(isolated_env, SHELL="/bin/bash")
    result = safe_pip("setup", "--python", target_venv, "--source", OSV_LOCAL, env=env)

    assert result.returncode == 0, output(result)
    assert f"records from {OSV_LOCAL}" in result.stdout
    assert (Path(env["SAFE_PIP_CACHE_DIR"]) / "advisories.sqlite").is_file()


@pytest.mark.integration
def test_ci_shims_guard_scripts_that_run_pip_and_uv(
    safe_pip: SafePip,
    world: LocalIndex,
    target_venv: Path,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    shims = tmp_path / "safe-pip-shims"
    env = dict(isolated_env, PATH=f"{TOOLS_DIR}{os.pathsep}{isolated_env['PATH']}")
    setup = safe_pip("setup", "--ci", shims, "--python", target_venv, "--no-db-update", env=env)
    assert setup.returncode == 0, output(setup)
    assert {path.name for path in shims.iterdir()} == {"pip", "pip3", "uv"}
    assert f"export PATH={shims}:" in setup.stdout
    ci = dict(env, PATH=f"{shims}{os.pathsep}{env['PATH']}")

    def script(command: str) -> subprocess.CompletedProcess[str]:
        # A non-interactive shell: no startup file, no shell functions, only PATH.
        return run(["sh", "-c", command], ci, cwd=tmp_path)

    index = f"--index-url {world.url}"
    blocked = script(f"pip install {index} evilpkg")
    assert blocked.returncode == 1, output(blocked)
    assert MALICIOUS_ID in blocked.stdout
    blocked_quiet = script(f"pip3 -q install {index} evilpkg")
    assert blocked_quiet.returncode == 1, output(blocked_quiet)
    blocked_uv = script(f"uv pip install --python {target_venv} {index} evilpkg")
    assert blocked_uv.returncode == 1, output(blocked_uv)
    assert installed(target_venv, isolated_env) == {}

    clean = script(f"pip install {index} cleanlib")
    assert clean.returncode == 0, output(clean)
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}
    listing = script("pip list --format freeze")
    assert listing.returncode == 0 and "cleanlib==1.0" in listing.stdout, output(listing)
    version = script("uv --version")
    assert version.returncode == 0 and version.stdout.startswith("uv "), output(version)

    undo = safe_pip("setup", "--undo", "--ci", shims, "--python", target_venv, env=env)
    assert undo.returncode == 0, output(undo)
    assert list(shims.iterdir()) == []


def test_real_uv_skips_the_shim_directory_and_other_shims(tmp_path: Path) -> None:
    shims, other_shims, real = tmp_path / "shims", tmp_path / "other", tmp_path / "real"
    real.mkdir()
    (real / "uv").write_text("#!/bin/sh\n")
    (real / "uv").chmod(0o755)
    write_uv_shim(other_shims, [sys.executable, "-m", "safe_pip"], str(real / "uv"))
    write_uv_shim(shims, [sys.executable, "-m", "safe_pip"], str(real / "uv"))
    path = os.pathsep.join(str(d) for d in (shims, other_shims, shims, real))

    assert real_uv(shims, {"PATH": path}) == str(real / "uv")
    assert real_uv(shims, {"PATH": os.pathsep.join((str(shims), str(other_shims)))}) is None


@pytest.mark.integration
def test_ci_shims_refuse_to_overwrite_a_foreign_file(
    safe_pip: SafePip, target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "pip").write_text("#!/bin/sh\necho mine\n")

    result = safe_pip("setup", "--ci", shims, "--python", target_venv, "--no-db-update")

    assert result.returncode == 2, output(result)
    assert "is not a safe-pip shim" in result.stderr
    assert (shims / "pip").read_text() == "#!/bin/sh\necho mine\n"
    assert not _pth(target_venv).exists()  # nothing else was changed either
