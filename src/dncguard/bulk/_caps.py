"""Frequency caps in bulk: the ledger's placed calls joined to a batch (one query per batch),
each row's earlier calls counted per cap window, and ``next_allowed_at`` of the rows a cap blocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard._seller import normalize_seller
from dncguard.bulk._columns import _Rows
from dncguard.bulk._engine import _Engine
from dncguard.bulk._grouping import _Group, factorize
from dncguard.bulk._place import _MINUTE_US, NO_NEXT
from dncguard.facts import CallFacts, cap_windows, caps_in_play
from dncguard.models import ReasonCode
from dncguard.policy import cap_release, next_allowed_at

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _add_placed_calls(
    engine: _Engine,
    rows: _Rows,
    numbers: npt.NDArray[np.uint64],
    places: Sequence[Any],
    place_inv: npt.NDArray[np.intp],
) -> None:
    """Add the ledger's placed calls (same seller, number and purpose, in the longest cap window
    before each call) to ``rows.attempts``, for the rows into a jurisdiction with a cap, as
    ``Guard.check`` counts them: one ledger query for the batch (``Ledger.placed_table``), joined
    with the rows on (number, seller, purpose) by sorting, no per-row query."""
    ledger = engine.context.ledger
    in_cap = np.array([p.valid and caps_in_play(p.codes) for p in places], bool)[place_inv]
    wanted = np.flatnonzero(in_cap)
    if not len(wanted):
        return
    longest = max(minutes for minutes, _ in cap_windows()) * _MINUTE_US
    at_w = rows.micros[wanted]
    since = int(at_w.min()) - longest
    until = int(at_w.max())
    placed = ledger.placed_table(
        since=_EPOCH + dt.timedelta(microseconds=since), until=_EPOCH + dt.timedelta(microseconds=until)
    )
    if not placed.num_rows:
        return
    # One integer per (seller, purpose), over the ledger's and the batch's values alike, then
    # one per (number, seller, purpose): the ledger's calls sorted by it and by time, each row's
    # window is one range of them, found by binary search.
    names: dict[tuple[str, str], int] = {}
    ledger_sp = _pair_ids(names, placed.column("seller"), placed.column("purpose"))
    row_sp = _pair_ids(
        names,
        pa.DictionaryArray.from_arrays(pa.array(rows.seller.codes[wanted]), pa.array(rows.seller.values)),
        pa.DictionaryArray.from_arrays(pa.array(rows.purpose.codes[wanted]), pa.array(rows.purpose.values)),
    )
    width = len(names) + 1
    ledger_pair = placed.column("number").to_numpy().astype(np.int64) * width + ledger_sp
    row_pair = numbers[wanted].astype(np.int64) * width + row_sp
    keys, ledger_key = np.unique(ledger_pair, return_inverse=True)
    pos = np.minimum(np.searchsorted(keys, row_pair), len(keys) - 1)
    found = keys[pos] == row_pair
    # Times as ranks among every time compared, so that (key, time) packs into one int64.
    ledger_at = placed.column("at").cast(pa.int64()).to_numpy()
    times = np.unique(np.concatenate([ledger_at, at_w - longest, at_w]))
    span = len(times) + 1
    composite = ledger_key.reshape(-1).astype(np.int64) * span + np.searchsorted(times, ledger_at)
    order = np.argsort(composite, kind="stable")
    composite, ledger_at = composite[order], ledger_at[order]
    base = pos.astype(np.int64) * span
    lo = np.searchsorted(composite, base + np.searchsorted(times, at_w - longest), side="left")
    hi = np.searchsorted(composite, base + np.searchsorted(times, at_w), side="left")
    count = np.where(found, hi - lo, 0)
    # Each wanted row's range of the ledger's calls, appended after the row's own attempts.
    extra_counts = np.zeros(rows.n, np.int64)
    extra_counts[wanted] = count
    total = int(count.sum())
    if not total:
        return
    firsts = np.repeat(lo[count > 0], count[count > 0])
    within = np.arange(total) - np.repeat(np.cumsum(count[count > 0]) - count[count > 0], count[count > 0])
    extra = ledger_at[firsts + within]
    if rows.attempts is None:
        offsets, values = np.zeros(rows.n + 1, np.int64), np.zeros(0, np.int64)
    else:
        offsets, values = rows.attempts
    row_ids = np.concatenate(
        [np.repeat(np.arange(rows.n), np.diff(offsets)), np.repeat(np.arange(rows.n), extra_counts)]
    )
    merged = np.concatenate([values, extra])[np.argsort(row_ids, kind="stable")]
    lengths = np.diff(offsets) + extra_counts
    rows.attempts = (np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)]), merged)


def _pair_ids(names: dict[tuple[str, str], int], seller: Any, purpose: Any) -> npt.NDArray[np.int64]:
    """The integer of each row's (seller, purpose) in ``names`` (added as first seen), the
    seller compared as one name however written (``normalize_seller``); a Python step per
    distinct pair, not per row."""
    s = pc.dictionary_encode(seller).combine_chunks() if not pa.types.is_dictionary(seller.type) else seller
    p = (
        pc.dictionary_encode(purpose).combine_chunks()
        if not pa.types.is_dictionary(purpose.type)
        else purpose
    )
    s_idx = s.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    p_idx = p.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    if not len(s_idx):
        return np.zeros(0, np.int64)
    inv, first = factorize([s_idx, p_idx])
    s_values, p_values = s.dictionary.to_pylist(), p.dictionary.to_pylist()
    ids = np.array(
        [
            names.setdefault((normalize_seller(s_values[a]), p_values[b]), len(names))
            for a, b in zip(s_idx[first].tolist(), p_idx[first].tolist(), strict=True)
        ],
        np.int64,
    )
    out: npt.NDArray[np.int64] = ids[inv]
    return out


def _recent_counts(rows: _Rows) -> list[tuple[int, npt.NDArray[np.int64], int]]:
    """``CallFacts.recent`` as columns: per cap window ``(minutes, counts, largest cap)``, each
    row's earlier calls in the window that ends at its start (the start excluded)."""
    if rows.attempts is None:
        return []
    offsets, values = rows.attempts
    row_of = np.repeat(np.arange(rows.n), np.diff(offsets))
    at = rows.micros[row_of]
    out = []
    for minutes, most in cap_windows():
        inside = (values >= at - minutes * _MINUTE_US) & (values < at)
        counts = np.minimum(np.bincount(row_of[inside], minlength=rows.n), most).astype(np.int64)
        out.append((minutes, counts, most))
    return out


def _capped_next_allowed(
    engine: _Engine,
    rows: _Rows,
    inverse: npt.NDArray[np.intp],
    groups: Sequence[_Group],
    places: Sequence[Any],
    place_inv: npt.NDArray[np.intp],
    next_at: npt.NDArray[np.int64],
    by_lag: Callable[[int], tuple[CallFacts, ...] | None],
) -> None:
    """``next_allowed_at`` of the rows a frequency cap blocks (few): per row, as ``Guard.check``
    finds it, from when the oldest counted call leaves the cap's window (``by_lag``: a row's
    facts at each lag, where its evidence depends on it, ``_next_allowed._Lagged.of_row``)."""
    capped = [any(r.code is ReasonCode.FREQUENCY_CAP for r in g.verdict.reasons) for g in groups]
    rows_capped = np.flatnonzero(np.array(capped, bool)[inverse]) if any(capped) else np.zeros(0, np.intp)
    assert rows.attempts is not None or not len(rows_capped)
    for r in rows_capped.tolist():
        group = groups[int(inverse[r])]
        facts = group.facts
        assert facts is not None
        lagged = by_lag(r)
        if lagged is None and group.open_days == 0:
            continue
        assert rows.attempts is not None
        offsets, values = rows.attempts
        at = _EPOCH + dt.timedelta(microseconds=int(rows.micros[r]))
        attempts = [_EPOCH + dt.timedelta(microseconds=int(v)) for v in values[offsets[r] : offsets[r + 1]]]
        release = cap_release(facts, attempts, at, engine.jurisdictions)
        zones = places[int(place_inv[r])].zones
        found = next_allowed_at(facts, at, zones, engine.jurisdictions, release, lagged)
        next_at[r] = NO_NEXT if found is None else (found - _EPOCH) // dt.timedelta(microseconds=1)
