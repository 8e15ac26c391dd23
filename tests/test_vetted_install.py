"""``vetted_install``: install exactly the vetted plan with real pip into fresh venvs."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.errors import CannotCheckError
from safe_pip.exit_codes import INTERRUPTED
from safe_pip.installers.pip.args import parse_install_args
from safe_pip.installers.pip.plan import resolve_plan
from safe_pip.installers.pip.vetted_install import (
    InstallResult,
    install_vetted,
    write_vetted_requirements,
)
from safe_pip.installers.requirement_pins import read_requirement_files
from safe_pip.models import ArtifactSource, PlanItem
from support.index_server import LocalIndex
from support.isolation import run
from support.venvs import BUNDLED, NEWEST
from support.wheels import wheel_bytes

A, B = "a" * 64, "b" * 64

LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, json; "
    "print(json.dumps(sorted((d.metadata['Name'], d.version) for d in m.distributions())))"
)

# A PEP 517 backend with no build requirements: builds a tiny wheel, offline.
IN_TREE_BACKEND = """
import base64, hashlib, os, zipfile
NAME, VERSION = "local-proj", "0.3"
DIST = "local_proj-0.3"
META = "Metadata-Version: 2.1\\nName: local-proj\\nVersion: 0.3\\n"
def get_requires_for_build_wheel(config_settings=None):
    return []
def build_wheel(directory, config_settings=None, metadata_directory=None):
    files = {
        "local_proj.py": "X = 1\\n",
        DIST + ".dist-info/METADATA": META,
        DIST + ".dist-info/WHEEL": "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\n"
        "Tag: py3-none-any\\n",
    }
    record = []
    name = DIST + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as archive:
        for path, text in files.items():
            data = text.encode()
            archive.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append("%s,sha256=%s,%d" % (path, digest.decode(), len(data)))
        record.append(DIST + ".dist-info/RECORD,,")
        archive.writestr(DIST + ".dist-info/RECORD", "\\n".join(record) + "\\n")
    return name
"""


def installed(python: Path) -> dict[str, str]:
    """Distributions in the venv, except the installer's own."""
    completed = run([python, "-c", LIST_DISTRIBUTIONS], {}, check=True)
    pairs = json.loads(completed.stdout)
    return {name: version for name, version in pairs if name not in ("pip", "setuptools")}


def local_project(tmp_path: Path) -> Path:
    project = tmp_path / "local-proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
    )
    (project / "backend.py").write_text(IN_TREE_BACKEND)
    return project


@pytest.mark.integration
@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_installs_exactly_the_plan(
    kind: str,
    pip_venv: Callable[[str], Path],
    local_index: LocalIndex,
    isolated_env: dict[str, str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    local_index.add("demo", "1.0", ["helper>=1"])
    local_index.add("helper", "1.1")
    python = pip_venv(kind)
    args = parse_install_args(["-i", local_index.url, "demo"])
    plan = resolve_plan(str(python), args, isolated_env)

    result = install_vetted(str(python), plan, list(args.passthrough_args), isolated_env)

    assert result == InstallResult(0)
    assert installed(python) == {"demo": "1.0", "helper": "1.1"}
    assert "Successfully installed demo-1.0 helper-1.1" in capfd.readouterr().out


@pytest.mark.integration
def test_never_installs_anything_outside_the_plan(
    target_venv: Path, local_index: LocalIndex, isolated_env: dict[str, str]
) -> None:
    local_index.add("demo", "1.0", ["helper>=1"])
    local_index.add("helper", "1.1")
    args = parse_install_args(["-i", local_index.url, "demo"])
    plan = resolve_plan(str(target_venv), args, isolated_env)
    only_demo = [item for item in plan if item.name == "demo"]

    result = install_vetted(str(target_venv), only_demo, list(args.passthrough_args), isolated_env)

    assert result.ok
    assert installed(target_venv) == {"demo": "1.0"}  # --no-deps: helper was not vetted


@pytest.mark.integration
@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_served_file_differs_from_the_vetted_hash(
    kind: str,
    pip_venv: Callable[[str], Path],
    local_index: LocalIndex,
    isolated_env: dict[str, str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    local_index.add("demo", "1.0", ["helper>=1"])
    helper = local_index.add("helper", "1.1")
    python = pip_venv(kind)
    args = parse_install_args(["-i", local_index.url, "demo"])
    plan = resolve_plan(str(python), args, isolated_env)
    swapped = local_index.replace_file(
        helper.filename, wheel_bytes("helper", "1.1", salt="tampered")
    )

    result = install_vetted(str(python), plan, list(args.passthrough_args), isolated_env)

    assert result.returncode != 0
    assert result.hash_mismatch is True
    assert [(m.requirement, m.expected, m.got) for m in result.mismatches] == [
        ("helper==1.1", (helper.sha256,), swapped.sha256)
    ]
    assert installed(python) == {}
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in capfd.readouterr().err  # still shown


@pytest.mark.integration
def test_index_options_from_requirement_files_reach_the_vetted_install(
    target_venv: Path, local_index: LocalIndex, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    local_index.add("demo", "1.0")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index-url {local_index.url}\ndemo\n")
    args = parse_install_args(["-r", str(requirements)])
    plan = resolve_plan(str(target_venv), args, isolated_env)
    options = read_requirement_files(args.requirement_inputs).option_lines()

    result = install_vetted(
        str(target_venv),
        plan,
        list(args.passthrough_args),
        isolated_env,
        requirement_options=options,
    )

    assert result == InstallResult(0)
    assert installed(target_venv) == {"demo": "1.0"}


@pytest.mark.integration
def test_other_pip_failures_are_not_hash_mismatches(
    target_venv: Path, local_index: LocalIndex, isolated_env: dict[str, str]
) -> None:
    demo = local_index.add("demo", "1.0")
    plan = [PlanItem("demo", "2.0", sha256=demo.sha256)]  # no such version on the index
    result = install_vetted(str(target_venv), plan, ["-i", local_index.url], isolated_env)
    assert result.returncode == 1
    assert result.hash_mismatch is False


@pytest.mark.integration
def test_unhashable_items_are_installed_after_the_hashed_ones(
    target_venv: Path, local_index: LocalIndex, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    local_index.add("demo", "1.0")
    project = local_project(tmp_path)
    args = parse_install_args(["-i", local_index.url, "demo", str(project)])
    plan = resolve_plan(str(target_venv), args, isolated_env)
    assert {item.name: item.source for item in plan} == {
        "demo": ArtifactSource.INDEX,
        "local-proj": ArtifactSource.LOCAL_PATH,
    }

    result = install_vetted(str(target_venv), plan, list(args.passthrough_args), isolated_env)

    assert result == InstallResult(0)
    assert installed(target_venv) == {"demo": "1.0", "local-proj": "0.3"}


@pytest.mark.integration
def test_unhashable_items_wait_for_the_hashed_install_to_succeed(
    target_venv: Path, local_index: LocalIndex, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    demo = local_index.add("demo", "1.0")
    project = local_project(tmp_path)
    args = parse_install_args(["-i", local_index.url, "demo", str(project)])
    plan = resolve_plan(str(target_venv), args, isolated_env)
    local_index.replace_file(demo.filename, wheel_bytes("demo", "1.0", salt="tampered"))

    result = install_vetted(str(target_venv), plan, list(args.passthrough_args), isolated_env)

    assert result.hash_mismatch is True
    assert installed(target_venv) == {}


def test_requirements_file_content(tmp_path: Path) -> None:
    plan = [
        PlanItem("demo", "1.0", sha256=A, url="http://i/files/demo-1.0.whl"),
        PlanItem(
            "direct",
            "2.0",
            source=ArtifactSource.DIRECT_URL,
            url="https://host.invalid/direct-2.0.whl",
            filename="direct-2.0.whl",
            sha256=B,
        ),
        PlanItem("vcs", "0.1", source=ArtifactSource.VCS, url="git+https://h/r@abc"),
        PlanItem("edit", "0.2", source=ArtifactSource.EDITABLE, url="file:///src/edit"),
        PlanItem("folder", "0.3", source=ArtifactSource.LOCAL_PATH, url="file:///src/folder"),
    ]
    path = tmp_path / "vetted.txt"
    written = write_vetted_requirements(plan, path, options=["--index-url http://i/simple/"])
    assert written == plan[:2]
    assert path.read_text().splitlines()[1:] == [
        "--index-url http://i/simple/",
        f"demo==1.0 --hash=sha256:{A}",
        f"direct @ https://host.invalid/direct-2.0.whl --hash=sha256:{B}",
    ]


@pytest.mark.integration
def test_item_without_a_known_hash_is_refused(target_venv: Path, tmp_path: Path) -> None:
    with pytest.raises(CannotCheckError) as caught:
        install_vetted(str(target_venv), [PlanItem("demo", "1.0")], [])
    assert str(caught.value) == (
        "cannot install demo==1.0 with a verified hash: its sha256 is not known"
    )


def test_empty_plan_runs_no_pip(tmp_path: Path) -> None:
    assert install_vetted(sys.executable, [], ["--bogus-option"]) == InstallResult(0)


@pytest.mark.integration
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals and a shell script interpreter")
@pytest.mark.parametrize("whole_group", [True, False], ids=["terminal", "safe-pip-only"])
def test_ctrl_c_stops_pip_removes_the_temp_file_and_returns_130(
    tmp_path: Path, whole_group: bool
) -> None:
    """A terminal's Ctrl-C reaches the process group; a lone SIGINT is forwarded to pip."""
    started = tmp_path / "pip-started"
    fake_python = tmp_path / "slow-python"  # stands in for a pip that takes long
    fake_python.write_text(f'#!/bin/sh\ntouch "{started}"\nexec sleep 60\n')
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IXUSR)
    temp = tmp_path / "temp"
    temp.mkdir()
    code = (
        "import sys; from safe_pip.models import PlanItem; "
        "from safe_pip.installers.pip.vetted_install import install_vetted; "
        f"r = install_vetted({str(fake_python)!r}, [PlanItem('demo', '1.0', sha256='{A}')], []); "
        "sys.exit(r.returncode)"
    )
    env = dict(os.environ, TMPDIR=str(temp))
    child = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the vetted install never started pip"
        # the vetted requirements' directory and the run token that keeps a hook off
        assert [p.name[:9] for p in temp.iterdir() if p.is_dir()] == ["safe-pip-"]
        assert [p.suffix for p in temp.iterdir() if p.is_file()] == [".token"]
        if whole_group:
            os.killpg(child.pid, signal.SIGINT)
        else:
            os.kill(child.pid, signal.SIGINT)
        assert child.wait(timeout=30) == INTERRUPTED
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert list(temp.iterdir()) == []
