"""Louisiana: La. R.S. 45:811 (hours, Sundays, state holidays), La. R.S. 1:55 (the holidays).

La. R.S. 45:811: calls by ADAD equipment or a live operator only "between the hours of 8:00 a.m.
and 8:00 p.m., Monday through Saturday", never "on days declared to be a state holiday, or
Sundays". La. R.S. 1:55(A)(1) lists the days of public rest and legal holidays.
"""

from __future__ import annotations

import pytest
from harness import NUMBER, assert_banned_day, assert_window, hours_ok

from dncguard.jurisdictions import JURISDICTIONS

LA = NUMBER["US-LA"]


def test_hours_8_to_8_monday_to_saturday() -> None:
    assert_window(LA, "2026-03-16", "08:00", "20:00")
    assert_window(LA, "2026-03-21", "08:00", "20:00")


def test_no_calls_on_sunday() -> None:
    assert not hours_ok(LA, "2026-03-22", "14:00")


@pytest.mark.parametrize(
    ("day", "name", "before", "after"),
    [
        ("2026-01-08", "Battle of New Orleans, 8 January", True, True),
        ("2027-08-30", "Huey P. Long Day, 30 August (a Monday)", False, True),
        ("2027-11-01", "All Saints' Day, 1 November (a Monday)", False, True),
        ("2027-02-09", "Mardi Gras", True, True),
        ("2026-04-03", "Good Friday", True, True),
        ("2026-10-12", "Christopher Columbus Day", False, True),
        ("2026-11-03", "general election day in an even year (1:55(E))", False, True),
        ("2028-01-10", "Inauguration Day, second Monday of January 2028", False, True),
    ],
)
def test_holidays_of_la_rs_1_55(day: str, name: str, before: bool, after: bool) -> None:
    assert_banned_day(LA, day, before=before, after=after), name


def test_election_day_only_in_even_years() -> None:
    assert hours_ok(LA, "2027-11-02", "14:00")


def test_citations() -> None:
    la = JURISDICTIONS["US-LA"]
    assert "45:811" in la.hours_rule
    assert "R-29617" in la.hours_rule
    assert "1:55" in la.holidays_rule
