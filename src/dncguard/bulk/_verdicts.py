"""Steps 6 and 7 of a batch: every column the facts follow from packed into one key per row and
grouped (:func:`_combine`), then one policy call per distinct combination (:func:`_group_verdicts`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, cast

import numpy as np
import numpy.typing as npt

from dncguard.bulk._caps import _add_placed_calls, _recent_counts
from dncguard.bulk._columns import _Rows
from dncguard.bulk._engine import _Engine
from dncguard.bulk._evidence_keys import _EvidenceKeys
from dncguard.bulk._grouping import (
    _INVALID_GROUP,
    _facts,
    _Group,
    _GroupKey,
    _Packer,
    _unpack_consent,
    factorize,
)
from dncguard.bulk._place import _ALL_CODE_BITS, _Place
from dncguard.bulk._steps import _Clock, _Lookup, _Placement, _RegistryFacts
from dncguard.bulk._tuning import VERDICT_CACHE
from dncguard.facts import (
    HORIZON,
)


@dataclass(frozen=True)
class _Combinations:
    """The distinct combinations of facts: each row's, and a first row of each."""

    inverse: npt.NDArray[np.intp]
    first_rows: npt.NDArray[np.intp]
    recent_cols: list[tuple[int, npt.NDArray[np.int64], int]]
    """``_recent_counts``: per cap window, each row's earlier calls in it."""


def _combine(
    engine: _Engine,
    rows: _Rows,
    lookup: _Lookup,
    placement: _Placement,
    registry: _RegistryFacts,
    evidence: _EvidenceKeys,
) -> _Combinations:
    """Step 6: every column the facts follow from packed into one key per row, then grouped
    (the ledger's placed calls joined first, for frequency caps)."""
    n = rows.n
    numbers = lookup.numbers
    places = placement.places
    place_inv = placement.place_inv
    decision_place = placement.decision_place
    failed_bits = registry.failed_bits
    national_listed = registry.national_listed
    fresh_len = registry.fresh_len
    request_lo = registry.request_lo
    extra = evidence.extra
    n_extra = evidence.n_extra
    by_kind = evidence.by_kind
    packer = _Packer(n)
    # Bounds are exact maxima: a column that can only be 0 adds nothing.
    packer.add(decision_place[place_inv], placement.n_decision_places - 1)
    packer.add(rows.purpose.codes, len(rows.purpose.values) - 1)
    packer.add(rows.caller.codes, len(rows.caller.values) - 1)
    packer.add(rows.line.codes, len(rows.line.values) - 1)
    packer.add(rows.prerecorded, int(rows.prerecorded.any()))
    packer.add(national_listed, 1)
    packer.add(fresh_len, HORIZON + 1)
    packer.add(request_lo, HORIZON + 1)
    packer.add(extra, n_extra)
    packer.add(failed_bits, _ALL_CODE_BITS)
    packer.add(rows.channel.codes, len(rows.channel.values) - 1)
    packer.add(rows.automated, int(rows.automated.any()))
    packer.add(by_kind, int(by_kind.max()) if n else 0)
    packer.add(evidence.supporter, int(evidence.supporter.max()) if n else 0)
    if engine.context.ledger is not None:
        _add_placed_calls(engine, rows, numbers, places, place_inv)
    recent_cols = _recent_counts(rows)
    for _, counts, most in recent_cols:
        packer.add(counts, most)
    inverse, first_rows = factorize(packer.keys())

    return _Combinations(inverse, first_rows, recent_cols)


class _FirstRow(NamedTuple):
    """A combination's first row: the values its facts follow from, read once as Python values."""

    valid: bool
    place: int
    today: int
    extra: int
    has_ev: bool
    purpose: int
    caller: int
    line: int
    prerecorded: bool
    listed: bool
    fresh: int
    request_lo: int
    failed: int
    evidence: list[int]
    channel: int
    automated: bool
    by_kind: int
    casl: int
    recent: tuple[int, ...]
    supporter: int


def _group_verdicts(
    engine: _Engine,
    rows: _Rows,
    placement: _Placement,
    clock: _Clock,
    registry: _RegistryFacts,
    evidence: _EvidenceKeys,
    combinations: _Combinations,
    verdict_cache: int = VERDICT_CACHE,
) -> list[_Group]:
    """Step 7: one policy call per distinct combination of facts, cached across batches (at most
    ``verdict_cache`` of them, then afresh).

    Each combination's facts follow from its first row's values in engine terms
    (:func:`_engine_keys`: the same bytes in every batch for the same values, whatever the
    batch's own dictionary codes), so a combination met in an earlier batch is found with one
    look-up. Only a new one reads its first row's values (:func:`_first_rows`) to make the key
    (:func:`_group_key`) under which its verdict is cached."""
    places = placement.places
    jset = engine.jurisdictions
    cache = engine.groups
    layout, keys = _engine_keys(engine, rows, placement, clock, registry, evidence, combinations)
    known = engine.known.get(layout)
    if len(cache) > verdict_cache or (known is not None and len(known) > verdict_cache):
        cache.clear()
        engine.known.clear()
        known = None
    if known is None:
        if len(engine.known) >= _LAYOUTS:
            engine.known.clear()
        known = engine.known.setdefault(layout, {})
    found = [known.get(k) for k in keys]
    missing = [g for g, group in enumerate(found) if group is None]
    if not missing:
        return cast(list[_Group], found)
    firsts = _first_rows(rows, placement, clock, registry, evidence, combinations, np.array(missing, np.intp))
    for g, first in zip(missing, firsts, strict=True):
        if not first.valid:
            group = _INVALID_GROUP
        else:
            place = places[first.place]
            key = _group_key(rows, place, first, combinations.recent_cols)
            cached = cache.get(key)
            group = cache[key] = _Group(_facts(place, key, jset), jset) if cached is None else cached
        found[g] = known[keys[g]] = group
    return cast(list[_Group], found)


_LAYOUTS: Final = 64
"""Layouts of engine keys (``_engine_keys``) an engine keeps verdicts under before it starts
afresh (one per kind of batch: the jurisdiction slots, state lists and cap windows in play)."""


def _engine_keys(
    engine: _Engine,
    rows: _Rows,
    placement: _Placement,
    clock: _Clock,
    registry: _RegistryFacts,
    evidence: _EvidenceKeys,
    combinations: _Combinations,
) -> tuple[tuple[int, ...], list[bytes]]:
    """Per combination, the values its facts follow from in terms that mean the same in every
    batch, as bytes (one ``int64`` each), and the layout of those bytes.

    Every field of :func:`_group_key`'s key follows from these values (and the layout), so equal
    bytes of one layout give one verdict: the place as the policy sees it (``_Place.decision``,
    numbered by the engine), the call's kinds as the engine numbers their values (not the
    batch's dictionary codes, whose order depends on the batch), the registry's offsets, and
    the evidence and state listings by value (not by the batch's numbering of their
    combinations). A value added here only splits combinations; one left out would let a
    verdict pass to calls it does not fit."""
    fr = combinations.first_rows
    extra = evidence.extra[fr]
    special = extra != 0
    with_ev = special & evidence.has_ev[fr]
    columns: list[npt.NDArray[Any]] = [
        placement.decision_place[placement.place_inv[fr]],
        engine.value_ids("purpose", rows.purpose.values)[rows.purpose.codes[fr]],
        engine.value_ids("caller", rows.caller.values)[rows.caller.codes[fr]],
        engine.value_ids("line", rows.line.values)[rows.line.codes[fr]],
        engine.value_ids("channel", rows.channel.values)[rows.channel.codes[fr]],
        rows.prerecorded[fr],
        rows.automated[fr],
        registry.national_listed[fr],
        registry.fresh_len[fr],
        registry.request_lo[fr],
        registry.failed_bits[fr],
        evidence.by_kind[fr],
        evidence.supporter[fr],
        special,
        with_ev,
    ]
    sub_ev = evidence.sub_ev
    if sub_ev:
        ev_at = _evidence_rows(evidence.special, fr)
        columns += [np.where(with_ev, a[ev_at], 0) for a in sub_ev]
        columns.append(np.where(with_ev, evidence.sub_casl[ev_at], 0))
    today = clock.today[fr]
    state_code = placement.state_code  # None only without state lists
    for bit, _, start in engine.state_layers:
        # where the list holds the number: its offset from the call's day, as ``_group_key``
        # reads it (``_Place.states``)
        assert state_code is not None
        on = special & (state_code[fr] >> (bit - engine.state_shift) & 1 != 0)
        columns.append(np.where(on, np.minimum(np.maximum(start - today, 0), HORIZON + 1), 0))
    recent_cols = combinations.recent_cols
    columns += [c[fr] for _, c, _ in recent_cols]
    layout = (len(columns), len(sub_ev), len(engine.state_layers), *(m for m, _, _ in recent_cols))
    table = np.stack([c.astype(np.int64, copy=False) for c in columns], axis=1)
    keys = np.ascontiguousarray(table).view(np.dtype((np.void, 8 * len(columns)))).ravel().tolist()
    return layout, cast(list[bytes], keys)


def _evidence_rows(special: npt.NDArray[np.intp], fr: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """Per row of ``fr``, its position among the ``special`` rows (any, for a row not among them)."""
    at: npt.NDArray[np.intp] = np.minimum(np.searchsorted(special, fr), max(len(special) - 1, 0))
    return at


def _first_rows(
    rows: _Rows,
    placement: _Placement,
    clock: _Clock,
    registry: _RegistryFacts,
    evidence: _EvidenceKeys,
    combinations: _Combinations,
    groups: npt.NDArray[np.intp],
) -> Iterator[_FirstRow]:
    """The first row of each combination of ``groups``, its columns read once as lists (one
    ``tolist`` per column)."""
    fr = combinations.first_rows[groups]
    n_groups = len(fr)
    special = evidence.special
    sub_ev = evidence.sub_ev
    recent_cols = combinations.recent_cols
    ev_at = _evidence_rows(special, fr)
    ev_rows: list[list[int]] = (
        np.stack([a[ev_at] for a in sub_ev], axis=1).tolist() if sub_ev and len(special) else [[]] * n_groups
    )
    casl_rows: list[int] = evidence.sub_casl[ev_at].tolist() if len(special) else [0] * n_groups
    recent: list[tuple[int, ...]] = (
        list(zip(*(c[fr].tolist() for _, c, _ in recent_cols), strict=True))
        if recent_cols
        else [()] * n_groups
    )
    columns = zip(
        placement.ok[fr].tolist(),
        placement.place_inv[fr].tolist(),
        clock.today[fr].tolist(),
        evidence.extra[fr].tolist(),
        evidence.has_ev[fr].tolist(),
        rows.purpose.codes[fr].tolist(),
        rows.caller.codes[fr].tolist(),
        rows.line.codes[fr].tolist(),
        rows.prerecorded[fr].tolist(),
        registry.national_listed[fr].tolist(),
        registry.fresh_len[fr].tolist(),
        registry.request_lo[fr].tolist(),
        registry.failed_bits[fr].tolist(),
        ev_rows,
        rows.channel.codes[fr].tolist(),
        rows.automated[fr].tolist(),
        evidence.by_kind[fr].tolist(),
        casl_rows,
        recent,
        evidence.supporter[fr].tolist(),
        strict=True,
    )
    return map(_FirstRow._make, columns)


def _group_key(
    rows: _Rows,
    place: _Place,
    first: _FirstRow,
    recent_cols: list[tuple[int, npt.NDArray[np.int64], int]],
) -> _GroupKey:
    """What the combination's facts follow from: the place, the call's kinds, the registry's
    offsets, and its evidence only where it has some (a state listing keeps the day too)."""
    with_ev = bool(first.extra and first.has_ev)
    kind_mask = first.by_kind
    return _GroupKey(
        place.decision,
        rows.purpose.values[first.purpose],
        rows.caller.values[first.caller],
        rows.line.values[first.line],
        first.prerecorded,
        first.listed,
        first.fresh,
        first.request_lo,
        first.failed,
        tuple(first.evidence[: len(place.codes)]) if with_ev else None,
        tuple(min(max(start - first.today, 0), HORIZON + 1) for _, start in place.states)
        if first.extra and place.states
        else None,
        rows.channel.values[first.channel],
        first.automated,
        _unpack_consent(kind_mask),
        first.casl if with_ev else 0,
        tuple((m, c) for (m, _, _), c in zip(recent_cols, first.recent, strict=True) if c),
        first.supporter,
    )
