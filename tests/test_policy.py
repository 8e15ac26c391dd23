"""policy: loading the layered configuration and deciding about findings."""

from __future__ import annotations

import shlex
import sys
import textwrap
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from safe_pip.errors import UsageError
from safe_pip.models import Action, Category, Finding
from safe_pip.pipeline import trust
from safe_pip.pipeline.config import CONFIG_KEYS, ENVIRONMENT_VARIABLES, load_policy
from safe_pip.pipeline.policy import (
    FailMode,
    IgnoreRule,
    Policy,
    PolicyOverrides,
    decide,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TODAY = date(2025, 3, 15)


# ---------------------------------------------------------------- helpers


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def own_trust_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Projects trusted here are recorded under tmp_path (platformdirs' user data dir)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def trusted(path: Path) -> Path:
    """``safe-pip trust`` for this pyproject.toml: its loosening values then apply."""
    trust.trust(path)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory whose pyproject.toml has no safe-pip table yet (stops the search)."""
    directory = tmp_path / "project"
    write(directory / "pyproject.toml", '[project]\nname = "app"\n')
    return directory


def env_for(tmp_path: Path, **variables: str) -> dict[str, str]:
    """An explicit environment whose user config file is inside tmp_path."""
    return {"SAFE_PIP_CONFIG_FILE": str(tmp_path / "user" / "config.toml"), **variables}


def user_config(tmp_path: Path, text: str) -> Path:
    return write(tmp_path / "user" / "config.toml", text)


def pyproject(directory: Path, body: str) -> Path:
    return write(directory / "pyproject.toml", "[tool.safe-pip]\n" + textwrap.dedent(body))


def finding(
    category: Category = Category.VULNERABILITY,
    finding_id: str = "PYSEC-2018-28",
    name: str = "requests",
    aliases: tuple[str, ...] = ("CVE-2018-18074", "GHSA-x84v-xcm2-53pg"),
    severity: float | None = None,
) -> Finding:
    return Finding(
        name=name,
        version="2.19.0",
        category=category,
        id=finding_id,
        summary="a problem",
        aliases=aliases,
        severity=severity,
    )


def decide_one(f: Finding, policy: Policy, today: date = TODAY) -> tuple[Action, str | None]:
    (decision,) = decide([f], policy, today)
    assert decision.finding == f
    return decision.action, decision.reason


def usage_error(
    project: Path, env: dict[str, str], overrides: PolicyOverrides | None = None
) -> str:
    with pytest.raises(UsageError) as caught:
        load_policy(project, overrides, env)
    message = str(caught.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- loading


def test_defaults_without_any_configuration(project: Path, tmp_path: Path) -> None:
    policy = load_policy(project, env=env_for(tmp_path))
    assert policy == Policy()
    assert policy.fail_mode is FailMode.CLOSED
    assert policy.vulnerability is Action.BLOCK
    assert policy.min_severity == 0.0
    assert policy.yanked is Action.WARN
    assert policy.hash_mismatch is Action.BLOCK
    assert policy.unverifiable is Action.WARN
    assert policy.max_db_age_days == 30
    assert policy.warn_only is False
    assert policy.allow == () and policy.ignore == ()


def test_every_key_from_pyproject(project: Path, tmp_path: Path) -> None:
    path = trusted(
        pyproject(
            project,
            """
        fail-mode = "open"
        vulnerability = "warn"
        min-severity = "medium"
        yanked = "block"
        hash-mismatch = "warn"
        unverifiable = "block"
        max-db-age-days = 0
        warn-only = true
        allow = ["Demo_Pkg"]

        [[tool.safe-pip.ignore]]
        id = "PYSEC-1"
        reason = "not reachable from our code"
        expires = 2030-01-31
        package = "Some.Package"

        [[tool.safe-pip.ignore]]
        id = "GHSA-xxxx"
        reason = "string expiry"
        expires = "2029-12-01"
        """,
        )
    )
    policy = load_policy(project / "src" / "deep", env=env_for(tmp_path))
    assert policy.fail_mode is FailMode.OPEN and policy.fails_open
    assert policy.vulnerability is Action.WARN
    assert policy.min_severity == 4.0
    assert policy.yanked is Action.BLOCK
    assert policy.hash_mismatch is Action.WARN
    assert policy.unverifiable is Action.BLOCK
    assert policy.max_db_age_days == 0
    assert policy.warn_only is True
    assert policy.allow == ("demo-pkg",)
    source = f"{path} [tool.safe-pip]"
    assert policy.ignore == (
        IgnoreRule(
            "PYSEC-1", "not reachable from our code", date(2030, 1, 31), "some-package", source
        ),
        IgnoreRule("GHSA-xxxx", "string expiry", date(2029, 12, 1), None, source),
    )
    assert policy.sources == ("built-in defaults", source)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("any", 0.0), ("low", 0.1), ("HIGH", 7.0), ("critical", 9.0), ("5.5", 5.5), (7, 7.0)],
)
def test_min_severity_values(project: Path, tmp_path: Path, text: object, expected: float) -> None:
    value = f'"{text}"' if isinstance(text, str) else str(text)
    trusted(pyproject(project, f"min-severity = {value}\n"))
    assert load_policy(project, env=env_for(tmp_path)).min_severity == expected


def test_nearest_pyproject_wins_even_without_a_safe_pip_table(
    tmp_path: Path,
) -> None:
    pyproject(tmp_path / "outer", 'yanked = "block"\n')
    inner = tmp_path / "outer" / "inner"
    write(inner / "pyproject.toml", '[project]\nname = "inner"\n')
    assert load_policy(inner / "pkg", env=env_for(tmp_path)).yanked is Action.WARN
    assert load_policy(tmp_path / "outer" / "elsewhere", env=env_for(tmp_path)).yanked is (
        Action.BLOCK
    )


def test_layer_precedence_pyproject_user_env_cli(project: Path, tmp_path: Path) -> None:
    trusted(
        pyproject(
            project,
            """
        fail-mode = "open"
        min-severity = "low"
        yanked = "block"
        max-db-age-days = 10
        """,
        )
    )
    env = env_for(tmp_path)
    policy = load_policy(project, env=env)
    assert (policy.fail_mode, policy.min_severity, policy.yanked) == (
        FailMode.OPEN,
        0.1,
        Action.BLOCK,
    )

    user_config(tmp_path, 'fail-mode = "closed"\nmin-severity = "medium"\n')
    policy = load_policy(project, env=env)
    assert (policy.fail_mode, policy.min_severity, policy.yanked) == (
        FailMode.CLOSED,
        4.0,
        Action.BLOCK,
    )
    assert policy.max_db_age_days == 10

    env.update(SAFE_PIP_FAIL_MODE="open", SAFE_PIP_MIN_SEVERITY="high")
    policy = load_policy(project, env=env)
    assert (policy.fail_mode, policy.min_severity, policy.yanked) == (
        FailMode.OPEN,
        7.0,
        Action.BLOCK,
    )

    policy = load_policy(project, PolicyOverrides(fail_mode="closed", warn_only=True), env)
    assert (policy.fail_mode, policy.min_severity, policy.warn_only) == (FailMode.CLOSED, 7.0, True)
    assert policy.sources == (
        "built-in defaults",
        f"{project / 'pyproject.toml'} [tool.safe-pip]",
        str(tmp_path / "user" / "config.toml"),
        "environment (SAFE_PIP_FAIL_MODE, SAFE_PIP_MIN_SEVERITY)",
        "command line",
    )


def test_cli_warn_only_false_overrides_env_true(project: Path, tmp_path: Path) -> None:
    env = env_for(tmp_path, SAFE_PIP_WARN_ONLY="yes")
    assert load_policy(project, env=env).warn_only is True
    assert load_policy(project, PolicyOverrides(warn_only=False), env).warn_only is False
    assert load_policy(project, PolicyOverrides(warn_only=None), env).warn_only is True


def test_allow_and_ignore_lists_accumulate_over_layers(project: Path, tmp_path: Path) -> None:
    trusted(
        pyproject(
            project,
            """
        allow = ["one"]
        [[tool.safe-pip.ignore]]
        id = "ID-1"
        reason = "project"
        """,
        )
    )
    user_config(tmp_path, 'allow = ["two", "one"]\n[[ignore]]\nid = "ID-2"\nreason = "user"\n')
    env = env_for(
        tmp_path, SAFE_PIP_ALLOW="three, Four_Pkg", SAFE_PIP_IGNORE="ID-3:env reason; ID-4 : x:y;"
    )
    overrides = PolicyOverrides(allow=["five"], ignore_vulns=[("ID-5", "cli reason")])
    policy = load_policy(project, overrides, env)
    assert policy.allow == ("one", "two", "three", "four-pkg", "five")
    assert [(r.id, r.reason) for r in policy.ignore] == [
        ("ID-1", "project"),
        ("ID-2", "user"),
        ("ID-3", "env reason"),
        ("ID-4", "x:y"),
        ("ID-5", "cli reason"),
    ]
    assert [r.source for r in policy.ignore][2:] == [
        "environment (SAFE_PIP_IGNORE)",
        "environment (SAFE_PIP_IGNORE)",
        "command line",
    ]


@pytest.mark.parametrize(
    ("variable", "value", "attribute", "expected"),
    [
        ("SAFE_PIP_FAIL_MODE", "open", "fail_mode", FailMode.OPEN),
        ("SAFE_PIP_VULNERABILITY", "warn", "vulnerability", Action.WARN),
        ("SAFE_PIP_MIN_SEVERITY", "7.5", "min_severity", 7.5),
        ("SAFE_PIP_YANKED", "block", "yanked", Action.BLOCK),
        ("SAFE_PIP_HASH_MISMATCH", "warn", "hash_mismatch", Action.WARN),
        ("SAFE_PIP_UNVERIFIABLE", "Block", "unverifiable", Action.BLOCK),
        ("SAFE_PIP_MAX_DB_AGE_DAYS", "3", "max_db_age_days", 3),
        ("SAFE_PIP_WARN_ONLY", "1", "warn_only", True),
        ("SAFE_PIP_WARN_ONLY", "TRUE", "warn_only", True),
        ("SAFE_PIP_WARN_ONLY", "no", "warn_only", False),
    ],
)
def test_environment_variables(
    project: Path, tmp_path: Path, variable: str, value: str, attribute: str, expected: object
) -> None:
    policy = load_policy(project, env=env_for(tmp_path, **{variable: value}))
    assert getattr(policy, attribute) == expected


def test_empty_environment_variables_are_ignored(project: Path, tmp_path: Path) -> None:
    env = env_for(tmp_path, SAFE_PIP_YANKED="", SAFE_PIP_IGNORE=" ", SAFE_PIP_ALLOW="")
    assert load_policy(project, env=env) == Policy()


# ---------------------------------------------------------------- config errors


def test_bad_value_message_names_file_table_and_key(project: Path, tmp_path: Path) -> None:
    pyproject(project, 'yanked = "maybe"\n')
    message = usage_error(project, env_for(tmp_path))
    assert message == (
        f"invalid config in {project / 'pyproject.toml'}: [tool.safe-pip] yanked must be"
        " 'warn' or 'block', got 'maybe'"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ('warn-only = "yes"\n', "warn-only must be true or false, got 'yes'"),
        ("max-db-age-days = -1\n", "max-db-age-days must be a whole number"),
        ("max-db-age-days = true\n", "max-db-age-days must be a whole number"),
        ("min-severity = 11\n", "min-severity must be 'any'"),
        ('min-severity = "severe"\n', "min-severity must be 'any'"),
        ('fail-mode = "ajar"\n', "fail-mode must be 'closed' or 'open', got 'ajar'"),
        ('vulnerability = "ignore"\n', "vulnerability must be 'warn' or 'block'"),
        ('allow = "requests"\n', "allow must be a list of package names"),
        ('allow = [""]\n', "allow must be a list of package names"),
        ('ignore = "PYSEC-1"\n', "ignore must be a list of tables"),
        (
            '[[tool.safe-pip.ignore]]\nid = "PYSEC-1"\n',
            "ignore entry 1 for PYSEC-1 needs a non-empty reason",
        ),
        (
            '[[tool.safe-pip.ignore]]\nid = "A"\nreason = "ok"\n'
            '[[tool.safe-pip.ignore]]\nid = "PYSEC-2"\nreason = "  "\n',
            "ignore entry 2 for PYSEC-2 needs a non-empty reason",
        ),
        ('[[tool.safe-pip.ignore]]\nreason = "why"\n', "ignore entry 1 needs an 'id'"),
        (
            '[[tool.safe-pip.ignore]]\nid = "X"\nreason = "r"\nexpires = "soon"\n',
            "ignore entry 1 for X: expires must be a date (YYYY-MM-DD), got 'soon'",
        ),
        (
            '[[tool.safe-pip.ignore]]\nid = "X"\nreason = "r"\nuntil = 2030-01-01\n',
            "ignore entry 1 has unknown key 'until'",
        ),
        (
            '[[tool.safe-pip.ignore]]\nid = "X"\nreason = "r"\npackage = 3\n',
            "ignore entry 1 for X: package must be a package name",
        ),
    ],
)
def test_invalid_pyproject_values(project: Path, tmp_path: Path, body: str, expected: str) -> None:
    pyproject(project, body)
    message = usage_error(project, env_for(tmp_path))
    assert message.startswith(f"invalid config in {project / 'pyproject.toml'}: [tool.safe-pip] ")
    assert expected in message


def test_safe_pip_tool_entry_must_be_a_table(project: Path, tmp_path: Path) -> None:
    write(project / "pyproject.toml", '[tool]\nsafe-pip = "strict"\n')
    assert "[tool.safe-pip] must be a table" in usage_error(project, env_for(tmp_path))


def test_unparseable_toml_names_the_file(project: Path, tmp_path: Path) -> None:
    write(project / "pyproject.toml", "[tool.safe-pip\nyanked = \n")
    message = usage_error(project, env_for(tmp_path))
    assert message.startswith(f"invalid TOML in {project / 'pyproject.toml'}: ")
    assert "line 1" in message


def test_user_config_errors_name_the_user_file(project: Path, tmp_path: Path) -> None:
    path = user_config(tmp_path, 'hash-mismatch = "ignore"\n')
    message = usage_error(project, env_for(tmp_path))
    assert message == (
        f"invalid config in {path}: hash-mismatch must be 'warn' or 'block', got 'ignore'"
    )


def test_user_config_with_a_section_header_gets_a_hint(project: Path, tmp_path: Path) -> None:
    path = user_config(tmp_path, '[safe-pip]\nyanked = "block"\n')
    message = usage_error(project, env_for(tmp_path))
    assert message.startswith(f"invalid config in {path}: unknown key 'safe-pip'")
    assert "top level" in message


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SAFE_PIP_YANKED", "maybe", "SAFE_PIP_YANKED must be 'warn' or 'block', got 'maybe'"),
        ("SAFE_PIP_WARN_ONLY", "perhaps", "SAFE_PIP_WARN_ONLY must be 1/true/yes or 0/false/no"),
        ("SAFE_PIP_MAX_DB_AGE_DAYS", "a week", "SAFE_PIP_MAX_DB_AGE_DAYS must be a whole number"),
        ("SAFE_PIP_MIN_SEVERITY", "12", "SAFE_PIP_MIN_SEVERITY must be 'any'"),
        ("SAFE_PIP_IGNORE", "PYSEC-1", "SAFE_PIP_IGNORE for PYSEC-1 needs a non-empty reason"),
        ("SAFE_PIP_IGNORE", "PYSEC-1:  ", "SAFE_PIP_IGNORE for PYSEC-1 needs a non-empty reason"),
        ("SAFE_PIP_IGNORE", ":why", "SAFE_PIP_IGNORE needs an 'id'"),
    ],
)
def test_invalid_environment_variables(
    project: Path, tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    message = usage_error(project, env_for(tmp_path, **{variable: value}))
    assert message.startswith("invalid environment variable: ")
    assert expected in message


def test_command_line_ignore_needs_a_reason(project: Path, tmp_path: Path) -> None:
    overrides = PolicyOverrides(ignore_vulns=[("PYSEC-1", "")])
    message = usage_error(project, env_for(tmp_path), overrides)
    assert "PYSEC-1 needs a non-empty reason" in message


def test_command_line_fail_mode_is_validated(project: Path, tmp_path: Path) -> None:
    message = usage_error(project, env_for(tmp_path), PolicyOverrides(fail_mode="sideways"))
    assert "fail-mode must be 'closed' or 'open', got 'sideways'" in message


# ---------------------------------------------------------------- decide


def test_default_actions_per_category() -> None:
    policy = Policy()
    expected = {
        Category.MALICIOUS: Action.BLOCK,
        Category.VULNERABILITY: Action.BLOCK,
        Category.HASH_MISMATCH: Action.BLOCK,
        Category.YANKED: Action.WARN,
        Category.UNVERIFIABLE: Action.WARN,
    }
    for category, action in expected.items():
        assert decide_one(finding(category), policy) == (action, None)


def test_configured_category_actions() -> None:
    policy = Policy(
        vulnerability=Action.WARN,
        yanked=Action.BLOCK,
        hash_mismatch=Action.WARN,
        unverifiable=Action.BLOCK,
    )
    assert decide_one(finding(Category.VULNERABILITY), policy)[0] is Action.WARN
    assert decide_one(finding(Category.YANKED), policy)[0] is Action.BLOCK
    assert decide_one(finding(Category.HASH_MISMATCH), policy)[0] is Action.WARN
    assert decide_one(finding(Category.UNVERIFIABLE), policy)[0] is Action.BLOCK


@pytest.mark.parametrize(
    ("finding_id", "action"),
    [
        ("PROJECT-QUARANTINED", Action.BLOCK),
        ("PROJECT-ARCHIVED", Action.WARN),
        ("PROJECT-DEPRECATED", Action.WARN),
    ],
)
def test_a_quarantined_project_blocks_and_other_statuses_warn(
    finding_id: str, action: Action
) -> None:
    """PEP 792: an index quarantines a project it suspects (malware); no key loosens that,
    and the allow list, which is for vulnerable, yanked and unverifiable packages, neither."""
    status = finding(Category.PROJECT_STATUS, finding_id, aliases=())
    assert decide_one(status, Policy()) == (action, None)
    assert decide_one(status, Policy(allow=("requests",)))[0] is action
    relaxed = Policy(vulnerability=Action.WARN, yanked=Action.WARN, confusion=Action.WARN)
    assert decide_one(status, relaxed)[0] is action


@pytest.mark.parametrize(
    ("finding_id", "unknown_upload_time", "action"),
    [
        ("TOO-NEW", Action.IGNORE, Action.BLOCK),
        ("NO-UPLOAD-TIME", Action.WARN, Action.WARN),
        ("NO-UPLOAD-TIME", Action.BLOCK, Action.BLOCK),
    ],
)
def test_release_age_findings_follow_their_own_keys(
    finding_id: str, unknown_upload_time: Action, action: Action
) -> None:
    age = finding(Category.RELEASE_AGE, finding_id, aliases=())
    assert decide_one(age, Policy(unknown_upload_time=unknown_upload_time))[0] is action


def test_categories_without_a_key_block() -> None:
    policy = Policy()
    for category in (Category.MALICIOUS, Category.RELEASE_AGE, Category.PROJECT_STATUS):
        assert policy.category_action(category) is Action.BLOCK


@pytest.mark.parametrize("rule_id", ["PYSEC-2018-28", "CVE-2018-18074", "ghsa-X84V-xcm2-53pg"])
def test_ignore_by_id_or_any_alias(rule_id: str) -> None:
    policy = Policy(ignore=(IgnoreRule(rule_id, "not used that way"),))
    assert decide_one(finding(), policy) == (Action.IGNORE, "not used that way")


def test_ignore_of_another_id_does_not_apply() -> None:
    policy = Policy(ignore=(IgnoreRule("PYSEC-2018-29", "other"),))
    assert decide_one(finding(), policy) == (Action.BLOCK, None)


def test_ignore_limited_to_a_package() -> None:
    policy = Policy(ignore=(IgnoreRule("PYSEC-2018-28", "only here", package="requests"),))
    assert decide_one(finding(name="requests"), policy)[0] is Action.IGNORE
    assert decide_one(finding(name="vendored-requests"), policy)[0] is Action.BLOCK


def test_ignore_expiry() -> None:
    rule = IgnoreRule("CVE-2018-18074", "waiting for upstream", expires=date(2025, 3, 15))
    policy = Policy(ignore=(rule,))
    assert decide_one(finding(), policy, date(2025, 3, 1)) == (
        Action.IGNORE,
        "waiting for upstream",
    )
    assert decide_one(finding(), policy, date(2025, 3, 15))[0] is Action.IGNORE
    assert decide_one(finding(), policy, date(2025, 3, 16)) == (
        Action.BLOCK,
        "ignore expired on 2025-03-15",
    )


def test_expired_and_active_ignores_for_the_same_finding() -> None:
    policy = Policy(
        ignore=(
            IgnoreRule("PYSEC-2018-28", "old", expires=date(2020, 1, 1)),
            IgnoreRule("CVE-2018-18074", "renewed", expires=date(2030, 1, 1)),
        )
    )
    assert decide_one(finding(), policy) == (Action.IGNORE, "renewed")


def test_expired_ignore_note_is_kept_when_downgraded() -> None:
    policy = Policy(
        ignore=(IgnoreRule("PYSEC-2018-28", "old", expires=date(2020, 1, 1)),), warn_only=True
    )
    assert decide_one(finding(), policy) == (
        Action.WARN,
        "ignore expired on 2020-01-01; warn-only mode",
    )


def test_malicious_ignored_only_by_its_exact_id() -> None:
    mal = finding(Category.MALICIOUS, "MAL-2024-7", aliases=("GHSA-mmmm-mmmm-mmmm",))
    by_alias = Policy(ignore=(IgnoreRule("GHSA-mmmm-mmmm-mmmm", "trust me"),))
    assert decide_one(mal, by_alias) == (Action.BLOCK, None)
    by_id = Policy(ignore=(IgnoreRule("MAL-2024-7", "false positive, reported upstream"),))
    assert decide_one(mal, by_id) == (Action.IGNORE, "false positive, reported upstream")


def test_warn_only_never_downgrades_malicious() -> None:
    policy = Policy(warn_only=True)
    assert decide_one(finding(Category.MALICIOUS, "MAL-1"), policy) == (Action.BLOCK, None)
    assert decide_one(finding(Category.VULNERABILITY), policy) == (Action.WARN, "warn-only mode")
    assert decide_one(finding(Category.HASH_MISMATCH, "HASH-INDEX"), policy) == (
        Action.WARN,
        "warn-only mode",
    )
    assert decide_one(finding(Category.YANKED, "YANKED"), policy) == (Action.WARN, None)


def test_allow_ignores_vulnerable_yanked_and_unverifiable() -> None:
    policy = Policy(allow=("requests",))
    for category in (Category.VULNERABILITY, Category.YANKED, Category.UNVERIFIABLE):
        assert decide_one(finding(category), policy) == (Action.IGNORE, "allowed package")
    assert decide_one(finding(name="urllib3"), policy) == (Action.BLOCK, None)


def test_allow_never_hides_hash_mismatch_or_malicious() -> None:
    policy = Policy(allow=("requests",))
    assert decide_one(finding(Category.HASH_MISMATCH, "HASH-PINNED"), policy)[0] is Action.BLOCK
    assert decide_one(finding(Category.MALICIOUS, "MAL-1"), policy)[0] is Action.BLOCK


def test_allow_from_config_matches_normalized_names(project: Path, tmp_path: Path) -> None:
    trusted(pyproject(project, 'allow = ["Zope.Interface"]\n'))
    policy = load_policy(project, env=env_for(tmp_path))
    assert decide_one(finding(name="zope-interface"), policy)[0] is Action.IGNORE


def test_min_severity_with_scored_and_unscored_vulnerabilities() -> None:
    policy = Policy(min_severity=7.0)
    assert decide_one(finding(severity=5.3), policy) == (
        Action.WARN,
        "severity 5.3 below min-severity 7",
    )
    assert decide_one(finding(severity=7.0), policy) == (Action.BLOCK, None)
    assert decide_one(finding(severity=9.8), policy) == (Action.BLOCK, None)
    assert decide_one(finding(severity=None), policy) == (Action.BLOCK, None)


def test_min_severity_only_concerns_vulnerabilities() -> None:
    policy = Policy(min_severity=9.0, yanked=Action.BLOCK)
    assert decide_one(finding(Category.YANKED, "YANKED", severity=1.0), policy)[0] is Action.BLOCK


def test_decisions_keep_finding_order() -> None:
    findings = [finding(name="b"), finding(Category.YANKED, "YANKED", name="a")]
    assert [d.finding for d in decide(findings, Policy(), TODAY)] == findings


def test_database_age_warning() -> None:
    assert Policy(max_db_age_days=30).database_is_stale(31)
    assert not Policy(max_db_age_days=30).database_is_stale(30)
    assert not Policy(max_db_age_days=0).database_is_stale(10_000)
    assert Policy(max_db_age_days=1).database_is_stale(1.5)


def test_the_expired_note_names_the_last_day_any_ignore_applied() -> None:
    policy = Policy(
        ignore=(
            IgnoreRule("PYSEC-2018-28", "first", expires=date(2024, 6, 1)),
            IgnoreRule("CVE-2018-18074", "renewed once", expires=date(2025, 1, 31)),
            IgnoreRule("GHSA-x84v-xcm2-53pg", "old", expires=date(2023, 1, 1)),
        )
    )
    assert decide_one(finding(), policy) == (Action.BLOCK, "ignore expired on 2025-01-31")


# ---------------------------------------------------------------- config-examples

EXAMPLES = Path(__file__).resolve().parents[1] / "config-examples"


def exported_variables(script: Path, *, first_only: bool) -> dict[str, str]:
    """The ``# export NAME=value`` lines of a shell file: the defaults, or the last examples."""
    variables: dict[str, str] = {}
    for line in script.read_text(encoding="utf-8").splitlines():
        if line.startswith("# export "):
            words = shlex.split(line[len("# export ") :], comments=True)
            name, _, value = words[0].partition("=")
            if not (first_only and name in variables):
                variables[name] = value
    return variables


def test_example_pyproject_shows_every_key_and_loads(tmp_path: Path) -> None:
    path = EXAMPLES / "pyproject.toml"
    with path.open("rb") as file:
        table = tomllib.load(file)["tool"]["safe-pip"]
    assert set(table) == set(CONFIG_KEYS)
    policy = load_policy(EXAMPLES, env=env_for(tmp_path))
    assert policy.sources == ("built-in defaults", f"{path} [tool.safe-pip]")
    defaults = Policy()
    assert (policy.fail_mode, policy.vulnerability, policy.min_severity, policy.yanked) == (
        defaults.fail_mode,
        defaults.vulnerability,
        defaults.min_severity,
        defaults.yanked,
    )
    assert (policy.hash_mismatch, policy.unverifiable) == (
        defaults.hash_mismatch,
        defaults.unverifiable,
    )
    assert (policy.max_db_age_days, policy.warn_only) == (
        defaults.max_db_age_days,
        defaults.warn_only,
    )
    (rule,) = policy.ignore
    assert rule.reason and rule.expires is not None and rule.package == "requests"


@pytest.mark.parametrize("name", ["config.toml", "strict.toml", "relaxed.toml"])
def test_example_user_config_files_load(project: Path, name: str) -> None:
    path = EXAMPLES / name
    policy = load_policy(project, env={"SAFE_PIP_CONFIG_FILE": str(path)})
    assert policy.sources == ("built-in defaults", str(path))
    with path.open("rb") as file:
        assert set(tomllib.load(file)) <= set(CONFIG_KEYS)


def test_example_config_toml_shows_every_key() -> None:
    with (EXAMPLES / "config.toml").open("rb") as file:
        assert set(tomllib.load(file)) == set(CONFIG_KEYS)


def test_example_strict_and_relaxed_policies_differ_as_described(project: Path) -> None:
    strict = load_policy(project, env={"SAFE_PIP_CONFIG_FILE": str(EXAMPLES / "strict.toml")})
    assert strict.yanked is Action.BLOCK and strict.unverifiable is Action.BLOCK
    assert strict.fail_mode is FailMode.CLOSED
    relaxed = load_policy(project, env={"SAFE_PIP_CONFIG_FILE": str(EXAMPLES / "relaxed.toml")})
    assert relaxed.fail_mode is FailMode.OPEN and relaxed.min_severity == 7.0
    assert relaxed.hash_mismatch is Action.BLOCK


def test_example_environment_documents_every_variable_with_its_default(
    project: Path, tmp_path: Path
) -> None:
    defaults = exported_variables(EXAMPLES / "environment.sh", first_only=True)
    assert set(defaults) == {*ENVIRONMENT_VARIABLES, "SAFE_PIP_CACHE_DIR", "SAFE_PIP_CONFIG_FILE"}
    defaults["SAFE_PIP_CONFIG_FILE"] = str(tmp_path / "absent.toml")
    policy = load_policy(project, env=defaults)
    assert replace(policy, sources=Policy().sources) == Policy()


def test_example_environment_examples_load(project: Path, tmp_path: Path) -> None:
    examples = exported_variables(EXAMPLES / "environment.sh", first_only=False)
    examples["SAFE_PIP_CONFIG_FILE"] = str(tmp_path / "absent.toml")
    policy = load_policy(project, env=examples)
    assert [rule.id for rule in policy.ignore] == ["PYSEC-2018-28", "CVE-2023-32681"]
    assert policy.allow == ("my-company-utils", "my-other-lib")
