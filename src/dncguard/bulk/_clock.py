"""The clock for whole columns: which time rules pass at each UTC minute, per zone (the minute
clocks themselves, UTC minute -> local day and minute, are ``dncguard._minutes``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from dncguard._caches import DAY_PASSES, ZONE_DAYS
from dncguard._minutes import day_clock, local_clock
from dncguard.bulk._place import _BIT
from dncguard.facts import time_rule_passes_on


@functools.lru_cache(maxsize=DAY_PASSES)
def _day_passes(zone: str, code: str, utc_day: int) -> npt.NDArray[np.int64]:
    """Bit ``_BIT[code]`` set on each UTC minute of ``utc_day`` at which ``code``'s calling hours,
    day and holiday bans pass in ``zone`` (cached)."""
    bits = time_rule_passes_on(zone, code, utc_day).astype(np.int64) << _BIT[code]
    bits.setflags(write=False)
    return bits


@functools.lru_cache(maxsize=ZONE_DAYS)
def _zone_day(
    zone: str, codes: tuple[str, ...], utc_day: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Over the minutes of the UTC ``utc_day``: the local day in ``zone``, and the bits of the
    ``codes`` whose time rules pass there (cached, read-only: batches share them)."""
    passes = np.zeros(1440, np.int64)
    for code in codes:
        passes |= _day_passes(zone, code, utc_day)
    passes.setflags(write=False)
    return day_clock(zone, utc_day)[0], passes


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
        pieces = [_zone_day(zone, tuple(codes), d) for zone, codes in zone_codes.items() for d in self.days]
        self.local = np.concatenate([np.zeros(0, np.int64), *(local for local, _ in pieces)])
        self.passes = np.concatenate([np.zeros(0, np.int64), *(passes for _, passes in pieces)])


__all__ = ["local_clock"]
