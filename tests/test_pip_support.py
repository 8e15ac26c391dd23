"""Which pips and Pythons the guard supports, and what happens with the others (issue 15,
item 7): ``hook install``/``hook status`` name an unsupported pip and what to do; a too-old
pip is upgraded, guarded, with ``safe-pip install --python ENV -U pip``; a too-old Python
gets one line and exit 3; pip's own ``--python`` in a hooked venv is refused with one line.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from support.guarded import Guarded
from support.hook_helpers import PIP_MODULE, PIP_SCRIPT, hook_venv, pip_command, pip_install
from support.isolation import run
from support.outcomes import output
from support.scenario import MALICIOUS_BUILD_DEP_ID, publish_build_attacks
from support.venvs import NEWEST, pinned_pip_kind, pip_wheel

pytestmark = pytest.mark.integration

TOO_OLD_PIP = "22.2.2"  # the newest pip without build_env.get_runnable_pip
UPGRADE_TO = "24.0"
# a real Python 3.6 (pyenv's shims would answer for any version name): where there is one
PYTHON_36 = next(
    (str(path) for path in sorted(Path.home().glob(".pyenv/versions/3.6.*/bin/python3.6"))),
    shutil.which("python3.6", path="/usr/bin:/usr/local/bin") or "/nonexistent/python3.6",
)


def pip_version(python: Path, env: dict[str, str]) -> str:
    result = run([python, "-m", "pip", "--version"], env)
    return result.stdout.split()[1]


def test_a_too_old_pip_is_named_and_upgraded_guarded(guarded: Guarded) -> None:
    python = guarded.venv(pinned_pip_kind(TOO_OLD_PIP))
    installed = guarded.safe_pip("hook", "install", "--python", python)
    assert installed.returncode == 3, output(installed)
    assert f"pip {TOO_OLD_PIP}" in installed.stdout, output(installed)
    assert "is now checked" not in installed.stdout and "-U pip" in installed.stdout
    status = guarded.safe_pip("hook", "status", "--python", python)
    assert status.returncode == 1, output(status)
    assert status.stdout.startswith("not guarded:") and TOO_OLD_PIP in status.stdout

    refused = pip_install(
        python, PIP_SCRIPT, guarded.env, "--index-url", guarded.index.url, "-U", "pip"
    )
    assert refused.returncode == 3, output(refused)
    assert "Traceback" not in output(refused)
    assert f"safe-pip install --python {python} -U pip" in refused.stderr, output(refused)

    # until then safe-pip runs the bundled pip, whose build-dependency pip is guarded too
    marker = Path(guarded.env["HOME"]) / "marker.txt"
    publish_build_attacks(guarded.index, marker)
    build_dep = guarded.install(python, "buildapp")
    assert build_dep.returncode == 1, output(build_dep)
    assert MALICIOUS_BUILD_DEP_ID in output(build_dep) and not marker.exists()

    wheel = pip_wheel(UPGRADE_TO)
    guarded.index.add_file("pip", UPGRADE_TO, wheel.name, wheel.read_bytes())
    upgraded = guarded.install(python, "-U", "pip")
    assert upgraded.returncode == 0, output(upgraded)
    assert "bundled with this Python" in upgraded.stderr, output(upgraded)
    assert "checked" in output(upgraded)
    assert pip_version(python, guarded.env) == UPGRADE_TO

    # now supported: the hook guards this pip (the status says so, the installs are checked)
    assert guarded.safe_pip("hook", "status", "--python", python).returncode == 0
    blocked = pip_install(
        python, PIP_MODULE, guarded.env, "--index-url", guarded.index.url, "evilpkg"
    )
    assert blocked.returncode == 1, output(blocked)


@pytest.mark.skipif(not Path(PYTHON_36).exists(), reason="no Python 3.6 on this machine")
def test_python_36_gets_one_line_and_exit_3(guarded: Guarded, tmp_path: Path) -> None:
    venv = tmp_path / "py36"
    subprocess.run([PYTHON_36, "-m", "venv", str(venv)], check=True, env=guarded.env)
    python = venv / "bin" / "python"
    installed = guarded.safe_pip("hook", "install", "--python", python)
    assert installed.returncode == 3 and "Python 3.6" in installed.stdout, output(installed)
    result = pip_install(python, PIP_SCRIPT, guarded.env, "--index-url", guarded.index.url, "six")
    assert result.returncode == 3, output(result)
    assert "Traceback" not in output(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Python 3.6" in lines[0], output(result)


@pytest.mark.parametrize("via", [PIP_SCRIPT, PIP_MODULE])
def test_pips_own_python_option_is_refused_in_a_hooked_venv(via: str, guarded: Guarded) -> None:
    python, other = guarded.venv(NEWEST), guarded.venv(NEWEST)
    hook_venv(python)
    for command, env in (
        ([*pip_command(python, via), "--python", str(other), "install"], guarded.env),
        (
            [*pip_command(python, via), "download", "-d", str(other.parent)],
            {**guarded.env, "PIP_PYTHON": str(other)},
        ),
    ):
        result = run([*command, "--index-url", guarded.index.url, "evilpkg"], env)
        assert result.returncode == 2, output(result)
        assert "Traceback" not in output(result)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "--python" in lines[0], output(result)
    assert guarded.installed(other) == {}
    assert not list(other.parent.glob("evilpkg*"))
