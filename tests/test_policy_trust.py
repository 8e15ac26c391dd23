"""The trust boundary for policy (issue 8, reproduction 6).

A cloned repository's ``[tool.safe-pip]`` could set ``fail-mode = "open"``, ``warn-only``,
``hash-mismatch = "warn"``, ``allow`` its own dependency, or ignore the MAL- id of its own
malicious dependency, and nothing the user configured took that back. Now an untrusted
project may only tighten; ``safe-pip trust`` lets it loosen; the administrator's locked keys
hold against every later layer, the command line included.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from safe_pip import paths
from safe_pip.errors import UsageError
from safe_pip.models import Action, Category, Finding
from safe_pip.pipeline import trust
from safe_pip.pipeline.config import CONFIG_KEYS, load_policy
from safe_pip.pipeline.policy import FailMode, Policy, PolicyOverrides, decide
from safe_pip.pipeline.tightening import LOOSENS
from support.index_server import LocalIndex
from support.outcomes import assert_one_line_error, output
from support.scenario import MALICIOUS_ID, VULN_ID

SafePip = Callable[..., subprocess.CompletedProcess[str]]
TODAY = date(2026, 1, 1)

HOSTILE_TABLE = f"""
fail-mode = "open"
warn-only = true
hash-mismatch = "warn"
min-severity = "critical"
max-db-age-days = 0
request-deadline = 3600
allow = ["evilpkg", "vulnlib"]
index-for = {{ corpinternal = "http://attacker.invalid/simple/" }}

[[tool.safe-pip.ignore]]
id = "{MALICIOUS_ID}"
reason = "trust me"

[[tool.safe-pip.ignore]]
id = "HASH-CHANGED"
reason = "re-uploads happen"

[[tool.safe-pip.ignore]]
id = "{VULN_ID}"
reason = "not reachable from our code"
"""


@pytest.fixture(autouse=True)
def own_trust_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def cloned_project(directory: Path, table: str = HOSTILE_TABLE) -> Path:
    return write(directory / "pyproject.toml", '[project]\nname = "x"\n[tool.safe-pip]\n' + table)


def env_for(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {"SAFE_PIP_CONFIG_FILE": str(tmp_path / "user.toml"), **variables}


def finding(category: Category, finding_id: str, name: str = "evilpkg") -> Finding:
    return Finding(name, "1.0", category, finding_id, "summary")


def action(policy: Policy, found: Finding) -> Action:
    (decision,) = decide([found], policy, TODAY)
    return decision.action


# ---------------------------------------------------------------- the rule table


def test_every_configuration_key_has_a_loosening_rule() -> None:
    assert set(CONFIG_KEYS) <= set(LOOSENS)


# ---------------------------------------------------------------- untrusted projects


def test_an_untrusted_project_cannot_loosen_anything(tmp_path: Path) -> None:
    path = cloned_project(tmp_path / "clone")
    policy = load_policy(tmp_path / "clone", env=env_for(tmp_path))
    defaults = Policy()
    assert policy.fail_mode is FailMode.CLOSED and policy.warn_only is False
    assert policy.hash_mismatch is Action.BLOCK and policy.min_severity == 0.0
    assert policy.max_db_age_days == defaults.max_db_age_days
    assert policy.request_deadline == defaults.request_deadline
    assert policy.allow == () and policy.index_for == {}
    assert action(policy, finding(Category.MALICIOUS, MALICIOUS_ID)) is Action.BLOCK
    changed = finding(Category.HASH_MISMATCH, "HASH-CHANGED")
    assert action(policy, changed) is Action.BLOCK
    (warning,) = policy.warnings
    assert str(path) in warning and "not trusted" in warning
    for key in ("fail-mode", "warn-only", "hash-mismatch", "min-severity", "allow", "index-for"):
        assert key in warning
    assert f"ignore {MALICIOUS_ID}, HASH-CHANGED" in warning
    assert f"safe-pip trust {path.parent}" in warning


def test_an_untrusted_project_may_still_ignore_a_vulnerability_with_a_reason(
    tmp_path: Path,
) -> None:
    cloned_project(tmp_path / "clone")
    policy = load_policy(tmp_path / "clone", env=env_for(tmp_path))
    assert action(policy, finding(Category.VULNERABILITY, VULN_ID, "vulnlib")) is Action.IGNORE


def test_an_untrusted_project_may_tighten_without_a_warning(tmp_path: Path) -> None:
    table = """
    yanked = "block"
    unverifiable = "block"
    max-db-age-days = 7
    request-deadline = 10
    fail-mode = "closed"
    """
    cloned_project(tmp_path / "clone", textwrap.dedent(table))
    policy = load_policy(tmp_path / "clone", env=env_for(tmp_path))
    assert (policy.yanked, policy.unverifiable) == (Action.BLOCK, Action.BLOCK)
    assert (policy.max_db_age_days, policy.request_deadline) == (7, 10.0)
    assert policy.warnings == ()


def test_a_value_no_looser_than_the_users_own_is_no_warning(tmp_path: Path) -> None:
    cloned_project(tmp_path / "clone", 'vulnerability = "warn"\n')
    write(tmp_path / "user.toml", 'vulnerability = "warn"\n')
    policy = load_policy(tmp_path / "clone", env=env_for(tmp_path))
    assert policy.vulnerability is Action.WARN and policy.warnings == ()


# ---------------------------------------------------------------- trusted projects


def test_a_trusted_project_loosens_until_its_file_changes(tmp_path: Path) -> None:
    path = cloned_project(tmp_path / "clone")
    trust.trust(path)
    policy = load_policy(tmp_path / "clone", env=env_for(tmp_path))
    assert policy.fail_mode is FailMode.OPEN and policy.warn_only is True
    assert policy.allow == ("evilpkg", "vulnlib") and policy.warnings == ()
    assert action(policy, finding(Category.MALICIOUS, MALICIOUS_ID)) is Action.IGNORE

    path.write_text(path.read_text(encoding="utf-8") + "\n# one more line\n", encoding="utf-8")
    changed = load_policy(tmp_path / "clone", env=env_for(tmp_path))
    assert changed.fail_mode is FailMode.CLOSED
    (warning,) = changed.warnings
    assert "changed since you trusted it" in warning


def test_trust_can_be_listed_and_removed(tmp_path: Path) -> None:
    path = cloned_project(tmp_path / "clone")
    entry = trust.trust(path)
    assert trust.trusted_projects() == [entry]
    assert trust.untrust(path) is True and trust.untrust(path) is False
    assert load_policy(tmp_path / "clone", env=env_for(tmp_path)).fail_mode is FailMode.CLOSED


def test_an_unreadable_trust_record_trusts_nothing(tmp_path: Path) -> None:
    path = cloned_project(tmp_path / "clone")
    trust.trust(path)
    paths.trusted_projects_file().write_text("[" * 100_000, encoding="utf-8")
    assert load_policy(tmp_path / "clone", env=env_for(tmp_path)).fail_mode is FailMode.CLOSED


# ---------------------------------------------------------------- the administrator


def admin_file(tmp_path: Path, text: str) -> dict[str, str]:
    path = write(tmp_path / "admin" / "policy.toml", text)
    return env_for(tmp_path, SAFE_PIP_ADMIN_POLICY_FILE=str(path))


def test_admin_locked_keys_survive_every_later_layer_and_the_command_line(
    tmp_path: Path,
) -> None:
    env = admin_file(
        tmp_path,
        """
        hash-mismatch = "block"
        locked = ["fail-mode", "warn-only", "hash-mismatch", "allow", "ignore"]
        """,
    )
    write(tmp_path / "user.toml", 'hash-mismatch = "warn"\nallow = ["vulnlib"]\n')
    env["SAFE_PIP_FAIL_MODE"] = "open"
    overrides = PolicyOverrides(
        warn_only=True, fail_mode="open", allow=["x"], ignore_vulns=[(MALICIOUS_ID, "cli")]
    )
    policy = load_policy(tmp_path, overrides, env)
    assert policy.fail_mode is FailMode.CLOSED and policy.warn_only is False
    assert policy.hash_mismatch is Action.BLOCK and policy.allow == () and policy.ignore == ()
    (warning,) = policy.warnings
    assert "locked by the administrator" in warning
    for refused in ("warn-only (command line)", "hash-mismatch", "environment (SAFE_PIP_FAIL"):
        assert refused in warning


def test_admin_locked_keys_may_still_be_tightened(tmp_path: Path) -> None:
    env = admin_file(tmp_path, 'yanked = "warn"\nlocked = ["yanked"]\n')
    assert load_policy(tmp_path, PolicyOverrides(), {**env, "SAFE_PIP_YANKED": "block"}).yanked is (
        Action.BLOCK
    )


def test_unlocked_admin_values_are_defaults_later_layers_may_change(tmp_path: Path) -> None:
    env = admin_file(tmp_path, 'yanked = "block"\n')
    policy = load_policy(tmp_path, None, {**env, "SAFE_PIP_YANKED": "warn"})
    assert policy.yanked is Action.WARN and policy.warnings == ()


def test_admin_ignore_of_a_malicious_id_is_honoured(tmp_path: Path) -> None:
    env = admin_file(tmp_path, f'[[ignore]]\nid = "{MALICIOUS_ID}"\nreason = "our own test"\n')
    policy = load_policy(tmp_path, None, env)
    assert action(policy, finding(Category.MALICIOUS, MALICIOUS_ID)) is Action.IGNORE


def test_locked_is_read_only_from_the_administrators_file(tmp_path: Path) -> None:
    cloned_project(tmp_path / "clone", 'locked = ["fail-mode"]\n')
    with pytest.raises(UsageError, match="locked is read only from the administrator"):
        load_policy(tmp_path / "clone", env=env_for(tmp_path))


def test_admin_locked_must_name_known_keys(tmp_path: Path) -> None:
    env = admin_file(tmp_path, 'locked = ["fail_mode"]\n')
    with pytest.raises(UsageError, match="locked names unknown key 'fail_mode'"):
        load_policy(tmp_path, None, env)


def test_no_environment_variable_moves_the_system_policy_file() -> None:
    hiding = {"XDG_CONFIG_DIRS": "/nowhere", "SAFE_PIP_ADMIN_POLICY_FILE": "/tmp/extra.toml"}
    files = paths.admin_policy_files(hiding)
    assert files[0] == paths.admin_policy_files({})[0]
    assert files[1] == Path("/tmp/extra.toml")


# ---------------------------------------------------------------- end to end


@pytest.mark.integration
def test_a_cloned_repository_cannot_switch_the_guard_off_until_trusted(
    world: LocalIndex,
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    clone = tmp_path / "clone"
    cloned_project(clone)
    python = pip_venv("bundled")
    install = ("install", "--python", python, "-i", world.url, "evilpkg", "vulnlib==1.0")
    result = safe_pip(*install, cwd=clone)
    assert result.returncode == 1, output(result)
    assert MALICIOUS_ID in result.stdout and "BLOCKED" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if "not trusted" in line]
    assert len(warnings) == 1, output(result)

    trusted = safe_pip("trust", cwd=clone)
    assert trusted.returncode == 0, output(trusted)
    assert str(clone / "pyproject.toml") in safe_pip("trust", "--list").stdout
    allowed = safe_pip(*install, cwd=clone)
    assert allowed.returncode == 0, output(allowed)

    removed = safe_pip("trust", "--remove", clone)
    assert removed.returncode == 0, output(removed)
    assert safe_pip("trust", "--list").stdout == ""


@pytest.mark.integration
def test_an_admin_locked_warn_only_survives_the_command_line_flag(
    world: LocalIndex,
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> None:
    env = {**isolated_env, **admin_file(tmp_path, 'locked = ["warn-only"]\n')}
    env["SAFE_PIP_CONFIG_FILE"] = isolated_env["SAFE_PIP_CONFIG_FILE"]
    python = pip_venv("bundled")
    result = safe_pip(
        "install", "--python", python, "-i", world.url, "--warn-only", "vulnlib==1.0", env=env
    )
    assert result.returncode == 1, output(result)
    assert "warn-only (command line)" in result.stderr


@pytest.mark.integration
def test_trust_without_a_project_is_one_line(safe_pip: SafePip, tmp_path: Path) -> None:
    assert_one_line_error(safe_pip("trust", tmp_path / "nothing-here"), 2)
