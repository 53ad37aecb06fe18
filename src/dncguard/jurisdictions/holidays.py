"""Holiday calendars, computed per year by rule: never a hand-typed list of dates that expires.

A calendar is a tuple of rules: a fixed date (``Fixed(7, 4)``), the n-th weekday of a month
(``NthWeekday(11, THU, 4)``: Thanksgiving; ``n=-1``: the last), optionally shifted by days
(``NthWeekday(11, MON, 1, shift=1)``: Election Day, the Tuesday after the first Monday of
November), or a day relative to Western Easter (``Easter(-2)``: Good Friday). A rule may hold
only from a year on (``since``), until a year (``until``), or every few years (``every``, counted
from ``since``): a state's general election in even years, an inauguration every four.

Observed dates. Each statute says which weekday stands in for a fixed-date holiday that falls on
a weekend; a :data:`Shift` records it as the day offset for each weekday: 5 U.S.C. 6103(b)
(:data:`FEDERAL`: Saturday to the Friday before, Sunday to the Monday after), R.I. Gen. Laws
25-1-1 (:data:`NEXT_MONDAY`: either weekend day to the Monday after), Utah Code 63G-1-301(2)(c)
and (d) (:data:`UT_JUNETEENTH`: a Tuesday-Friday June 19 to the Monday before, a weekend one to
the Monday after). A state that bans calls on holidays does not say whether it means the day
itself or the day that stands in for it, so dncguard bans **both** (fail closed).

References (the official texts; each calendar below cites its section):

* 5 U.S.C. 6103: https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title5-section6103
* Ala. Code 1-3-8: https://alison.legislature.state.al.us/code-of-alabama?section=1-3-8
* La. R.S. 1:55: https://legis.la.gov/legis/Law.aspx?d=74097
* 44 P.S. 11 (Pennsylvania legal holidays): https://www.legis.state.pa.us (Purdon's, unofficial)
* R.I. Gen. Laws 25-1-1: http://webserver.rilegislature.gov/Statutes/TITLE25/25-1/25-1-1.htm
* Utah Code 63G-1-301: https://le.utah.gov/xcode/Title63G/Chapter1/63G-1-S301.html

>>> import datetime as dt
>>> dt.date(2026, 7, 3) in holidays("US-FEDERAL", 2026)   # 4 July 2026 is a Saturday
True
>>> sorted(d for d in holidays("US-FEDERAL", 2026) if d.month == 11)
[datetime.date(2026, 11, 11), datetime.date(2026, 11, 26)]
>>> dt.date(2026, 4, 3) in holidays("US-PA", 2026)        # Good Friday
True
>>> dt.date(2026, 7, 6) in holidays("US-RI", 2026)        # R.I.: a Saturday 4 July moves to Monday
True
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
    "CALENDARS",
    "FEDERAL",
    "MON",
    "NEXT_MONDAY",
    "NO_SHIFT",
    "THU",
    "TUE",
    "UT_JUNETEENTH",
    "Easter",
    "Fixed",
    "HolidayRule",
    "NthWeekday",
    "Shift",
    "easter",
    "holidays",
]

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

Shift = tuple[int, int, int, int, int, int, int]
"""Days from a fixed-date holiday to the weekday observed for it, by the holiday's weekday
(Monday = 0); ``0``: no other day."""
NO_SHIFT: Final[Shift] = (0, 0, 0, 0, 0, 0, 0)
FEDERAL: Final[Shift] = (0, 0, 0, 0, 0, -1, 1)
"""5 U.S.C. 6103(b): Saturday to the Friday before, Sunday to the Monday after."""
NEXT_MONDAY: Final[Shift] = (0, 0, 0, 0, 0, 2, 1)
"""R.I. Gen. Laws 25-1-1: a holiday on a Saturday or Sunday is celebrated the following Monday."""
UT_JUNETEENTH: Final[Shift] = (0, -1, -2, -3, -4, 2, 1)
"""Utah Code 63G-1-301(2)(c), (d): June 19 on Tuesday-Friday to the Monday before, on a weekend
to the Monday after."""

_ALWAYS: Final = 0
_NEVER: Final = 10_000


@dataclass(frozen=True, kw_only=True)
class _Years:
    """In which years a rule holds: ``since <= year <= until`` and ``(year - since) % every == 0``."""

    since: int = _ALWAYS
    until: int = _NEVER
    every: int = 1

    def holds(self, year: int) -> bool:
        return self.since <= year <= self.until and (year - self.since) % self.every == 0


@dataclass(frozen=True)
class Fixed(_Years):
    """The same date every year, and the weekday ``observed`` stands in for it on (a :data:`Shift`)."""

    month: int
    day: int
    observed: Shift = FEDERAL

    def dates(self, year: int) -> tuple[dt.date, ...]:
        """The holiday and, if its statute moves it, its observed weekday."""
        if not self.holds(year):
            return ()
        d = dt.date(year, self.month, self.day)
        move = self.observed[d.weekday()]
        return (d, d + dt.timedelta(days=move)) if move else (d,)


@dataclass(frozen=True)
class NthWeekday(_Years):
    """The ``n``-th ``weekday`` (0 = Monday) of ``month`` (``n=-1``: the last), plus ``shift`` days."""

    month: int
    weekday: int
    n: int
    shift: int = 0

    def dates(self, year: int) -> tuple[dt.date, ...]:
        """The one date of this holiday in ``year``."""
        if not self.holds(year):
            return ()
        if self.n > 0:
            first = dt.date(year, self.month, 1)
            d = first + dt.timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.n - 1))
        else:
            nxt = dt.date(year + self.month // 12, self.month % 12 + 1, 1)
            last = nxt - dt.timedelta(days=1)
            d = last - dt.timedelta(days=(last.weekday() - self.weekday) % 7 + 7 * (-self.n - 1))
        return (d + dt.timedelta(days=self.shift),)


@dataclass(frozen=True)
class Easter(_Years):
    """A day ``offset`` days from Western Easter Sunday (``-2``: Good Friday, ``-47``: Mardi Gras)."""

    offset: int

    def dates(self, year: int) -> tuple[dt.date, ...]:
        """The one date of this holiday in ``year``."""
        if not self.holds(year):
            return ()
        return (easter(year) + dt.timedelta(days=self.offset),)


HolidayRule = Fixed | NthWeekday | Easter


def easter(year: int) -> dt.date:
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher).

    >>> easter(2026), easter(2027)
    (datetime.date(2026, 4, 5), datetime.date(2027, 3, 28))
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = (h + el - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def _fixed(month: int, day: int, observed: Shift = FEDERAL, **years: int) -> Fixed:
    return Fixed(month=month, day=day, observed=observed, **years)


def _nth(month: int, weekday: int, n: int, shift: int = 0, **years: int) -> NthWeekday:
    return NthWeekday(month=month, weekday=weekday, n=n, shift=shift, **years)


ELECTION_DAY: Final = _nth(11, MON, 1, shift=1)
"""The Tuesday after the first Monday of November."""

# 5 U.S.C. 6103(a): the eleven federal legal public holidays; (b): weekend observance.
US_FEDERAL: Final[tuple[HolidayRule, ...]] = (
    _fixed(1, 1),  # New Year's Day
    _nth(1, MON, 3),  # Birthday of Martin Luther King, Jr.
    _nth(2, MON, 3),  # Washington's Birthday
    _nth(5, MON, -1),  # Memorial Day
    _fixed(6, 19),  # Juneteenth National Independence Day
    _fixed(7, 4),  # Independence Day
    _nth(9, MON, 1),  # Labor Day
    _nth(10, MON, 2),  # Columbus Day
    _fixed(11, 11),  # Veterans Day
    _nth(11, THU, 4),  # Thanksgiving Day
    _fixed(12, 25),  # Christmas Day
)

# Ala. Code 1-3-8(a), (b) (text as in force; bills of 2025 to add Juneteenth or drop Jefferson
# Davis' birthday were not seen enacted). "If any holiday falls on Sunday, the following day is
# the holiday. If any holiday falls on Saturday, the preceding day is the holiday": FEDERAL.
US_AL: Final[tuple[HolidayRule, ...]] = (
    _fixed(1, 1),  # New Year's Day
    _nth(1, MON, 3),  # Martin Luther King, Jr.'s and Robert E. Lee's birthday
    _nth(2, MON, 3),  # George Washington's and Thomas Jefferson's birthday
    _nth(4, MON, 4),  # Confederate Memorial Day (state-only)
    _nth(5, MON, -1),  # National Memorial Day
    _nth(6, MON, 1),  # Jefferson Davis' birthday (state-only)
    _fixed(7, 4),  # The Fourth day of July
    _nth(9, MON, 1),  # Labor Day
    _nth(10, MON, 2),  # Columbus Day, Fraternal Day and American Indian Heritage Day
    _fixed(11, 11),  # Veterans' Day
    _nth(11, THU, 4),  # "the day designated by the Governor for public thanksgiving"
    _fixed(12, 25),  # Christmas Day
    # Not in 1-3-8's list, kept (fail closed): Juneteenth, a federal holiday the Governor has
    # given state offices by proclamation; Mardi Gras, a holiday of Baldwin and Mobile counties
    # (1-3-8), whose numbers an area code cannot tell apart from the rest of 251.
    _fixed(6, 19),
    Easter(-47),
)

# La. R.S. 1:55(A)(1): the days of public rest and legal holidays throughout the state; R.S.
# 1:55(E) moves New Year's Day, Independence Day and Christmas on a weekend (Saturday: Friday
# before; Sunday: Monday after) and gives state employees general election day in even years.
US_LA: Final[tuple[HolidayRule, ...]] = (
    _fixed(1, 1),  # New Year's Day
    _fixed(1, 8, NO_SHIFT),  # Battle of New Orleans
    _nth(1, MON, 3),  # Dr. Martin Luther King, Jr.'s Birthday
    _nth(2, MON, 3),  # Washington's Birthday and Presidents' Day
    Easter(-47),  # Mardi Gras
    Easter(-2),  # Good Friday
    _nth(5, MON, -1),  # National Memorial Day
    _fixed(7, 4),  # Independence Day
    _fixed(8, 30, NO_SHIFT),  # Huey P. Long Day
    _nth(9, MON, 1),  # Labor Day
    _nth(10, MON, 2),  # Christopher Columbus Day
    _fixed(11, 1, NO_SHIFT),  # All Saints' Day
    _fixed(11, 11),  # Veterans' Day (its federal observed day banned too: fail closed)
    _nth(11, THU, 4),  # Thanksgiving Day
    _fixed(12, 25),  # Christmas Day
    # Inauguration Day in the city of Baton Rouge: the Governor's term begins on the second
    # Monday of January after the election (La. Const. art. IV, s. 3): 2024, 2028, ... A city's
    # holiday, kept statewide (fail closed: an area code does not tell Baton Rouge apart).
    _nth(1, MON, 2, since=2024, every=4),
    # R.S. 1:55(E): general election day in even-numbered years (state employees).
    _nth(11, MON, 1, shift=1, since=2000, every=2),
    # Not in R.S. 1:55(A)(1), kept (fail closed): Juneteenth, a federal holiday, and its
    # federal observed day.
    _fixed(6, 19),
)

# 44 P.S. 11 as the Telemarketer Registration Act's holiday ban (73 P.S. 2245(a)(10), 2019) is
# reported to apply it: the federal days plus Good Friday, Flag Day (14 June) and Election Day.
# 44 P.S. 11's Saturday-afternoon half-holiday is not among the days reported (see us_states).
US_PA: Final[tuple[HolidayRule, ...]] = (
    *US_FEDERAL,
    Easter(-2),
    _fixed(6, 14, NO_SHIFT),
    ELECTION_DAY,
)

# R.I. Gen. Laws 5-61-2(2) excepts "a state or federal holiday" from the calling days: the
# federal holidays (with 5 U.S.C. 6103(b)) and the state's of R.I. Gen. Laws 25-1-1, which moves
# New Year's Day, Independence Day, Veterans' Day and Christmas on a weekend to the Monday after
# ("and each of the above days ... when ... on the first day of the week, then the day
# following it"); election day in years with a general election of state officers (even years).
US_RI: Final[tuple[HolidayRule, ...]] = (
    *US_FEDERAL,
    _fixed(1, 1, NEXT_MONDAY),  # New Year's Day
    _fixed(5, 4, (0, 0, 0, 0, 0, 0, 1)),  # Rhode Island Independence Day; Sunday: Monday
    _fixed(7, 4, NEXT_MONDAY),  # Independence Day
    _nth(8, MON, 2),  # Victory Day
    _fixed(11, 11, NEXT_MONDAY),  # Veterans' Day
    _fixed(12, 25, NEXT_MONDAY),  # Christmas Day
    _nth(11, MON, 1, shift=1, since=2000, every=2),  # election day
)

# Utah Code 63G-1-301 as amended 2025 (Juneteenth observance) and 2026 (Good Friday, in force
# 6 May 2026: first observed 2027), and the amendment in force 1 January 2027 (Election Day,
# H.B. 104, 2026 General Session). (1)(a) days move by (2)(a), (b) (FEDERAL); Juneteenth by
# (2)(c), (d). Every Sunday is a legal holiday too ((1)(c)); Utah bans Sunday calls anyway.
US_UT: Final[tuple[HolidayRule, ...]] = (
    _fixed(1, 1),  # New Year's Day
    _nth(1, MON, 3),  # Dr. Martin Luther King, Jr. Day
    _nth(2, MON, 3),  # Presidents' Day (Washington and Lincoln Day)
    Easter(-2, since=2027),  # Good Friday ("subject to Subsection (6)": banned regardless)
    Easter(0),  # Easter Sunday
    _nth(5, MON, -1),  # Memorial Day
    _fixed(6, 19, UT_JUNETEENTH),  # Juneteenth National Freedom Day
    _fixed(7, 4),  # Independence Day
    _fixed(7, 24),  # Pioneer Day
    _nth(9, MON, 1),  # Labor Day
    _nth(10, MON, 2),  # Columbus Day
    _nth(11, MON, 1, shift=1, since=2027),  # Election Day
    _fixed(11, 11),  # Veterans Day
    _nth(11, THU, 4),  # Thanksgiving Day
    _fixed(12, 25),  # Christmas
)

CALENDARS: Final[Mapping[str, tuple[HolidayRule, ...]]] = MappingProxyType(
    {
        "US-FEDERAL": US_FEDERAL,
        "US-AL": US_AL,
        "US-LA": US_LA,
        "US-PA": US_PA,
        "US-RI": US_RI,
        "US-UT": US_UT,
    }
)


@functools.lru_cache(maxsize=1024)
def holidays(calendar: str, year: int) -> frozenset[dt.date]:
    """Every date in ``year`` on which ``calendar`` (a key of :data:`CALENDARS`) has a holiday.

    Includes observed weekdays, and the observed Friday 31 December of a New Year's Day that
    falls on a Saturday of the next year.
    """
    rules = CALENDARS[calendar]
    out: set[dt.date] = set()
    for y in (year - 1, year, year + 1):
        for rule in rules:
            out.update(d for d in rule.dates(y) if d.year == year)
    return frozenset(out)
