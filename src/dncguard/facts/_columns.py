"""The evidence rules of :mod:`dncguard.facts._evidence` for whole columns (bulk): the same
functions (``relationship_end``, ``consent_end``, ``held_by_caller``, ``window_end``) over numpy
arrays, one consent, purchase, inquiry, contract and request per row."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt

from dncguard._calendar import (
    FAR_FUTURE,
    FAR_PAST,
    NO_DATE,
    span_mask,
)
from dncguard.facts._evidence import consent_end, held_by_caller, relationship_end
from dncguard.facts._windows import Anniversary, window_end
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import EbrWindows, Window
from dncguard.jurisdictions.call_rules import CASL_IMPLIED_CONSENT


def evidence_masks_columns(
    code: str,
    anniversary: Anniversary,
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    lag: npt.NDArray[np.int64] | int = 0,
) -> npt.NDArray[np.int64]:
    """:func:`evidence_masks` for whole columns under ``code``'s rules, packed
    ``purchase | inquiry << 11 | contract << 22 | consent << 33``.

    ``d``: the flat evidence columns as day numbers (:data:`NO_DATE`: absent), at most one
    purchase, inquiry, contract, consent and request each; ``requests``: that request and the
    registry's internal-list entry (:data:`FAR_FUTURE`: none; :data:`FAR_PAST`: undated).
    ``lag``: per row, the days the earliest local date over its zones is behind ``today``
    (evidence starts only once its day has begun in every zone, :func:`evidence_masks`).
    The rules are the same functions :func:`evidence_masks` applies to one call.
    """
    return _masks_columns_under(JURISDICTIONS[code].ebr, anniversary, today, d, consent_ok, requests, lag)


def casl_masks_columns(
    anniversary: Anniversary,
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    lag: npt.NDArray[np.int64] | int = 0,
) -> npt.NDArray[np.int64]:
    """:func:`casl_masks` for whole columns, packed as :func:`evidence_masks_columns`."""
    return _masks_columns_under(CASL_IMPLIED_CONSENT, anniversary, today, d, consent_ok, requests, lag)


def _masks_columns_under(
    ebr: EbrWindows | None,
    anniversary: Anniversary,
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    lag: npt.NDArray[np.int64] | int,
) -> npt.NDArray[np.int64]:
    r1, r2 = requests
    begun = today - lag  # evidence starts on the earliest local date over the zones
    first_request = np.minimum(r1, r2)
    reassigned = d["reassigned_on"]
    since = np.where(reassigned == NO_DATE, FAR_PAST, reassigned)
    zero = np.zeros(len(today), np.int64)
    purchase = inquiry = contract = zero
    if ebr is not None:

        def relationship(on: npt.NDArray[np.int64], window: Window | None) -> npt.NDArray[np.int64]:
            if window is None:
                return zero
            ok = (on != NO_DATE) & held_by_caller(on, since)
            anchor = np.where(ok, on, 0)
            end = relationship_end(_window_ends(anchor, ok, window, anniversary), first_request)
            return np.where(ok, span_mask(anchor - begun, end - today), 0)

        purchase = relationship(d["last_purchase"], ebr.purchase)
        inquiry = relationship(d["last_inquiry"], ebr.inquiry)
        if ebr.contract is not None:
            start, ends = d["contract_on"], d["contract_ends"]
            ok = (start != NO_DATE) & held_by_caller(start, since)
            s0 = np.where(ok, start, 0)
            dated = ends != NO_DATE
            end = np.where(dated, _window_ends(ends, dated, ebr.contract, anniversary), FAR_FUTURE)
            contract = np.where(ok, span_mask(s0 - begun, relationship_end(end, first_request) - today), 0)
    consent = consent_mask_columns(today, d, consent_ok, requests, lag)
    packed: npt.NDArray[np.int64] = purchase | inquiry << 11 | contract << 22 | consent << 33
    return packed


def consent_mask_columns(
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    lag: npt.NDArray[np.int64] | int = 0,
) -> npt.NDArray[np.int64]:
    """The consent day mask of each row (:func:`consent_masks` for the flat columns: one consent
    per row, counted where ``consent_ok``, i.e. of a kind the rule at hand accepts; ``lag`` as
    for :func:`evidence_masks_columns`)."""
    r1, r2 = requests
    reassigned = d["reassigned_on"]
    since = np.where(reassigned == NO_DATE, FAR_PAST, reassigned)
    given = d["consent_on"]
    ok = consent_ok & (given != NO_DATE) & held_by_caller(given, since) & (r1 != FAR_PAST) & (r2 != FAR_PAST)
    g0 = np.where(ok, given, 0)
    revoked = d["consent_revoked_on"]
    end = np.where(revoked == NO_DATE, FAR_FUTURE, revoked)
    for r in (r1, r2):
        end = consent_end(end, r, g0)
    consent: npt.NDArray[np.int64] = np.where(ok, span_mask(g0 - (today - lag), end - today), 0)
    return consent


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


def supporter_mask_columns(
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    window: Window,
    anniversary: Anniversary,
    lag: npt.NDArray[np.int64] | int = 0,
) -> npt.NDArray[np.int64]:
    """:func:`supporter_mask` for whole columns: one ``last_donation`` and one membership
    (``membership_on``, ``membership_ends``) per row; :data:`NO_DATE`: absent; ``lag`` as for
    :func:`evidence_masks_columns`."""
    begun = today - lag
    reassigned = d["reassigned_on"]
    since = np.where(reassigned == NO_DATE, FAR_PAST, reassigned)
    gift = d["last_donation"]
    ok = (gift != NO_DATE) & held_by_caller(gift, since)
    g0 = np.where(ok, gift, 0)
    donor = np.where(ok, span_mask(g0 - begun, _window_ends(g0, ok, window, anniversary) - today), 0)
    start, ends = d["membership_on"], d["membership_ends"]
    ok = (start != NO_DATE) & held_by_caller(start, since)
    s0 = np.where(ok, start, 0)
    end = np.where(ends == NO_DATE, FAR_FUTURE, ends)
    member = np.where(ok, span_mask(s0 - begun, end - today), 0)
    out: npt.NDArray[np.int64] = np.asarray(donor | member, np.int64)
    return out
