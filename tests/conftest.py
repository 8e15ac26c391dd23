"""Shared fixtures. Sections: processes, package index, virtual environments, data.

Add new fixtures to the matching section (or a new, titled one); keep helpers in
``tests/support/`` and only thin fixtures here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support import integration_guard
from support.guarded import Guarded
from support.index_server import LocalIndex
from support.isolation import isolated_env as make_isolated_env
from support.isolation import run as run_command
from support.venvs import BUNDLED, NEWEST, VenvTemplates, venv_python

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_ADVISORIES_ZIP = (
    Path(__file__).resolve().parents[2] / "shared" / "advisories" / "osv-pypi-pysec.zip"
)

# ---------------------------------------------------------------- processes


@pytest.fixture(autouse=True)
def _integration_marker_is_honest(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that starts a process or a local server must be marked ``integration``."""
    yield from integration_guard.guard(request)


@pytest.fixture(autouse=True)
def _decision_log_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs write their decision log under tmp_path, never the user's data dir,
    and start with nothing noted by an earlier test."""
    from safe_pip.pipeline import decision_log

    monkeypatch.setenv("SAFE_PIP_DATA_DIR", str(tmp_path / "safe-pip-data"))
    decision_log.reset()


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs keep index pages (and anything else cached) under tmp_path, never in
    the user's cache dir; a test that needs its own cache dir sets SAFE_PIP_CACHE_DIR again."""
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path / "safe-pip-cache-in-process"))
    # The test advisory data is a fixed snapshot (records modified early 2026): how old it
    # is by the clock is not what a test is about, except where a test sets this again.
    monkeypatch.setenv("SAFE_PIP_MAX_DB_AGE_DAYS", "0")


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    """Environment for pip/uv/safe-pip subprocesses: no PIP_*/UV_* leaks, caches in tmp_path."""
    return make_isolated_env(tmp_path / "isolated")


@pytest.fixture
def run() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``support.isolation.run``: ``run(cmd, env, *, cwd, input, timeout, check)``."""
    return run_command


# ---------------------------------------------------------------- package index


@pytest.fixture
def local_index(tmp_path: Path) -> Iterator[LocalIndex]:
    """A running ``LocalIndex`` on 127.0.0.1 (empty; publish with ``.add``)."""
    with LocalIndex(tmp_path / "local-index") as index:
        yield index


# ---------------------------------------------------------------- virtual environments


@pytest.fixture(scope="session")
def venv_templates(tmp_path_factory: pytest.TempPathFactory) -> VenvTemplates:
    """Template venvs, each kind built once per session on first use."""
    return VenvTemplates(tmp_path_factory.mktemp("venv-templates"), sys.executable)


@pytest.fixture
def pip_venv(venv_templates: VenvTemplates, tmp_path: Path) -> Callable[[str], Path]:
    """Factory: ``pip_venv("bundled" | "newest")`` -> python of a fresh venv copy."""
    created: list[Path] = []

    def make(kind: str = BUNDLED) -> Path:
        dest = tmp_path / f"venv-{kind.replace('==', '-')}-{len(created)}"
        created.append(venv_templates.copy(kind, dest))
        return venv_python(dest)

    return make


@pytest.fixture
def target_venv(pip_venv: Callable[[str], Path]) -> Path:
    """Python of a fresh venv with this Python's bundled pip."""
    return pip_venv(BUNDLED)


@pytest.fixture
def newest_pip_venv(pip_venv: Callable[[str], Path]) -> Path:
    """Python of a fresh venv with the newest pip (the test runner's)."""
    return pip_venv(NEWEST)


# ---------------------------------------------------------------- data


@pytest.fixture(scope="session")
def shared_advisories_zip() -> Path:
    """The real OSV PYSEC snapshot at ``<repo>/../shared/advisories/`` (read-only)."""
    if not SHARED_ADVISORIES_ZIP.is_file():
        message = f"shared advisory snapshot not found at {SHARED_ADVISORIES_ZIP}"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI always has ../shared: a skip there would hide a gap
        pytest.skip(message)
    return SHARED_ADVISORIES_ZIP


# ---------------------------------------------------------------- safe-pip end to end


@pytest.fixture
def world(local_index: LocalIndex, isolated_env: dict[str, str]) -> LocalIndex:
    """The standard packages (``support.scenario``) on the local index, and an advisory DB
    describing them in ``isolated_env``'s safe-pip cache."""
    from support.scenario import build_advisory_db, publish_standard_packages

    publish_standard_packages(local_index)
    build_advisory_db(isolated_env)
    return local_index


@pytest.fixture
def safe_pip(
    isolated_env: dict[str, str],
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real ``safe-pip`` CLI: ``safe_pip(*args, env=None, cwd=None, input=None)``."""

    def invoke(
        *args: str | os.PathLike[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return run_command(
            [sys.executable, "-m", "safe_pip", *args],
            env if env is not None else isolated_env,
            cwd=cwd or Path(isolated_env["HOME"]),
            input=input,
        )

    return invoke


@pytest.fixture
def guarded(
    world: LocalIndex,
    isolated_env: dict[str, str],
    safe_pip: Callable[..., subprocess.CompletedProcess[str]],
    pip_venv: Callable[[str], Path],
) -> Guarded:
    """The standard world, and ``safe-pip install`` into fresh venvs of it."""
    return Guarded(world, isolated_env, safe_pip, pip_venv)
