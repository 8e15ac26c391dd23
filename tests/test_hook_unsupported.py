"""When the hook cannot do its job it refuses to install (exit 3, one line, no traceback);
``SAFE_PIP_HOOK_FAIL_OPEN=1`` turns that into a warning.

"pip internals the hook does not recognise" is simulated by running pip's real ``main`` in a
script that first changes one of those internals the way a future pip might.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.hook_helpers import checker_calls, hook_venv, hook_with_fake_checker
from support.index_server import LocalIndex
from support.isolation import run
from support.outcomes import installed, output
from support.venvs import BUNDLED, NEWEST

pytestmark = pytest.mark.integration

PIP_KINDS = (BUNDLED, NEWEST)
UNSUPPORTED = "is not supported by the hook"
REFUSAL_TAIL = "refusing to install. Use `safe-pip install` or set SAFE_PIP_HOOK_FAIL_OPEN=1"

RUN_PIP = """
from pip._internal.cli.main import main
sys.exit(main(sys.argv[1:]))
"""

# pip without the preparer method the gate wraps (noticed when the hook patches pip).
WITHOUT_PREPARER_GATE = """
import sys
import pip._internal.operations.prepare as prepare
del prepare.RequirementPreparer.prepare_linked_requirement
"""

# A resolver that resolves around the guard (with ``resolve`` taken before the hook patched
# pip): pip resolves without the hook seeing the plan; the last safety net (just before pip
# installs) must notice.
RESOLVER_AROUND_THE_GUARD = """
import sys
from pip._internal.resolution.resolvelib import resolver
unguarded_resolve = resolver.Resolver.resolve
import pip._internal.commands.install as install

class Unguarded:
    def __init__(self, real):
        self.real = real
    def __getattr__(self, name):
        return getattr(self.real, name)
    def resolve(self, *args, **kwargs):
        return unguarded_resolve(self.real, *args, **kwargs)

make_resolver = install.InstallCommand.make_resolver
install.InstallCommand.make_resolver = lambda self, *a, **k: Unguarded(make_resolver(*a, **k))
"""

# A requirement set of a shape the hook does not know.
UNKNOWN_REQUIREMENT_SET = """
import sys
from pip._internal.resolution.resolvelib import resolver

class OtherRequirementSet:
    def __init__(self, real):
        self.real = real
    def __getattr__(self, name):
        if name == "requirements_to_install":
            raise AttributeError(name)
        return getattr(self.real, name)

resolve = resolver.Resolver.resolve
resolver.Resolver.resolve = lambda self, *a, **k: OtherRequirementSet(resolve(self, *a, **k))
"""


def run_pip_with(
    simulation: str, python: Path, env: dict[str, str], index: LocalIndex, *requirements: str
) -> subprocess.CompletedProcess[str]:
    return run(
        [python, "-c", simulation + RUN_PIP, "install", "--index-url", index.url, *requirements],
        env,
    )


def assert_refused(
    result: subprocess.CompletedProcess[str], python: Path, env: dict[str, str], detail: str
) -> None:
    assert result.returncode == 3, output(result)
    assert "Traceback" not in result.stdout + result.stderr, output(result)
    [line] = [line for line in result.stderr.splitlines() if UNSUPPORTED in line]
    assert line.startswith("safe-pip hook: this pip (")
    assert detail in line
    assert line.endswith(REFUSAL_TAIL)
    assert installed(python, env) == {}


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_pip_missing_an_internal_is_refused_when_patched(
    kind: str,
    local_index: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    local_index.add("hookdep", "1.0")
    python = pip_venv(kind)
    env, log = hook_with_fake_checker(python, tmp_path, isolated_env)

    result = run_pip_with(WITHOUT_PREPARER_GATE, python, env, local_index, "hookdep")

    assert_refused(result, python, env, "RequirementPreparer.prepare_linked_requirement is missing")
    assert checker_calls(log) == []


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_pip_installing_an_unchecked_plan_is_refused(
    kind: str,
    local_index: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    local_index.add("hookdep", "1.0")
    python = pip_venv(kind)
    env, log = hook_with_fake_checker(python, tmp_path, isolated_env)

    result = run_pip_with(RESOLVER_AROUND_THE_GUARD, python, env, local_index, "hookdep")

    assert_refused(result, python, env, "without the resolved plan being checked")
    assert checker_calls(log) == []


def test_unknown_requirement_set_is_refused(
    local_index: LocalIndex, newest_pip_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    local_index.add("hookdep", "1.0")
    env, log = hook_with_fake_checker(newest_pip_venv, tmp_path, isolated_env)

    result = run_pip_with(UNKNOWN_REQUIREMENT_SET, newest_pip_venv, env, local_index, "hookdep")

    assert_refused(result, newest_pip_venv, env, "reading the resolved plan failed")
    assert checker_calls(log) == []


def test_fail_open_warns_and_lets_pip_install(
    local_index: LocalIndex, target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    local_index.add("hookdep", "1.0")
    env, _log = hook_with_fake_checker(
        target_venv, tmp_path, isolated_env, SAFE_PIP_HOOK_FAIL_OPEN="1"
    )

    result = run_pip_with(RESOLVER_AROUND_THE_GUARD, target_venv, env, local_index, "hookdep")

    assert result.returncode == 0, output(result)
    [warning] = [line for line in result.stderr.splitlines() if UNSUPPORTED in line]
    assert warning.startswith("safe-pip hook: warning: this pip (")
    assert "SAFE_PIP_HOOK_FAIL_OPEN is set, so pip installs UNCHECKED" in warning
    assert installed(target_venv, env) == {"hookdep": "1.0"}


def test_missing_checker_refuses_to_install(
    local_index: LocalIndex, newest_pip_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    local_index.add("hookdep", "1.0")
    hook_venv(newest_pip_venv, [str(tmp_path / "gone" / "python"), "-m", "safe_pip"])

    result = run(
        [newest_pip_venv, "-m", "pip", "install", "--index-url", local_index.url, "hookdep"],
        isolated_env,
    )

    assert result.returncode == 3, output(result)
    assert "Traceback" not in result.stderr
    assert "safe-pip hook: safe-pip is no longer installed" in result.stderr
    assert "refusing to install" in result.stderr
    assert installed(newest_pip_venv, isolated_env) == {}


def test_missing_checker_with_fail_open_installs_with_a_warning(
    local_index: LocalIndex, target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    local_index.add("hookdep", "1.0")
    hook_venv(target_venv, [str(tmp_path / "gone" / "python"), "-m", "safe_pip"])
    env = dict(isolated_env, SAFE_PIP_HOOK_FAIL_OPEN="1")

    result = run(
        [target_venv, "-m", "pip", "install", "--index-url", local_index.url, "hookdep"], env
    )

    assert result.returncode == 0, output(result)
    assert "installing unchecked" in result.stderr
    assert installed(target_venv, env) == {"hookdep": "1.0"}


def test_simulations_run_plain_pip_fine_without_the_hook(
    local_index: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    """The resolver-around-the-guard simulation itself does not break pip: only the hook refuses."""
    local_index.add("hookdep", "1.0")

    result = run_pip_with(
        RESOLVER_AROUND_THE_GUARD, target_venv, isolated_env, local_index, "hookdep"
    )

    assert result.returncode == 0, output(result)
    assert installed(target_venv, isolated_env) == {"hookdep": "1.0"}
