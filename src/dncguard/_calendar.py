"""Calendar arithmetic on day numbers (days since 1970-01-01), one code path for Python ints
and numpy arrays, and the day masks built from them (:data:`DayMask`). No law here: the
windows and periods the law sets are applied in :mod:`dncguard.facts`.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "ALL_DAYS",
    "FAR_FUTURE",
    "FAR_PAST",
    "HORIZON",
    "NO_DATE",
    "NO_DAYS",
    "SEARCH_DAYS",
    "DayMask",
    "IntLike",
    "add_months",
    "add_months_day",
    "civil_from_days",
    "date_of",
    "day_number",
    "days_from_civil",
    "latest_date",
    "span_mask",
]

SEARCH_DAYS: Final = 8
"""``next_allowed_at`` looks this many days ahead (docs/decisions.md, docs/defaults.md#calling-hours)."""
HORIZON: Final = SEARCH_DAYS + 2
"""Masks cover local days ``0..HORIZON`` after the call's date (zones may split a day)."""

DayMask = int
"""Bit ``d`` (``0 <= d <= HORIZON``): the fact holds on local day ``call_date + d``."""
ALL_DAYS: Final[DayMask] = (1 << (HORIZON + 1)) - 1
NO_DAYS: Final[DayMask] = 0

NO_DATE: Final = -(2**63)
"""The day number of no date at all (a null cell, an absent date): the least ``int64``, below
every real day and :data:`FAR_PAST`, and the bits of ``datetime64[D]``'s NaT viewed as ``int64``
(``np.datetime64("NaT", "D").astype(np.int64) == NO_DATE``). Every column of day numbers uses
this one value; where the type is ``datetime64``, NaT itself is the none."""

FAR_PAST: Final = -(10**7)
"""A day number before any real date: "since always" (an undated internal-list entry)."""
FAR_FUTURE: Final = 10**7
"""A day number after any real date: "never ends"."""

_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()

IntLike = TypeVar("IntLike", int, npt.NDArray[np.int64])

# --------------------------------------------------------------------------------------------
# Calendar arithmetic on day numbers: one code path for ints and numpy arrays
# --------------------------------------------------------------------------------------------


def latest_date() -> dt.date:
    """The latest date a download, a request or any evidence may carry: today in UTC plus one day.

    A date after it is in the future wherever the user is (the zones ahead of UTC are at most a
    day ahead), so it is a typo or a wrong clock, never data (docs/defaults.md).
    """
    return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01 of a date."""
    return d.toordinal() - _EPOCH_ORDINAL


def date_of(day: int) -> dt.date:
    """The date of a day number."""
    return dt.date.fromordinal(int(day) + _EPOCH_ORDINAL)


def days_from_civil(y: Any, m: Any, d: Any) -> Any:
    """Day number of proleptic Gregorian ``y-m-d`` (H. Hinnant's algorithm; ints or arrays)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: Any) -> tuple[Any, Any, Any]:
    """``(year, month, day)`` of a day number (H. Hinnant's algorithm; ints or arrays)."""
    z = z + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 - 12 * (mp >= 10)
    return yoe + era * 400 + (m <= 2), m, d


def add_months(days: IntLike, n: int) -> IntLike:
    """``days`` plus ``n`` calendar months, clamped to the month's last day (docs/defaults.md)."""
    y, m, d = civil_from_days(days)
    m0 = m - 1 + n
    y = y + m0 // 12
    m = m0 % 12 + 1
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    # 31 for Jan, Mar, May, Jul, Aug, Oct, Dec; 30 otherwise; February 28 or 29.
    last = 30 + (m + m // 8) % 2 - (m == 2) * (2 - leap)
    d = d - (d > last) * (d - last)
    result: IntLike = days_from_civil(y, m, d)
    return result


@functools.lru_cache(maxsize=1 << 16)
def add_months_day(day: int, n: int) -> int:
    """:func:`add_months` of one day number (memoised: a dialer sees the same dates again)."""
    return int(add_months(day, n))


def span_mask(lo: Any, hi: Any) -> Any:
    """The :data:`DayMask` of day offsets ``lo <= d < hi`` (offsets clamped to the horizon)."""
    if isinstance(lo, np.ndarray) or isinstance(hi, np.ndarray):
        lo_c = np.clip(lo, 0, HORIZON + 1).astype(np.int64)
        hi_c = np.clip(hi, 0, HORIZON + 1).astype(np.int64)
        hi_c = np.maximum(hi_c, lo_c)
        return (np.int64(1) << hi_c) - (np.int64(1) << lo_c)
    lo_i = min(max(lo, 0), HORIZON + 1)
    hi_i = max(min(max(hi, 0), HORIZON + 1), lo_i)
    return (1 << hi_i) - (1 << lo_i)
