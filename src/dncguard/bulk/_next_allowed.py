"""``next_allowed_at`` for whole columns: ``policy.next_allowed_at``'s own minute tables
(``policy.minute_waits``), one per distinct schedule, read for every row with one gather.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from dncguard._minutes import Zone
from dncguard.bulk._columns import _Rows
from dncguard.bulk._evidence_keys import _evidence_at_lag, _EvidenceKeys
from dncguard.bulk._grouping import _facts_at_lag, factorize
from dncguard.bulk._place import _BIT, _CODES, _MINUTE_US, _NO_ROW, _Place
from dncguard.bulk._steps import _Clock, _Lookup, _Placement, _RegistryFacts
from dncguard.facts import HORIZON, CallFacts
from dncguard.policy import (
    GRID_DAYS,
    LAGS,
    NO_MINUTE,
    allowed_minute,
    first_grid_minute,
    minute_waits,
    next_allowed_at,
    open_days_by_lag,
)

if TYPE_CHECKING:
    from dncguard.bulk._engine import _Engine
    from dncguard.bulk._grouping import _Group


class _Lagged(NamedTuple):
    """The blocked rows whose evidence may read differently at another lag (a place of several
    zones, and evidence): per distinct combination, its facts at each lag ``0..LAGS - 1``
    (``policy.open_days_by_lag``, docs/defaults.md#evidence-across-time-zones)."""

    rows: npt.NDArray[np.intp]
    inv: npt.NDArray[np.intp]
    """Per row of ``rows``, its combination."""
    facts: list[tuple[CallFacts, ...]]

    def of_row(self, row: int) -> tuple[CallFacts, ...] | None:
        """The facts at each lag of ``row`` (``None``: the same at every lag)."""
        at = int(np.searchsorted(self.rows, row))
        if at < len(self.rows) and int(self.rows[at]) == row:
            return self.facts[int(self.inv[at])]
        return None


_STARTS: Final = (
    "last_purchase",
    "last_inquiry",
    "contract_on",
    "consent_on",
    "last_donation",
    "membership_on",
)
"""The flat evidence columns whose dates start evidence (``facts``: counted from the earliest
local date over the zones)."""


def _lagged(
    engine: _Engine,
    rows: _Rows,
    lookup: _Lookup,
    placement: _Placement,
    clock: _Clock,
    registry: _RegistryFacts,
    evidence: _EvidenceKeys,
    inverse: npt.NDArray[np.intp],
    groups: Sequence[_Group],
) -> _Lagged:
    """:class:`_Lagged` of a batch: the evidence of its blocked rows at places of several zones
    read again at each lag (``_evidence_at_lag``), grouped by value."""
    none = _Lagged(np.zeros(0, np.intp), np.zeros(0, np.intp), [])
    places = placement.places
    multi = np.array([len(p.zones) > 1 for p in places], bool)
    if not multi.any():
        return none
    blocked = np.array([not g.verdict.allowed and g.facts is not None for g in groups], bool)
    at = np.flatnonzero(multi[placement.place_inv] & blocked[inverse] & placement.ok)
    if not len(at):
        return none
    # Only a start (the lag moves starts alone) near the call's date can read differently at
    # another lag: within the lags before it and the masks' horizon after it.
    today = clock.today[at]
    near = np.zeros(len(at), bool)
    d = rows.dates
    for name in _STARTS:
        if name in d:
            on = d[name][at]
            near |= (on >= today - LAGS) & (on <= today + HORIZON + 1)
    at = at[near]
    if not len(at):
        return none
    per_lag = [
        _evidence_at_lag(engine, rows, lookup, placement, clock, registry, evidence, at, lag)
        for lag in range(LAGS)
    ]
    keys: list[npt.NDArray[np.int64]] = [inverse[at].astype(np.int64)]
    for sub_ev, casl, by_kind, supporter in per_lag:
        keys += [*sub_ev, casl, by_kind, supporter]
    inv, first = factorize(keys)
    facts: list[tuple[CallFacts, ...]] = []
    for i in first.tolist():
        r = int(at[i])
        group_facts = groups[int(inverse[r])].facts
        assert group_facts is not None
        place = places[int(placement.place_inv[r])]
        with_ev = bool(evidence.has_ev[r])
        facts.append(
            tuple(
                _facts_at_lag(
                    group_facts,
                    place,
                    with_ev,
                    [int(a[i]) for a in sub_ev][: len(place.codes)],
                    int(casl[i]),
                    int(by_kind[i]),
                    int(supporter[i]),
                )
                for sub_ev, casl, by_kind, supporter in per_lag
            )
        )
    return _Lagged(at, inv, facts)


def _next_allowed(
    engine: _Engine,
    rows: _Rows,
    inverse: npt.NDArray[np.intp],
    groups: Sequence[_Group],
    places: Sequence[_Place],
    place_inv: npt.NDArray[np.intp],
    today: npt.NDArray[np.int64],
    minutes: npt.NDArray[np.int64],
    lagged: _Lagged,
) -> npt.NDArray[np.int64]:
    """``policy.next_allowed_at`` for every blocked row, in UTC microseconds (``_NO_ROW``: none).

    The policy answers for every minute of a call's search at once (``policy.minute_waits``, per
    distinct zones, time rules, open days and call date); the rows read theirs with one gather
    from these tables laid end to end, and ``policy.allowed_minute`` bounds the search as it
    does for one call. Rows with no candidate zone (rare) ask ``policy.next_allowed_at`` itself.
    The open days are per lag (``policy.open_days_by_lag``): a combination's own at every lag,
    or for the rows of ``lagged``, theirs at each.
    """
    out = np.full(len(inverse), _NO_ROW, np.int64)
    opens: dict[tuple[int, ...], int] = {}
    group_open_id = np.array([opens.setdefault((g.open_days,) * LAGS, len(opens)) for g in groups], np.intp)
    open_id = group_open_id[inverse]
    if len(lagged.rows):
        jset = engine.jurisdictions
        lag_open = [open_days_by_lag(f, jset) for f in lagged.facts]
        lag_ids = np.array([opens.setdefault(o, len(opens)) for o in lag_open], np.intp)
        open_id[lagged.rows] = lag_ids[lagged.inv]
    open_list = list(opens)
    some_open = np.array([any(o) for o in open_list], bool)
    wanted = np.flatnonzero(some_open[open_id])
    if not len(wanted):
        return out
    group_bits = np.array([g.time_bits() if g.facts is not None else 0 for g in groups], np.int64)
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
                g_inv, g_first = factorize([g_w[python]])  # no zone: never lagged
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
    open_w = open_id[wanted]
    rule_w, _ = factorize([*_small(group_bits[g_w]), open_w])
    day_w = today[wanted]
    t_min = int(day_w.min())
    sub_inv, sub_first = factorize([zs_w, rule_w, day_w - t_min])
    start_w = minutes[wanted] + 1  # the search starts at the minute after the call's
    start = start_w - first_grid_minute(day_w)
    width = _HEAD_MINUTES if int(start.min()) >= 0 and int(start.max()) < _HEAD_MINUTES else _GRID_MINUTES
    firsts = sub_first.tolist()
    heads = [
        minute_waits(names_of_zoneset[z], _codes_of(bits), open_list[o], t0)[:width]
        for z, bits, o, t0 in zip(
            zs_w[firsts].tolist(),
            group_bits[g_w[firsts]].tolist(),
            open_w[firsts].tolist(),
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
