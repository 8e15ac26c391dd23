"""The pip hook end to end: real venvs, real pip (``bin/pip`` and ``python -m pip``), the real
safe-pip checker, the standard packages on a 127.0.0.1 index (``support.scenario``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.hook.site_files import uninstall_hook
from support.hook_helpers import PIP_INVOCATIONS, PIP_MODULE, PIP_SCRIPT, hook_venv, pip_install
from support.index_server import LocalIndex
from support.isolation import run
from support.outcomes import installed, output
from support.scenario import MALICIOUS_ID, VULN_ID
from support.tls import HttpsFront, make_certificate, openssl_missing_reason
from support.venvs import BUNDLED, NEWEST

pytestmark = pytest.mark.integration

PIP_KINDS = (BUNDLED, NEWEST)


@pytest.mark.parametrize("via", PIP_INVOCATIONS)
@pytest.mark.parametrize("kind", PIP_KINDS)
def test_guarded_pip_blocks_a_vulnerable_dependency(
    kind: str,
    via: str,
    world: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
) -> None:
    python = pip_venv(kind)
    hook_venv(python)

    result = pip_install(python, via, isolated_env, "--index-url", world.url, "app")

    assert result.returncode == 1, output(result)
    assert VULN_ID in result.stdout, output(result)
    assert "safe-pip hook: blocked by policy; pip installed nothing." in result.stderr
    assert "Traceback" not in result.stderr
    assert installed(python, isolated_env) == {}


def test_a_block_through_the_hook_offers_an_ignore_that_pip_accepts(
    world: LocalIndex, pip_venv: Callable[[str], Path], isolated_env: dict[str, str]
) -> None:
    """pip rejects safe-pip's --ignore-vuln ("no such option"): through the hook the hint
    gives the environment variable and config entries instead, and the variable works."""
    python = pip_venv(BUNDLED)
    hook_venv(python)

    blocked = pip_install(python, PIP_MODULE, isolated_env, "--index-url", world.url, "app")

    assert blocked.returncode == 1, output(blocked)
    assert "--ignore-vuln" not in blocked.stdout + blocked.stderr
    [hint] = [line for line in blocked.stdout.splitlines() if "SAFE_PIP_IGNORE=" in line]
    variable = hint.split("SAFE_PIP_IGNORE='")[1].split("'")[0]
    assert variable == f"{VULN_ID}:why it is safe here"
    assert "[[tool.safe-pip.ignore]]" in hint and "[[ignore]]" in hint
    env = {**isolated_env, "SAFE_PIP_IGNORE": variable}
    accepted = pip_install(python, PIP_MODULE, env, "--index-url", world.url, "app")
    assert accepted.returncode == 0, output(accepted)
    assert installed(python, isolated_env) == {"app": "1.0", "vulnlib": "1.0"}


@pytest.mark.parametrize(("kind", "via"), [(BUNDLED, PIP_MODULE), (NEWEST, PIP_SCRIPT)])
def test_guarded_pip_blocks_a_malicious_package(
    kind: str,
    via: str,
    world: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
) -> None:
    python = pip_venv(kind)
    hook_venv(python)

    result = pip_install(python, via, isolated_env, "--index-url", world.url, "evilpkg")

    assert result.returncode == 1, output(result)
    assert MALICIOUS_ID in result.stdout, output(result)
    assert installed(python, isolated_env) == {}


@pytest.mark.parametrize(("kind", "via"), [(BUNDLED, PIP_SCRIPT), (NEWEST, PIP_MODULE)])
def test_guarded_pip_installs_a_clean_package(
    kind: str,
    via: str,
    world: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
) -> None:
    python = pip_venv(kind)
    hook_venv(python)

    result = pip_install(python, via, isolated_env, "--index-url", world.url, "cleanlib")

    assert result.returncode == 0, output(result)
    assert "1 package checked, no problems found" in result.stdout + result.stderr
    assert installed(python, isolated_env) == {"cleanlib": "1.0"}


def test_unguarded_environment_is_not_affected(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    result = pip_install(target_venv, PIP_SCRIPT, isolated_env, "--index-url", world.url, "app")

    assert result.returncode == 0, output(result)
    assert "safe-pip" not in result.stdout + result.stderr
    assert installed(target_venv, isolated_env) == {"app": "1.0", "vulnlib": "1.0"}


def test_uninstall_restores_plain_pip(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    target = hook_venv(target_venv)
    uninstall_hook(target)

    result = pip_install(target_venv, PIP_MODULE, isolated_env, "--index-url", world.url, "app")

    assert result.returncode == 0, output(result)
    assert installed(target_venv, isolated_env) == {"app": "1.0", "vulnlib": "1.0"}


def test_safe_pip_disable_warns_and_installs_unchecked(
    world: LocalIndex, newest_pip_venv: Path, isolated_env: dict[str, str]
) -> None:
    hook_venv(newest_pip_venv)
    env = dict(isolated_env, SAFE_PIP_DISABLE="1")

    result = pip_install(newest_pip_venv, PIP_SCRIPT, env, "--index-url", world.url, "evilpkg")

    assert result.returncode == 0, output(result)
    warnings = [line for line in result.stderr.splitlines() if "SAFE_PIP_DISABLE" in line]
    assert warnings == [
        "safe-pip hook: warning: SAFE_PIP_DISABLE is set; this pip install is NOT checked "
        "by safe-pip."
    ]
    assert installed(newest_pip_venv, isolated_env) == {"evilpkg": "0.1"}


def test_hook_stays_silent_under_safe_pip_itself(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    """``safe-pip install`` marks the pip it starts for the vetted plan: checked once, by
    safe-pip itself, and the hook in that pip says nothing."""
    hook_venv(target_venv)
    command = [sys.executable, "-m", "safe_pip", "install", "--python", str(target_venv)]

    result = run([*command, "--index-url", world.url, "cleanlib"], isolated_env)

    assert result.returncode == 0, output(result)
    assert result.stdout.count("no problems found") == 1, output(result)
    assert "safe-pip hook" not in result.stdout + result.stderr
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}


@pytest.mark.parametrize("inherited", ["1", "12345"])
def test_an_inherited_safe_pip_active_does_not_switch_the_hook_off(
    inherited: str, world: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    """The marker only counts in a direct child of the safe-pip process that set it."""
    hook_venv(target_venv)
    env = dict(isolated_env, SAFE_PIP_ACTIVE=inherited)

    result = pip_install(target_venv, PIP_MODULE, env, "--index-url", world.url, "evilpkg")

    assert result.returncode == 1, output(result)
    assert MALICIOUS_ID in result.stdout
    assert installed(target_venv, isolated_env) == {}


@pytest.mark.integration
def test_a_script_cannot_forge_the_marker_with_its_own_pid(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str]
) -> None:
    """``SAFE_PIP_ACTIVE=$$ python -m pip install evil`` from a shell script: pip is the
    script's direct child, so a marker that is only a process id would switch the hook off."""
    hook_venv(target_venv)
    script = 'SAFE_PIP_ACTIVE=$$ "$@"; exit $?'  # two commands: bash forks, pip's parent is $$
    pip = [str(target_venv), "-m", "pip", "install", "--index-url", world.url, "evilpkg"]

    result = run(["bash", "-c", script, "forge", *pip], isolated_env)

    assert result.returncode == 1, output(result)
    assert MALICIOUS_ID in result.stdout, output(result)
    assert installed(target_venv, isolated_env) == {}


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_dry_run_is_checked_and_reported(
    kind: str, world: LocalIndex, pip_venv: Callable[[str], Path], isolated_env: dict[str, str]
) -> None:
    python = pip_venv(kind)
    hook_venv(python)

    result = pip_install(
        python, PIP_MODULE, isolated_env, "--index-url", world.url, "--dry-run", "app"
    )

    assert result.returncode == 1, output(result)
    assert VULN_ID in result.stdout
    assert "Would install" not in result.stdout
    assert installed(python, isolated_env) == {}


def test_report_on_stdout_stays_valid_json(
    world: LocalIndex, newest_pip_venv: Path, isolated_env: dict[str, str]
) -> None:
    """With ``--report -`` pip owns stdout; the checker's report goes to stderr."""
    hook_venv(newest_pip_venv)

    result = pip_install(
        newest_pip_venv,
        PIP_SCRIPT,
        isolated_env,
        *("--index-url", world.url, "--quiet", "--dry-run", "--report", "-", "cleanlib"),
    )

    assert result.returncode == 0, output(result)
    report = json.loads(result.stdout)
    assert [entry["metadata"]["name"] for entry in report["install"]] == ["cleanlib"]
    assert "1 package checked, no problems found" in result.stderr


def test_the_hook_checks_an_index_with_its_own_ca_through_pips_cert_setting(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    """The plan carries pip's network settings, so the checker reaches the index as pip does."""
    reason = openssl_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    server = make_certificate(tmp_path / "tls", "server")
    hook_venv(target_venv)
    # requests (inside pip) would prefer these to pip's cert; the machine may set them.
    env = {
        k: v for k, v in isolated_env.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    }
    with HttpsFront(world.port, server) as front:
        index_url = f"{front.base_url}simple/"
        result = pip_install(
            target_venv, PIP_MODULE, env, "--index-url", index_url, "--cert", server.cert, "app"
        )
        assert result.returncode == 1, output(result)  # checked: vulnlib 1.0 is blocked
        assert VULN_ID in result.stdout
        clean = pip_install(
            target_venv,
            PIP_MODULE,
            env,
            "--index-url",
            index_url,
            "--cert",
            server.cert,
            "cleanlib",
        )
        assert clean.returncode == 0, output(clean)
    assert installed(target_venv, isolated_env) == {"cleanlib": "1.0"}
