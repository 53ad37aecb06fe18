"""Holidays are computed per year by rule, with observed-day shifting (5 U.S.C. 6103)."""

from __future__ import annotations

import datetime as dt

import pytest

from dncguard.jurisdictions.holidays import CALENDARS, easter, holidays

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
