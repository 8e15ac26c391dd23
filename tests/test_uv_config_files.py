"""uv's configuration files may not switch uv's build gate off.

A cloned repository's ``pyproject.toml`` (``[tool.uv] no-binary-package``) or ``uv.toml``
(``no-binary = true``) is read by uv for ``uv pip install`` run in that directory and would
let uv build a package before safe-pip checked it. Each test first shows that plain uv does
run the code (so the test can fail), then that safe-pip stops before uv runs (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support.index_server import LocalIndex
from support.isolation import run
from support.outcomes import assert_one_line_error, output
from support.sdists import marker_wheel_files, sdist_bytes, sdist_filename
from support.uv_helpers import SKIP_WITHOUT_UV, UV, installed

pytestmark = [SKIP_WITHOUT_UV, pytest.mark.integration]

SAFE_UV: list[str | Path] = [sys.executable, "-m", "safe_pip", "uv"]
PROJECT_HEADER = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
# (file name, its text): each makes uv build ``evilsdist`` from source.
BUILD_ENABLING_CONFIGS = [
    (
        "pyproject.toml",
        PROJECT_HEADER + '[tool.uv]\nno-binary-package = ["evilsdist"]\n',
        "no-binary-package",
    ),
    ("uv.toml", 'no-binary-package = ["evilsdist"]\n', "no-binary-package"),
    ("uv.toml", '[pip]\nno-binary = ["evilsdist"]\n', "pip.no-binary"),
]


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "code-ran.txt"


@pytest.fixture
def evil_world(world: LocalIndex, marker: Path) -> LocalIndex:
    """The standard world plus ``evilsdist`` (MAL-2099-8, sdist only; writes ``marker``)."""
    content = sdist_bytes("evilsdist", "1.0", marker=marker)
    world.add_file("evilsdist", "1.0", sdist_filename("evilsdist", "1.0"), content)
    return world


@pytest.fixture
def config_env(isolated_env: dict[str, str]) -> dict[str, str]:
    """The isolated environment with uv's configuration files read (as on a user's machine)."""
    return {key: value for key, value in isolated_env.items() if key != "UV_NO_CONFIG"}


def cloned_repository(tmp_path: Path, file_name: str, text: str) -> Path:
    repository = tmp_path / "cloned"
    repository.mkdir()
    (repository / file_name).write_text(text)
    (repository / "requirements.txt").write_text("evilsdist\n")
    return repository


@pytest.mark.parametrize(("file_name", "text", "key"), BUILD_ENABLING_CONFIGS)
def test_a_repositorys_uv_config_cannot_let_uv_build_unchecked(
    evil_world: LocalIndex,
    marker: Path,
    tmp_path: Path,
    target_venv: Path,
    config_env: dict[str, str],
    file_name: str,
    text: str,
    key: str,
) -> None:
    repository = cloned_repository(tmp_path, file_name, text)
    options: list[str | Path] = ["--python", target_venv, "--index-url", evil_world.url]
    options += ["--only-binary", ":all:"]  # what safe-pip passes: the config still wins
    plain = run(
        [UV, "pip", "install", "-r", "requirements.txt", *options], config_env, cwd=repository
    )
    assert marker.is_file(), output(plain)  # plain uv builds it: the test can fail
    marker.unlink()
    run([UV, "pip", "uninstall", "--python", target_venv, "evilsdist"], config_env, check=False)

    command = [*SAFE_UV, "pip", "install", "-r", "requirements.txt", *options[:4]]
    result = run(command, config_env, cwd=repository)
    assert not marker.exists(), output(result)
    line = assert_one_line_error(result, 2)
    assert str(repository / file_name) in line and key in line
    assert installed(target_venv, config_env) == {}


def test_no_binary_true_is_refused_too(
    evil_world: LocalIndex,
    marker: Path,
    tmp_path: Path,
    target_venv: Path,
    config_env: dict[str, str],
) -> None:
    """uv 0.13.9 lets the command line's ``--only-binary :all:`` win over ``no-binary = true``
    from a file, but safe-pip does not lean on how uv merges ``:all:`` across layers."""
    repository = cloned_repository(tmp_path, "uv.toml", "no-binary = true\n")
    command = [*SAFE_UV, "pip", "install", "evilsdist", "--python", target_venv]
    result = run([*command, "--index-url", evil_world.url], config_env, cwd=repository)
    assert not marker.exists(), output(result)
    assert f"{repository / 'uv.toml'}: no-binary " in assert_one_line_error(result, 2)


def test_a_nested_directory_is_guarded_by_the_config_above_it(
    evil_world: LocalIndex,
    marker: Path,
    tmp_path: Path,
    target_venv: Path,
    config_env: dict[str, str],
) -> None:
    file_name, text, key = BUILD_ENABLING_CONFIGS[0]
    nested = cloned_repository(tmp_path, file_name, text) / "sub"
    nested.mkdir()
    command = [*SAFE_UV, "pip", "install", "evilsdist", "--python", target_venv]
    result = run([*command, "--index-url", evil_world.url], config_env, cwd=nested)
    assert key in assert_one_line_error(result, 2)
    assert not marker.exists(), output(result)


def test_uv_sync_in_a_project_that_enables_builds_is_refused(
    evil_world: LocalIndex, marker: Path, tmp_path: Path, config_env: dict[str, str]
) -> None:
    project = cloned_repository(
        tmp_path,
        "pyproject.toml",
        PROJECT_HEADER
        + 'dependencies = ["evilsdist"]\n[tool.uv]\nno-binary-package = ["evilsdist"]\n',
    )
    options = ["--default-index", evil_world.url, "--python", sys.executable]
    result = run([*SAFE_UV, "sync", *options], config_env, cwd=project)
    assert "no-binary-package" in assert_one_line_error(result, 2)
    assert not marker.exists(), output(result)
    assert not (project / "uv.lock").exists()


def test_a_config_file_named_by_uv_config_file_is_read_and_no_config_skips_discovery(
    evil_world: LocalIndex,
    marker: Path,
    tmp_path: Path,
    target_venv: Path,
    config_env: dict[str, str],
) -> None:
    named = tmp_path / "elsewhere.toml"
    named.write_text("no-binary = true\n")
    command = [*SAFE_UV, "pip", "install", "cleanlib", "--python", target_venv]
    command += ["--index-url", evil_world.url]
    refused = run(command, {**config_env, "UV_CONFIG_FILE": str(named)}, cwd=tmp_path)
    assert str(named) in assert_one_line_error(refused, 2)

    repository = cloned_repository(tmp_path, "uv.toml", "no-binary = true\n")
    ignored = run([*command, "--no-config"], config_env, cwd=repository)
    assert ignored.returncode == 0, output(ignored)
    assert installed(target_venv, config_env) == {"cleanlib": "1.0"}


def test_harmless_uv_settings_are_left_to_uv(
    evil_world: LocalIndex, tmp_path: Path, target_venv: Path, config_env: dict[str, str]
) -> None:
    """Index settings and the like stay uv's: a config that sets them runs as before."""
    text = (
        f'index-url = "{evil_world.url}"\nno-binary-package = []\n[pip]\nonly-binary = [":all:"]\n'
    )
    repository = cloned_repository(tmp_path, "uv.toml", text)
    command = [*SAFE_UV, "pip", "install", "cleanlib", "--python", target_venv]
    result = run(command, config_env, cwd=repository)
    assert result.returncode == 0, output(result)
    assert installed(target_venv, config_env) == {"cleanlib": "1.0"}


@pytest.fixture
def pinned_evil_build(world: LocalIndex, marker: Path, tmp_path: Path) -> str:
    """``sdistapp`` (a clean sdist) builds with ``evilbuild`` (MAL-2099-9, a wheel that writes
    ``marker`` when imported); the ``build-constraint-dependencies`` entry pinning it."""
    world.add("evilbuild", "1.0", files=marker_wheel_files("evilbuild", marker))
    content = sdist_bytes(
        "sdistapp",
        "1.0",
        marker=tmp_path / "sdistapp-built.txt",
        build_requires=("evilbuild",),
        backend_imports=["evilbuild"],
    )
    world.add_file("sdistapp", "1.0", sdist_filename("sdistapp", "1.0"), content)
    (pin,) = [f.sha256 for f in world.hosted_files("evilbuild")]
    return f'{{ requirement = "evilbuild==1.0", hashes = ["sha256:{pin}"] }}'


@pytest.mark.parametrize("file_name", ["uv.toml", "pyproject.toml"])
def test_build_pins_from_a_config_file_are_refused_for_uv_pip(
    world: LocalIndex,
    pinned_evil_build: str,
    marker: Path,
    tmp_path: Path,
    target_venv: Path,
    config_env: dict[str, str],
    file_name: str,
) -> None:
    """uv installs a build dependency pinned there without asking: before this check,
    ``safe-uv pip install sdistapp`` ran evilbuild's code and exited 0."""
    pins = f"build-constraint-dependencies = [{pinned_evil_build}]\n"
    text = PROJECT_HEADER + "[tool.uv]\n" + pins if file_name == "pyproject.toml" else pins
    repository = cloned_repository(tmp_path, file_name, text)
    command = [*SAFE_UV, "pip", "install", "sdistapp", "--python", target_venv]
    result = run([*command, "--index-url", world.url], config_env, cwd=repository)
    assert not marker.exists(), output(result)
    line = assert_one_line_error(result, 2)
    assert f"{repository / file_name}: build-constraint-dependencies" in line
    assert installed(target_venv, config_env) == {}


@pytest.mark.parametrize(("file_name", "code"), [("uv.toml", 2), ("pyproject.toml", 1)])
def test_a_project_checks_its_own_build_pins_and_refuses_others(
    world: LocalIndex,
    pinned_evil_build: str,
    marker: Path,
    tmp_path: Path,
    config_env: dict[str, str],
    file_name: str,
    code: int,
) -> None:
    """``uv sync``: the project's ``[tool.uv]`` pins are checked (the MAL one blocks, exit 1);
    pins in any other uv config file are refused (exit 2)."""
    pins = f"build-constraint-dependencies = [{pinned_evil_build}]\n"
    project = tmp_path / "demo"
    project.mkdir()
    dependencies = PROJECT_HEADER + 'dependencies = ["sdistapp"]\n'
    if file_name == "uv.toml":
        (project / "pyproject.toml").write_text(dependencies)
        (project / "uv.toml").write_text(pins)
    else:
        (project / "pyproject.toml").write_text(dependencies + "[tool.uv]\n" + pins)
    options = ["--default-index", world.url, "--python", sys.executable]
    result = run([*SAFE_UV, "sync", *options], config_env, cwd=project)
    assert not marker.exists(), output(result)
    assert result.returncode == code, output(result)
    if code == 2:
        assert "uv.toml: build-constraint-dependencies" in assert_one_line_error(result, 2)
    else:
        assert "MAL-2099-9" in result.stdout
