"""The clock: UTC instants -> local day and minute per zone, for whole columns (offset tables per
zone and year, so no Python runs per row).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from dncguard.bulk._place import _BIT
from dncguard.facts import (
    time_rule,
    time_rule_passes,
)

# --------------------------------------------------------------------------------------------
# Local clocks: UTC instants to local calendar day and minute, per IANA zone, vectorised
# --------------------------------------------------------------------------------------------

_SAMPLE: Final = 6 * 3600  # no zone changes its offset twice within six hours


@functools.lru_cache(maxsize=4096)
def _year_transitions(zone: str, year: int) -> tuple[tuple[int, int], ...]:
    """The UTC offsets of ``zone`` during ``year``: ((start second, offset seconds), ...).

    Sampled every six hours through zoneinfo, then each change located to the second by bisection, so a
    transition at any second (Newfoundland's 02:00 local is 05:30 UTC) is exact.
    """
    zi = zoneinfo.ZoneInfo(zone)
    lo = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
    hi = int(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC).timestamp())

    def offset(t: int) -> int:
        off = dt.datetime.fromtimestamp(t, zi).utcoffset()
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


def _offset_table(zone: str, lo: int, hi: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Transition instants (UTC minutes) and the offset (minutes) in force from each, over [lo, hi].

    Only the transitions that matter inside the range are returned; the first entry is in force
    at ``lo``.
    """
    y0 = dt.datetime.fromtimestamp(lo * 60, dt.UTC).year
    y1 = dt.datetime.fromtimestamp(hi * 60, dt.UTC).year
    pairs = [p for y in range(y0, y1 + 1) for p in _year_transitions(zone, y)]
    # Every NANP zone changes offset on a whole minute; the minute grid is then exact.
    assert all(p[0] % 60 == 0 and p[1] % 60 == 0 for p in pairs), zone
    starts = np.array([p[0] // 60 for p in pairs], np.int64)
    offsets = np.array([p[1] // 60 for p in pairs], np.int64)
    i0 = int(np.searchsorted(starts, lo, side="right")) - 1
    i1 = int(np.searchsorted(starts, hi, side="right"))
    return starts[i0:i1], offsets[i0:i1]


def local_clock(
    minutes: npt.NDArray[np.int64], zone: str
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
        local = minutes + offsets[0]
    else:
        local = minutes + offsets[np.searchsorted(starts, minutes, side="right") - 1]
    day = local // 1440
    return day, local - day * 1440


@functools.lru_cache(maxsize=8192)
def _day_clock(zone: str, utc_day: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Local day and minute in ``zone`` of each of the 1440 UTC minutes of ``utc_day`` (cached)."""
    day, minute = local_clock(np.arange(utc_day * 1440, utc_day * 1440 + 1440, dtype=np.int64), zone)
    day.setflags(write=False)
    minute.setflags(write=False)
    return day, minute


@functools.lru_cache(maxsize=65536)
def _day_passes(zone: str, code: str, utc_day: int) -> npt.NDArray[np.int64]:
    """Bit ``_BIT[code]`` set on each UTC minute of ``utc_day`` at which ``code``'s calling hours,
    day and holiday bans pass in ``zone`` (cached)."""
    day, minute = _day_clock(zone, utc_day)
    bits = np.asarray(time_rule_passes(time_rule(code), day, minute), np.int64) << _BIT[code]
    bits.setflags(write=False)
    return bits


def _zone_days(
    zone: str, codes: Iterable[str], days: Sequence[int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Over the UTC ``days`` (their minutes, concatenated): local days in ``zone``, and the bits of
    the ``codes`` whose time rules pass there."""
    codes = tuple(codes)
    local = np.concatenate([_day_clock(zone, d)[0] for d in days])
    passes = np.zeros(len(local), np.int64)
    for code in codes:
        passes |= np.concatenate([_day_passes(zone, code, d) for d in days])
    return local, passes


def _use_tables(n: int, slots: int, zones: int, minutes: npt.NDArray[np.int64]) -> bool:
    """Whether per-zone minute tables cost less than converting each row's time."""
    if n >= 4096:
        return True
    utc_days = len(np.unique(minutes // 1440))
    return n * max(slots, 1) * 8 >= zones * utc_days * 1440


class _ZoneTables:
    """Per candidate zone, over the UTC days the calls fall on: the local day, and which
    jurisdictions' time rules pass (bit ``_BIT[code]``), minute by minute. Rows read them with a
    gather instead of converting each time."""

    def __init__(self, zone_codes: Mapping[str, Iterable[str]], minutes: npt.NDArray[np.int64]) -> None:
        self.index = {z: i for i, z in enumerate(zone_codes)}
        self.days: list[int] = []
        if not len(minutes):
            self.span = 0
            self.local = self.passes = self.row_base = np.zeros(0, np.int64)
            return
        utc_day = minutes // 1440
        self.minute_of_day = minutes - utc_day * 1440
        d0 = int(utc_day.min()) if len(utc_day) else 0
        d1 = int(utc_day.max()) if len(utc_day) else 0
        present = np.zeros(d1 - d0 + 1, bool)
        present[utc_day - d0] = True
        self.days = (np.flatnonzero(present) + d0).tolist()
        position = np.cumsum(present) - 1
        self.row_base = position[utc_day - d0] * 1440 + self.minute_of_day
        self.span = len(self.days) * 1440
        local = [np.zeros(0, np.int64)]
        passes = [np.zeros(0, np.int64)]
        for zone, codes in zone_codes.items():
            zl, zp = _zone_days(zone, codes, self.days)
            local.append(zl)
            passes.append(zp)
        self.local = np.concatenate(local)
        self.passes = np.concatenate(passes)
