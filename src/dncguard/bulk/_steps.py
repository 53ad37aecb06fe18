"""The steps of one batch (``_scrub._scrub_batch``), each one function over small dataclasses,
in the order a batch flows through them:

1. :func:`_look_up`: numbers parsed, looked up in the registry (``_Lookup``);
2. :func:`_place_rows`: where each call goes (``_Placement``);
3. :func:`_clock_rows`: local day and the time rules passed (``_Clock``);
4. :func:`_registry_facts`: listed, fresh, requested (``_RegistryFacts``);
5. ``_evidence_keys._evidence_keys``: relationships, consents, state listings as day masks
   (``_EvidenceKeys``);
6. ``_verdicts._combine``: one key per row, grouped (``_Combinations``);
7. ``_verdicts._group_verdicts``: one policy call per distinct combination (``_GroupKey`` ->
   ``_Group``);
8. :func:`_raise_if_stale`.

Then ``_scrub`` adds ``next_allowed_at`` (``_next_allowed``) and the output columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, get_args

import numpy as np
import numpy.typing as npt

from dncguard._seller import normalize_seller
from dncguard.bulk._clock import _use_tables, _ZoneTables, local_clock
from dncguard.bulk._columns import _fallback_days, _Rows
from dncguard.bulk._engine import _Engine
from dncguard.bulk._evidence import _clip_offset
from dncguard.bulk._grouping import (
    factorize,
)
from dncguard.bulk._place import _ALL_CODE_BITS, _BIT, _MINUTE_US, _Place
from dncguard.bulk._tuning import Clocks
from dncguard.errors import StaleRegistryError
from dncguard.facts import (
    FAR_FUTURE,
    FAR_PAST,
    HORIZON,
    NO_DATE,
    hours_clocks,
    time_rule,
    time_rule_keys,
    time_rule_passes,
    within_minute,
)
from dncguard.models import ConsentKind, ReasonCode
from dncguard.numbers import parse_numbers
from dncguard.policy import Verdict

_CONSENT_KINDS: Final = get_args(ConsentKind)


@dataclass(frozen=True)
class _Lookup:
    """A batch's numbers and what the registry holds for each."""

    numbers: npt.NDArray[np.uint64]
    """The 10-digit numbers (0 where invalid: area code 0 is no area)."""
    npa: npt.NDArray[np.intp]
    masks: npt.NDArray[np.uint64]
    """Per row, the bits of the registry's layers holding the number."""
    reg_request: npt.NDArray[np.int64] | None
    """The seller's internal-list request day (FAR_PAST: undated; FAR_FUTURE: none), or None."""


def _look_up(engine: _Engine, rows: _Rows, parse_threads: int | None) -> _Lookup:
    """Step 1: parse the numbers, look them up in the registry, and read the seller's internal
    list's request dates."""
    n = rows.n
    numbers, _ = parse_numbers(rows.to, threads=parse_threads)  # 0 where invalid: area code 0 is no area
    npa = (numbers // np.uint64(10_000_000)).astype(np.intp)
    known = engine.area_ok[npa]
    if known.all():
        masks = engine.registry.membership(numbers)
    else:
        masks = np.zeros(n, np.uint64)
        live = np.flatnonzero(known)
        if len(live):
            masks[live] = engine.registry.membership(numbers[live])

    # Internal lists: the seller's request date for the number (FAR_PAST: undated entry).
    reg_request: npt.NDArray[np.int64] | None = None
    for k, seller in enumerate(rows.seller.values):
        bit = engine.internal.get(normalize_seller(seller))
        if bit is None:
            continue
        hit = np.flatnonzero(masks & np.uint64(1 << bit))
        if len(rows.seller.values) > 1:
            hit = hit[rows.seller.codes[hit] == k]
        if len(hit):
            if reg_request is None:
                reg_request = np.full(n, FAR_FUTURE, np.int64)
            when = engine.registry.request_dates(numbers[hit], bit)
            reg_request[hit] = np.where(
                np.isnat(when), FAR_PAST, when.astype("datetime64[D]").astype(np.int64)
            )

    return _Lookup(numbers, npa, masks, reg_request)


@dataclass(frozen=True)
class _Placement:
    """Where each row's call goes: distinct places and each row's."""

    places: list[_Place]
    place_inv: npt.NDArray[np.intp]
    ok: npt.NDArray[np.bool_]
    """The row's number is a US or Canadian one."""
    decision_place: npt.NDArray[np.intp]
    """Per place, what the policy sees of it (zones only as known or not), numbered."""
    n_decision_places: int
    state_code: npt.NDArray[np.intp] | None
    """Per row, the state-list bits holding the number (None: no state layer)."""


def _place_rows(engine: _Engine, rows: _Rows, lookup: _Lookup) -> _Placement:
    """Step 2: each row's place (area code, callee_region, callee_timezone, the state lists
    holding the number), found once per distinct combination."""
    masks = lookup.masks
    npa = lookup.npa
    # Places: (area code, callee_region, callee_timezone, state lists holding the number).
    state_shift = engine.state_shift
    state_code = (
        ((masks & engine.state_bits) >> np.uint64(state_shift)).astype(np.intp)
        if engine.state_layers
        else None
    )
    place_keys: list[npt.NDArray[Any]] = [npa]
    if len(rows.region.values) > 1:
        place_keys.append(rows.region.codes)
    if len(rows.zone.values) > 1:
        place_keys.append(rows.zone.codes)
    if state_code is not None and state_code.any():
        place_keys.append(state_code)
    place_inv, place_first = factorize(place_keys)
    places = [
        engine.place(
            int(npa[r]),
            rows.region.values[rows.region.codes[r]],
            rows.zone.values[rows.zone.codes[r]],
            0 if state_code is None else int(state_code[r]) << state_shift,
        )
        for r in place_first.tolist()
    ]
    place_valid = np.array([p.valid for p in places], bool)
    ok = place_valid[place_inv]
    # What the policy sees of a place (zones only as "known or not"): many area codes share it,
    # numbered by the engine once for all batches (the verdict cache is keyed by that number).
    decision_place = np.array([p.decision for p in places], np.intp)
    n_decision = int(decision_place.max()) + 1 if len(places) else 1
    return _Placement(places, place_inv, ok, decision_place, n_decision, state_code)


@dataclass(frozen=True)
class _Clock:
    """Each row's time: its UTC minute, local day (the latest over its zones) and the time rules
    it passes."""

    minutes: npt.NDArray[np.int64]
    today: npt.NDArray[np.int64]
    lag: npt.NDArray[np.int64]
    """Days the earliest local date over the row's zones is behind ``today`` (evidence starts
    only once its day has begun in every zone, docs/defaults.md#evidence-across-time-zones)."""
    passes: npt.NDArray[np.int64]
    """Bits (``_BIT``) of the time rules the call's start passes in every candidate zone (a
    code's bit is meaningful only where the code is in play: elsewhere it may be set)."""
    all_codes: list[str]
    """Every jurisdiction in play in the batch, sorted."""


def _clock_rows(rows: _Rows, placement: _Placement, clocks: Clocks = "auto") -> _Clock:
    """Step 3: UTC minutes; per candidate zone the local day and the time rules that pass.
    ``clocks`` (``Tuning.clocks``): per row, through per-zone minute tables, or the cheaper."""
    places = placement.places
    minutes = rows.micros // _MINUTE_US
    today, lag, passes, all_codes = _passes_at(minutes, places, placement.place_inv, clocks)
    later = np.flatnonzero(within_minute(rows.micros))
    if len(later):
        # A start within a minute (21:00:30) must pass the next minute too: a window's last
        # minute is the instant it ends (docs/defaults.md#calling-hours).
        passes[later] &= _passes_at(minutes[later] + 1, places, placement.place_inv[later], clocks)[2]
    no_zone = np.flatnonzero(today == NO_DATE)
    if len(no_zone):
        today[no_zone] = _fallback_days(rows.fallback_day, minutes, no_zone)
    return _Clock(minutes, today, lag, passes, all_codes)


def _passes_at(
    minutes: npt.NDArray[np.int64], places: list[_Place], place_inv: npt.NDArray[np.intp], clocks: Clocks
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], list[str]]:
    """Per row at UTC ``minutes`` (its place ``places[place_inv]``): the local day (the latest
    over its zones; NO_DATE without one), the days the earliest is behind it (``_Clock.lag``; 0
    without a zone), the bits of the time rules passed in every zone and on every fixed clock,
    and the codes in play."""
    n = len(minutes)
    zone_codes: dict[str, set[str]] = {}
    for p in places:
        for z in p.zones:
            zone_codes.setdefault(z.key, set()).update(time_rule_keys(p.codes))
    all_codes = sorted({c for p in places for c in p.codes})
    zone_codes_sorted = {z: sorted(c) for z, c in sorted(zone_codes.items())}
    slots = max((len(p.zones) for p in places), default=0)
    today = np.full(n, NO_DATE, np.int64)  # no zone yet: below every day
    earliest: npt.NDArray[np.int64] | None = None  # None: today (no row has two zones yet)
    passes = np.full(n, _ALL_CODE_BITS, np.int64)
    tabled = _use_tables(n, slots, len(zone_codes), minutes) if clocks == "auto" else clocks == "tables"
    if not tabled:
        # Few rows over many days: convert each row's time (tables would cost more).
        for zone, codes in zone_codes_sorted.items():
            holder = np.array([any(z.key == zone for z in p.zones) for p in places], bool)
            idx_rows = np.flatnonzero(holder[place_inv])
            day, minute = local_clock(minutes[idx_rows], zone)
            if earliest is None:
                earliest = np.full(n, np.iinfo(np.int64).max, np.int64)
            earliest[idx_rows] = np.minimum(earliest[idx_rows], day)
            today[idx_rows] = np.maximum(today[idx_rows], day)
            bits = np.full(len(idx_rows), _ALL_CODE_BITS, np.int64)
            for code in codes:
                ok_code = np.asarray(time_rule_passes(time_rule(code), day, minute), bool)
                bits &= np.where(ok_code, _ALL_CODE_BITS, _ALL_CODE_BITS ^ (1 << _BIT[code]))
            passes[idx_rows] &= bits
        tables = _ZoneTables({}, minutes[:0])
        tables.index = {z: i for i, z in enumerate(zone_codes_sorted)}
    else:
        tables = _ZoneTables(zone_codes_sorted, minutes)
        zone_slot = np.full((max(slots, 1), len(places)), -1, np.int64)
        for pi, p in enumerate(places):
            for s, z in enumerate(p.zones):
                zone_slot[s, pi] = tables.index[z.key]
        for s in range(slots):
            zid = zone_slot[s][place_inv]
            if s == 0 and (zid >= 0).all():
                flat = zid * tables.span + tables.row_base
                today = tables.local[flat]
                passes = tables.passes[flat]
                continue
            idx_rows = np.flatnonzero(zid >= 0)
            flat = zid[idx_rows] * tables.span + tables.row_base[idx_rows]
            if s > 0 and earliest is None:
                earliest = today.copy()
            if earliest is not None:
                earliest[idx_rows] = np.minimum(earliest[idx_rows], tables.local[flat])
            today[idx_rows] = np.maximum(today[idx_rows], tables.local[flat])
            passes[idx_rows] &= tables.passes[flat]
    fixed = hours_clocks(tuple(all_codes))
    place_codes = np.array([p.code_bits for p in places], np.int64) if fixed else None
    for code, clock in fixed:
        # Hours set on a fixed clock (Mississippi's Central Standard Time) must pass there too,
        # for the calls in play there (a bit of ``passes`` counts only where its code is).
        assert place_codes is not None
        bit = 1 << _BIT[code]
        held = np.flatnonzero((place_codes & bit != 0)[place_inv])
        day, minute = local_clock(minutes[held], clock.key)
        clock_ok = np.asarray(time_rule_passes(time_rule(code), day, minute), bool)
        passes[held] &= np.where(clock_ok, _ALL_CODE_BITS, _ALL_CODE_BITS ^ bit)
    if earliest is None or slots <= 1:
        lag = np.zeros(n, np.int64)
    else:
        lag = np.where(today == NO_DATE, 0, today - np.minimum(earliest, today))
    return today, lag, passes, all_codes


@dataclass(frozen=True)
class _RegistryFacts:
    """The registry's facts per row, as day offsets (a DayMask is a prefix or a suffix)."""

    failed_bits: npt.NDArray[np.int64]
    national_listed: npt.NDArray[np.bool_]
    fresh_len: npt.NDArray[np.int64]
    """Days from the call's on which the national copy is fresh."""
    col_request: npt.NDArray[np.int64] | None
    """The row's own ``dnc_requested_on`` day (FAR_FUTURE: none), or None: no such column."""
    request_lo: npt.NDArray[np.int64]
    """Day offset of the first request in effect."""


def _registry_facts(
    engine: _Engine, rows: _Rows, lookup: _Lookup, placement: _Placement, clock: _Clock
) -> _RegistryFacts:
    """Step 4: listed, fresh, the first do-not-call request, the failed time rules."""
    n = rows.n
    masks = lookup.masks
    reg_request = lookup.reg_request
    places = placement.places
    place_inv = placement.place_inv
    passes = clock.passes
    today = clock.today
    place_codes = np.array([p.code_bits for p in places], np.int64)
    failed_bits = place_codes[place_inv] & ~passes
    nat_mask = np.array([p.national_bit for p in places], np.uint64)
    national_listed = (masks & nat_mask[place_inv]) != 0
    fresh_end = np.array([p.fresh_end for p in places], np.int64)
    fresh_len = _clip_offset(fresh_end[place_inv] - today)
    dnc = rows.dates.get("dnc_requested_on")
    col_request = None if dnc is None else np.where(dnc == NO_DATE, FAR_FUTURE, dnc)
    if reg_request is None and col_request is None:
        request_lo = np.full(n, HORIZON + 1, np.int64)
    elif reg_request is None or col_request is None:
        only = reg_request if col_request is None else col_request
        assert only is not None
        request_lo = _clip_offset(only - today)
    else:
        request_lo = _clip_offset(np.minimum(reg_request, col_request) - today)

    return _RegistryFacts(failed_bits, national_listed, fresh_len, col_request, request_lo)


def _raise_if_stale(
    engine: _Engine,
    verdicts: Sequence[Verdict],
    inverse: npt.NDArray[np.intp],
    npa: npt.NDArray[np.intp],
    first_row: int,
) -> None:
    """Step 8 (``on_stale="raise"``): a stale national copy is an error naming the first row."""
    if engine.context.on_stale == "raise":
        for g, v in enumerate(verdicts):
            if any(reason.code is ReasonCode.STALE_REGISTRY for reason in v.reasons):
                row = int(np.argmax(inverse == g))
                raise StaleRegistryError(
                    f"row {first_row + row}: the national registry copy for area code {int(npa[row])}"
                    " is too old for a call at that time: download a fresh copy"
                )
