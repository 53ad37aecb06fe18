"""Holiday calendars, computed per year by rule: never a hand-typed list of dates that expires.

A calendar is a tuple of rules: a fixed date (``Fixed(7, 4)``), the n-th weekday of a month
(``NthWeekday(11, THU, 4)``: Thanksgiving; ``n=-1``: the last), optionally shifted by days
(``NthWeekday(11, MON, 1, shift=1)``: US Election Day, the Tuesday after the first Monday of
November), or a day relative to Western Easter (``Easter(-2)``: Good Friday).

Observed dates (5 U.S.C. 6103(b)): a fixed-date holiday that falls on a Saturday is observed on
the Friday before, one on a Sunday on the Monday after. A state that bans calls on holidays does
not say which of the two days it means, so dncguard bans **both** (fail closed, RULES §6.1).

>>> import datetime as dt
>>> dt.date(2026, 7, 3) in holidays("US-FEDERAL", 2026)   # 4 July 2026 is a Saturday
True
>>> sorted(d for d in holidays("US-FEDERAL", 2026) if d.month == 11)
[datetime.date(2026, 11, 11), datetime.date(2026, 11, 26)]
>>> dt.date(2026, 4, 3) in holidays("US-PA", 2026)        # Good Friday
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
    "MON",
    "THU",
    "TUE",
    "Easter",
    "Fixed",
    "HolidayRule",
    "NthWeekday",
    "easter",
    "holidays",
]

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@dataclass(frozen=True)
class Fixed:
    """The same date every year; ``observed``: also the Friday/Monday it shifts to on a weekend."""

    month: int
    day: int
    observed: bool = True

    def dates(self, year: int) -> tuple[dt.date, ...]:
        """The holiday and, if it falls on a weekend, its observed weekday."""
        d = dt.date(year, self.month, self.day)
        if not self.observed:
            return (d,)
        if d.weekday() == SAT:
            return (d, d - dt.timedelta(days=1))
        if d.weekday() == SUN:
            return (d, d + dt.timedelta(days=1))
        return (d,)


@dataclass(frozen=True)
class NthWeekday:
    """The ``n``-th ``weekday`` (0 = Monday) of ``month`` (``n=-1``: the last), plus ``shift`` days."""

    month: int
    weekday: int
    n: int
    shift: int = 0

    def dates(self, year: int) -> tuple[dt.date, ...]:
        """The one date of this holiday in ``year``."""
        if self.n > 0:
            first = dt.date(year, self.month, 1)
            d = first + dt.timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.n - 1))
        else:
            nxt = dt.date(year + self.month // 12, self.month % 12 + 1, 1)
            last = nxt - dt.timedelta(days=1)
            d = last - dt.timedelta(days=(last.weekday() - self.weekday) % 7 + 7 * (-self.n - 1))
        return (d + dt.timedelta(days=self.shift),)


@dataclass(frozen=True)
class Easter:
    """A day ``offset`` days from Western Easter Sunday (``-2``: Good Friday, ``-47``: Mardi Gras)."""

    offset: int

    def dates(self, year: int) -> tuple[dt.date, ...]:
        """The one date of this holiday in ``year``."""
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


# 5 U.S.C. 6103(a): the eleven federal legal public holidays.
US_FEDERAL: Final[tuple[HolidayRule, ...]] = (
    Fixed(1, 1),  # New Year's Day
    NthWeekday(1, MON, 3),  # Birthday of Martin Luther King, Jr.
    NthWeekday(2, MON, 3),  # Washington's Birthday
    NthWeekday(5, MON, -1),  # Memorial Day
    Fixed(6, 19),  # Juneteenth National Independence Day
    Fixed(7, 4),  # Independence Day
    NthWeekday(9, MON, 1),  # Labor Day
    NthWeekday(10, MON, 2),  # Columbus Day
    Fixed(11, 11),  # Veterans Day
    NthWeekday(11, THU, 4),  # Thanksgiving Day
    Fixed(12, 25),  # Christmas Day
)

CALENDARS: Final[Mapping[str, tuple[HolidayRule, ...]]] = MappingProxyType(
    {
        "US-FEDERAL": US_FEDERAL,
        # Ala. Code 1-3-8: the federal holidays (Alabama adds days already covered or state-only
        # observances; the federal set with observed-day shifting is what RULES §2.2 describes).
        "US-AL": US_FEDERAL,
        # La. R.S. 1:55 (LPSC telemarketing rules reference it): federal holidays plus Battle of
        # New Orleans (8 Jan), Mardi Gras and Good Friday.
        "US-LA": (*US_FEDERAL, Fixed(1, 8, observed=False), Easter(-47), Easter(-2)),
        # 44 P.S. 11 (Pennsylvania legal holidays): federal holidays plus Good Friday, Flag Day
        # (14 June) and Election Day.
        "US-PA": (*US_FEDERAL, Easter(-2), Fixed(6, 14, observed=False), NthWeekday(11, MON, 1, shift=1)),
        # R.I. Gen. Laws 25-1-1: federal holidays plus Victory Day (second Monday of August).
        "US-RI": (*US_FEDERAL, NthWeekday(8, MON, 2)),
        # Utah Code 63G-1-301: federal holidays plus Pioneer Day (24 July).
        "US-UT": (*US_FEDERAL, Fixed(7, 24)),
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
    for y in (year, year + 1):
        for rule in rules:
            out.update(d for d in rule.dates(y) if d.year == year)
    return frozenset(out)
