"""Minute clocks: UTC minutes -> local day and minute in a zone, for whole columns and whole days.

Offsets come from tables of each zone's transitions per year (found once through ``zoneinfo``),
so no Python runs per minute. Both front ends read them: ``Guard.scrub`` converts its columns
with :func:`local_clock`, and ``policy.next_allowed_at`` (for one call and for a column alike)
lays out the minutes of whole days with :func:`day_clock`.

A zone is an IANA name or any ``tzinfo`` (a call's own offset, when it has no candidate zone).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from dncguard._caches import DAY_CLOCKS

__all__ = [
    "Zone",
    "call_day",
    "day_clock",
    "local_clock",
    "local_day_minute",
    "local_day_minute_array",
    "minute_after",
    "within_minute",
]

_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()

Zone = str | dt.tzinfo
"""An IANA zone name, or a ``tzinfo``."""

_SAMPLE: Final = 6 * 3600  # no zone changes its offset twice within six hours


def _tz(zone: Zone) -> dt.tzinfo:
    return zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone


@functools.lru_cache(maxsize=4096)
def _year_transitions(zone: Zone, year: int) -> tuple[tuple[int, int], ...]:
    """The UTC offsets of ``zone`` during ``year``: ((start second, offset seconds), ...).

    Sampled every six hours, then each change located to the second by bisection, so a
    transition at any second (Newfoundland's 02:00 local is 05:30 UTC) is exact.
    """
    tz = _tz(zone)
    # Within the instants whose local time at any offset is a date Python holds: year 1 is read
    # from its second day, year 9999 up to its last (no zone changes its offset on those days).
    lo = int(dt.datetime(year, 1, 2 if year == dt.MINYEAR else 1, tzinfo=dt.UTC).timestamp())
    end = (
        dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
        if year == dt.MAXYEAR
        else dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    )
    hi = int(end.timestamp())

    def offset(t: int) -> int:
        off = dt.datetime.fromtimestamp(t, tz).utcoffset()
        assert off is not None
        return int(off.total_seconds())

    current = offset(lo)
    out = [(lo, current)]
    prev = lo
    for t in [*range(lo + _SAMPLE, hi, _SAMPLE), hi - 1]:
        now = offset(t)
        if now != current:
            a, b = prev, t  # offset(a) is the old one, offset(b) the new: find its first second
            while b - a > 1:
                mid = (a + b) // 2
                if offset(mid) == current:
                    a = mid
                else:
                    b = mid
            out.append((b, now))
            current = now
        prev = t
    return tuple(out)


_DENSE_YEARS: Final = 64
"""Up to this many years between the earliest and latest instant, every year's transitions are
read; over more (calls dated 0002 and 9998 in one table), only the years some instant falls in."""


def _offset_table(
    zone: Zone, lo: int, hi: int, minutes: npt.NDArray[np.int64] | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Transition instants (UTC minutes) and the offset (seconds) in force from each, over [lo, hi].

    Only the transitions that matter inside the range are returned; the first entry is in force
    at ``lo``. A transition within a minute takes effect at the next whole minute (a minute is
    read at its first second). Over a span of many years, ``minutes`` (the instants to be read)
    limit the table to the years they fall in: each year's transitions begin with the offset in
    force at its first instant, so the years between them are not needed.
    """
    y0 = dt.datetime.fromtimestamp(lo * 60, dt.UTC).year
    y1 = dt.datetime.fromtimestamp(hi * 60, dt.UTC).year
    if minutes is not None and y1 - y0 >= _DENSE_YEARS:
        years = np.unique(minutes.astype("datetime64[m]").astype("datetime64[Y]").astype(np.int64) + 1970)
    else:
        years = np.arange(y0, y1 + 1)
    pairs = [p for y in years.tolist() for p in _year_transitions(zone, y)]
    starts = np.array([-(-p[0] // 60) for p in pairs], np.int64)
    offsets = np.array([p[1] for p in pairs], np.int64)
    i0 = int(np.searchsorted(starts, lo, side="right")) - 1
    i1 = int(np.searchsorted(starts, hi, side="right"))
    return starts[max(i0, 0) : i1], offsets[max(i0, 0) : i1]


def local_clock(
    minutes: npt.NDArray[np.int64], zone: Zone
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Local calendar day (days since 1970-01-01) and minute after midnight of UTC ``minutes``.

    ``minutes``: instants as whole minutes since 1970-01-01T00:00Z (calling hours are checked at
    minute resolution, docs/defaults.md#calling-hours).

    >>> t = int(dt.datetime(2026, 3, 16, 18, 0, tzinfo=dt.UTC).timestamp()) // 60
    >>> day, minute = local_clock(np.array([t]), "America/New_York")
    >>> str(np.datetime64(int(day[0]), "D")), int(minute[0]) // 60, int(minute[0]) % 60
    ('2026-03-16', 14, 0)
    >>> day, minute = local_clock(np.array([t]), "America/St_Johns")
    >>> int(minute[0]) // 60, int(minute[0]) % 60
    (15, 30)
    """
    if len(minutes) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty
    starts, offsets = _offset_table(zone, int(minutes.min()), int(minutes.max()), minutes)
    if len(starts) == 1:
        local = minutes * 60 + offsets[0]
    else:
        local = minutes * 60 + offsets[np.searchsorted(starts, minutes, side="right") - 1]
    day = local // 86400
    return day, (local - day * 86400) // 60


@functools.lru_cache(maxsize=DAY_CLOCKS)
def day_clock(zone: Zone, utc_day: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Local day and minute in ``zone`` of each of the 1440 UTC minutes of ``utc_day`` (cached,
    read-only)."""
    day, minute = local_clock(np.arange(utc_day * 1440, utc_day * 1440 + 1440, dtype=np.int64), zone)
    day.setflags(write=False)
    minute.setflags(write=False)
    return day, minute


_MINUTE_US: Final = 60_000_000


def minute_after(instant: dt.datetime) -> dt.datetime | None:
    """The next whole minute after ``instant`` when it falls within a minute (21:00:30 gives
    21:01:00), else None (21:00:00).

    Calling hours are kept at minute resolution, and a window's last minute is the instant it
    ends: a call at 21:00:30 is after 21:00, so a start within a minute must pass that minute
    and the next (docs/defaults.md#calling-hours).

    >>> minute_after(dt.datetime(2026, 7, 1, 21, 0, 30, tzinfo=dt.UTC))
    datetime.datetime(2026, 7, 1, 21, 1, tzinfo=datetime.timezone.utc)
    >>> minute_after(dt.datetime(2026, 7, 1, 21, 0, tzinfo=dt.UTC)) is None
    True
    """
    if not instant.second and not instant.microsecond:
        return None
    return instant.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


def within_minute(micros: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Where UTC instants (microseconds since 1970) fall within a minute: :func:`minute_after`
    for a column (an offset of whole minutes does not change it)."""
    return np.asarray(micros % _MINUTE_US != 0)


def local_day_minute(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[int, int]:
    """The local day number and minute after midnight of an aware instant in ``zone``."""
    local = instant.astimezone(zone)
    return local.toordinal() - _EPOCH_ORDINAL, local.hour * 60 + local.minute


def call_day(instant: dt.datetime, zones: Sequence[zoneinfo.ZoneInfo], fallback: dt.tzinfo | None) -> int:
    """The call's local date as a day number: the latest over the candidate zones (fail closed).

    Windows' ends, revocations, requests and registry age are judged on this date; evidence that
    starts (a consent, a purchase) only on the earliest date over the zones, as ``lag`` days
    after it (docs/defaults.md#evidence-across-time-zones). Without a candidate zone, the date in
    ``fallback`` (the call's own offset).
    """
    if zones:
        return max(local_day_minute(instant, z)[0] for z in zones)
    return instant.astimezone(fallback).toordinal() - _EPOCH_ORDINAL


_QUARTER_HOUR: Final = 900


def _utc_offset(utc_second: int, zone: zoneinfo.ZoneInfo) -> int:
    offset = dt.datetime.fromtimestamp(utc_second, dt.UTC).astimezone(zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def local_day_minute_array(
    utc_seconds: npt.NDArray[np.int64], zone: zoneinfo.ZoneInfo
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Local day numbers and minutes of UTC instants (seconds since the epoch) in ``zone``.

    The UTC offset is looked up once per distinct quarter hour (every modern zone transition,
    Newfoundland's included, falls on a UTC quarter hour), then broadcast.
    """
    quarters = utc_seconds // _QUARTER_HOUR
    order = np.argsort(quarters, kind="stable")
    sorted_q = quarters[order]
    first = np.empty(sorted_q.shape, dtype=bool)
    if sorted_q.size:
        first[0] = True
        first[1:] = sorted_q[1:] != sorted_q[:-1]
    distinct = sorted_q[first]
    offsets = np.array([_utc_offset(int(q) * _QUARTER_HOUR, zone) for q in distinct], dtype=np.int64)
    group = np.cumsum(first) - 1
    per_row = np.empty(quarters.shape, dtype=np.int64)
    per_row[order] = offsets[group]
    local = utc_seconds + per_row
    return local // 86400, (local % 86400) // 60
