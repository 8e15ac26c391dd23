"""``safe-pip setup --index URL`` points this user's pip and uv at a guarded index."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.commands.setup_index import UV_BLOCK_BEGIN
from support.outcomes import output

SafePip = Callable[..., subprocess.CompletedProcess[str]]
INDEX = "https://devpi.example.test/acme/dev/+simple/"


@pytest.mark.integration
def test_setup_index_writes_pip_and_uv_user_config_and_prints_poetry_and_pdm(
    safe_pip: SafePip, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    env = dict(isolated_env, SHELL="/bin/bash")
    args = ("setup", "--python", target_venv, "--no-db-update", "--index", INDEX)
    first = safe_pip(*args, env=env)
    assert first.returncode == 0, output(first)
    assert f"pip: global.index-url = {INDEX} (user configuration)" in first.stdout
    assert f"poetry source add --priority=primary guarded {INDEX}" in first.stdout
    assert f"pdm config pypi.url {INDEX}" in first.stdout

    # pip itself reads it back (its user file, not the tests' /dev/null override)
    pip_env = {k: v for k, v in env.items() if k != "PIP_CONFIG_FILE"}
    shown = subprocess.run(
        [str(target_venv), "-m", "pip", "config", "get", "global.index-url"],
        env=pip_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout.strip() == INDEX
    uv_toml = Path(env["XDG_CONFIG_HOME"]) / "uv" / "uv.toml"
    assert f'url = "{INDEX}"\ndefault = true' in uv_toml.read_text()

    again = safe_pip(*args, env=env)  # once more: still one block
    assert again.returncode == 0, output(again)
    assert uv_toml.read_text().count(UV_BLOCK_BEGIN) == 1


@pytest.mark.integration
def test_a_uv_config_that_names_an_index_is_left_alone(
    safe_pip: SafePip, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    uv_toml = Path(isolated_env["XDG_CONFIG_HOME"]) / "uv" / "uv.toml"
    uv_toml.parent.mkdir(parents=True)
    uv_toml.write_text('index-url = "https://mine.example.test/simple/"\n')
    result = safe_pip(
        "setup", "--python", target_venv, "--no-db-update", "--index", INDEX,
        env=dict(isolated_env, SHELL="/bin/bash"),
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert "already names an index; left as it is. Add:" in result.stdout
    assert uv_toml.read_text() == 'index-url = "https://mine.example.test/simple/"\n'


def test_setup_index_needs_an_http_url(safe_pip: SafePip, isolated_env: dict[str, str]) -> None:
    del safe_pip  # in-process: no child
    from safe_pip.commands.setup_index import run_index_setup
    from safe_pip.errors import UsageError

    with pytest.raises(UsageError, match="--index needs an http"):
        run_index_setup("devpi.example.test/acme/dev", sys.executable)
