"""Helpers for the uv and lock-file tests: the real uv binary, projects, locks and venvs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.index_server import LocalIndex
from support.isolation import run

UV = Path(sys.executable).parent / "uv"
SKIP_WITHOUT_UV = pytest.mark.skipif(not UV.is_file(), reason=f"uv is not installed at {UV}")
NOT_PACKAGES = {"pip", "setuptools", "wheel"}


def uv(
    args: list[str | Path], env: dict[str, str], *, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return run([UV, *args], env, cwd=cwd, check=check)


def safe_uv_pip_install(
    python: Path, index: LocalIndex, env: dict[str, str], *args: str | Path
) -> subprocess.CompletedProcess[str]:
    """``safe-pip uv pip install --python PYTHON --index-url INDEX ARGS`` (real CLI, real uv)."""
    base: list[str | Path] = [sys.executable, "-m", "safe_pip", "uv", "pip", "install"]
    command = [*base, "--python", python, "--index-url", index.url, *args]
    return run(command, env, cwd=Path(env["HOME"]))


def lock_project(
    directory: Path, index: LocalIndex, dependencies: list[str], env: dict[str, str]
) -> Path:
    """A tiny project depending on ``dependencies``, locked with ``uv lock``; its uv.lock."""
    directory.mkdir(parents=True, exist_ok=True)
    quoted = ", ".join(json.dumps(d) for d in dependencies)
    (directory / "pyproject.toml").write_text(
        "[project]\n"
        'name = "demo-project"\n'
        'version = "0.1.0"\n'
        'requires-python = ">=3.9"\n'
        f"dependencies = [{quoted}]\n"
    )
    uv(["lock", "--default-index", index.url, "--python", sys.executable], env, cwd=directory)
    return directory / "uv.lock"


def compile_requirements(
    directory: Path, index: LocalIndex, requirements: list[str], env: dict[str, str], *extra: str
) -> Path:
    """``uv pip compile --generate-hashes`` of ``requirements``; the requirements.txt."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "requirements.in"
    source.write_text("\n".join(requirements) + "\n")
    output = directory / "requirements.txt"
    command: list[str | Path] = ["pip", "compile", source, "--generate-hashes", "-o", output]
    uv([*command, "--index-url", index.url, "--python", sys.executable, "--quiet", *extra], env)
    return output


def installed(python: Path, env: dict[str, str]) -> dict[str, str]:
    """name -> version installed for ``python`` (pip, setuptools and wheel left out)."""
    listing = uv(["pip", "list", "--format", "json", "--python", python], env)
    return {
        entry["name"].lower(): entry["version"]
        for entry in json.loads(listing.stdout)
        if entry["name"].lower() not in NOT_PACKAGES
    }
