"""Release-age cooldown: durations, TOO-NEW findings, policy keys, exemptions, and the
candidate predicate resolver steering asks."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from safe_pip.errors import UsageError
from safe_pip.models import Action, Category, PlanItem, Verdict
from safe_pip.pipeline import trust
from safe_pip.pipeline.candidates import Candidate, candidate_allowed, candidate_blockers
from safe_pip.pipeline.config import load_policy
from safe_pip.pipeline.policy import (
    NO_UPLOAD_TIME_ID,
    TOO_NEW_ID,
    IgnoreRule,
    Policy,
    ResolveMode,
    decide,
)
from safe_pip.pipeline.release_age import ReleaseAgeRule, parse_upload_time, release_age_finding
from safe_pip.pipeline.report import render_text
from safe_pip.producers.installed import release_upload_time
from safe_pip.producers.lockfiles import read_lock_file
from safe_pip.producers.lockfiles.plan import to_plan
from safe_pip.times import format_duration, parse_duration

NOW = datetime(2026, 5, 10, 12, 0, tzinfo=timezone.utc)


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("36h", timedelta(hours=36)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("1d12h", timedelta(hours=36)),
        (" 90m ", timedelta(minutes=90)),
        ("0", timedelta(0)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "2 days", "-1d", "1.5d", "d2", "2y"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration like '36h', '2d' or '1w'"):
        parse_duration(text)


def test_format_duration() -> None:
    assert [format_duration(parse_duration(t)) for t in ("2d", "1w", "36h", "5h", "12m")] == [
        "2d",
        "1w",
        "36h",
        "5h",
        "12m",
    ]


def test_upload_times_in_the_forms_indexes_and_lock_files_write() -> None:
    expected = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert parse_upload_time("2024-05-06T07:08:09.000000Z") == expected
    assert parse_upload_time("2024-05-06T07:08:09Z") == expected
    assert parse_upload_time("2024-05-06T09:08:09+02:00") == expected
    assert parse_upload_time("not a time") is None
    assert parse_upload_time(None) is None


RULE = ReleaseAgeRule(min_age=timedelta(days=2), now=NOW)


def test_a_release_younger_than_the_minimum_is_too_new_with_its_age_and_allowed_moment() -> None:
    finding = release_age_finding("demo", "1.0", ago(hours=5), RULE)
    assert finding is not None
    assert (finding.id, finding.category) == (TOO_NEW_ID, Category.RELEASE_AGE)
    assert "uploaded 5h ago" in finding.summary
    assert "allowed from 2026-05-12 07:00 UTC" in finding.summary
    assert "min-release-age 2d" in finding.summary


def test_an_old_enough_release_and_a_disabled_rule_find_nothing() -> None:
    assert release_age_finding("demo", "1.0", ago(days=2), RULE) is None
    disabled = ReleaseAgeRule(min_age=timedelta(0), now=NOW)
    assert release_age_finding("demo", "1.0", ago(minutes=1), disabled) is None
    assert release_age_finding("demo", "1.0", None, disabled) is None


def test_a_cooldown_shorter_than_a_day_still_applies() -> None:
    rule = ReleaseAgeRule(min_age=timedelta(hours=1), now=NOW)
    finding = release_age_finding("demo", "1.0", ago(minutes=30), rule)
    assert finding is not None and finding.id == TOO_NEW_ID
    assert release_age_finding("demo", "1.0", ago(minutes=90), rule) is None


def test_a_release_uploaded_this_moment_is_just_now() -> None:
    rule = ReleaseAgeRule(min_age=timedelta(days=2), now=NOW)
    finding = release_age_finding("demo", "1.0", ago(seconds=0), rule)
    assert finding is not None and finding.summary.startswith("uploaded just now, allowed from")
    later = release_age_finding("demo", "1.0", ago(hours=3), rule)
    assert later is not None and later.summary.startswith("uploaded 3h ago, allowed from")


def test_a_candidate_is_not_yanked_unless_its_index_says_so() -> None:
    strict = Policy(yanked=Action.BLOCK)
    assert candidate_allowed(Candidate("demo", "1.0", upload_time=ago(days=30)), strict, NOW)
    yanked = Candidate("demo", "1.0", upload_time=ago(days=30), yanked=True)
    assert not candidate_allowed(yanked, strict, NOW)


def test_unknown_upload_time_is_its_own_finding_unless_policy_ignores_it() -> None:
    finding = release_age_finding("demo", "1.0", None, RULE)
    assert finding is not None and finding.id == NO_UPLOAD_TIME_ID
    quiet = ReleaseAgeRule.from_policy(Policy(unknown_upload_time=Action.IGNORE), NOW)
    assert release_age_finding("demo", "1.0", None, quiet) is None


def test_default_actions_block_too_new_and_warn_about_unknown_upload_time() -> None:
    too_new = release_age_finding("demo", "1.0", ago(hours=1), RULE)
    unknown = release_age_finding("demo", "1.0", None, RULE)
    assert too_new is not None and unknown is not None
    decisions = decide([too_new, unknown], Policy(), NOW.date())
    assert [d.action for d in decisions] == [Action.BLOCK, Action.WARN]
    strict = decide([unknown], Policy(unknown_upload_time=Action.BLOCK), NOW.date())
    assert strict[0].action is Action.BLOCK
    audit = decide([too_new], Policy(too_new=Action.WARN), NOW.date())
    assert audit[0].action is Action.WARN


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def own_trust_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def policy_from(tmp_path: Path, body: str = "", **env: str) -> Policy:
    """The policy of a project the user trusted (``safe-pip trust``), so it may loosen."""
    pyproject = write(tmp_path / "pyproject.toml", "[tool.safe-pip]\n" + textwrap.dedent(body))
    trust.trust(pyproject)
    return load_policy(tmp_path, env={"SAFE_PIP_CONFIG_FILE": str(tmp_path / "none"), **env})


def test_policy_defaults() -> None:
    policy = Policy()
    assert policy.min_release_age == timedelta(days=2)
    assert policy.unknown_upload_time is Action.WARN
    assert policy.resolve is ResolveMode.AVOID and policy.steers


def test_keys_from_pyproject_and_environment(tmp_path: Path) -> None:
    body = 'min-release-age = "36h"\nunknown-upload-time = "block"\nresolve = "block"\n'
    policy = policy_from(tmp_path, body)
    assert policy.min_release_age == timedelta(hours=36)
    assert policy.unknown_upload_time is Action.BLOCK
    assert policy.resolve is ResolveMode.BLOCK and not policy.steers
    overridden = policy_from(
        tmp_path,
        body,
        SAFE_PIP_MIN_RELEASE_AGE="1w",
        SAFE_PIP_UNKNOWN_UPLOAD_TIME="ignore",
        SAFE_PIP_RESOLVE="avoid",
    )
    assert overridden.min_release_age == timedelta(weeks=1)
    assert overridden.unknown_upload_time is Action.IGNORE
    assert overridden.resolve is ResolveMode.AVOID
    assert policy_from(tmp_path, "min-release-age = 0\n").min_release_age == timedelta(0)


@pytest.mark.parametrize(
    ("body", "env", "expected"),
    [
        ('min-release-age = "2 days"\n', {}, "min-release-age must be a duration like '36h'"),
        ("min-release-age = 2\n", {}, "min-release-age must be a duration like '36h'"),
        ('resolve = "steer"\n', {}, "resolve must be 'avoid' or 'block'"),
        ("", {"SAFE_PIP_MIN_RELEASE_AGE": "soon"}, "SAFE_PIP_MIN_RELEASE_AGE must be a dur"),
        ("", {"SAFE_PIP_RESOLVE": "maybe"}, "SAFE_PIP_RESOLVE must be 'avoid' or 'block'"),
        (
            '[[tool.safe-pip.ignore]]\nid = "TOO-NEW"\nreason = "trust it"\n',
            {},
            "TOO-NEW must name the package it exempts",
        ),
    ],
)
def test_bad_values_are_one_clear_usage_error(
    tmp_path: Path, body: str, env: dict[str, str], expected: str
) -> None:
    with pytest.raises(UsageError, match=expected.replace("(", r"\(")):
        policy_from(tmp_path, body, **env)


def test_exemption_is_an_ignore_entry_per_package_with_reason_and_expiry(tmp_path: Path) -> None:
    policy = policy_from(
        tmp_path,
        """
        [[tool.safe-pip.ignore]]
        id = "TOO-NEW"
        package = "Demo"
        reason = "our own release, built by CI"
        expires = 2026-05-11
        """,
    )
    fresh = Candidate("demo", "1.0", upload_time=ago(hours=1))
    other = Candidate("other", "1.0", upload_time=ago(hours=1))
    assert candidate_allowed(fresh, policy, NOW)
    assert not candidate_allowed(other, policy, NOW)
    after_expiry = NOW + timedelta(days=2)
    next_release = Candidate("demo", "1.1", upload_time=ago(hours=-47))  # 1h old by then
    (blocker,) = candidate_blockers(next_release, policy, after_expiry)
    assert blocker.finding.id == TOO_NEW_ID
    assert blocker.reason == "ignore expired on 2026-05-11"


class Match:
    def __init__(self, advisory_id: str, *, severity: float | None = None, malicious: bool = False):
        self.id = advisory_id
        self.aliases: tuple[str, ...] = ()
        self.summary = "summary"
        self.fixed_in: str | None = None
        self.severity = severity
        self.malicious = malicious
        self.url = ""


OLD = ago(days=30)


def test_candidate_predicate_follows_the_same_policy_as_a_plan() -> None:
    policy = Policy()
    assert candidate_allowed(Candidate("demo", "1.1", upload_time=OLD), policy, NOW)
    vulnerable = Candidate("demo", "1.2", upload_time=OLD, advisories=[Match("PYSEC-1")])
    (blocker,) = candidate_blockers(vulnerable, policy, NOW)
    assert blocker.finding.id == "PYSEC-1"
    assert not candidate_allowed(Candidate("demo", "1.3", upload_time=ago(hours=2)), policy, NOW)
    malicious = Candidate(
        "demo", "1.4", upload_time=OLD, advisories=[Match("MAL-1", malicious=True)]
    )
    assert not candidate_allowed(malicious, Policy(warn_only=True), NOW)
    # policy the plan check also applies: warnings do not disallow, ignores and thresholds work
    assert candidate_allowed(Candidate("demo", "1.5", upload_time=None), policy, NOW)
    assert candidate_allowed(Candidate("demo", "1.6", upload_time=OLD, yanked=True), policy, NOW)
    assert not candidate_allowed(
        Candidate("demo", "1.6", upload_time=OLD, yanked=True), Policy(yanked=Action.BLOCK), NOW
    )
    low = Candidate("demo", "1.7", upload_time=OLD, advisories=[Match("PYSEC-2", severity=3.0)])
    assert candidate_allowed(low, Policy(min_severity=7.0), NOW)
    ignored = Policy(ignore=(IgnoreRule(id="PYSEC-1", reason="not reachable"),))
    assert candidate_allowed(vulnerable, ignored, NOW)


def test_a_blocked_too_new_release_gets_a_hint_how_to_get_past_it() -> None:
    too_new = release_age_finding("demo", "1.0", ago(hours=1), RULE)
    assert too_new is not None
    verdict = Verdict(plan=[PlanItem(name="demo", version="1.0")])
    verdict.decisions = decide([too_new], Policy(), NOW.date())
    text = render_text(verdict)
    assert "BLOCKED  demo==1.0  release-age  TOO-NEW  uploaded 1h ago" in text
    assert "hint: too new: demo; " in text and 'id = "TOO-NEW", package = "demo"' in text


PYLOCK_WITH_UPLOAD_TIMES = f"""\
lock-version = "1.0"
created-by = "test"

[[packages]]
name = "fresh-pkg"
version = "1.0"
index = "https://example.invalid/simple/"

[[packages.wheels]]
name = "fresh_pkg-1.0-py3-none-any.whl"
url = "https://example.invalid/files/fresh_pkg-1.0-py3-none-any.whl"
upload-time = {(NOW - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")}
hashes = {{sha256 = "{"a" * 64}"}}
"""

UV_LOCK_WITH_UPLOAD_TIMES = f"""\
version = 1

[[package]]
name = "old-pkg"
version = "2.0"
source = {{ registry = "https://example.invalid/simple/" }}
wheels = [
    {{ url = "https://example.invalid/files/old_pkg-2.0-py3-none-any.whl", \
hash = "sha256:{"b" * 64}", upload-time = "2024-05-06T07:08:09.123Z" }},
]
"""


def test_lock_files_carry_upload_times_into_the_plan(tmp_path: Path) -> None:
    pylock = write(tmp_path / "pylock.toml", PYLOCK_WITH_UPLOAD_TIMES)
    (fresh_item,) = to_plan(read_lock_file(pylock).packages)
    uv_lock = write(tmp_path / "uv.lock", UV_LOCK_WITH_UPLOAD_TIMES)
    (old_item,) = to_plan(read_lock_file(uv_lock).packages)
    assert old_item.upload_time == "2024-05-06T07:08:09.123000Z"
    too_new = release_age_finding(fresh_item.name, fresh_item.version, fresh_item.upload_time, RULE)
    assert too_new is not None and too_new.id == TOO_NEW_ID
    assert "uploaded 3h ago" in too_new.summary
    assert release_age_finding(old_item.name, old_item.version, old_item.upload_time, RULE) is None


class File:
    def __init__(self, filename: str, upload_time: str | None) -> None:
        self.filename = filename
        self.upload_time = upload_time


def test_an_installed_release_is_as_old_as_its_first_file_on_the_index() -> None:
    files = [
        File("demo-1.0.tar.gz", "2026-05-01T00:00:00Z"),
        File("demo-1.0-py3-none-any.whl", "2026-05-02T00:00:00Z"),  # a wheel added later
        File("demo-1.0.post1-py3-none-any.whl", "2026-04-01T00:00:00Z"),  # another version
        File("demo-1.0-cp311-cp311-linux_x86_64.whl", None),
        File("not a distribution", "2020-01-01T00:00:00Z"),
    ]
    assert release_upload_time(files, "1.0") == "2026-05-01T00:00:00.000000Z"
    assert release_upload_time(files, "1.0.0") == "2026-05-01T00:00:00.000000Z"
    assert release_upload_time(files, "2.0") is None
    assert release_upload_time(files, "not a version") is None


def test_a_mirrored_file_is_as_old_as_the_same_file_on_the_index_it_mirrors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file:// mirror's PEP 503 page has no upload times; the public index lists the same
    bytes with one. The file's age is the public one's, and a different file gets none."""
    from safe_pip.index.client import IndexFile
    from safe_pip.pipeline.check_plan import check_plan
    from safe_pip.pipeline.policy import FailMode

    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path / "cache"))
    mirror, public = "file:///srv/mirror/simple", "https://public.invalid/simple"
    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    name = "mirrored-1.0-py3-none-any.whl"

    def verdict_ids(public_sha: str, uploaded: datetime) -> list[str]:
        files = [
            IndexFile(name, f"{mirror}/f/{name}", "a" * 64, False, None, None, mirror),
            IndexFile(
                name, f"{public}/f/{name}", public_sha, False, None, uploaded.isoformat(), public
            ),
        ]
        item = PlanItem("mirrored", "1.0", url=files[0].url, filename=name, sha256="a" * 64)
        policy = Policy(fail_mode=FailMode.OPEN)  # no advisory database here
        result = check_plan(
            [item], policy, [mirror, public], now=now, index_files={"mirrored": files}
        )
        return sorted(d.finding.id for d in result.verdict.decisions)

    assert verdict_ids("a" * 64, now - timedelta(days=30)) == []
    assert verdict_ids("a" * 64, now - timedelta(hours=3)) == ["TOO-NEW"]
    assert verdict_ids("b" * 64, now - timedelta(days=30)) == ["CONFUSION", "NO-UPLOAD-TIME"]


# ---------------------------------------------------------------- no upload time (issue 16)

REMOTE_INDEX = "https://private.invalid/simple/"


@pytest.mark.parametrize(
    ("index_url", "file_url", "expected"),
    [
        # a remote index that leaves the time out cannot switch the cooldown off
        (REMOTE_INDEX, "https://private.invalid/files/demo-1.0.whl", TOO_NEW_ID),
        ("http://127.0.0.1:8080/simple", None, TOO_NEW_ID),
        (None, "https://links.invalid/demo-1.0.whl", TOO_NEW_ID),  # a --find-links page
        # local sources keep the warning: a file:// mirror, a --find-links directory
        ("file:///srv/mirror/simple", "file:///srv/mirror/files/demo-1.0.whl", NO_UPLOAD_TIME_ID),
        (None, "file:///wheels/demo-1.0.whl", NO_UPLOAD_TIME_ID),
        (None, None, NO_UPLOAD_TIME_ID),
    ],
)
def test_a_missing_upload_time_from_a_remote_source_counts_as_too_new(
    index_url: str | None, file_url: str | None, expected: str
) -> None:
    rule = ReleaseAgeRule.from_policy(Policy(), NOW)
    found = release_age_finding("demo", "1.0", None, rule, index_url=index_url, file_url=file_url)
    assert found is not None and found.id == expected
    decision = decide([found], Policy(), NOW.date())[0]
    assert decision.action is (Action.BLOCK if expected == TOO_NEW_ID else Action.WARN)


def test_an_index_named_as_publishing_no_times_keeps_the_warning(tmp_path: Path) -> None:
    token_url = "https://__token__:s3cret@private.invalid/simple"  # the same index
    policy = Policy(indexes_without_upload_time=(token_url,))
    rule = ReleaseAgeRule.from_policy(policy, NOW)
    found = release_age_finding("demo", "1.0", None, rule, index_url=REMOTE_INDEX)
    assert found is not None and found.id == NO_UPLOAD_TIME_ID
    other = release_age_finding("demo", "1.0", None, rule, index_url="https://other.invalid/s")
    assert other is not None and other.id == TOO_NEW_ID
    # steering asks the same question about a candidate
    candidate = Candidate("demo", "1.0", index_url="https://other.invalid/s")
    assert not candidate_allowed(candidate, policy, NOW)
    assert candidate_allowed(Candidate("demo", "1.0", index_url=REMOTE_INDEX), policy, NOW)


def test_indexes_without_upload_time_is_a_key_and_a_variable(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'indexes-without-upload-time = ["{REMOTE_INDEX}"]\n', encoding="utf-8")
    policy = load_policy(tmp_path, env={"SAFE_PIP_CONFIG_FILE": str(config)})
    assert policy.indexes_without_upload_time == (REMOTE_INDEX,)
    env = {
        "SAFE_PIP_CONFIG_FILE": str(tmp_path / "absent.toml"),
        "SAFE_PIP_INDEXES_WITHOUT_UPLOAD_TIME": "https://a.invalid/simple, https://b.invalid/s",
    }
    from_env = load_policy(tmp_path, env=env)
    assert from_env.indexes_without_upload_time == (
        "https://a.invalid/simple",
        "https://b.invalid/s",
    )
    config.write_text('indexes-without-upload-time = ["not a url"]\n', encoding="utf-8")
    with pytest.raises(UsageError, match="indexes-without-upload-time must be a list of index"):
        load_policy(tmp_path, env={"SAFE_PIP_CONFIG_FILE": str(config)})


def test_an_untrusted_project_cannot_name_indexes_without_upload_time(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.safe-pip]\nindexes-without-upload-time = ["{REMOTE_INDEX}"]\n', encoding="utf-8"
    )
    env = {"SAFE_PIP_CONFIG_FILE": str(tmp_path / "absent.toml")}
    policy = load_policy(tmp_path, env=env)
    assert policy.indexes_without_upload_time == ()
    assert any("indexes-without-upload-time" in warning for warning in policy.warnings)
