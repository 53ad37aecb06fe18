"""``next_allowed_at``: the earliest minute at which the same call passes every rule; the days
every rule but the clock passes (``open_days``) and the minute table both front ends read
(``minute_waits``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dncguard._caches import MINUTE_WAITS, OPEN_DAYS
from dncguard._minutes import Zone, day_clock
from dncguard.facts import (
    ALL_DAYS,
    NO_DATE,
    NO_DAYS,
    SEARCH_DAYS,
    CallFacts,
    DayMask,
    call_day,
    hours_clocks,
    time_rule_passes_on,
)
from dncguard.jurisdictions.call_rules import FREQUENCY_CAPS
from dncguard.policy._decide import _applies, decide, time_rules

# --------------------------------------------------------------------------------------------
# next_allowed_at: the earliest minute at which the same call passes every rule
# --------------------------------------------------------------------------------------------

_MINUTE: Final = dt.timedelta(minutes=1)
_UTC: Final = dt.UTC


_SEARCHED_DAYS: Final[DayMask] = (1 << (SEARCH_DAYS + 2)) - 1
"""The day offsets ``next_allowed_at`` may land on (local days ``0..SEARCH_DAYS + 1``)."""


@functools.lru_cache(maxsize=OPEN_DAYS)
def open_days(facts: CallFacts, jurisdictions: frozenset[str] | None = None) -> DayMask:
    """The day offsets (bit ``d``: local day ``call_date + d``, up to ``SEARCH_DAYS + 1``) on
    which every rule but the clock lets the call through; ``0``: none.

    Frequency caps release within a day (:func:`cap_release`), not by day: they are left to
    ``next_allowed_at``'s ``not_before``.
    """
    base = dataclasses.replace(facts, hours_failed=frozenset(), location_known=True, recent=(), day=0)
    if all(mask in (NO_DAYS, ALL_DAYS) for mask in base.day_masks()):
        # The facts read the same on every day: one decision answers for all of them.
        return _SEARCHED_DAYS if decide(base, jurisdictions).allowed else NO_DAYS
    days = range(SEARCH_DAYS + 2)
    return sum(1 << d for d in days if decide(dataclasses.replace(base, day=d), jurisdictions).allowed)


LAGS: Final = 3
"""How many local dates a call's candidate zones can be on at one instant (offsets lie within
UTC-12..UTC+14, so the earliest is at most two days behind the latest): the ``lag`` of
:func:`open_days_by_lag` is ``0..LAGS - 1``; a minute at a larger one never passes."""


def open_days_by_lag(
    by_lag: Sequence[CallFacts], jurisdictions: frozenset[str] | None = None
) -> tuple[DayMask, ...]:
    """:func:`open_days` of the call's facts at each lag (``by_lag[g]``: the facts with its
    evidence judged as if its earliest local date were ``g`` days behind its latest,
    docs/defaults.md#evidence-across-time-zones); one facts for all lags when ``by_lag`` holds one."""
    if len(by_lag) == 1:
        return (open_days(by_lag[0], jurisdictions),) * LAGS
    assert len(by_lag) == LAGS
    return tuple(open_days(f, jurisdictions) for f in by_lag)


def next_allowed_at(
    facts: CallFacts,
    at: dt.datetime,
    zones: Sequence[zoneinfo.ZoneInfo],
    jurisdictions: frozenset[str] | None = None,
    not_before: dt.datetime | None = None,
    by_lag: Sequence[CallFacts] | None = None,
) -> dt.datetime | None:
    """The earliest instant after ``at``, up to 8 days ahead, at which the call passes every rule.

    ``not_before``: an instant before which the call cannot pass (a frequency cap's release,
    :func:`cap_release`), a minute boundary.

    ``facts`` are the call's facts at ``at`` (with ``day=0``); ``zones`` its candidate zones. Only
    ``at`` changes: a minute passes when every time rule passes in every zone and the call's
    local date then is one of its :func:`open_days` (every other rule re-decided on that date, so
    a relationship that lapses or a registry copy that goes stale later is honoured). Where the
    zones are on different dates, the evidence is judged at that minute's lag (``by_lag``: the
    facts at each lag ``0..LAGS - 1``, :func:`open_days_by_lag`; ``None``: ``facts`` hold at
    every lag, as with one zone or evidence that does not depend on it). The minutes
    are read from :func:`minute_waits`, the same table ``Guard.scrub`` reads for whole columns.
    The result is a minute boundary in ``at``'s own offset; ``None`` when no minute within
    ``SEARCH_DAYS`` days passes.
    """
    codes = time_rules(facts, jurisdictions)
    if codes and not zones:
        return None  # location unknown: no minute can pass
    open_on = open_days_by_lag((facts,) if by_lag is None else by_lag, jurisdictions)
    if not any(open_on):
        return None
    tz = at.tzinfo
    today = call_day(at, zones, tz)
    at_us = (at - _EPOCH) // _MICROSECOND
    start = at_us // _MINUTE_US + 1
    if not_before is not None:
        start = max(start, -(-((not_before - _EPOCH) // _MICROSECOND) // _MINUTE_US))
    clocks = tuple(clock_key(z) for z in zones) or (clock_key(tz or _UTC),)
    index = start - first_grid_minute(today)
    waits = minute_waits(clocks, tuple(sorted(codes)), open_on, today)
    if index >= len(waits):
        return None
    when = allowed_minute(int(waits[index]), start, at_us)
    if when == NO_MINUTE:
        return None
    return (_EPOCH + dt.timedelta(minutes=when)).astimezone(tz)


def cap_release(
    facts: CallFacts, attempts: Sequence[dt.datetime], at: dt.datetime, jurisdictions: frozenset[str] | None
) -> dt.datetime | None:
    """The first minute boundary at which no frequency cap in play blocks the call any longer:
    when the oldest counted call has left each reached cap's window (``None``: no cap reached)."""
    release: dt.datetime | None = None
    for code in facts.jurisdictions:
        cap = FREQUENCY_CAPS.get(code)
        if cap is None or not _applies(code, jurisdictions):
            continue
        if facts.purpose not in cap.purposes or facts.channel not in cap.channels:
            continue
        window = dt.timedelta(minutes=cap.window_minutes)
        times = sorted(a for a in attempts if at - window <= a < at)
        if len(times) < cap.calls:
            continue
        # Counted while within the window (its first instant included): free just after.
        free = (times[len(times) - cap.calls] + window).astimezone(_UTC)
        free = free.replace(second=0, microsecond=0) + _MINUTE
        release = free if release is None or free > release else release
    return release


# The minute table both front ends read: ``next_allowed_at`` for one call, ``Guard.scrub`` for a
# column (one table per distinct zones, time rules, open days and call date, then a gather).

GRID_DAYS: Final = 12
"""UTC days of one :func:`minute_waits` table: ``t0 - 1 .. t0 + 10`` for a call of local date
``t0``. Its minute lies within UTC days ``t0 - 1 .. t0 + 1`` (no zone is more than a day from
UTC), and its search ends ``SEARCH_DAYS`` days later."""
NEVER: Final = int(np.iinfo(np.uint16).max)
"""A :func:`minute_waits` entry: no allowed minute at or after this one within the table."""
NO_MINUTE: Final = int(np.iinfo(np.int64).max)
"""What :func:`allowed_minute` gives when no minute within the search passes."""
_MINUTE_US: Final = 60_000_000
_SEARCH_US: Final = SEARCH_DAYS * 86_400_000_000
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND: Final = dt.timedelta(microseconds=1)


def clock_key(zone: dt.tzinfo) -> Zone:
    """How :func:`minute_waits` names a zone: an IANA zone by its name (as ``Guard.scrub``
    does), any other ``tzinfo`` (a call's own offset) as itself."""
    key = getattr(zone, "key", None)
    return key if isinstance(zone, zoneinfo.ZoneInfo) and isinstance(key, str) else zone


def first_grid_minute(t0: Any) -> Any:
    """The UTC minute (since 1970) at which :func:`minute_waits` of local date ``t0`` starts."""
    return (t0 - 1) * 1440


def allowed_minute(wait: Any, start: Any, at_us: Any) -> Any:
    """The allowed minute (UTC minutes since 1970) a search from minute ``start`` finds, given
    :func:`minute_waits`' entry ``wait`` there, for a call at ``at_us`` (UTC microseconds):
    :data:`NO_MINUTE` when none is within ``SEARCH_DAYS`` days of the call. Ints or arrays."""
    when = start + np.where(wait == NEVER, 0, wait) if isinstance(wait, np.ndarray) else start + wait
    ok = (wait != NEVER) & (when * _MINUTE_US <= at_us + _SEARCH_US)
    if isinstance(ok, np.ndarray):
        return np.where(ok, when, NO_MINUTE)
    return when if ok else NO_MINUTE


@functools.lru_cache(maxsize=MINUTE_WAITS)
def minute_waits(
    clocks: tuple[Zone, ...], codes: tuple[str, ...], open_on: tuple[DayMask, ...], t0: int
) -> npt.NDArray[np.uint16]:
    """For each UTC minute of the :data:`GRID_DAYS` days from :func:`first_grid_minute` of
    ``t0``: how many minutes until the first minute (at or after it) at which a call of local
    date ``t0`` passes, :data:`NEVER` if none does within the table.

    A minute passes when the time rules of ``codes`` pass in every zone of ``clocks`` (and on
    their fixed clock, :func:`~dncguard.facts.hours_clocks`), and the call's local date then (the
    latest over ``clocks``) is ``t0 + d`` for a day ``d`` of ``open_on[g]``
    (:func:`open_days_by_lag`), ``g`` the days the earliest local date over ``clocks`` is then
    behind the latest (a minute at ``g >= len(open_on)`` never passes).
    ``clocks``: the candidate zones (:func:`clock_key`), or the call's own offset when it has none
    (then ``codes`` is empty: only the date counts). Cached, read-only.
    """
    days = range(t0 - 1, t0 - 1 + GRID_DAYS)
    passes = np.ones(GRID_DAYS * 1440, bool)
    local_day = np.full(GRID_DAYS * 1440, NO_DATE, np.int64)  # no zone yet: below every day
    earliest = np.full(GRID_DAYS * 1440, np.iinfo(np.int64).max, np.int64)
    for zone in clocks:
        zone_day = np.concatenate([day_clock(zone, d)[0] for d in days])
        np.maximum(local_day, zone_day, out=local_day)
        np.minimum(earliest, zone_day, out=earliest)
        for code in codes:
            passes &= np.concatenate([time_rule_passes_on(zone, code, d) for d in days])
    for code, clock in hours_clocks(codes):
        # Hours set on a fixed clock (Mississippi's Central Standard Time) are read there too.
        passes &= np.concatenate([time_rule_passes_on(clock_key(clock), code, d) for d in days])
    offset = local_day - t0
    inside = (offset >= 0) & (offset < SEARCH_DAYS + 2)
    shift = np.clip(offset, 0, SEARCH_DAYS + 1)
    lag = local_day - earliest
    if len(set(open_on)) == 1:
        on_day = ((open_on[0] >> shift) & 1).astype(bool) & (lag < len(open_on))
    else:
        on_day = np.zeros(len(passes), bool)
        for g, mask in enumerate(open_on):
            on_day |= (lag == g) & ((mask >> shift) & 1).astype(bool)
    passes &= inside & on_day
    never = np.iinfo(np.int64).max
    index = np.arange(len(passes), dtype=np.int64)
    nxt = np.minimum.accumulate(np.where(passes, index, never)[::-1])[::-1]
    wait = np.where(nxt == never, NEVER, np.minimum(nxt - index, NEVER - 1)).astype(np.uint16)
    wait.setflags(write=False)
    return wait
