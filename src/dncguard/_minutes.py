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
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["Zone", "day_clock", "local_clock"]

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
    lo = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
    hi = int(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC).timestamp())

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


def _offset_table(zone: Zone, lo: int, hi: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Transition instants (UTC minutes) and the offset (seconds) in force from each, over [lo, hi].

    Only the transitions that matter inside the range are returned; the first entry is in force
    at ``lo``. A transition within a minute takes effect at the next whole minute (a minute is
    read at its first second).
    """
    y0 = dt.datetime.fromtimestamp(lo * 60, dt.UTC).year
    y1 = dt.datetime.fromtimestamp(hi * 60, dt.UTC).year
    pairs = [p for y in range(y0, y1 + 1) for p in _year_transitions(zone, y)]
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
    starts, offsets = _offset_table(zone, int(minutes.min()), int(minutes.max()))
    if len(starts) == 1:
        local = minutes * 60 + offsets[0]
    else:
        local = minutes * 60 + offsets[np.searchsorted(starts, minutes, side="right") - 1]
    day = local // 86400
    return day, (local - day * 86400) // 60


@functools.lru_cache(maxsize=8192)
def day_clock(zone: Zone, utc_day: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Local day and minute in ``zone`` of each of the 1440 UTC minutes of ``utc_day`` (cached,
    read-only)."""
    day, minute = local_clock(np.arange(utc_day * 1440, utc_day * 1440 + 1440, dtype=np.int64), zone)
    day.setflags(write=False)
    minute.setflags(write=False)
    return day, minute
