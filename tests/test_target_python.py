"""Which interpreter an install goes into."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from safe_pip.errors import UsageError
from safe_pip.installers.target_python import resolve_target_python, venv_python


def make_fake_venv(root: Path) -> Path:
    python = venv_python(root)
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    return python


def test_a_venv_directory_means_its_python_as_an_absolute_unresolved_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = make_fake_venv(tmp_path / "venv")
    monkeypatch.chdir(tmp_path)
    chosen = resolve_target_python("venv", env={})
    assert chosen == str(python)  # absolute, and still the venv's symlink
    assert os.path.isabs(chosen)


def test_the_active_virtualenv_is_the_default(tmp_path: Path) -> None:
    python = make_fake_venv(tmp_path / "active")
    assert resolve_target_python(None, env={"VIRTUAL_ENV": str(tmp_path / "active")}) == str(python)


def test_without_a_venv_safe_pips_own_interpreter_is_used() -> None:
    assert resolve_target_python(None, env={}) == sys.executable


def test_a_missing_interpreter_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such interpreter"):
        resolve_target_python(str(tmp_path / "nothing-here"), env={})


def test_a_broken_active_virtualenv_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="VIRTUAL_ENV"):
        resolve_target_python(None, env={"VIRTUAL_ENV": str(tmp_path / "gone")})
