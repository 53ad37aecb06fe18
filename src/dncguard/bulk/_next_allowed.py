"""``next_allowed_at`` for whole columns: ``policy.next_allowed_at``'s own minute tables
(``policy.minute_waits``), one per distinct schedule, read for every row with one gather.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from dncguard._minutes import Zone
from dncguard.bulk._columns import _Rows
from dncguard.bulk._grouping import factorize
from dncguard.bulk._place import _BIT, _CODES, _MINUTE_US, _NO_ROW, _Place
from dncguard.facts import CallFacts
from dncguard.policy import (
    GRID_DAYS,
    NO_MINUTE,
    allowed_minute,
    first_grid_minute,
    minute_waits,
    next_allowed_at,
)

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

    The policy answers for every minute of a call's search at once (``policy.minute_waits``, per
    distinct zones, time rules, open days and call date); the rows read theirs with one gather
    from these tables laid end to end, and ``policy.allowed_minute`` bounds the search as it
    does for one call. Rows with no candidate zone (rare) ask ``policy.next_allowed_at`` itself.
    """
    out = np.full(len(inverse), _NO_ROW, np.int64)
    group_open = np.array([g.open_days for g in groups], np.int64)
    wanted = np.flatnonzero((group_open != 0)[inverse])
    if not len(wanted):
        return out
    group_bits = np.array([g.hour_bits for g in groups], np.int64)
    zonesets: dict[tuple[Zone, ...], int] = {}
    zoneset_of_place = np.array([zonesets.setdefault(p.clock_keys, len(zonesets)) for p in places], np.intp)
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
    # Tables: one per distinct (zones, time rules, open days, call date), laid end to end.
    rule_inv, _ = factorize([*_small(group_bits), group_open])
    day_w = today[wanted]
    t_min = int(day_w.min())
    sub_inv, sub_first = factorize([zs_w, rule_inv[g_w], day_w - t_min])
    start_w = minutes[wanted] + 1  # the search starts at the minute after the call's
    start = start_w - first_grid_minute(day_w)
    width = _HEAD_MINUTES if int(start.min()) >= 0 and int(start.max()) < _HEAD_MINUTES else _GRID_MINUTES
    firsts = sub_first.tolist()
    heads = [
        minute_waits(names_of_zoneset[z], _codes_of(bits), open_days, t0)[:width]
        for z, bits, open_days, t0 in zip(
            zs_w[firsts].tolist(),
            group_bits[g_w[firsts]].tolist(),
            group_open[g_w[firsts]].tolist(),
            day_w[firsts].tolist(),
            strict=True,
        )
    ]
    grid = np.concatenate(heads) if len(heads) > 1 else heads[0]
    when = allowed_minute(grid[sub_inv * width + start], start_w, rows.micros[wanted])
    out[wanted] = np.where(when == NO_MINUTE, _NO_ROW, when * _MINUTE_US)
    return out


def _small(values: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """``values`` (non-negative, below 2**62) as 31-bit pieces, for :func:`factorize`."""
    return [values >> 31, values & ((1 << 31) - 1)]


@functools.lru_cache(maxsize=4096)
def _codes_of(bits: int) -> tuple[str, ...]:
    """The jurisdiction codes of ``bits`` (``_BIT``), sorted as ``minute_waits`` keys them."""
    return tuple(sorted(c for c in _CODES if bits >> _BIT[c] & 1))


_GRID_MINUTES: Final = GRID_DAYS * 1440
"""Minutes of one ``minute_waits`` table."""


_HEAD_MINUTES: Final = 3 * 1440 + 1
"""The table's minutes a call of local day ``t0`` starts its search at: its UTC minute + 1 lies
within UTC days ``t0 - 1 .. t0 + 1`` (no zone is more than 14 hours from UTC)."""


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
