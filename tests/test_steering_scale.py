"""Resolver steering on big project pages: every listed version is asked about, so matching
must cost about versions + ranges, not their product, and give the answers one-by-one
matching gives (OSV semantics: ``last_affected``, ``limit``, explicit ``versions``,
pre-releases, unreadable events, aliases, withdrawn records)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from packaging.version import Version

from safe_pip.advisories import version_match
from safe_pip.advisories.database import AdvisoryDatabase
from safe_pip.advisories.update import update_database
from safe_pip.models import Action
from safe_pip.pipeline import policy as policy_module
from safe_pip.pipeline.candidates import Candidate, CandidateJudge, candidate_blockers
from safe_pip.pipeline.policy import IgnoreRule, Policy

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
PROJECT = "bigproj"


def page_versions(count: int, seed: int = 3) -> list[str]:
    """Versions as a page lists them: releases, pre-releases, post and dev releases, equal
    versions written two ways, and a few no parser reads."""
    rng = random.Random(seed)
    versions: list[str] = []
    for number in range(count):
        major, rest = divmod(number, 100)
        minor, patch = divmod(rest, 10)
        text = f"{major}.{minor}.{patch}"
        versions.append(text)
        roll = rng.random()
        if roll < 0.05:
            versions.append(f"{major}.{minor}.{patch + 1}rc1")
        elif roll < 0.08:
            versions.append(f"{text}.post1")
        elif roll < 0.1:
            versions.append(f"{major}.{minor}.{patch + 1}.dev0")
    versions += ["1.0", "1.0.0.0", "2.0.0", "not-a-version", "1.0-foo-"]
    return versions


def advisory_records(versions: list[str], count: int, seed: int = 5) -> list[dict[str, object]]:
    rng = random.Random(seed)
    ordered = [v for v in versions if version_match.parse_version(v) is not None]
    ordered.sort(key=lambda v: version_match.parse_version(v) or 0)
    records: list[dict[str, object]] = []
    for number in range(count):
        start = rng.randrange(len(ordered) - 1)
        end = min(len(ordered) - 1, start + rng.randrange(1, len(ordered) // 4))
        shape = number % 8
        events: list[dict[str, str]] = [
            {"introduced": "0" if shape == 7 else ordered[start]},
            {"last_affected" if shape == 0 else "fixed": ordered[end]},
        ]
        if shape == 1:
            events += [{"introduced": ordered[min(end + 3, len(ordered) - 1)]}]
        if shape == 2:
            events.append({"limit": ordered[(start + end) // 2]})
        if shape == 3:
            events.append({"fixed": "2024-01-01"})  # unreadable, skipped
        if shape == 4:
            events = [{"introduced": "1.0"}, {"fixed": "not a date"}]  # no readable end
        if shape == 6:
            events.append({"limit": "*"})
        affected: dict[str, object] = {
            "package": {"ecosystem": "PyPI", "name": PROJECT},
            "ranges": [{"type": "ECOSYSTEM", "events": events}],
        }
        if shape in (4, 5):
            affected["versions"] = [*rng.sample(versions, 12), "1.0.0", "not-a-version"]
        record: dict[str, object] = {
            "id": f"PYSEC-2099-{number}",
            "modified": "2025-01-01T00:00:00Z",
            "summary": f"advisory {number}" if number % 3 else "",
            "aliases": [f"CVE-2099-{number // 2}"],  # pairs describe one vulnerability
            "affected": [affected],
        }
        if number % 11 == 0:
            record["withdrawn"] = "2025-02-01T00:00:00Z"
        if number % 13 == 0:
            record["id"] = f"MAL-2099-{number}"
        records.append(record)
    return records


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AdvisoryDatabase, list[str]]]:
    work = tmp_path_factory.mktemp("big")
    versions = page_versions(600)
    (work / "osv").mkdir()
    for record in advisory_records(versions, 60):
        (work / "osv" / f"{record['id']}.json").write_text(json.dumps(record))
    update_database(str(work / "osv"), db_path=work / "advisories.sqlite")
    with AdvisoryDatabase.open(work / "advisories.sqlite") as database:
        yield database, versions


def test_all_versions_at_once_answer_as_one_by_one(
    big: tuple[AdvisoryDatabase, list[str]],
) -> None:
    database, versions = big
    at_once = database.matches_for_versions(PROJECT, versions)
    one_by_one = {v: database.matches(PROJECT, v, with_fix=False) for v in versions}
    assert {v: list(found) for v, found in at_once.items()} == one_by_one
    assert sum(map(len, one_by_one.values())) > len(versions)  # the records do affect it


def test_a_project_without_advisories_answers_every_version(
    big: tuple[AdvisoryDatabase, list[str]],
) -> None:
    database, _ = big
    assert database.matches_for_versions("other", ["1.0", "x"]) == {"1.0": [], "x": []}


def test_each_range_is_walked_once_not_once_per_version(
    big: tuple[AdvisoryDatabase, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steering asked about 20,000 listed files by evaluating every advisory range for every
    version (minutes on such a page); the walk sorts the versions once."""
    database, versions = big
    evaluated: list[object] = []
    original = version_match._in_range

    def counting(version: object, events: object) -> bool:
        evaluated.append(version)
        return original(version, events)  # type: ignore[arg-type]

    monkeypatch.setattr(version_match, "_in_range", counting)
    database.matches_for_versions(PROJECT, versions)
    assert len(evaluated) <= 10  # the unparsable versions only ever asked one by one


POLICIES = [
    Policy(min_release_age=timedelta(0)),
    Policy(min_release_age=timedelta(days=2), yanked=Action.BLOCK),
    Policy(
        min_release_age=timedelta(0),
        ignore=(
            IgnoreRule(id="CVE-2099-3", reason="not used"),
            IgnoreRule(id="PYSEC-2099-9", reason="x", package=PROJECT),
            IgnoreRule(id="PYSEC-2099-10", reason="x", package="other"),
            IgnoreRule(id="PYSEC-2099-14", reason="x", expires=date(2025, 1, 1)),
        ),
    ),
    Policy(min_release_age=timedelta(0), allow=(PROJECT,)),
    Policy(min_release_age=timedelta(0), min_severity=7.0),
    Policy(min_release_age=timedelta(0), warn_only=True),
]


@pytest.mark.parametrize("policy", POLICIES)
def test_the_judge_answers_as_candidate_blockers(
    big: tuple[AdvisoryDatabase, list[str]], policy: Policy
) -> None:
    database, versions = big
    matches = database.matches_for_versions(PROJECT, versions)
    judge = CandidateJudge(policy, NOW)
    for number, version in enumerate(versions):
        candidate = Candidate(
            name=PROJECT,
            version=version,
            upload_time=None if number % 7 == 0 else "2025-12-31T12:00:00Z",
            yanked=number % 5 == 0,
            yanked_reason="broken" if number % 10 == 0 else None,
            advisories=matches[version],
        )
        expected = tuple(d.finding.id for d in candidate_blockers(candidate, policy, NOW))
        assert judge.blocking_ids(candidate) == expected, version


def test_the_steering_question_decides_each_advisory_once(
    tmp_path: Path,
    big: tuple[AdvisoryDatabase, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safe_pip.installers.pip.guard_service import GuardService

    database, versions = big
    decided: list[object] = []
    original = policy_module._decide_one

    def counting(*args: object) -> object:
        decided.append(args[0])
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(policy_module, "_decide_one", counting)
    service = GuardService(Policy(min_release_age=timedelta(0)), print_reports=False, now=NOW)
    service._advisories = database
    service._loaded.set()
    candidates = [[v, False, None, None] for v in versions for _ in ("wheel", "sdist")]
    answer = service.handle({"op": "candidates", "name": PROJECT, "candidates": candidates})
    decided_by_steering = len(decided)
    one_by_one = {
        version
        for version in versions
        if candidate_blockers(
            Candidate(PROJECT, version, advisories=database.matches(PROJECT, version)),
            service.policy,
            NOW,
        )
    }
    assert {candidates[i][0] for i in answer["remove"]} == one_by_one
    findings = len(decided) - decided_by_steering  # one per advisory affecting a version
    shared = database.matches_for_versions(PROJECT, versions).values()
    distinct_matches = {id(match): match for found in shared for match in found}
    assert decided_by_steering == len(distinct_matches) < findings / 20


EVENT_VERSIONS = ["0", "0.1", "0.9", "1.0", "1.0.0", "1.0a1", "1.0rc1", "1.0.post1", "1.1"]
EVENT_VERSIONS += ["1.2", "1.2.3", "2.0", "2.0.dev0", "2.1", "3", "10.0", "1!0.5"]
EVENT_VERSIONS += ["*", "not-a-version", "2024-01-01"]


@pytest.mark.parametrize("seed", range(4))
def test_a_range_walked_over_sorted_versions_answers_as_each_version_alone(seed: int) -> None:
    rng = random.Random(seed)
    readable = [v for v in EVENT_VERSIONS if version_match.parse_version(v) is not None]
    for _ in range(2000):
        events = [
            version_match.RangeEvent(
                rng.choice(version_match.EVENT_KINDS), rng.choice(EVENT_VERSIONS)
            )
            for _ in range(rng.randrange(0, 6))
        ]
        chosen = rng.sample(readable, rng.randrange(1, len(readable)))
        ordered = sorted(Version(v) for v in chosen)
        spans = version_match.affected_spans(ordered, events)
        walked = [any(start <= i < end for start, end in spans) for i in range(len(ordered))]
        alone = [version_match._in_range(version, events) for version in ordered]
        assert walked == alone, (events, ordered)
