"""Property: OSV range matching agrees with the OSV spec's algorithm (``support.osv_reference``).

Random event lists (any order, every kind, ``"0"`` and ``"*"``, unreadable versions, unknown
kinds) and random versions (epochs, pre, post, dev and local parts, equal versions spelled
differently) go through the public functions the advisory database uses (``is_affected`` with
raw and prepared ranges, ``first_fixed``), and through a real database built from OSV records.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from safe_pip.advisories.database import AdvisoryDatabase
from safe_pip.advisories.update import update_database
from safe_pip.advisories.version_match import (
    RangeEvent,
    affected_spans,
    first_fixed,
    is_affected,
    normalize_version,
    prepare_range,
)
from support import osv_reference
from support.properties import FAST

RELEASES = ["0", "0.0", "0.9", "1", "1.0", "1.0.0", "1.1", "1.5", "2.0", "2.0.1", "10", "1!0.5"]
SUFFIXES = ["", "a1", "b2", "rc1", ".post1", ".dev0", "rc1.dev1", "+local.7", ".post1+abc", "-1"]
UNREADABLE = ["2021-05-01", "garbage", "", "1.0-?", "*", "1.*"]
KINDS = ["introduced", "fixed", "last_affected", "limit"]

versions = st.builds(lambda r, s: r + s, st.sampled_from(RELEASES), st.sampled_from(SUFFIXES))
event_versions = st.one_of(versions, st.sampled_from(UNREADABLE), st.just("0"))
events = st.lists(
    st.tuples(st.sampled_from([*KINDS, "introduced", "fixed", "bogus"]), event_versions),
    max_size=7,
)
ranges = st.lists(events, max_size=3)


def range_events(events: list[tuple[str, str]]) -> list[RangeEvent]:
    return [RangeEvent(kind, text) for kind, text in events]


@FAST
@given(version=st.one_of(versions, st.sampled_from(UNREADABLE)), ranges=ranges)
def test_is_affected_agrees_with_the_osv_algorithm(
    version: str, ranges: list[list[tuple[str, str]]]
) -> None:
    expected = osv_reference.is_affected(version, ranges, ())
    raw = [range_events(events) for events in ranges]
    assert is_affected(version, raw, ()) is expected
    assert is_affected(version, [prepare_range(events) for events in raw], ()) is expected


@FAST
@given(version=versions, listed=st.lists(st.one_of(versions, st.sampled_from(UNREADABLE))))
def test_the_versions_list_matches_equal_versions(version: str, listed: list[str]) -> None:
    normalized = {normalize_version(text) for text in listed}
    assert is_affected(version, [], normalized) is osv_reference.listed(version, listed)


@FAST
@given(version=versions, ranges=ranges, listed=st.lists(versions, max_size=3))
def test_first_fixed_is_the_lowest_fix_above_that_is_itself_safe(
    version: str, ranges: list[list[tuple[str, str]]], listed: list[str]
) -> None:
    raw = [range_events(events) for events in ranges]
    normalized = {normalize_version(text) for text in listed}
    found = first_fixed(version, raw, normalized)

    def safe(text: str) -> bool:
        return not osv_reference.is_affected(text, ranges, listed)

    mine = osv_reference.parsed(version)
    assert mine is not None
    fixes = [
        text
        for events in ranges
        if not _ends_unreadable(events)
        for kind, text in events
        if kind == "fixed" and (bound := osv_reference.parsed(text)) is not None and bound > mine
    ]
    safe_fixes = sorted((osv_reference.parsed(text), text) for text in fixes if safe(text))
    if not safe_fixes:
        assert found is None
    else:
        assert found is not None and osv_reference.parsed(found) == safe_fixes[0][0]


@FAST
@given(asked=st.lists(versions, max_size=12), events=events)
def test_affected_spans_cover_exactly_the_affected_versions(
    asked: list[str], events: list[tuple[str, str]]
) -> None:
    """The batch path steering uses: one walk over sorted versions."""
    ordered = sorted(Version(text) for text in asked)
    covered: set[int] = set()
    for start, end in affected_spans(ordered, range_events(events)):
        assert 0 <= start < end <= len(ordered)
        covered.update(range(start, end))
    expected = {i for i, v in enumerate(ordered) if osv_reference.in_range(str(v), events)}
    assert covered == expected


def _ends_unreadable(events: list[tuple[str, str]]) -> bool:
    ends = [text for kind, text in events if kind in ("fixed", "last_affected")]
    return bool(ends) and all(osv_reference.parsed(text) is None for text in ends)


# ------------------------------------------------------------------ through the database

CORPUS_SIZE = 120
ASKED = sorted({r + s for r in RELEASES for s in ("", "rc1", ".post1", ".dev0", "+local.7")})


def corpus() -> list[tuple[str, list[list[tuple[str, str]]], list[str]]]:
    """Records with random ranges and versions lists: (package, ranges, versions)."""
    chooser = random.Random(20)
    # "" is not here: the record reader drops an empty event, as if it were not written
    pool = [r + s for r in RELEASES for s in SUFFIXES] + [u for u in UNREADABLE if u] + ["0"] * 4
    records = []
    for number in range(CORPUS_SIZE):
        ranges = [
            [
                (chooser.choice([*KINDS, "introduced"]), chooser.choice(pool))
                for _ in range(chooser.randint(1, 6))
            ]
            for _ in range(chooser.randint(1, 2))
        ]
        listed = chooser.sample(ASKED, chooser.choice([0, 0, 1, 2]))
        records.append((f"pkg{number}", ranges, listed))
    return records


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdvisoryDatabase]:
    directory = tmp_path_factory.mktemp("osv-random")
    for package, ranges, listed in corpus():
        record = {
            "id": f"PYSEC-0000-{package}",
            "modified": "2026-01-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": package},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{kind: text} for kind, text in events]}
                        for events in ranges
                    ],
                    "versions": listed,
                }
            ],
        }
        (directory / f"{package}.json").write_text(json.dumps(record), encoding="utf-8")
    path = Path(directory / "advisories.sqlite")
    update_database(str(directory), db_path=path)
    with AdvisoryDatabase.open(path) as opened:
        yield opened


def test_database_lookups_agree_with_the_osv_algorithm(database: AdvisoryDatabase) -> None:
    disagreements = []
    for package, ranges, listed in corpus():
        for version in ASKED:
            expected = osv_reference.is_affected(version, ranges, listed)
            found = bool(database.matches(package, version, with_fix=False))
            if found is not expected:
                disagreements.append((package, version, ranges, listed, expected))
        batch = database.matches_for_versions(package, ASKED)
        for version in ASKED:
            expected = osv_reference.is_affected(version, ranges, listed)
            if bool(batch[version]) is not expected:
                disagreements.append((package, f"{version} (batch)", ranges, listed, expected))
    assert disagreements == []
