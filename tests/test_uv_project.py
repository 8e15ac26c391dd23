"""``safe-pip uv sync`` / ``safe-pip uv add``: uv.lock is checked before uv installs from it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.index_server import LocalIndex
from support.outcomes import output
from support.scenario import MALICIOUS_ID, VULN_ID
from support.sdists import sdist_bytes, sdist_filename
from support.uv_helpers import SKIP_WITHOUT_UV, installed, lock_project

SafePip = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = [pytest.mark.integration, SKIP_WITHOUT_UV]


def make_project(directory: Path, dependencies: list[str]) -> Path:
    directory.mkdir()
    quoted = ", ".join(f'"{d}"' for d in dependencies)
    (directory / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{quoted}]\n"
    )
    return directory


def in_project(
    safe_pip: SafePip, project: Path, index: LocalIndex, *args: str
) -> subprocess.CompletedProcess[str]:
    """``safe-pip uv ARGS`` in ``project`` with ``index`` as uv's default index."""
    return safe_pip(
        "uv", *args, "--default-index", index.url, "--python", sys.executable, cwd=project
    )


def project_python(project: Path) -> Path:
    return project / ".venv" / "bin" / "python"


def test_uv_add_of_a_vulnerable_package_changes_nothing(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    project = make_project(tmp_path / "demo", ["cleanlib"])
    synced = in_project(safe_pip, project, world, "sync")
    assert synced.returncode == 0, output(synced)
    before = {name: (project / name).read_bytes() for name in ("pyproject.toml", "uv.lock")}

    blocked = in_project(safe_pip, project, world, "add", "app")
    assert blocked.returncode == 1, output(blocked)
    assert "vulnlib==1.0" in blocked.stdout and VULN_ID in blocked.stdout
    assert {name: (project / name).read_bytes() for name in before} == before
    assert installed(project_python(project), isolated_env) == {"cleanlib": "1.0"}


def test_uv_add_of_a_clean_package_locks_and_installs_it(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    project = make_project(tmp_path / "demo", [])
    result = in_project(safe_pip, project, world, "add", "cleanlib")
    assert result.returncode == 0, output(result)
    assert "cleanlib" in (project / "pyproject.toml").read_text()
    assert installed(project_python(project), isolated_env) == {"cleanlib": "1.0"}


def test_uv_sync_of_a_malicious_dependency_installs_nothing(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    project = make_project(tmp_path / "demo", ["evilpkg", "cleanlib"])
    result = in_project(safe_pip, project, world, "sync")
    assert result.returncode == 1, output(result)
    assert MALICIOUS_ID in result.stdout
    assert not (project / "uv.lock").exists()  # no unchecked lock left for a plain `uv run`
    python = project_python(project)
    assert not python.exists() or installed(python, isolated_env) == {}


@pytest.mark.parametrize("command", ["sync", "lock"])
def test_a_blocked_sync_or_lock_leaves_uv_lock_byte_identical(
    command: str, world: LocalIndex, tmp_path: Path, safe_pip: SafePip
) -> None:
    """A vulnerable pin added to pyproject.toml: blocked, and uv.lock is what it was (as for a
    blocked `uv add`), so neither a later plain `uv run` nor the next sync gets the pin; the
    hint names the command that moves the lock on."""
    project = make_project(tmp_path / "demo", ["cleanlib"])
    assert in_project(safe_pip, project, world, "sync").returncode == 0
    before = (project / "uv.lock").read_bytes()
    make_project_text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        make_project_text.replace('["cleanlib"]', '["cleanlib", "vulnlib==1.0"]')
    )

    blocked = in_project(safe_pip, project, world, command)

    assert blocked.returncode == 1, output(blocked)
    assert VULN_ID in blocked.stdout
    assert (project / "uv.lock").read_bytes() == before
    assert "safe-pip: uv.lock was left as before." in blocked.stderr
    assert "`safe-uv lock -P vulnlib`" in blocked.stderr


def test_uv_sync_that_fails_after_the_checks_exits_4(
    world: LocalIndex, tmp_path: Path, safe_pip: SafePip
) -> None:
    """The lock passes the checks, then ``uv sync --frozen`` itself fails (here: .venv is a
    file, so uv cannot create the environment): the documented exit code 4, not uv's own."""
    project = make_project(tmp_path / "demo", ["cleanlib"])
    (project / ".venv").write_text("not a directory\n")
    result = in_project(safe_pip, project, world, "sync")
    assert result.returncode == 4, output(result)
    assert "safe-pip: uv failed to sync the checked lock file" in result.stderr


def test_uv_sync_under_json_keeps_stdout_for_the_report(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    """With ``--format json`` stdout is safe-pip's one JSON document; whatever uv prints
    (here its own JSON summary, ``--output-format json``) goes to stderr."""
    project = make_project(tmp_path / "demo", ["cleanlib"])
    result = in_project(
        safe_pip, project, world, "sync", "--format", "json", "--output-format", "json"
    )
    assert result.returncode == 0, output(result)
    report = json.loads(result.stdout)
    assert report["verdict"] == "allowed"
    assert [p["name"] for p in report["packages"]] == ["cleanlib"]
    assert installed(project_python(project), isolated_env) == {"cleanlib": "1.0"}


def test_uv_sync_frozen_checks_the_existing_lock_and_installs_nothing_blocked(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    """A uv.lock that pins a vulnerable version and a malicious package (locked by plain uv):
    ``safe-uv sync --frozen`` is not a way around the check -- blocked (exit 1), nothing
    installed, uv.lock untouched."""
    project = tmp_path / "demo"
    lock = lock_project(project, world, ["cleanlib", "vulnlib==1.0", "evilpkg"], isolated_env)
    before = lock.read_bytes()

    blocked = in_project(safe_pip, project, world, "sync", "--frozen")

    assert blocked.returncode == 1, output(blocked)
    assert VULN_ID in blocked.stdout and MALICIOUS_ID in blocked.stdout
    assert lock.read_bytes() == before
    python = project_python(project)
    assert not python.exists() or installed(python, isolated_env) == {}


def test_uv_sync_frozen_of_a_clean_lock_installs_it(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    project = tmp_path / "demo"
    lock = lock_project(project, world, ["cleanlib"], isolated_env)
    before = lock.read_bytes()
    result = in_project(safe_pip, project, world, "sync", "--frozen")
    assert result.returncode == 0, output(result)
    assert lock.read_bytes() == before
    assert installed(project_python(project), isolated_env) == {"cleanlib": "1.0"}


def test_uv_sync_frozen_refuses_to_build_what_nothing_vetted(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    """uv.lock has a clean package only as source: with no locking run its build was never
    vetted, so ``safe-uv sync --frozen`` stops (exit 3) naming the guarded way; its backend
    never runs (the marker) and nothing is installed."""
    marker = tmp_path / "built"
    world.add_file(
        "plainsdist",
        "1.0",
        sdist_filename("plainsdist", "1.0"),
        sdist_bytes("plainsdist", "1.0", marker=marker),
    )
    project = tmp_path / "demo"
    locking_env = {**isolated_env, "UV_CACHE_DIR": str(tmp_path / "locking-cache")}
    lock_project(project, world, ["plainsdist"], locking_env)  # plain uv builds it to lock
    marker.unlink()

    refused = in_project(safe_pip, project, world, "sync", "--frozen")

    assert refused.returncode == 3, output(refused)
    assert "plainsdist" in refused.stderr and "`safe-uv sync` without --frozen" in refused.stderr
    assert not marker.exists()
    python = project_python(project)
    assert not python.exists() or installed(python, isolated_env) == {}
