"""Alabama: Ala. Admin. Code r. 770-X-5-.17(1)(b) (hours, Sundays, holidays) and Ala. Code 1-3-8.

r. 770-X-5-.17(1)(b): "No solicitation calls are allowed on Sundays or holidays. On the days that
calls are allowed, none will be placed prior to 8 a.m. or after 8 p.m." The holidays are those of
Ala. Code 1-3-8, whose weekend rule is: "If any holiday falls on Sunday, the following day is the
holiday. If any holiday falls on Saturday, the preceding day is the holiday."
"""

from __future__ import annotations

import pytest
from harness import NUMBER, assert_banned_day, assert_window, at, check, hours_ok

from dncguard.jurisdictions import JURISDICTIONS

AL = NUMBER["US-AL"]


def test_hours_8_to_8_monday_to_saturday() -> None:
    assert_window(AL, "2026-03-16", "08:00", "20:00")  # a Monday
    assert_window(AL, "2026-03-21", "08:00", "20:00")  # a Saturday


def test_no_calls_on_sunday() -> None:
    assert not hours_ok(AL, "2026-03-22", "14:00")


@pytest.mark.parametrize(
    ("day", "name", "before", "after"),
    [
        ("2026-04-27", "Confederate Memorial Day, fourth Monday of April (state-only)", False, True),
        ("2026-06-01", "Jefferson Davis' birthday, first Monday of June (state-only)", False, True),
        ("2026-01-19", "Robert E. Lee's and Martin Luther King, Jr.'s birthday", False, True),
        ("2027-02-15", "George Washington's and Thomas Jefferson's birthday", False, True),
        ("2026-10-12", "Columbus Day, Fraternal Day and American Indian Heritage Day", False, True),
        ("2026-11-11", "Veterans' Day, a Wednesday", True, True),
        ("2026-11-26", "Thanksgiving", True, True),
        ("2027-02-09", "Mardi Gras (Baldwin and Mobile counties; kept statewide, fail closed)", True, True),
    ],
)
def test_state_holidays_of_ala_code_1_3_8(day: str, name: str, before: bool, after: bool) -> None:
    assert_banned_day(AL, day, before=before, after=after), name


def test_a_saturday_holiday_moves_to_the_friday_before() -> None:
    # 4 July 2026 is a Saturday: Friday 3 July is the holiday; the Saturday is banned too (fail closed).
    assert_banned_day(AL, "2026-07-03", after=False)
    assert not hours_ok(AL, "2026-07-04", "14:00")
    # Christmas 2027 and New Year's Day 2028 fall on Saturdays.
    assert not hours_ok(AL, "2027-12-24", "14:00")
    assert not hours_ok(AL, "2027-12-31", "14:00")
    assert hours_ok(AL, "2027-12-23", "14:00")


def test_a_sunday_holiday_moves_to_the_monday_after() -> None:
    # Christmas 2033 is a Sunday: Monday 26 December is the holiday.
    assert_banned_day(AL, "2033-12-26", before=False)


def test_citations() -> None:
    al = JURISDICTIONS["US-AL"]
    assert "770-X-5-.17" in al.hours_rule
    assert "1-3-8" in al.holidays_rule
    assert "8-19C" in al.source
    assert "8-19A" not in al.source
    reason = check(AL, at("2026-04-27", "14:00", "America/Chicago")).reasons[0]
    assert "770-X-5-.17" in reason.rule
