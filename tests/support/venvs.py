"""Target virtual environments for tests: templates built once, cheap copies handed out.

Two kinds of template:

* ``bundled``: ``python -m venv`` -- the pip that ships with this Python (ensurepip).
* ``newest``: ``python -m venv --without-pip`` plus the ``pip`` package and its dist-info
  copied from the test runner's own site-packages (the test extra pins ``pip>=25``), so no
  network is needed.

* ``pip==X`` (``pinned_pip_kind("22.3.1")``): ``python -m venv --without-pip`` plus that pip,
  installed from its wheel, which is downloaded once (``pip download pip==X --no-deps``) into
  ``PIP_WHEEL_CACHE`` (``$SAFE_PIP_TEST_CACHE``, default ``~/.cache/safe-pip-tests``, kept
  across runs; CI caches it) -- the pip-version matrix (``tests/test_pip_matrix.py``).

A copy is ``shutil.copytree(symlinks=True)`` with the template's path rewritten in ``bin/``
scripts (shebangs, activate) and ``pyvenv.cfg``, so ``copy/bin/pip`` works on the copy.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

from support.isolation import isolated_env

BUNDLED = "bundled"
NEWEST = "newest"
KINDS = (BUNDLED, NEWEST)
PINNED_PREFIX = "pip=="
TEST_CACHE = Path(
    os.environ.get("SAFE_PIP_TEST_CACHE") or Path.home() / ".cache" / "safe-pip-tests"
)
PIP_WHEEL_CACHE = TEST_CACHE / "pip-wheels"


def pinned_pip_kind(version: str) -> str:
    """The template kind of a venv with exactly pip ``version``."""
    return f"{PINNED_PREFIX}{version}"


_PIP_SCRIPT = """\
#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from pip._internal.cli.main import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""


def _scripts_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def venv_python(path: Path) -> Path:
    """The interpreter of the virtual environment at ``path``."""
    return _scripts_dir(path) / ("python.exe" if os.name == "nt" else "python")


def venv_site_packages(path: Path) -> Path:
    if os.name == "nt":
        return path / "Lib" / "site-packages"
    candidates = sorted(path.glob("lib/python3*/site-packages"))
    if len(candidates) != 1:
        raise RuntimeError(f"expected one site-packages in {path}, found {candidates}")
    return candidates[0]


def _run_checked(cmd: list[str], env: dict[str, str]) -> None:
    completed = subprocess.run(
        cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({completed.returncode}):\n"
            f"{completed.stdout}\n{completed.stderr}"
        )


def create_bundled_template(dest: Path, base_python: str = sys.executable) -> Path:
    """``python -m venv dest`` with this Python's bundled pip."""
    env = isolated_env(dest.parent / f".{dest.name}-env")
    _run_checked([base_python, "-m", "venv", str(dest)], env)
    return dest


def _runner_pip_files() -> tuple[Path, Path]:
    """The test runner's ``pip`` package directory and its ``.dist-info`` directory."""
    distribution = importlib.metadata.distribution("pip")
    site_packages = Path(str(distribution.locate_file("")))
    package = site_packages / "pip"
    dist_infos = [
        path
        for path in site_packages.glob("pip-*.dist-info")
        if path.name == f"pip-{distribution.version}.dist-info"
    ]
    if not package.is_dir() or len(dist_infos) != 1:
        raise RuntimeError(f"cannot find pip {distribution.version} in {site_packages}")
    return package, dist_infos[0]


def create_newest_template(dest: Path, base_python: str = sys.executable) -> Path:
    """``python -m venv --without-pip dest`` plus the test runner's (newest) pip."""
    env = isolated_env(dest.parent / f".{dest.name}-env")
    _run_checked([base_python, "-m", "venv", "--without-pip", str(dest)], env)
    package, dist_info = _runner_pip_files()
    site_packages = venv_site_packages(dest)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(package, site_packages / package.name, symlinks=True, ignore=ignore)
    shutil.copytree(dist_info, site_packages / dist_info.name, symlinks=True)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for script in ("pip", "pip3", f"pip{version}"):
        script_path = _scripts_dir(dest) / script
        script_path.write_text(_PIP_SCRIPT.format(python=venv_python(dest)))
        script_path.chmod(0o755)
    return dest


def pip_wheel(version: str, cache: Path = PIP_WHEEL_CACHE) -> Path:
    """pip ``version``'s wheel, downloaded into ``cache`` the first time (from the index the
    test runner's pip is configured with: test setup, like installing the test extra)."""
    wheel = cache / f"pip-{version}-py3-none-any.whl"
    if not wheel.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        _run_checked(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(cache),
                f"pip=={version}",
            ],
            dict(os.environ),
        )
    if not wheel.is_file():
        raise RuntimeError(f"pip download did not leave {wheel}")
    return wheel


def create_pinned_template(dest: Path, version: str, base_python: str = sys.executable) -> Path:
    """``python -m venv --without-pip dest`` plus pip ``version`` from its cached wheel."""
    wheel = pip_wheel(version)
    env = isolated_env(dest.parent / f".{dest.name}-env")
    _run_checked([base_python, "-m", "venv", "--without-pip", str(dest)], env)
    python = str(venv_python(dest))
    install = [python, f"{wheel}/pip", "install", "--no-index", "--no-deps", "-q", str(wheel)]
    _run_checked(install, env)
    return dest


def _rewrite_path(file: Path, old: bytes, new: bytes) -> None:
    if file.is_symlink() or not file.is_file() or file.stat().st_size > 1_000_000:
        return
    data = file.read_bytes()
    if old in data:
        file.write_bytes(data.replace(old, new))


def copy_venv(template: Path, dest: Path) -> Path:
    """A working copy of the venv ``template`` at ``dest`` (which must not exist)."""
    shutil.copytree(template, dest, symlinks=True)
    old, new = os.fsencode(str(template)), os.fsencode(str(dest))
    for file in _scripts_dir(dest).iterdir():
        _rewrite_path(file, old, new)
    _rewrite_path(dest / "pyvenv.cfg", old, new)
    return dest


class VenvTemplates:
    """Template venvs under ``root``, each built on first use; ``copy`` hands out copies."""

    def __init__(self, root: Path, base_python: str = sys.executable) -> None:
        self.root = root
        self.base_python = base_python
        self._templates: dict[str, Path] = {}

    def template(self, kind: str) -> Path:
        if kind not in KINDS and not kind.startswith(PINNED_PREFIX):
            raise ValueError(f"unknown venv kind {kind!r}; expected one of {KINDS} or pip==X")
        if kind not in self._templates:
            self.root.mkdir(parents=True, exist_ok=True)
            dest = self.root / f"template-{kind.replace('==', '-')}"
            if kind.startswith(PINNED_PREFIX):
                create_pinned_template(dest, kind[len(PINNED_PREFIX) :], self.base_python)
            elif kind == BUNDLED:
                create_bundled_template(dest, self.base_python)
            else:
                create_newest_template(dest, self.base_python)
            self._templates[kind] = dest
        return self._templates[kind]

    def copy(self, kind: str, dest: Path) -> Path:
        """A fresh venv of ``kind`` at ``dest``; returns the venv directory."""
        return copy_venv(self.template(kind), dest)
