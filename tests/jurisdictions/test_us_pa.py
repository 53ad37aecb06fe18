"""Pennsylvania: 73 P.S. 2245(a)(1) ("after 9 p.m. or before 8 a.m."), (a)(10) (legal holidays).

The 13:30 Sunday start rests on vendor tables only (the stricter reading is kept). 44 P.S. 11's
Saturday-afternoon half-holiday is not among the days the sources give for (a)(10): Saturday
afternoons stay open (an open point the README lists).
"""

from __future__ import annotations

import pytest
from harness import NUMBER, assert_banned_day, assert_window, hours_ok

from dncguard.jurisdictions import JURISDICTIONS

PA = NUMBER["US-PA"]


def test_hours() -> None:
    assert_window(PA, "2026-03-16", "08:00", "21:00")
    assert_window(PA, "2026-03-22", "13:30", "21:00")  # a Sunday


def test_saturday_afternoon_half_holiday_does_not_ban_calls() -> None:
    assert hours_ok(PA, "2026-03-21", "12:00")
    assert hours_ok(PA, "2026-03-21", "20:00")


@pytest.mark.parametrize(
    ("day", "name", "before", "after"),
    [
        ("2026-04-03", "Good Friday", True, False),
        ("2027-06-14", "Flag Day, 14 June (a Monday)", False, True),
        ("2026-11-03", "Election Day 2026", True, True),
        ("2027-11-02", "Election Day 2027 (every year)", True, True),
    ],
)
def test_legal_holidays(day: str, name: str, before: bool, after: bool) -> None:
    assert_banned_day(PA, day, before=before, after=after), name


def test_citations() -> None:
    assert "2245(a)(1)" in JURISDICTIONS["US-PA"].hours_rule
