"""Rhode Island: R.I. Gen. Laws 5-61-2(2), 5-61-3.6 (hours) and 25-1-1 (holidays).

5-61-2(2): "Monday through Friday, except a state or federal holiday, nine o'clock (9:00 a.m.) to
six o'clock (6:00 p.m.); Saturday ten o'clock (10:00 a.m.) to five o'clock (5:00 p.m.)". 25-1-1
moves New Year's Day, Independence Day, Veterans' Day and Christmas on a Saturday or Sunday to the
following Monday, and any listed day on a Sunday to the day after.
"""

from __future__ import annotations

from harness import NUMBER, assert_banned_day, assert_window, hours_ok

from dncguard.jurisdictions import JURISDICTIONS

RI = NUMBER["US-RI"]


def test_hours_weekdays_and_saturday() -> None:
    assert_window(RI, "2026-03-16", "09:00", "18:00")
    assert_window(RI, "2026-03-21", "10:00", "17:00")


def test_no_calls_on_sunday() -> None:
    assert not hours_ok(RI, "2026-03-22", "12:00")


def test_victory_day_second_monday_of_august() -> None:
    assert_banned_day(RI, "2026-08-10", before=False)


def test_rhode_island_independence_day_4_may() -> None:
    assert_banned_day(RI, "2026-05-04", before=False)
    # 4 May 2025 is a Sunday: the Monday after is a holiday too.
    assert_banned_day(RI, "2025-05-05", before=False)


def test_weekend_holidays_move_to_monday_and_federal_friday() -> None:
    # 4 July 2026 is a Saturday: Friday 3 July (5 U.S.C. 6103) and Monday 6 July (25-1-1).
    assert_banned_day(RI, "2026-07-03", after=False)
    assert_banned_day(RI, "2026-07-06", before=False)
    assert hours_ok(RI, "2026-07-02", "12:00")
    # Christmas 2027 is a Saturday: Monday 27 December.
    assert_banned_day(RI, "2027-12-27", before=False)
    # New Year's Day 2028 is a Saturday: Monday 3 January.
    assert_banned_day(RI, "2028-01-03", before=False)


def test_state_election_day_and_federal_holidays() -> None:
    assert_banned_day(RI, "2026-11-03", before=True)  # general election of state officers, 2026
    assert_banned_day(RI, "2026-06-19")  # Juneteenth, a federal holiday


def test_citations() -> None:
    ri = JURISDICTIONS["US-RI"]
    assert "5-61-2(2)" in ri.hours_rule
    assert "5-61-3.6" in ri.hours_rule
    assert "25-1-1" in ri.holidays_rule
