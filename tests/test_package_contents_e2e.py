"""What a wheel carries, end to end (issue 18, item 1): real pip with safe-pip's guard (the
one-pass ``safe-pip install`` and the hook) opens each wheel after its hash check and before
pip writes anything; safe-uv fetches and opens the plan's wheels before uv installs; ``safe-pip
check --inspect`` downloads a lock file's wheels and opens them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.guarded import Guarded
from support.hook_helpers import PIP_MODULE, hook_venv, pip_install
from support.index_server import LocalIndex
from support.isolation import run
from support.outcomes import installed, output
from support.sdists import sdist_bytes, sdist_filename
from support.uv_helpers import SKIP_WITHOUT_UV, safe_uv_pip_install
from support.uv_helpers import installed as uv_installed
from support.venvs import BUNDLED, NEWEST

pytestmark = pytest.mark.integration

EVIL_PTH = "import os; os.environ.setdefault('PAYLOAD_RAN', '1')\n"


def _site_packages(python: Path) -> Path:
    (site,) = python.parent.parent.glob("lib/python*/site-packages")
    return site


def test_install_blocks_a_release_that_adds_pth_code(guarded: Guarded) -> None:
    """The compromise pattern: 1.0 is installed without a .pth, 1.1 brings one."""
    guarded.index.add("gateway", "1.0")
    guarded.index.add("gateway", "1.1", files={"gateway_init.pth": EVIL_PTH})
    python = guarded.venv(BUNDLED)
    first = guarded.install(python, "gateway==1.0")
    assert first.returncode == 0, output(first)

    result = guarded.install(python, "gateway==1.1")

    assert result.returncode == 1, output(result)
    assert "PTH-EXEC" in result.stdout and "gateway_init.pth" in result.stdout, output(result)
    assert "gateway_init.pth, new since installed 1.0: import os" in result.stdout, output(result)
    assert guarded.installed(python) == {"gateway": "1.0"}
    assert not (_site_packages(python) / "gateway_init.pth").exists()


def test_install_warns_about_a_first_seen_pth_and_installs(guarded: Guarded) -> None:
    guarded.index.add("tracer", "2.0", files={"tracer.pth": EVIL_PTH})
    python = guarded.venv(BUNDLED)

    result = guarded.install(python, "tracer==2.0")

    assert result.returncode == 0, output(result)
    assert "PTH-EXEC" in result.stdout and "first seen" in result.stdout, output(result)
    assert guarded.installed(python) == {"tracer": "2.0"}


def test_hook_blocks_a_startup_hook_before_pip_writes_anything(
    world: LocalIndex, pip_venv: Callable[[str], Path], isolated_env: dict[str, str]
) -> None:
    world.add("sitehooked", "1.0", files={"sitecustomize.py": "print('payload')\n"})
    python = pip_venv(NEWEST)
    hook_venv(python)

    result = pip_install(python, PIP_MODULE, isolated_env, "--index-url", world.url, "sitehooked")

    assert result.returncode == 1, output(result)
    assert "STARTUP-HOOK" in result.stdout and "sitecustomize.py" in result.stdout, output(result)
    assert "Traceback" not in result.stderr
    assert installed(python, isolated_env) == {}
    assert not (_site_packages(python) / "sitecustomize.py").exists()


@SKIP_WITHOUT_UV
def test_safe_uv_blocks_a_release_that_adds_pth_code(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    world.add("gateway", "1.0")
    world.add("gateway", "1.1", files={"gateway_init.pth": EVIL_PTH})
    first = safe_uv_pip_install(target_venv, world, isolated_env, "gateway==1.0")
    assert first.returncode == 0, output(first)

    result = safe_uv_pip_install(target_venv, world, isolated_env, "gateway==1.1")

    assert result.returncode == 1, output(result)
    assert "PTH-EXEC" in result.stdout and "new since installed 1.0" in result.stdout, output(
        result
    )
    assert uv_installed(target_venv, isolated_env) == {"gateway": "1.0"}


def test_check_inspect_downloads_and_inspects_a_lock_files_wheels(
    world: LocalIndex,
    safe_pip: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    hosted = world.add("sitehooked", "1.0", files={"sitecustomize.py": "print('payload')\n"})
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"--index-url {world.url}\nsitehooked==1.0 --hash=sha256:{hosted.sha256}\n"
    )

    plain = safe_pip("check", requirements)
    inspected = safe_pip("check", "--inspect", requirements)

    assert plain.returncode == 0, output(plain)
    assert inspected.returncode == 1, output(inspected)
    assert "STARTUP-HOOK" in inspected.stdout, output(inspected)


def test_a_wheel_built_from_an_sdist_is_inspected_before_install(guarded: Guarded) -> None:
    sdist = sdist_bytes("builtpkg", "1.0", wheel_files={"usercustomize.py": "print('x')\n"})
    guarded.index.add_file("builtpkg", "1.0", sdist_filename("builtpkg", "1.0"), sdist)
    python = guarded.venv(BUNDLED)

    result = guarded.install(python, "builtpkg")

    assert result.returncode == 1, output(result)
    assert "STARTUP-HOOK" in result.stdout and "usercustomize.py" in result.stdout, output(result)
    assert guarded.installed(python) == {}


@SKIP_WITHOUT_UV
def test_safe_uv_sync_opens_the_locked_wheels_before_uv_syncs(
    world: LocalIndex,
    safe_pip: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
    isolated_env: dict[str, str],
) -> None:
    """uv.lock passes every check; the wheel ``uv sync --frozen`` would install brings a
    sitecustomize.py: blocked before uv creates or fills the environment."""
    world.add("sitehooked", "1.0", files={"sitecustomize.py": "print('payload')\n"})
    project = _uv_project(tmp_path / "demo", ["sitehooked", "cleanlib"])

    result = _in_project(safe_pip, project, world, "sync")

    assert result.returncode == 1, output(result)
    assert "STARTUP-HOOK" in result.stdout and "sitecustomize.py" in result.stdout, output(result)
    python = project / ".venv" / "bin" / "python"
    assert not python.exists() or uv_installed(python, isolated_env) == {}


@SKIP_WITHOUT_UV
def test_safe_uv_add_of_a_wheel_with_new_pth_code_changes_nothing(
    world: LocalIndex,
    safe_pip: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
    isolated_env: dict[str, str],
) -> None:
    """``add`` of a release whose wheel adds an executable .pth line to the installed one:
    pyproject.toml and uv.lock are put back, the environment keeps 1.0."""
    world.add("gateway", "1.0")
    world.add("gateway", "1.1", files={"gateway_init.pth": EVIL_PTH})
    project = _uv_project(tmp_path / "demo", ["gateway==1.0"])
    synced = _in_project(safe_pip, project, world, "sync")
    assert synced.returncode == 0, output(synced)
    before = {name: (project / name).read_bytes() for name in ("pyproject.toml", "uv.lock")}

    result = _in_project(safe_pip, project, world, "add", "gateway==1.1")

    assert result.returncode == 1, output(result)
    assert "PTH-EXEC" in result.stdout and "new since installed 1.0" in result.stdout, output(
        result
    )
    assert {name: (project / name).read_bytes() for name in before} == before
    python = project / ".venv" / "bin" / "python"
    assert uv_installed(python, isolated_env) == {"gateway": "1.0"}


def _uv_project(directory: Path, dependencies: list[str]) -> Path:
    directory.mkdir()
    quoted = ", ".join(f'"{d}"' for d in dependencies)
    (directory / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{quoted}]\n"
    )
    return directory


def _in_project(
    safe_pip: Callable[..., subprocess.CompletedProcess[str]],
    project: Path,
    index: LocalIndex,
    *args: str,
) -> subprocess.CompletedProcess[str]:
    return safe_pip(
        "uv", *args, "--default-index", index.url, "--python", sys.executable, cwd=project
    )


# The two-pass fallback ``safe-pip install`` takes for a pip its guard does not recognise
# (fail-mode open), driven directly: such a pip cannot be made here.
TWO_PASS = """
import sys
from pathlib import Path
from safe_pip.errors import SafePipError
from safe_pip.installers.base import guarded_install
from safe_pip.installers.pip.args import parse_install_args
from safe_pip.installers.pip.backend import PipInstaller
from safe_pip.pipeline.config import load_policy
from safe_pip.pipeline.report_options import ReportOptions
installer = PipInstaller.start(sys.argv[1], parse_install_args(sys.argv[2:]), [])
try:
    sys.exit(guarded_install(
        installer, load_policy=lambda: load_policy(Path.cwd()), report_options=ReportOptions()
    ))
except SafePipError as exc:
    print(f"safe-pip: error: {exc}", file=sys.stderr)
    sys.exit(exc.exit_code)
finally:
    installer.close()
"""


def test_the_two_pass_fallback_opens_the_wheels_before_the_vetted_install(
    guarded: Guarded,
) -> None:
    guarded.index.add("gateway", "1.0")
    guarded.index.add("gateway", "1.1", files={"gateway_init.pth": EVIL_PTH})
    python = guarded.venv(BUNDLED)
    command: list[str | Path] = [sys.executable, "-c", TWO_PASS, python]
    command += ["--index-url", guarded.index.url]
    home = Path(guarded.env["HOME"])
    first = run([*command, "gateway==1.0"], guarded.env, cwd=home)
    assert first.returncode == 0, output(first)

    result = run([*command, "gateway==1.1"], guarded.env, cwd=home)

    assert result.returncode == 1, output(result)
    assert "PTH-EXEC" in result.stdout and "new since installed 1.0" in result.stdout, output(
        result
    )
    assert "blocked before pip installed anything" in result.stderr, output(result)
    assert guarded.installed(python) == {"gateway": "1.0"}
