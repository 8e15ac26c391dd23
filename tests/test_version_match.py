from __future__ import annotations

import pytest

from safe_pip.advisories.version_match import (
    RangeEvent,
    first_fixed,
    is_affected,
    normalize_version,
    prepare_range,
)


def events(*pairs: tuple[str, str]) -> list[RangeEvent]:
    return [RangeEvent(kind, version) for kind, version in pairs]


INTRODUCED_0_FIXED_2 = events(("introduced", "0"), ("fixed", "2.0.0"))


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.0.1", True),
        ("0.dev0", True),  # "0" means every version, even below Version("0")
        ("1.9.9", True),
        ("2.0.0rc1", True),  # pre-releases of the fix are still affected
        ("2.0.0.dev3", True),
        ("2.0.0", False),
        ("2.0", False),  # equal versions compare equal, whatever their spelling
        ("2.0.0.post1", False),
        ("3.0", False),
    ],
)
def test_introduced_zero_fixed_is_half_open(version: str, expected: bool) -> None:
    assert is_affected(version, [INTRODUCED_0_FIXED_2], ()) is expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.9", False), ("1.0", True), ("1.4.2", True), ("1.4.2.post1", False), ("1.5", False)],
)
def test_last_affected_is_inclusive(version: str, expected: bool) -> None:
    range_ = events(("introduced", "1.0"), ("last_affected", "1.4.2"))
    assert is_affected(version, [range_], ()) is expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.1", False), ("1.2", True), ("1.9.9", True), ("2.0a1", True), ("2.0", False)],
)
def test_limit_caps_an_open_range(version: str, expected: bool) -> None:
    range_ = events(("introduced", "1.2"), ("limit", "2.0"))
    assert is_affected(version, [range_], ()) is expected


def test_limit_star_means_no_cap() -> None:
    range_ = events(("introduced", "1.2"), ("limit", "*"))
    assert is_affected("99.0", [range_], ())


def test_events_are_evaluated_in_version_order_not_list_order() -> None:
    range_ = events(
        ("fixed", "2.5"), ("introduced", "2.0"), ("fixed", "1.5"), ("introduced", "1.0")
    )
    assert [is_affected(v, [range_], ()) for v in ("0.9", "1.2", "1.7", "2.2", "2.6")] == [
        False,
        True,
        False,
        True,
        False,
    ]


def test_unparsable_event_versions_are_skipped() -> None:
    range_ = events(("introduced", "0"), ("fixed", "2019-09-12 (see text)"), ("fixed", "0.9"))
    assert is_affected("0.8", [range_], ())
    assert not is_affected("0.9", [range_], ())
    assert first_fixed("0.8", [range_], ()) == "0.9"


def test_a_range_whose_only_end_is_unreadable_is_left_to_the_versions_list() -> None:
    # Seen in the PyPA data: {"introduced": "0"}, {"fixed": "2019-09-12"}.
    range_ = events(("introduced", "0"), ("fixed", "2019-09-12"))
    assert not is_affected("5.0", [range_], ())
    assert is_affected("0.1", [range_], {normalize_version("0.1")})


def test_unknown_event_kinds_are_ignored() -> None:
    range_ = events(("introduced", "1.0"), ("bogus", "1.1"))
    assert is_affected("1.2", [range_], ())


def test_versions_list_matches_normalized_versions() -> None:
    versions = {normalize_version(v) for v in ("1.0", "2.0.post1", "0.3m1")}
    assert is_affected("1.0.0", [], versions)
    assert is_affected("1.0", [], versions)
    assert is_affected("2.0-post1", [], versions)
    assert is_affected("0.3m1", [], versions)  # not PEP 440: exact string only
    assert not is_affected("1.0.1", [], versions)
    assert not is_affected("0.3M1", [], versions)


def test_unparsable_installed_version_only_matches_the_list() -> None:
    assert not is_affected("not-a-version", [INTRODUCED_0_FIXED_2], ())
    assert first_fixed("not-a-version", [INTRODUCED_0_FIXED_2], ()) is None


def test_first_fixed_picks_the_fix_of_the_range_the_version_is_in() -> None:
    ranges = [
        events(("introduced", "0"), ("fixed", "1.5")),
        events(("introduced", "2.0"), ("fixed", "2.3")),
    ]
    assert first_fixed("1.2", ranges, ()) == "1.5"
    assert first_fixed("2.1", ranges, ()) == "2.3"


def test_first_fixed_skips_fixes_that_are_still_affected_elsewhere() -> None:
    ranges = [
        events(("introduced", "0"), ("fixed", "1.5")),
        events(("introduced", "1.0"), ("fixed", "1.6")),
    ]
    assert first_fixed("1.2", ranges, ()) == "1.6"
    # 1.6 is listed explicitly, so the first safe fix is past it: none known here
    assert first_fixed("1.2", ranges, {normalize_version("1.6")}) is None


def test_first_fixed_is_none_without_fix() -> None:
    range_ = events(("introduced", "1.0"), ("last_affected", "1.4"))
    assert first_fixed("1.2", [range_], ()) is None


def test_first_fixed_for_a_prerelease() -> None:
    assert first_fixed("2.0.0rc1", [INTRODUCED_0_FIXED_2], ()) == "2.0.0"


def test_normalize_version() -> None:
    assert normalize_version("1.0.0") == normalize_version("1.0") == normalize_version("v1")
    assert normalize_version("2.0.0-RC1") == normalize_version("2.0.0rc1")
    assert normalize_version("0.3m1") == "0.3m1"


@pytest.mark.parametrize(
    "range_",
    [
        events(("introduced", "1.0"), ("fixed", "2.0"), ("fixed", "2021-05-01")),
        events(("introduced", "1.0"), ("fixed", "2021-05-01"), ("fixed", "2.0")),
        events(("introduced", "1.0"), ("last_affected", "2021-05-01"), ("fixed", "2.0")),
    ],
)
def test_one_readable_end_is_enough_to_judge_a_range(range_: list[RangeEvent]) -> None:
    """Only a range whose *every* end is unreadable is left to the versions list."""
    assert is_affected("1.5", [range_], ())
    assert not is_affected("2.0", [range_], ())
    assert not is_affected("0.9", [range_], ())


def test_events_after_a_limit_star_still_count() -> None:
    range_ = events(("limit", "*"), ("introduced", "1.0"), ("fixed", "2.0"))
    assert [is_affected(v, [range_], ()) for v in ("0.9", "1.1", "2.0")] == [False, True, False]


def test_a_limit_star_lifts_every_other_limit() -> None:
    """OSV: a version is within the limits when it is below *any* limit; "*" is infinity."""
    for range_ in (
        events(("introduced", "1.0"), ("limit", "1.5"), ("limit", "*")),
        events(("introduced", "1.0"), ("limit", "*"), ("limit", "1.5")),
    ):
        assert is_affected("3.0", [range_], ())
    assert not is_affected("3.0", [events(("introduced", "1.0"), ("limit", "1.5"))], ())


def test_a_version_below_any_of_several_limits_is_within_them() -> None:
    range_ = events(("introduced", "1.0"), ("limit", "1.5"), ("limit", "3.0"))
    assert is_affected("2.0", [range_], ())
    assert not is_affected("3.0", [range_], ())


def test_a_later_introduction_reopens_a_fixed_range() -> None:
    range_ = events(("introduced", "0"), ("fixed", "1.0"), ("introduced", "1.5"))
    assert [is_affected(v, [range_], ()) for v in ("0.5", "1.2", "1.5", "9")] == [
        True,
        False,
        True,
        True,
    ]


def test_introduced_and_fixed_at_the_same_version_affect_nothing_there() -> None:
    """At equal versions an opening event sorts before a closing one (also when spelled
    differently), so the fix wins."""
    range_ = events(("fixed", "1.0.0"), ("introduced", "1.0"))
    assert not is_affected("1.0", [range_], ())
    assert not is_affected("1.5", [range_], ())


def test_prepared_ranges_answer_the_same() -> None:
    range_ = events(("introduced", "1.0"), ("fixed", "2.0"), ("limit", "*"))
    prepared = prepare_range(range_)
    assert prepare_range(prepared) is prepared
    assert is_affected("1.5", [prepared], ()) and not is_affected("2.5", [prepared], ())
