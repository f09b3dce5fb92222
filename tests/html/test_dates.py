"""pipeline.html.dates: parse_date / find_date on the forms met in web pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.html.dates import MIN_YEAR, find_date, looks_like_date, parse_date, read_ambiguous

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-03-05T10:20:30Z", datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)),
        (
            "2024-03-05T23:30:00-05:00",
            datetime(2024, 3, 5, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
        ),
        (
            "2024-03-05T10:00:00.123456+0100",
            datetime(2024, 3, 5, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2024-03-05 10:00:00", datetime(2024, 3, 5, 10, 0, tzinfo=UTC)),
        ("20240305", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024/03/05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 10:00:00 GMT", datetime(2024, 3, 5, 10, 0, tzinfo=UTC)),
        (
            "March 5, 2024 at 3:45 pm EST",
            datetime(2024, 3, 5, 15, 45, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("Published on Mar. 5th, 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("5 March 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("5. März 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("5 de marzo de 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("05.03.2024", datetime(2024, 3, 5, tzinfo=UTC)),  # dotted: day first
        ("13/03/2024", datetime(2024, 3, 13, tzinfo=UTC)),  # unambiguous: 13 is no month
        ("2/24/2024", datetime(2024, 2, 24, tzinfo=UTC)),
        ("1709600000", datetime(2024, 3, 5, 0, 53, 20, tzinfo=UTC)),  # Unix seconds
    ],
)
def test_parses_common_forms(text: str, expected: datetime) -> None:
    got = parse_date(text, now=NOW)
    assert got == expected
    assert got is not None and got.utcoffset() == expected.utcoffset()


def test_naive_value_is_utc() -> None:
    got = parse_date("2024-03-05T10:00:00", now=NOW)
    assert got is not None and got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_offset_keeps_the_local_day() -> None:
    got = parse_date("2024-03-05T23:30:00-05:00", now=NOW)
    assert got is not None and got.date().isoformat() == "2024-03-05"


@pytest.mark.parametrize(
    "text",
    [
        "2025-06-02",  # after "now": a future date is dropped
        "2030-01-01T00:00:00Z",
        "1989-12-31",  # before 1990
        "January 1, 1985",
        "2024-02-30",  # no such day
        "03/05/2024",  # March 5 or 3 May? refused
        "",
        "   ",
        "yesterday",
        "3 days ago",
        "no date here",
    ],
)
def test_rejects_implausible_or_ambiguous(text: str) -> None:
    assert parse_date(text, now=NOW) is None


def test_default_now_is_the_clock() -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=2)
    assert parse_date(tomorrow.strftime("%Y-%m-%d")) is None
    assert parse_date("2020-01-01") == datetime(2020, 1, 1, tzinfo=UTC)


def test_min_year_boundary() -> None:
    assert parse_date(f"{MIN_YEAR}-01-01", now=NOW) == datetime(MIN_YEAR, 1, 1, tzinfo=UTC)


def test_find_date_reports_where_the_date_starts() -> None:
    found = find_date("Updated: March 5, 2024", now=NOW)
    assert found is not None
    dt, start = found
    assert dt == datetime(2024, 3, 5, tzinfo=UTC)
    assert "Updated: March 5, 2024"[:start] == "Updated: "


def test_looks_like_date_sees_unreadable_dates() -> None:
    assert looks_like_date("03/05/2024")
    assert parse_date("03/05/2024", now=NOW) is None
    assert not looks_like_date("5 minute read")


def test_non_string_input_gives_none() -> None:
    assert parse_date(None) is None  # type: ignore[arg-type]
    assert parse_date(20240305) is None  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text: str) -> None:
    got = parse_date(text)
    assert got is None or (got.tzinfo is not None and got.year >= MIN_YEAR)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2025, 5, 31),
        timezones=st.just(UTC),
    )
)
def test_iso_round_trip(dt: datetime) -> None:
    dt = dt.replace(microsecond=0)
    assert parse_date(dt.isoformat(), now=NOW) == dt


def test_timestamps_can_be_excluded_for_visible_text() -> None:
    assert find_date("1709600000", now=NOW) is not None
    assert find_date("1709600000", now=NOW, timestamps=False) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("04-ago-2021 5:11:10", datetime(2021, 8, 4, 5, 11, 10, tzinfo=UTC)),  # Spanish
        ("12 ene 2024", datetime(2024, 1, 12, tzinfo=UTC)),
        ("5 dic. 2023", datetime(2023, 12, 5, tzinfo=UTC)),
        ("5 févr. 2024", datetime(2024, 2, 5, tzinfo=UTC)),  # French
        ("3 juil. 2024", datetime(2024, 7, 3, tzinfo=UTC)),
        ("7 mag 2024", datetime(2024, 5, 7, tzinfo=UTC)),  # Italian
        ("9 ott 2024", datetime(2024, 10, 9, tzinfo=UTC)),
    ],
)
def test_abbreviated_month_names_of_other_languages(text: str, expected: datetime) -> None:
    assert parse_date(text, now=NOW) == expected


def test_relative_dates_are_not_resolved() -> None:
    for text in ("2 days ago", "Updated 3 hours ago", "a week ago", "ago 2021"):
        assert parse_date(text, now=NOW) is None


def test_read_ambiguous_takes_the_reading_of_the_hint() -> None:
    hint = datetime(2017, 3, 1, 12, tzinfo=UTC)
    read = read_ambiguous("03/01/2017", hint, now=NOW)
    assert read is not None
    assert read[0] == datetime(2017, 3, 1, tzinfo=UTC)
    assert "03/01/2017"[read[1] : read[2]] == "03/01/2017"
    # the other reading, with a time after it and words before
    text = "on 01/03/2017 7:38 PM"
    read = read_ambiguous(text, hint, now=NOW)
    assert read is not None and read[0].date().isoformat() == "2017-03-01"
    assert text[read[1] : read[2]] == "01/03/2017"
    # the hint's zone is kept, so the day stays the hint's day
    zone = timezone(timedelta(hours=-5))
    read = read_ambiguous("03/01/2017", datetime(2017, 3, 1, 22, tzinfo=zone), now=NOW)
    assert read is not None and read[0] == datetime(2017, 3, 1, tzinfo=zone)


@pytest.mark.parametrize(
    "text",
    [
        "03/04/2017",  # neither reading is the hint's day
        "03/01/2016",  # another year
        "13/03/2017",  # readable without help: the hint has no say
        "March 1, 2017",
        "no date",
        "",
    ],
)
def test_read_ambiguous_never_overrides_the_page(text: str) -> None:
    assert read_ambiguous(text, datetime(2017, 3, 1, tzinfo=UTC), now=NOW) is None
    assert read_ambiguous(None, datetime(2017, 3, 1, tzinfo=UTC)) is None  # type: ignore[arg-type]
