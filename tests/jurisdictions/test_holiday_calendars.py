"""Holidays are computed per year by rule, with observed-day shifting (5 U.S.C. 6103)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dncguard.jurisdictions.holidays import (
    CALENDARS,
    FEDERAL,
    MON,
    NEXT_MONDAY,
    NO_SHIFT,
    UT_JUNETEENTH,
    Easter,
    Fixed,
    NthWeekday,
    Shift,
    easter,
    holidays,
)

D = dt.date


@pytest.mark.parametrize(
    ("calendar", "day", "name"),
    [
        ("US-FEDERAL", D(2026, 1, 1), "New Year's Day"),
        ("US-FEDERAL", D(2026, 1, 19), "MLK Day: third Monday of January"),
        ("US-FEDERAL", D(2026, 2, 16), "Washington's Birthday: third Monday of February"),
        ("US-FEDERAL", D(2026, 5, 25), "Memorial Day: last Monday of May"),
        ("US-FEDERAL", D(2027, 5, 31), "Memorial Day 2027: last Monday of May, on the 31st"),
        ("US-FEDERAL", D(2026, 6, 19), "Juneteenth"),
        ("US-FEDERAL", D(2026, 7, 4), "Independence Day, on a Saturday"),
        ("US-FEDERAL", D(2026, 7, 3), "Independence Day observed on the Friday before"),
        ("US-FEDERAL", D(2026, 9, 7), "Labor Day: first Monday of September"),
        ("US-FEDERAL", D(2026, 10, 12), "Columbus Day: second Monday of October"),
        ("US-FEDERAL", D(2026, 11, 26), "Thanksgiving: fourth Thursday of November"),
        ("US-FEDERAL", D(2027, 12, 24), "Christmas 2027 (Saturday) observed on Friday 24th"),
        ("US-FEDERAL", D(2027, 12, 31), "New Year 2028 (Saturday) observed on Friday 31 Dec 2027"),
        ("US-FEDERAL", D(2033, 12, 26), "Christmas 2033 (Sunday) observed on Monday 26th"),
        ("US-PA", D(2026, 4, 3), "Good Friday"),
        ("US-PA", D(2026, 11, 3), "Election Day: Tuesday after the first Monday of November"),
        ("US-PA", D(2026, 6, 14), "Flag Day"),
        ("US-LA", D(2026, 2, 17), "Mardi Gras: 47 days before Easter"),
        ("US-LA", D(2026, 1, 8), "Battle of New Orleans"),
        ("US-RI", D(2026, 8, 10), "Victory Day: second Monday of August"),
        ("US-UT", D(2026, 7, 24), "Pioneer Day"),
    ],
)
def test_holiday_rules_give_the_right_date(calendar: str, day: dt.date, name: str) -> None:
    assert day in holidays(calendar, day.year), name


def test_ordinary_days_are_not_holidays() -> None:
    assert D(2026, 11, 19) not in holidays("US-FEDERAL", 2026)  # third Thursday
    assert D(2026, 4, 3) not in holidays("US-FEDERAL", 2026)  # Good Friday is not federal
    assert D(2026, 7, 6) not in holidays("US-FEDERAL", 2026)  # no Monday shift for a Saturday holiday
    assert D(2028, 12, 26) not in holidays("US-FEDERAL", 2028)  # Christmas 2028 is a Monday: no shift


def test_every_calendar_computes_for_any_year() -> None:
    """No hand-typed list that expires: any year yields a full calendar."""
    for name in CALENDARS:
        for year in (2000, 2026, 2100):
            days = holidays(name, year)
            assert len(days) >= 11
            assert all(d.year == year for d in days)


@pytest.mark.parametrize(
    ("year", "day"),
    [(2024, D(2024, 3, 31)), (2025, D(2025, 4, 20)), (2026, D(2026, 4, 5)), (2038, D(2038, 4, 25))],
)
def test_easter(year: int, day: dt.date) -> None:
    assert easter(year) == day


# ---------------------------------------------------------------------------------------------
# Observance shifts and the years a rule holds (the statutes' own weekend rules, as data)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shift", "day", "expected"),
    [
        (FEDERAL, D(2026, 7, 4), {D(2026, 7, 4), D(2026, 7, 3)}),  # Saturday: Friday before
        (FEDERAL, D(2027, 7, 4), {D(2027, 7, 4), D(2027, 7, 5)}),  # Sunday: Monday after
        (NEXT_MONDAY, D(2026, 7, 4), {D(2026, 7, 4), D(2026, 7, 6)}),  # R.I.: Saturday to Monday
        (NEXT_MONDAY, D(2027, 7, 4), {D(2027, 7, 4), D(2027, 7, 5)}),
        (UT_JUNETEENTH, D(2026, 6, 19), {D(2026, 6, 19), D(2026, 6, 15)}),  # Friday: Monday before
        (UT_JUNETEENTH, D(2029, 6, 19), {D(2029, 6, 19), D(2029, 6, 18)}),  # Tuesday: Monday before
        (UT_JUNETEENTH, D(2027, 6, 19), {D(2027, 6, 19), D(2027, 6, 21)}),  # Saturday: Monday after
        (UT_JUNETEENTH, D(2028, 6, 19), {D(2028, 6, 19)}),  # a Monday stays
        (NO_SHIFT, D(2026, 7, 4), {D(2026, 7, 4)}),
    ],
)
def test_observance_shift(shift: Shift, day: dt.date, expected: set[dt.date]) -> None:
    assert set(Fixed(day.month, day.day, observed=shift).dates(day.year)) == expected


def test_rules_that_hold_from_a_year_or_every_few_years() -> None:
    inauguration = NthWeekday(1, MON, 2, since=2024, every=4)
    assert inauguration.dates(2028) == (D(2028, 1, 10),)
    assert inauguration.dates(2027) == ()
    assert inauguration.dates(2020) == ()  # before ``since``
    assert Easter(-2, since=2027).dates(2026) == ()
    assert Easter(-2, until=2026).dates(2027) == ()


@given(st.integers(min_value=1900, max_value=2200))
def test_state_calendars_that_include_the_federal_days_never_lose_one(year: int) -> None:
    """Alabama, Louisiana, Pennsylvania and Rhode Island name every federal holiday too."""
    federal = holidays("US-FEDERAL", year)
    for calendar in ("US-AL", "US-LA", "US-PA", "US-RI"):
        assert federal <= holidays(calendar, year), calendar


@given(st.sampled_from(sorted(CALENDARS)), st.integers(min_value=1900, max_value=2200))
def test_an_observed_day_is_a_weekday(calendar: str, year: int) -> None:
    """A moved holiday lands on Monday-Friday; only a holiday's own date may be a weekend day."""
    nominal = {
        d for rule in CALENDARS[calendar] for y in (year - 1, year, year + 1) for d in rule.dates(y)[:1]
    }
    for day in holidays(calendar, year):
        assert day in nominal or day.weekday() < 5, (calendar, day)
