"""Hints name the command that works for the way this safe-pip was installed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from safe_pip.paths import SelfInstall, self_install
from safe_pip.pipeline.report_cyclonedx import missing_library_message


def _installed_in(
    monkeypatch: pytest.MonkeyPatch, prefix: Path, marker: str | None = None
) -> SelfInstall:
    prefix.mkdir(parents=True)
    if marker:
        (prefix / marker).write_text("{}")
    monkeypatch.setattr(sys, "prefix", str(prefix))
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "executable", str(prefix / "bin" / "python"))
    return self_install()


def test_a_venv_of_its_own_is_removed_by_deleting_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _installed_in(monkeypatch, tmp_path / ".safe-pip")
    assert found.kind == "venv"
    assert found.uninstall_command().startswith(f"rm -r {tmp_path / '.safe-pip'}")
    assert found.add_library_command("cyclonedx-python-lib>=8") == (
        f"{tmp_path / '.safe-pip' / 'bin' / 'python'} -m pip install 'cyclonedx-python-lib>=8'"
    )
    assert "pipx" not in missing_library_message()
    assert "-m pip install 'cyclonedx-python-lib>=8'" in missing_library_message()


def test_pipx_and_uv_tool_get_their_own_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipx = _installed_in(monkeypatch, tmp_path / "a" / "venvs" / "x", "pipx_metadata.json")
    assert pipx.uninstall_command() == "pipx uninstall safe-pip-guard"
    assert pipx.add_library_command("lib") == "pipx inject safe-pip-guard lib"
    uv = _installed_in(monkeypatch, tmp_path / "b" / "x", "uv-receipt.toml")
    assert uv.uninstall_command() == "uv tool uninstall safe-pip-guard"
    assert uv.add_library_command("lib").startswith("uv tool install --force --with lib ")


def test_an_interpreter_install_uses_that_interpreters_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "prefix", "/usr")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "executable", "/usr/bin/python3")
    assert self_install().uninstall_command() == "/usr/bin/python3 -m pip uninstall safe-pip-guard"
