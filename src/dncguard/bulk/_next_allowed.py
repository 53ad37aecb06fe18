"""``next_allowed_at`` for whole columns: the first minute, within the search window, at which a
call blocked only by the clock may be made.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from dncguard.bulk._clock import _zone_days
from dncguard.bulk._columns import _Rows
from dncguard.bulk._grouping import factorize
from dncguard.bulk._place import _BIT, _CODES, _MINUTE_US, _NO_ROW, _Place
from dncguard.facts import (
    SEARCH_DAYS,
    CallFacts,
    hours_clocks,
)
from dncguard.policy import next_allowed_at

if TYPE_CHECKING:
    from dncguard.bulk._engine import _Engine
    from dncguard.bulk._grouping import _Group


def _next_allowed(
    engine: _Engine,
    rows: _Rows,
    inverse: npt.NDArray[np.intp],
    groups: Sequence[_Group],
    places: Sequence[_Place],
    place_inv: npt.NDArray[np.intp],
    today: npt.NDArray[np.int64],
    minutes: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """``policy.next_allowed_at`` for every blocked row, in UTC microseconds (``_NO_ROW``: none).

    It is the first minute after the call's minute, up to 8 days after the call, at which every
    time rule passes in every candidate zone and the call's local day is one on which the rest of
    the rules pass (the policy's open days). Per distinct (zones, time rules, open days, call
    day), the answer for every minute of the range is one reverse running minimum over a minute
    grid; the rows read theirs with one gather from these grids laid end to end.
    """
    out = np.full(len(inverse), _NO_ROW, np.int64)
    group_open = np.array([g.open_days for g in groups], np.int64)
    wanted = np.flatnonzero((group_open != 0)[inverse])
    if not len(wanted):
        return out
    group_bits = np.array([g.hour_bits for g in groups], np.int64)
    zonesets: dict[tuple[str, ...], int] = {}
    zoneset_of_place = np.array(
        [zonesets.setdefault(tuple(z.key for z in p.zones), len(zonesets)) for p in places], np.intp
    )
    names_of_zoneset = list(zonesets)
    g_w = inverse[wanted]
    zs_w = zoneset_of_place[place_inv[wanted]]
    no_zone = zonesets.get(())
    if no_zone is not None:
        unplaced = zs_w == no_zone
        if unplaced.any():
            # Location unknown: no minute can pass the time rules; without any (rare), the date
            # in the call's own offset decides: ask the policy per row.
            python = unplaced & (group_bits[g_w] == 0)
            if python.any():
                g_inv, g_first = factorize([g_w[python]])
                members_of = wanted[python]
                for k, i in enumerate(g_first.tolist()):
                    facts = groups[int(g_w[python][i])].facts
                    assert facts is not None
                    _next_allowed_python(engine, rows, members_of[g_inv == k], facts, out)
            keep = ~unplaced
            wanted, g_w, zs_w = wanted[keep], g_w[keep], zs_w[keep]
            if not len(wanted):
                return out
    # Schedules: distinct (zones, time rules, open days); then per schedule and call day, a grid.
    rule_inv, _ = factorize([*_small(group_bits), group_open])
    day_w = today[wanted]
    t_min = int(day_w.min())
    sub_inv, sub_first = factorize([zs_w, rule_inv[g_w], day_w - t_min])
    minute_w = minutes[wanted]
    start = minute_w + 1 - (day_w - 1) * 1440  # the search starts at the minute after the call's
    width = _HEAD_MINUTES if int(start.min()) >= 0 and int(start.max()) < _HEAD_MINUTES else _GRID_MINUTES
    firsts = sub_first.tolist()
    heads = [
        _next_open_minutes(names_of_zoneset[z], bits, open_days, t0)[:width]
        for z, bits, open_days, t0 in zip(
            zs_w[firsts].tolist(),
            group_bits[g_w[firsts]].tolist(),
            group_open[g_w[firsts]].tolist(),
            day_w[firsts].tolist(),
            strict=True,
        )
    ]
    grid = np.concatenate(heads) if len(heads) > 1 else heads[0]
    ahead = grid[sub_inv * width + start]
    has = ahead != _NEVER
    when = (minute_w + 1 + np.where(has, ahead, 0).astype(np.int64)) * _MINUTE_US
    has &= when <= rows.micros[wanted] + SEARCH_DAYS * 86400 * 1_000_000
    out[wanted] = np.where(has, when, _NO_ROW)
    return out


def _small(values: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """``values`` (non-negative, below 2**62) as 31-bit pieces, for :func:`factorize`."""
    return [values >> 31, values & ((1 << 31) - 1)]


_GRID_MINUTES: Final = 12 * 1440
"""Minutes of one ``_next_open_minutes`` grid: UTC days ``t0 - 1 .. t0 + 10``."""


_HEAD_MINUTES: Final = 3 * 1440 + 1
"""The grid's minutes a call of local day ``t0`` starts its search at: its UTC minute + 1 lies
within UTC days ``t0 - 1 .. t0 + 1`` (no zone is more than 14 hours from UTC)."""


_NEVER: Final = np.iinfo(np.uint16).max


@functools.lru_cache(maxsize=2048)  # 34 KB each
def _next_open_minutes(
    zones: tuple[str, ...], code_bits: int, open_days: int, t0: int
) -> npt.NDArray[np.uint16]:
    """For each UTC minute from the start of UTC day ``t0 - 1``: how many minutes until the first
    minute (at or after it) at which the time rules ``code_bits`` pass in every zone and the
    call's local day (the latest over the zones) is ``t0 + d`` for an open day ``d``; ``_NEVER``
    if none does within the range.

    A call on local day ``t0`` starts within UTC days ``t0 - 1 .. t0 + 1`` (no zone is more than
    14 hours from UTC), and its search ends 8 days later: UTC days ``t0 - 1 .. t0 + 10`` cover it.
    Cached: every batch over the same days and places asks the same questions.
    """
    days = list(range(t0 - 1, t0 + 11))
    hour_codes = [c for c in _CODES if code_bits >> _BIT[c] & 1]
    pass_all = np.ones(len(days) * 1440, bool)
    call_day = np.full(len(days) * 1440, np.iinfo(np.int64).min, np.int64)
    for zone in zones:
        local, bits = _zone_days(zone, hour_codes, days)
        pass_all &= (bits & code_bits) == code_bits
        np.maximum(call_day, local, out=call_day)
    for code, clock in hours_clocks(tuple(hour_codes)):
        # Hours set on a fixed clock pass there too; the call's local day is not the clock's.
        _, bits = _zone_days(clock.key, (code,), days)
        pass_all &= (bits >> _BIT[code] & 1).astype(bool)
    offset = call_day - t0
    inside = (offset >= 0) & (offset < SEARCH_DAYS + 2)
    day_ok = inside & ((open_days >> np.clip(offset, 0, SEARCH_DAYS + 1)) & 1).astype(bool)
    never = np.iinfo(np.int64).max
    index = np.arange(len(pass_all), dtype=np.int64)
    nxt = np.minimum.accumulate(np.where(pass_all & day_ok, index, never)[::-1])[::-1]
    wait = np.where(nxt == never, _NEVER, nxt - index).astype(np.uint16)
    wait.setflags(write=False)
    return wait


def _next_allowed_python(
    engine: _Engine, rows: _Rows, members: npt.NDArray[np.intp], facts: CallFacts, out: npt.NDArray[np.int64]
) -> None:
    """Calls with no candidate zone and no calling hours (rare): ask the policy per row."""
    kind, value = rows.fallback_day
    for r in members.tolist():
        at = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(rows.micros[r]))
        if kind == "zone":
            tz: dt.tzinfo = zoneinfo.ZoneInfo(value)
        else:
            tz = dt.timezone(dt.timedelta(minutes=int(value if kind == "const" else value[r])))
        found = next_allowed_at(facts, at.astimezone(tz), (), engine.jurisdictions)
        if found is not None:
            out[r] = (found - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
