"""Calling hours: a local day and minute against a jurisdiction's time rule (weekday hours,
holidays, the fixed clock some states also read), for one call or a column."""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dncguard._caches import TIME_RULE_DAYS
from dncguard._calendar import (
    civil_from_days,
    date_of,
    day_number,
)
from dncguard._minutes import Zone, day_clock
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import Week
from dncguard.jurisdictions.call_rules import CALLER_HOURS
from dncguard.jurisdictions.holidays import holidays

_CLOSED: Final = (24 * 60, -1)  # a day with no calls: no minute satisfies start <= m <= end


@dataclass(frozen=True)
class TimeRule:
    """A jurisdiction's calling hours compiled to per-weekday bounds (Monday = 0).

    ``starts``/``ends`` are inclusive minute bounds (a day without calls has an empty range);
    ``holidays`` names the calendar on whose days no call is allowed.
    """

    code: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    holidays: str | None
    starts_array: npt.NDArray[np.int64]
    ends_array: npt.NDArray[np.int64]


TIME_RULE_CODES: Final = (*sorted(JURISDICTIONS), *sorted(CALLER_HOURS))
"""Every time rule's key: each jurisdiction's own hours (its code), then each window that binds
only some calls into one (``CALLER_HOURS``'s keys, e.g. ``"US-MS fund-raisers"``)."""


def time_rule_owner(key: str) -> str:
    """The jurisdiction a time rule's failure is reported under (its code for its own hours)."""
    window = CALLER_HOURS.get(key)
    return key if window is None else window.jurisdiction


@functools.lru_cache(maxsize=4096)
def time_rule_keys(codes: tuple[str, ...]) -> tuple[str, ...]:
    """``codes`` and, after each, every window that may bind some calls into it (which bind a
    given call is ``policy.hour_rules``'s to say): the time rules a place's clock computes."""
    return tuple(
        key
        for code in codes
        for key in (code, *(k for k, w in CALLER_HOURS.items() if w.jurisdiction == code))
    )


@functools.cache
def time_rule(code: str) -> TimeRule:
    """The compiled time rule of ``code``: a jurisdiction's own hours (all day, every day, if it
    sets no hours), or a window of ``CALLER_HOURS`` (no holiday ban of its own)."""
    window = CALLER_HOURS.get(code)
    week: Week | None
    if window is not None:
        week, calendar = window.hours, None
    else:
        j = JURISDICTIONS[code]
        week, calendar = j.hours, j.holidays
    days = week.days if week is not None else (None,) * 7
    bounds = [
        (0, 24 * 60 - 1) if week is None else (_CLOSED if h is None else (h.start, h.end)) for h in days
    ]
    starts = tuple(b[0] for b in bounds)
    ends = tuple(b[1] for b in bounds)
    return TimeRule(code, starts, ends, calendar, np.array(starts, np.int64), np.array(ends, np.int64))


@functools.cache
def hours_clock(code: str) -> zoneinfo.ZoneInfo | None:
    """The fixed clock on which jurisdiction ``code``'s hours are *also* read (``None``: local
    time only). Mississippi sets its hours in Central Standard Time (Miss. Code 77-3-723): a call
    must pass its time rule both on the called party's local clock and on UTC-6. A window of
    ``CALLER_HOURS`` is read on local time only (Miss. Code 79-11-524 names no zone)."""
    if code in CALLER_HOURS:
        return None
    name = JURISDICTIONS[code].hours_clock
    return None if name is None else zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=4096)
def hours_clocks(codes: tuple[str, ...]) -> tuple[tuple[str, zoneinfo.ZoneInfo], ...]:
    """``(code, clock)`` for each of ``codes`` whose hours are also read on a fixed clock."""
    found = ((code, hours_clock(code)) for code in codes)
    return tuple((code, clock) for code, clock in found if clock is not None)


@functools.cache
def _holiday_days(calendar: str, year: int) -> frozenset[int]:
    return frozenset(day_number(d) for d in holidays(calendar, year))


@functools.cache
def _holiday_array(calendar: str, first_year: int, last_year: int) -> npt.NDArray[np.int64]:
    days = sorted(d for y in range(first_year, last_year + 1) for d in _holiday_days(calendar, y))
    return np.array(days, dtype=np.int64)


def is_holiday(calendar: str, day: Any) -> Any:
    """Whether local ``day`` (a day number or an array of them) is a holiday of ``calendar``."""
    if isinstance(day, np.ndarray):
        if day.size == 0:
            return np.zeros(day.shape, dtype=bool)
        y0 = int(civil_from_days(int(day.min()))[0])
        y1 = int(civil_from_days(int(day.max()))[0])
        table = _holiday_array(calendar, y0, y1)
        pos = np.searchsorted(table, day)
        return (pos < table.size) & (table[np.minimum(pos, table.size - 1)] == day)
    year = date_of(day).year
    return day in _holiday_days(calendar, year)


def time_rule_passes(rule: TimeRule, day: Any, minute: Any) -> Any:
    """Whether a call starting at local ``minute`` of local ``day`` meets ``rule`` (ints or arrays).

    Minute resolution, both ends inclusive (docs/defaults.md#calling-hours).
    """
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    if isinstance(weekday, np.ndarray):
        ok = (rule.starts_array[weekday] <= minute) & (minute <= rule.ends_array[weekday])
    else:
        ok = rule.starts[weekday] <= minute <= rule.ends[weekday]
    if rule.holidays is not None:
        ok = ok & (is_holiday(rule.holidays, day) ^ True)
    return ok


@functools.lru_cache(maxsize=TIME_RULE_DAYS)
def time_rule_passes_on(zone: Zone, code: str, utc_day: int) -> npt.NDArray[np.bool_]:
    """Whether ``code``'s calling hours, day and holiday bans pass in ``zone`` at each of the
    1440 UTC minutes of ``utc_day`` (cached, read-only)."""
    day, minute = day_clock(zone, utc_day)
    passes: npt.NDArray[np.bool_] = np.asarray(time_rule_passes(time_rule(code), day, minute), bool)
    passes.setflags(write=False)
    return passes
