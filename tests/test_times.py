"""Reading timestamps (``times.parse_timestamp``): every string an index or a lock file may
write gives a timezone-aware UTC moment or None (unreadable), never an exception; and the
reading is one rule, whichever way it is computed."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safe_pip.times import parse_timestamp


def reference_reading(text: str | None) -> datetime | None:
    """The rule, written the plain way: blanks around are ignored, a trailing ``Z``/``z``
    means UTC, ``fromisoformat`` reads the rest, naive means UTC; a moment outside what a
    UTC ``datetime`` can hold is unreadable."""
    if not text:
        return None
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return None


@pytest.mark.parametrize(
    "text",
    ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", " 9999-12-31T23:59:59-00:01 "],
)
def test_a_time_no_utc_moment_can_hold_is_unreadable_not_an_error(text: str) -> None:
    """A hostile index's upload time past year 9999 in UTC (or before year 1) raised
    ``OverflowError`` out of the guard's answer: it is unreadable, like any other."""
    assert parse_timestamp(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-06T07:08:09Z", datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)),
        ("2024-05-06T07:08:09.5z", datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=timezone.utc)),
        (" 2024-05-06T09:08:09+02:00\n", datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)),
        ("2024-05-06T07:08:09", datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)),
        ("2024-02-30T00:00:00Z", None),
        ("2024-05-06T07:08:09ZZ", None),
        ("", None),
        (None, None),
    ],
)
def test_the_forms_indexes_write(text: str | None, expected: datetime | None) -> None:
    assert parse_timestamp(text) == expected


_PADS = st.sampled_from(["", "", " ", "\t", "\n", "\u3000"])
_DATES = st.sampled_from(
    ["2024-05-06", "2024-02-29", "2023-02-29", "9999-12-31", "0001-01-01", "20240506", "2024-W19-1"]
)
_SEPARATORS = st.sampled_from(["T", " ", "t", "_", ""])
_TIMES = st.sampled_from(
    ["07:08:09", "23:59:59.999999", "07:08", "07", "070809", "07:08:09.5", "07:08:09,5", "24:00:00"]
)
_ZONES = st.sampled_from(
    ["Z", "z", "+00:00", "-00:00", "+02:00", "-05:00", "+14:00", "-23:59", "+0000", "+00", "",
     "ZZ", "+00:00Z", "Z+00:00", " Z", "UTC"]
)  # fmt: skip


@given(_PADS, _DATES, _SEPARATORS, _TIMES, _ZONES, _PADS)
def test_every_form_is_read_by_the_one_rule(
    before: str, date: str, separator: str, time: str, zone: str, after: str
) -> None:
    text = before + date + separator + time + zone + after
    assert parse_timestamp(text) == reference_reading(text)


@given(st.text(alphabet="0123456789-:.+TZz tW", max_size=40))
def test_random_text_is_read_by_the_one_rule(text: str) -> None:
    assert parse_timestamp(text) == reference_reading(text)
