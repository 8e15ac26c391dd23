"""A hook left behind after safe-pip was uninstalled says exactly how to get pip back."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from safe_pip.hook.runtime.checker import CheckerUnavailable, checker_command
from safe_pip.hook.site_files import hook_status
from support.hook_helpers import PIP_SCRIPT, hook_venv, pip_install
from support.index_server import LocalIndex
from support.outcomes import installed, output


@pytest.mark.integration
def test_orphaned_hook_refuses_and_its_advice_gives_pip_back(
    world: LocalIndex, target_venv: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    gone = tmp_path / "pipx-venv-that-was-removed"
    target = hook_venv(target_venv, [str(gone / "bin" / "python"), "-m", "safe_pip"])

    index = ("--index-url", world.url)
    refused = pip_install(target_venv, PIP_SCRIPT, isolated_env, *index, "cleanlib")

    assert refused.returncode == 3, output(refused)
    assert "Traceback" not in refused.stderr
    assert "safe-pip is no longer installed" in refused.stderr
    advice = re.search(r"delete (\S+) and the folder (\S+) ", refused.stderr)
    assert advice is not None, output(refused)
    assert f"safe-pip hook uninstall --python {target_venv}" in refused.stderr
    assert "hook install` again" not in refused.stderr
    assert installed(target_venv, isolated_env) == {}

    pth_file, package_dir = Path(advice.group(1)), Path(advice.group(2))
    assert (pth_file, package_dir) == (target.pth_file, target.package_dir)
    pth_file.unlink()
    shutil.rmtree(package_dir)

    plain = pip_install(target_venv, PIP_SCRIPT, isolated_env, *index, "cleanlib")
    assert plain.returncode == 0, output(plain)
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}


def _config(tmp_path: Path, **config: object) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return str(path)


def test_checker_whose_package_is_gone_is_unavailable(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "safe_pip"]
    gone = tmp_path / "site-packages" / "safe_pip"
    with pytest.raises(CheckerUnavailable, match=f"no longer installed \\({re.escape(str(gone))}"):
        checker_command(_config(tmp_path, checker=command, requires=[str(gone)]))
    gone.mkdir(parents=True)
    assert checker_command(_config(tmp_path, checker=command, requires=[str(gone)])) == command


@pytest.mark.integration
def test_hook_install_records_its_own_package_and_status_sees_it(target_venv: Path) -> None:
    target = hook_venv(target_venv)
    config = json.loads(target.config_file.read_text(encoding="utf-8"))
    assert Path(config["requires"][0], "__init__.py").is_file()
    assert hook_status(target).checker_problem is None
