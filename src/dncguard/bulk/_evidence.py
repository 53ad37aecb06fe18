"""Evidence as day masks for whole columns: which relationship, consent and request applies on
each day of the search horizon.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt

from dncguard.bulk._columns import NONE
from dncguard.bulk._place import _Place
from dncguard.facts import (
    FAR_FUTURE,
    FAR_PAST,
    HORIZON,
    Anniversary,
    span_mask,
    window_end,
)
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import Jurisdiction, Window


def _span(lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out: npt.NDArray[np.int64] = span_mask(lo, hi)
    return out


def _evidence_masks(
    j: Jurisdiction,
    anniversary: Anniversary,
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> npt.NDArray[np.int64]:
    """:func:`dncguard.facts.evidence_masks` for whole columns, packed ``p | i<<11 | c<<22 | k<<33``.

    The flat columns hold at most one purchase, inquiry, contract, consent and request each (plus
    the registry's internal-list entry); ``NONE`` marks an absent date.
    """
    r1, r2 = requests  # FAR_FUTURE: no request; FAR_PAST: an undated internal-list entry
    first_request = np.minimum(r1, r2)
    reassigned = d["reassigned_on"]
    since = np.where(reassigned == NONE, FAR_PAST, reassigned)
    zero = np.zeros(len(today), np.int64)
    purchase = inquiry = contract = zero
    ebr = j.ebr
    if ebr is not None:

        def relationship(on: npt.NDArray[np.int64], window: Window | None) -> npt.NDArray[np.int64]:
            if window is None:
                return zero
            ok = (on != NONE) & (on >= since)
            anchor = np.where(ok, on, 0)
            end = np.minimum(_window_ends(anchor, ok, window, anniversary), first_request)
            return np.where(ok, _span(anchor - today, end - today), 0)

        purchase = relationship(d["last_purchase"], ebr.purchase)
        inquiry = relationship(d["last_inquiry"], ebr.inquiry)
        if ebr.contract is not None:
            start, ends = d["contract_on"], d["contract_ends"]
            ok = (start != NONE) & (start >= since)
            s0 = np.where(ok, start, 0)
            dated = ends != NONE
            end = np.where(dated, _window_ends(ends, dated, ebr.contract, anniversary), FAR_FUTURE)
            contract = np.where(ok, _span(s0 - today, np.minimum(end, first_request) - today), 0)
    given = d["consent_on"]
    ok = consent_ok & (given != NONE) & (given >= since) & (r1 != FAR_PAST) & (r2 != FAR_PAST)
    g0 = np.where(ok, given, 0)
    revoked = d["consent_revoked_on"]
    end = np.where(revoked == NONE, FAR_FUTURE, revoked)
    for r in (r1, r2):
        end = np.where(r >= g0, np.minimum(end, r), end)
    consent = np.where(ok, _span(g0 - today, end - today), 0)
    return purchase | inquiry << 11 | contract << 22 | consent << 33


_END_TABLE_DAYS: Final = 4096


def _window_ends(
    on: npt.NDArray[np.int64], where: npt.NDArray[np.bool_], window: Window, anniversary: Anniversary
) -> npt.NDArray[np.int64]:
    """``window_end`` of ``on`` where ``where`` holds (0 elsewhere), read from tables of whole
    runs of days (``window_end`` is per day, and most batches see the same few hundred days)."""
    out = np.zeros(len(on), np.int64)
    rows = np.flatnonzero(where)
    if not len(rows):
        return out
    days = on[rows]
    lo = int(days.min()) // _END_TABLE_DAYS
    hi = int(days.max()) // _END_TABLE_DAYS
    if hi - lo > 4:  # dates far apart: no table
        out[rows] = window_end(days, window, anniversary)
        return out
    out[rows] = _window_end_table(window, anniversary, lo, hi)[days - lo * _END_TABLE_DAYS]
    return out


@functools.lru_cache(maxsize=256)
def _window_end_table(window: Window, anniversary: Anniversary, lo: int, hi: int) -> npt.NDArray[np.int64]:
    """``window_end`` of every day from ``lo * _END_TABLE_DAYS`` to the end of run ``hi``."""
    days = np.arange(lo * _END_TABLE_DAYS, (hi + 1) * _END_TABLE_DAYS, dtype=np.int64)
    table: npt.NDArray[np.int64] = np.asarray(window_end(days, window, anniversary), np.int64)
    table.setflags(write=False)
    return table


def _fresh_end(place: _Place) -> int:
    """The first day on which the national copy of the place's area code is too old (0: none)."""
    if place.national_obtained is None:
        return 0
    fresh_days = JURISDICTIONS[place.country].fresh_days
    return place.national_obtained + (fresh_days or 0) + 1


def _clip_offset(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Day offsets clamped to ``0..HORIZON+1``, the range a :data:`~dncguard.facts.DayMask` sees."""
    out: npt.NDArray[np.int64] = np.clip(days, 0, HORIZON + 1)
    return out


def _from(lo: int) -> int:
    """The day mask of offsets ``lo..HORIZON``."""
    return ((1 << (HORIZON + 1)) - 1) ^ ((1 << lo) - 1)
