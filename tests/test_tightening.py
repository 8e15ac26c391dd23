"""One rule per configuration key: which values loosen a policy (``pipeline/tightening.py``).

A layer that may only tighten (an untrusted project's ``[tool.safe-pip]``, any layer after
an administrator's ``locked`` key) must lose exactly the values that loosen and keep the
ones that do not. ``CASES`` has rows for every key of ``LOOSENS``: at least one value that
loosens (except ``NEVER_LOOSENS``) and at least one that does not, each run through
``load_policy`` both ways. A new key in the table without rows here fails
``test_every_loosening_rule_has_cases``.
"""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

from safe_pip.models import Action
from safe_pip.pipeline.config import load_policy
from safe_pip.pipeline.policy import IgnoreRule, Policy
from safe_pip.pipeline.tightening import LOOSENS, loosens

# Keys whose every value is allowed in a tightening-only layer.
NEVER_LOOSENS = frozenset({"resolve"})
# Keys for which every value a later layer can give loosens: an ignore entry carries the layer
# it came from, so even the same id and reason from another file is a new entry (harmless: the
# earlier entry applies anyway). Its "not looser" case is a unit case below.
ALWAYS_LOOSENS_FROM_A_LATER_LAYER = frozenset({"ignore"})
INDEX = "http://private.example/simple/"
OTHER_INDEX = "http://other.example/simple/"


class Case(NamedTuple):
    key: str
    current: str  # TOML value of the earlier layer
    proposed: str  # TOML value of the layer that may only tighten
    loosens: bool

    def __str__(self) -> str:
        return f"{self.key}: {self.current} -> {self.proposed}"


def ignore(*ids: str) -> str:
    return "[" + ", ".join(f'{{ id = "{i}", reason = "r", package = "x" }}' for i in ids) + "]"


def pth_allow(*files: str) -> str:
    return "[" + ", ".join(f'{{ package = "x", file = "{f}", reason = "r" }}' for f in files) + "]"


CASES = [
    Case("fail-mode", '"closed"', '"open"', True),
    Case("fail-mode", '"open"', '"closed"', False),
    Case("fail-mode", '"closed"', '"closed"', False),
    Case("vulnerability", '"block"', '"warn"', True),
    Case("vulnerability", '"warn"', '"block"', False),
    Case("vulnerability", '"block"', '"block"', False),
    Case("min-severity", '"any"', '"critical"', True),
    Case("min-severity", "4.0", "4.5", True),
    Case("min-severity", '"high"', '"medium"', False),
    Case("min-severity", '"medium"', "4", False),
    Case("contents", '"block"', '"default"', True),
    Case("contents", '"default"', '"warn"', True),
    Case("contents", '"block"', '"warn"', True),
    Case("contents", '"warn"', '"default"', False),
    Case("contents", '"default"', '"block"', False),
    Case("contents", '"default"', '"default"', False),
    Case("typosquat", '"block"', '"warn"', True),
    Case("typosquat", '"warn"', '"block"', False),
    Case("attestation-dropped", '"block"', '"warn"', True),
    Case("attestation-dropped", '"warn"', '"block"', False),
    Case("require-provenance", '["x", "y"]', '["x"]', True),
    Case("require-provenance", '["x"]', '["y", "x"]', False),
    Case("require-provenance", "[]", '["x"]', False),
    Case("indexes-without-upload-time", "[]", f'["{INDEX}"]', True),
    Case("indexes-without-upload-time", f'["{INDEX}"]', f'["{OTHER_INDEX}"]', True),
    Case("indexes-without-upload-time", f'["{INDEX}", "{OTHER_INDEX}"]', f'["{INDEX}"]', False),
    Case("pth-allow", "[]", pth_allow("a.pth"), True),
    Case("pth-allow", pth_allow("a.pth"), pth_allow("a.pth", "b.pth"), True),
    Case("pth-allow", pth_allow("a.pth", "b.pth"), pth_allow("b.pth"), False),
    Case("yanked", '"block"', '"warn"', True),
    Case("yanked", '"warn"', '"block"', False),
    Case("hash-mismatch", '"block"', '"warn"', True),
    Case("hash-mismatch", '"warn"', '"block"', False),
    Case("unverifiable", '"block"', '"warn"', True),
    Case("unverifiable", '"warn"', '"block"', False),
    Case("confusion", '"block"', '"warn"', True),
    Case("confusion", '"warn"', '"block"', False),
    Case("max-db-age-days", "7", "30", True),
    Case("max-db-age-days", "7", "0", True),  # 0: never warn, the loosest
    Case("max-db-age-days", "30", "7", False),
    Case("max-db-age-days", "0", "7", False),
    Case("max-db-age-days", "0", "0", False),
    Case("max-db-age-days", "7", "7", False),
    Case("min-release-age", '"2d"', '"1d"', True),
    Case("min-release-age", '"2d"', "0", True),  # 0: no cooldown at all
    Case("min-release-age", '"2d"', '"1w"', False),
    Case("min-release-age", '"2d"', '"48h"', False),  # the same duration
    Case("min-release-age", "0", '"1h"', False),
    Case("unknown-upload-time", '"block"', '"warn"', True),
    Case("unknown-upload-time", '"warn"', '"ignore"', True),
    Case("unknown-upload-time", '"block"', '"ignore"', True),
    Case("unknown-upload-time", '"ignore"', '"warn"', False),
    Case("unknown-upload-time", '"warn"', '"block"', False),
    Case("unknown-upload-time", '"ignore"', '"block"', False),
    Case("unknown-upload-time", '"warn"', '"warn"', False),
    Case("resolve", '"avoid"', '"block"', False),
    Case("resolve", '"block"', '"avoid"', False),
    Case("refresh-after", '"4h"', '"1d"', True),
    Case("refresh-after", '"4h"', "0", True),  # 0: never refresh, the loosest
    Case("refresh-after", '"1d"', '"4h"', False),
    Case("refresh-after", "0", '"4h"', False),
    Case("refresh-after", '"4h"', '"4h"', False),
    Case("max-malware-age", '"7d"', '"2w"', True),
    Case("max-malware-age", '"7d"', "0", True),  # 0: no limit
    Case("max-malware-age", '"7d"', '"1d"', False),
    Case("max-malware-age", "0", '"1d"', False),
    Case("max-malware-age", "0", "0", False),
    Case("advisory-sources", "[]", '["a.zip"]', True),  # drops the default source
    Case("advisory-sources", '["a.zip", "b.zip"]', '["a.zip"]', True),
    Case("advisory-sources", '["a.zip"]', '["b.zip", "a.zip"]', False),
    Case("advisory-sources", "[]", "[]", False),
    Case("warn-only", "false", "true", True),
    Case("warn-only", "true", "false", False),
    Case("warn-only", "true", "true", False),
    Case("request-deadline", "30", "31", True),
    Case("request-deadline", "30", "10", False),
    Case("request-deadline", "30", "30", False),
    Case("run-deadline", "120", "3600", True),
    Case("run-deadline", "120", "60", False),
    Case("run-deadline", "120", "120", False),
    Case("allow", "[]", '["x"]', True),
    Case("allow", '["x"]', '["x", "y"]', True),
    Case("allow", '["x", "y"]', '["y"]', False),
    Case("index-for", "{}", f'{{ x = "{INDEX}" }}', True),
    Case("index-for", f'{{ x = "{INDEX}" }}', f'{{ x = "{OTHER_INDEX}" }}', True),
    Case("index-for", f'{{ x = "{INDEX}" }}', f'{{ x = "{INDEX}", y = "{INDEX}" }}', True),
    Case("index-for", f'{{ x = "{INDEX}", y = "{INDEX}" }}', f'{{ x = "{INDEX}" }}', False),
    Case("ignore", "[]", ignore("PYSEC-2020-1"), True),
    Case("ignore", ignore("PYSEC-2020-1"), ignore("PYSEC-2020-1", "PYSEC-2020-2"), True),
]


def test_every_loosening_rule_has_cases() -> None:
    keys = {case.key for case in CASES}
    assert keys == set(LOOSENS)
    for key in LOOSENS:
        verdicts = {case.loosens for case in CASES if case.key == key}
        if key in NEVER_LOOSENS:
            assert verdicts == {False}, key
        elif key in ALWAYS_LOOSENS_FROM_A_LATER_LAYER:
            assert verdicts == {True}, key
        else:
            assert verdicts == {True, False}, key


def test_ignore_entries_already_in_the_policy_do_not_loosen() -> None:
    first, second = IgnoreRule("PYSEC-2020-1", "r"), IgnoreRule("PYSEC-2020-2", "r")
    assert not loosens("ignore", (first, second), (second,))
    assert loosens("ignore", (first,), (first, second))


def test_an_unknown_key_counts_as_loosening() -> None:
    assert loosens("no-such-key", 1, 1)


def attribute(key: str) -> str:
    return key.replace("-", "_")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # no trust record
    return {
        "SAFE_PIP_CONFIG_FILE": str(tmp_path / "user.toml"),
        "SAFE_PIP_ADMIN_POLICY_FILE": str(tmp_path / "admin.toml"),
    }


def assert_kept_or_dropped(case: Case, combined: Policy, earlier: Policy, later: Policy) -> None:
    name = attribute(case.key)
    if case.loosens:
        assert getattr(combined, name) == getattr(earlier, name), case
        (warning,) = combined.warnings
        assert f"{case.key}" in warning, case
    else:
        assert combined.warnings == (), case
        if case.key not in ("allow", "ignore", "index-for", "pth-allow"):  # those accumulate
            assert getattr(combined, name) == getattr(later, name), case


def as_only_setting(case: Case, tmp_path: Path, env: dict[str, str]) -> Policy:
    """The policy with ``case.proposed`` set in the user's own file (a layer that may loosen)."""
    user = write(tmp_path / "only" / "user.toml", f"{case.key} = {case.proposed}\n")
    return load_policy(tmp_path, env={"SAFE_PIP_CONFIG_FILE": str(user)})


@pytest.mark.parametrize("case", CASES, ids=str)
def test_an_untrusted_project_keeps_only_values_that_do_not_loosen(
    case: Case, tmp_path: Path, env: dict[str, str]
) -> None:
    if case.key == "ignore":
        pytest.skip("an untrusted project's ignores are limited, not dropped (test_policy_trust)")
    write(tmp_path / "admin.toml", f"{case.key} = {case.current}\n")
    write(tmp_path / "clone" / "pyproject.toml", f"[tool.safe-pip]\n{case.key} = {case.proposed}\n")
    earlier = load_policy(tmp_path, env=env)
    combined = load_policy(tmp_path / "clone", env=env)
    assert_kept_or_dropped(case, combined, earlier, as_only_setting(case, tmp_path, env))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_locked_key_keeps_only_later_values_that_do_not_loosen(
    case: Case, tmp_path: Path, env: dict[str, str]
) -> None:
    write(tmp_path / "admin.toml", f'{case.key} = {case.current}\nlocked = ["{case.key}"]\n')
    earlier = load_policy(tmp_path, env=env)
    write(tmp_path / "user.toml", f"{case.key} = {case.proposed}\n")
    combined = load_policy(tmp_path, env=env)
    assert_kept_or_dropped(case, combined, earlier, as_only_setting(case, tmp_path, env))


def test_an_untrusted_projects_looser_values_do_not_change_a_verdict(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """The values an attacker's clone would set first; the policy stays the default."""
    write(
        tmp_path / "clone" / "pyproject.toml",
        """
        [tool.safe-pip]
        vulnerability = "warn"
        confusion = "warn"
        min-release-age = "0"
        unknown-upload-time = "ignore"
        run-deadline = 86400
        """,
    )
    policy = load_policy(tmp_path / "clone", env=env)
    assert (policy.vulnerability, policy.confusion) == (Action.BLOCK, Action.BLOCK)
    assert policy.min_release_age == timedelta(days=2)
    assert policy.unknown_upload_time is Action.WARN
    assert policy.run_deadline == Policy().run_deadline
