"""The plan the pip hook builds from pip's resolved requirement set, for both pips.

The checker here is a stand-in that records what the hook sends (the real checker is covered
in test_hook_pip.py); the plan must be exactly what pip is about to install.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.models import ArtifactSource, plan_from_json
from support.hook_helpers import (
    PIP_MODULE,
    PIP_SCRIPT,
    checker_calls,
    hook_with_fake_checker,
    pip_install,
)
from support.index_server import LocalIndex
from support.outcomes import installed, output
from support.venvs import BUNDLED, NEWEST

pytestmark = pytest.mark.integration

PIP_KINDS = (BUNDLED, NEWEST)


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_plan_carries_what_pip_resolved(
    kind: str,
    local_index: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    dependency = local_index.add("hookdep", "1.0")
    top = local_index.add("hooktop", "2.0", requires=["hookdep"], metadata=True)
    local_index.add("hookold", "1.1")
    old = local_index.add("hookold", "1.0", yanked="broken build")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "".join(
            f"{hosted.name}=={hosted.version} --hash=sha256:{hosted.sha256}\n"
            for hosted in (top, dependency, old)
        )
    )
    python = pip_venv(kind)
    env, log = hook_with_fake_checker(python, tmp_path, isolated_env)

    result = pip_install(
        python, PIP_SCRIPT, env, "--index-url", local_index.url, "-r", requirements
    )

    assert result.returncode == 0, output(result)
    [call] = checker_calls(log)
    assert call["args"] == ["guard-serve"]
    plan, index_urls = plan_from_json(call["plan"])
    assert index_urls == [local_index.url]
    items = {item.name: item for item in plan}
    assert set(items) == {"hooktop", "hookdep", "hookold"}
    for hosted, item in ((dependency, items["hookdep"]), (top, items["hooktop"])):
        assert item.source is ArtifactSource.INDEX
        assert item.filename == hosted.filename
        assert item.sha256 == hosted.sha256
        assert item.url == hosted.url
        assert item.index_url == local_index.url
        assert item.requested is True
        assert item.yanked is False
    assert {name: item.pinned_hashes for name, item in items.items()} == {
        "hooktop": (top.sha256,),
        "hookdep": (dependency.sha256,),
        "hookold": (old.sha256,),
    }
    assert items["hookold"].version == "1.0"
    assert items["hookold"].sha256 == old.sha256
    assert (items["hookold"].yanked, items["hookold"].yanked_reason) == (True, "broken build")
    assert "fake checker saw" in result.stdout


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_transitive_dependency_is_not_marked_requested(
    kind: str,
    local_index: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    local_index.add("hookdep", "1.0")
    local_index.add("hooktop", "2.0", requires=["hookdep"])
    python = pip_venv(kind)
    env, log = hook_with_fake_checker(python, tmp_path, isolated_env)

    result = pip_install(python, PIP_MODULE, env, "--index-url", local_index.url, "hooktop")

    assert result.returncode == 0, output(result)
    plan, _ = plan_from_json(checker_calls(log)[0]["plan"])
    assert {item.name: item.requested for item in plan} == {"hooktop": True, "hookdep": False}


def test_local_wheel_is_a_path_item_with_its_file_hash(
    local_index: LocalIndex, newest_pip_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    hosted = local_index.add("hooklocal", "3.0")
    wheel = tmp_path / hosted.filename
    wheel.write_bytes(hosted.content)
    env, log = hook_with_fake_checker(newest_pip_venv, tmp_path, isolated_env)

    result = pip_install(newest_pip_venv, PIP_SCRIPT, env, "--no-index", wheel)

    assert result.returncode == 0, output(result)
    plan, index_urls = plan_from_json(checker_calls(log)[0]["plan"])
    assert index_urls == []
    [item] = plan
    assert (item.name, item.version, item.source) == ("hooklocal", "3.0", ArtifactSource.LOCAL_PATH)
    assert item.sha256 == hosted.sha256
    assert item.yanked is None and item.index_url is None


def test_nothing_to_install_does_not_call_the_checker(
    local_index: LocalIndex, target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    local_index.add("hookdep", "1.0")
    env, log = hook_with_fake_checker(target_venv, tmp_path, isolated_env)
    first = pip_install(target_venv, PIP_MODULE, env, "--index-url", local_index.url, "hookdep")
    assert first.returncode == 0, output(first)

    again = pip_install(target_venv, PIP_MODULE, env, "--index-url", local_index.url, "hookdep")

    assert again.returncode == 0, output(again)
    assert len(checker_calls(log)) == 1
    assert installed(target_venv, isolated_env) == {"hookdep": "1.0"}


@pytest.mark.parametrize(("checker_exit", "pip_exit"), [(1, 1), (2, 2), (3, 3), (70, 3)])
def test_checker_verdict_becomes_pip_exit_code_and_nothing_is_installed(
    checker_exit: int,
    pip_exit: int,
    local_index: LocalIndex,
    newest_pip_venv: Path,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    local_index.add("hookdep", "1.0")
    env, _log = hook_with_fake_checker(
        newest_pip_venv, tmp_path, isolated_env, FAKE_CHECKER_EXIT=str(checker_exit)
    )

    result = pip_install(
        newest_pip_venv, PIP_MODULE, env, "--index-url", local_index.url, "hookdep"
    )

    assert result.returncode == pip_exit, output(result)
    assert "pip installed nothing" in result.stderr
    assert "Traceback" not in result.stderr
    assert installed(newest_pip_venv, isolated_env) == {}


def test_direct_url_is_a_url_item_with_the_downloaded_hash(
    local_index: LocalIndex, newest_pip_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    hosted = local_index.add("hookurl", "1.5")
    env, log = hook_with_fake_checker(newest_pip_venv, tmp_path, isolated_env)

    result = pip_install(newest_pip_venv, PIP_MODULE, env, f"hookurl @ {hosted.url}")

    assert result.returncode == 0, output(result)
    [item] = plan_from_json(checker_calls(log)[0]["plan"])[0]
    assert (item.source, item.url, item.filename) == (
        ArtifactSource.DIRECT_URL,
        hosted.url,
        hosted.filename,
    )
    assert item.sha256 == hosted.sha256
    assert item.requested is True
