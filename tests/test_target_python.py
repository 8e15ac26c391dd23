"""Which interpreter an install goes into."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from safe_pip.errors import UsageError
from safe_pip.installers.target_python import (
    default_target_note,
    resolve_target_python,
    venv_python,
)


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


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_without_a_venv_the_python3_on_path_is_the_target(tmp_path: Path) -> None:
    python3 = _executable(tmp_path / "usr-bin" / "python3")
    env = {"PATH": f"{tmp_path / 'empty'}{os.pathsep}{python3.parent}"}
    assert resolve_target_python(None, env=env) == str(python3)
    note = default_target_note(str(python3), None, env)
    assert note is not None and str(python3) in note and "no virtualenv is active" in note
    assert default_target_note(str(python3), "x", env) is None


def test_safe_pips_own_environment_is_never_the_default_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed the README way (a venv of its own, linked onto PATH), or its bin on PATH:
    the python3 found is the next one, never the one safe-pip runs from."""
    own = tmp_path / "dot-safe-pip"
    _executable(own / "bin" / "python3")
    other = _executable(tmp_path / "usr-bin" / "python3")
    monkeypatch.setattr(sys, "prefix", str(own))
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path / "base"))
    env = {"PATH": os.pathsep.join([str(own / "bin"), str(other.parent)])}
    assert resolve_target_python(None, env=env) == str(other)
    with pytest.raises(UsageError, match="outside safe-pip's own environment"):
        resolve_target_python(None, env={"PATH": str(own / "bin")})


def test_a_missing_interpreter_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such interpreter"):
        resolve_target_python(str(tmp_path / "nothing-here"), env={})


def test_a_broken_active_virtualenv_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="VIRTUAL_ENV"):
        resolve_target_python(None, env={"VIRTUAL_ENV": str(tmp_path / "gone")})


def test_paths_are_absolute_and_normalised_never_joined_with_dot_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = make_fake_venv(tmp_path / "v9")
    (tmp_path / "proj").mkdir()
    monkeypatch.chdir(tmp_path / "proj")
    assert resolve_target_python("../v9", env={}) == str(python)
    assert ".." not in resolve_target_python(None, env={"VIRTUAL_ENV": "../v9"})
