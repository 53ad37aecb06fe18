"""The state holiday calendars against the ``holidays`` package, with every known difference listed.

The ``holidays`` package (python-holidays) is an independent implementation of the same
statutes. Each calendar of :mod:`dncguard.jurisdictions.holidays` must equal the package's
calendar for the state, except for the differences listed here, each with its reason; a package
release that changes any of them makes this test fail, so the difference is looked at again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import holidays as pyholidays
import pytest
from dateutil.easter import easter as du_easter

from dncguard.jurisdictions.holidays import holidays

D = dt.date
YEARS = range(2024, 2036)


def nth(year: int, month: int, weekday: int, n: int) -> D:
    first = D(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def election_day(year: int) -> D:
    return nth(year, 11, 0, 1) + dt.timedelta(days=1)


def saturday_to_monday(year: int, month: int, day: int) -> set[D]:
    d = D(year, month, day)
    return {d + dt.timedelta(days=2)} if d.weekday() == 5 else set()


def al_only(y: int) -> set[D]:
    # Mardi Gras: a Baldwin and Mobile county holiday (Ala. Code 1-3-8), kept statewide (fail closed).
    return {du_easter(y) - dt.timedelta(days=47)}


def la_only(y: int) -> set[D]:
    # La. R.S. 1:55(A)(1) days the package leaves out; Baton Rouge's Inauguration Day (fail closed).
    out = {D(y, 1, 8), D(y, 8, 30), D(y, 11, 1), nth(y, 10, 0, 2)}
    if y % 4 == 0:
        out.add(nth(y, 1, 0, 2))
    return out


def pa_only(y: int) -> set[D]:
    # Good Friday, Flag Day and Election Day (every year): legal holidays the package leaves out.
    return {du_easter(y) - dt.timedelta(days=2), D(y, 6, 14), election_day(y)}


def pa_package_only(y: int) -> set[D]:
    # The day after Thanksgiving: a state-employee day off, not a legal holiday of 44 P.S. 11.
    return {nth(y, 11, 3, 4) + dt.timedelta(days=1)}


def ri_only(y: int) -> set[D]:
    # R.I. Gen. Laws 25-1-1: Rhode Island Independence Day (Sunday: the Monday after), a Saturday
    # holiday's Monday, election day in years with a general election of state officers.
    out = {D(y, 5, 4)}
    if D(y, 5, 4).weekday() == 6:
        out.add(D(y, 5, 5))
    for month, day in ((1, 1), (7, 4), (11, 11), (12, 25)):
        out |= saturday_to_monday(y, month, day)
    if y % 2 == 0:
        out.add(election_day(y))
    return out


def ut_only(y: int) -> set[D]:
    # Utah Code 63G-1-301: Easter Sunday; Juneteenth's Monday; Good Friday and Election Day from 2027.
    june19 = D(y, 6, 19)
    wd = june19.weekday()
    monday = june19 - dt.timedelta(days=wd) if 1 <= wd <= 4 else june19 + dt.timedelta(days=(7 - wd) % 7)
    out = {du_easter(y)}
    if wd != 6:  # a Sunday 19 June moves to Monday, as the federal observance does
        out.add(monday)
    if y >= 2027:
        out |= {du_easter(y) - dt.timedelta(days=2), election_day(y)}
    return out - {june19}


def ut_package_only(y: int) -> set[D]:
    # The package moves a Saturday 19 June to the federal Friday; Utah moves it to the Monday after.
    june19 = D(y, 6, 19)
    return {june19 - dt.timedelta(days=1)} if june19.weekday() == 5 else set()


def none(_: int) -> set[D]:
    return set()


KNOWN: dict[str, tuple[str | None, Callable[[int], set[D]], Callable[[int], set[D]]]] = {
    "US-FEDERAL": (None, none, none),
    "US-AL": ("AL", al_only, none),
    "US-LA": ("LA", la_only, none),
    "US-PA": ("PA", pa_only, pa_package_only),
    "US-RI": ("RI", ri_only, none),
    "US-UT": ("UT", ut_only, ut_package_only),
}


@pytest.mark.parametrize("calendar", sorted(KNOWN))
@pytest.mark.parametrize("year", YEARS)
def test_calendar_equals_the_package_but_for_the_listed_differences(calendar: str, year: int) -> None:
    subdiv, ours_only, theirs_only = KNOWN[calendar]
    package = pyholidays.country_holidays("US", subdiv=subdiv, years=year)
    theirs = {d for d in package if d.year == year}
    ours = holidays(calendar, year)
    assert ours - theirs == ours_only(year), calendar
    assert theirs - ours == theirs_only(year), calendar
