"""Utah: Utah Code 13-25a-103(3) (hours, Sundays, legal holidays) and 63G-1-301 (the holidays).

13-25a-103(3): no telephone solicitation without prior express consent "(a) between the hours of
9 p.m. and 8 a.m. local time; (b) on a Sunday; or (c) on a legal holiday". "Between" includes its
ends, so 21:00 and 08:00 are refused (fail closed). 63G-1-301 as amended in 2025 (Juneteenth on
the Monday before, or after a weekend), 2026 (Good Friday, in force 6 May 2026) and for 2027
(Election Day).
"""

from __future__ import annotations

from harness import NUMBER, assert_banned_day, assert_window, hours_ok

from dncguard.jurisdictions import JURISDICTIONS

UT = NUMBER["US-UT"]


def test_hours_exclude_9pm_and_8am_themselves() -> None:
    assert_window(UT, "2026-03-16", "08:01", "20:59")
    assert_window(UT, "2026-03-21", "08:01", "20:59")


def test_no_calls_on_sunday() -> None:
    assert not hours_ok(UT, "2026-03-22", "14:00")


def test_pioneer_day() -> None:
    assert_banned_day(UT, "2026-07-24", after=True)


def test_juneteenth_moves_to_the_monday_before_or_after() -> None:
    # 19 June 2026 is a Friday: Monday 15 June is the legal holiday; the 19th is banned too.
    assert_banned_day(UT, "2026-06-15", before=False)
    assert_banned_day(UT, "2026-06-19")
    # 19 June 2027 is a Saturday: Monday 21 June.
    assert_banned_day(UT, "2027-06-21", before=False)


def test_good_friday_from_2027() -> None:
    assert hours_ok(UT, "2026-04-03", "14:00")  # before the 2026 amendment took effect
    assert_banned_day(UT, "2027-03-26", after=True)


def test_election_day_from_2027() -> None:
    assert hours_ok(UT, "2026-11-03", "14:00")
    assert_banned_day(UT, "2027-11-02", before=False)


def test_citations() -> None:
    ut = JURISDICTIONS["US-UT"]
    assert "13-25a-103(3)" in ut.hours_rule
    assert "63G-1-301" in ut.holidays_rule
