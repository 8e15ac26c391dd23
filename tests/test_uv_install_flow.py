"""``safe-uv pip install`` around the checks: --dry-run, targets uv refuses, local projects."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support.index_server import LocalIndex
from support.isolation import run
from support.outcomes import assert_one_line_error, output
from support.scenario import MALICIOUS_ID
from support.uv_helpers import SKIP_WITHOUT_UV, installed, safe_uv_pip_install

pytestmark = [SKIP_WITHOUT_UV, pytest.mark.integration]


def test_dry_run_stops_after_the_checks(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    result = safe_uv_pip_install(target_venv, world, isolated_env, "--dry-run", "cleanlib")
    assert result.returncode == 0, output(result)
    assert "cleanlib==1.0" in result.stdout + result.stderr
    assert "Would install" not in result.stdout + result.stderr  # uv was not asked
    assert installed(target_venv, isolated_env) == {}

    blocked = safe_uv_pip_install(target_venv, world, isolated_env, "--dry-run", "evilpkg")
    assert blocked.returncode == 1, output(blocked)
    assert MALICIOUS_ID in blocked.stdout


def test_without_a_virtual_environment_it_fails_first_with_uvs_message(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    """No venv active, none in the working directory, no --python: uv refuses to install, and
    so does safe-pip, with uv's message, before checking anything."""
    command = [sys.executable, "-m", "safe_pip", "uv", "pip", "install", "cleanlib"]
    # not even the test runner's own venv, when its shell has one activated
    env = {k: v for k, v in isolated_env.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    result = run([*command, "--index-url", world.url], env, cwd=tmp_path)
    line = assert_one_line_error(result, 2)
    assert "No virtual environment found" in line
    assert result.stdout == ""  # no report: nothing was checked


def test_a_local_project_with_build_requirements_is_built_after_they_are_checked(
    world: LocalIndex, tmp_path: Path, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    """Your own project is built by uv; the build dependency it names comes from the index and
    is checked and pinned first."""
    world.add("buildhelper", "1.0")
    project = tmp_path / "localproj"
    (project / "localproj").mkdir(parents=True)
    (project / "localproj" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["buildhelper"]\n'
        'build-backend = "local_backend"\n'
        'backend-path = ["."]\n'
        "[project]\n"
        'name = "localproj"\nversion = "0.1"\ndependencies = ["cleanlib"]\n'
    )
    (project / "local_backend.py").write_text(LOCAL_BACKEND)
    result = safe_uv_pip_install(target_venv, world, isolated_env, str(project))
    assert result.returncode == 0, output(result)
    assert installed(target_venv, isolated_env) == {"localproj": "0.1", "cleanlib": "1.0"}


LOCAL_BACKEND = """\
import base64, hashlib, os, zipfile
import buildhelper  # the build dependency must be installed for the build to work


def _hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = "localproj-0.1.dist-info"
    members = [
        ("localproj/__init__.py", b""),
        (info + "/METADATA", b"Metadata-Version: 2.1\\nName: localproj\\nVersion: 0.1\\n"
         b"Requires-Dist: cleanlib\\n"),
        (info + "/WHEEL", b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"),
    ]
    record = "".join("%s,%s,%d\\n" % (p, _hash(d), len(d)) for p, d in members)
    members.append((info + "/RECORD", (record + info + "/RECORD,,\\n").encode()))
    name = "localproj-0.1-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as archive:
        for path, data in members:
            archive.writestr(path, data)
    return name
"""
