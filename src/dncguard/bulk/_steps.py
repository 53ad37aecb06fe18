"""The steps of one batch (``_scrub._scrub_batch``), each one function over small dataclasses,
in the order a batch flows through them:

1. :func:`_look_up`: numbers parsed, looked up in the registry (``_Lookup``);
2. :func:`_place_rows`: where each call goes (``_Placement``);
3. :func:`_clock_rows`: local day and the time rules passed (``_Clock``);
4. :func:`_registry_facts`: listed, fresh, requested (``_RegistryFacts``);
5. :func:`_evidence_keys`: relationships, consents, state listings as day masks (``_EvidenceKeys``);
6. :func:`_combine`: one key per row, grouped (``_Combinations``);
7. :func:`_group_verdicts`: one policy call per distinct combination (``_GroupKey`` -> ``_Group``);
8. :func:`_raise_if_stale`.

Then ``_scrub`` adds ``next_allowed_at`` (``_next_allowed``) and the output columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, get_args

import numpy as np
import numpy.typing as npt

from dncguard._seller import normalize_seller
from dncguard.bulk._caps import _add_placed_calls, _recent_counts
from dncguard.bulk._clock import _use_tables, _ZoneTables, local_clock
from dncguard.bulk._columns import _DATE_COLUMNS, _fallback_days, _Rows
from dncguard.bulk._engine import _Engine
from dncguard.bulk._evidence import _clip_offset, _fresh_end
from dncguard.bulk._grouping import (
    _INVALID_GROUP,
    _facts,
    _Group,
    _GroupKey,
    _Packer,
    factorize,
)
from dncguard.bulk._place import _ALL_CODE_BITS, _BIT, _MINUTE_US, _Place
from dncguard.bulk._tuning import VERDICT_CACHE, Clocks
from dncguard.errors import StaleRegistryError
from dncguard.facts import (
    FAR_FUTURE,
    FAR_PAST,
    HORIZON,
    NO_DATE,
    casl_consent_accepted,
    casl_in_play,
    casl_masks_columns,
    consent_accepted,
    consent_mask_columns,
    evidence_masks_columns,
    evidence_signature,
    hours_clocks,
    time_rule,
    time_rule_passes,
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
    # What the policy sees of a place (zones only as "known or not"): many area codes share it.
    seen: dict[tuple[Any, ...], int] = {}
    decision_place = np.array(
        [
            seen.setdefault((p.valid, p.country, p.codes, p.covered, p.states, bool(p.zones)), len(seen))
            for p in places
        ],
        np.intp,
    )

    return _Placement(places, place_inv, ok, decision_place, len(seen), state_code)


@dataclass(frozen=True)
class _Clock:
    """Each row's time: its UTC minute, local day (the latest over its zones) and the time rules
    it passes."""

    minutes: npt.NDArray[np.int64]
    today: npt.NDArray[np.int64]
    passes: npt.NDArray[np.int64]
    """Bits (``_BIT``) of the time rules the call's start passes in every candidate zone."""
    all_codes: list[str]
    """Every jurisdiction in play in the batch, sorted."""


def _clock_rows(rows: _Rows, placement: _Placement, clocks: Clocks = "auto") -> _Clock:
    """Step 3: UTC minutes; per candidate zone the local day and the time rules that pass.
    ``clocks`` (``Tuning.clocks``): per row, through per-zone minute tables, or the cheaper."""
    n = rows.n
    places = placement.places
    place_inv = placement.place_inv
    minutes = rows.micros // _MINUTE_US
    zone_codes: dict[str, set[str]] = {}
    for p in places:
        for z in p.zones:
            zone_codes.setdefault(z.key, set()).update(p.codes)
    all_codes = sorted({c for p in places for c in p.codes})
    zone_codes_sorted = {z: sorted(c) for z, c in sorted(zone_codes.items())}
    slots = max((len(p.zones) for p in places), default=0)
    today = np.full(n, NO_DATE, np.int64)  # no zone yet: below every day
    passes = np.full(n, _ALL_CODE_BITS, np.int64)
    tabled = _use_tables(n, slots, len(zone_codes), minutes) if clocks == "auto" else clocks == "tables"
    if not tabled:
        # Few rows over many days: convert each row's time (tables would cost more).
        for zone, codes in zone_codes_sorted.items():
            holder = np.array([any(z.key == zone for z in p.zones) for p in places], bool)
            idx_rows = np.flatnonzero(holder[place_inv])
            day, minute = local_clock(minutes[idx_rows], zone)
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
            today[idx_rows] = np.maximum(today[idx_rows], tables.local[flat])
            passes[idx_rows] &= tables.passes[flat]
    for code, clock in hours_clocks(tuple(all_codes)):
        # Hours set on a fixed clock (Mississippi's Central Standard Time) must pass there too.
        day, minute = local_clock(minutes, clock.key)
        clock_ok = np.asarray(time_rule_passes(time_rule(code), day, minute), bool)
        passes &= np.where(clock_ok, _ALL_CODE_BITS, _ALL_CODE_BITS ^ (1 << _BIT[code]))
    no_zone = np.flatnonzero(today == NO_DATE)
    if len(no_zone):
        today[no_zone] = _fallback_days(rows.fallback_day, minutes, no_zone)

    return _Clock(minutes, today, passes, all_codes)


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
    place_codes = np.array([sum(1 << _BIT[c] for c in p.codes) for p in places], np.int64)
    failed_bits = place_codes[place_inv] & ~passes
    nat_mask = np.array([engine.nat_mask[p.npa] if p.valid else 0 for p in places], np.uint64)
    national_listed = (masks & nat_mask[place_inv]) != 0
    fresh_end = np.array([_fresh_end(p) for p in places], np.int64)
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


@dataclass(frozen=True)
class _EvidenceKeys:
    """Evidence and state listings, only for the rows that have some, folded into one key."""

    has_ev: npt.NDArray[np.bool_]
    special: npt.NDArray[np.intp]
    """The rows with evidence or a state listing."""
    extra: npt.NDArray[np.int64]
    """Per row, 1 + the number of its distinct evidence (0: none)."""
    n_extra: int
    sub_ev: list[npt.NDArray[np.int64]]
    """Per jurisdiction slot of the place, the packed evidence masks of the ``special`` rows."""
    sub_casl: npt.NDArray[np.int64]
    by_kind: npt.NDArray[np.int64]
    """Per row, the consent by kind (``_consents_by_kind``)."""


def _evidence_keys(
    engine: _Engine,
    rows: _Rows,
    lookup: _Lookup,
    placement: _Placement,
    clock: _Clock,
    registry: _RegistryFacts,
) -> _EvidenceKeys:
    """Step 5: relationships, consents and state listings as day masks (``facts``' column rules),
    per row that has any, and one number per distinct combination of them."""
    n = rows.n
    masks = lookup.masks
    reg_request = lookup.reg_request
    places = placement.places
    place_inv = placement.place_inv
    ok = placement.ok
    state_code = placement.state_code
    today = clock.today
    all_codes = clock.all_codes
    col_request = registry.col_request
    d = rows.dates
    kind = rows.consent_kind
    has_ev = np.zeros(n, bool)
    for name in ("last_purchase", "last_inquiry", "contract_on"):
        if name in d:
            has_ev |= d[name] != NO_DATE
    if len(kind.values) > 1 or kind.values[0] is not None:
        has_ev |= np.array([v is not None for v in kind.values], bool)[kind.codes]
    has_ev &= ok
    has_state = (state_code != 0) & ok if state_code is not None else np.zeros(n, bool)
    special = np.flatnonzero(has_ev | has_state)
    extra = np.zeros(n, np.int64)
    code_slots = max((len(p.codes) for p in places), default=0)
    sub_state: list[npt.NDArray[np.int64]] = []
    sub_ev: list[npt.NDArray[np.int64]] = []
    sub_casl = np.zeros(0, np.int64)
    n_extra = 0
    if len(special):
        sub_today = today[special]
        sub_place = place_inv[special]
        for bit, _, start in engine.state_layers:
            on = (masks[special] & np.uint64(1 << bit)) != 0
            sub_state.append(np.where(on, _clip_offset(start - sub_today) + 1, 0))
        ev_here = has_ev[special]
        sub_ev = [np.zeros(len(special), np.int64) for _ in range(code_slots)]
        sub_casl = np.zeros(len(special), np.int64)
        if ev_here.any():
            sub = {
                name: (d[name][special] if name in d else np.full(len(special), NO_DATE))
                for name in _DATE_COLUMNS
            }
            sub_kind = kind.codes[special]
            none_ = np.full(len(special), FAR_FUTURE, np.int64)
            requests = (
                none_ if reg_request is None else reg_request[special],
                none_ if col_request is None else col_request[special],
            )
            # Jurisdictions with the same windows and consent kinds give the same masks.
            by_signature: dict[tuple[Any, ...], list[str]] = {}
            for code in all_codes:
                by_signature.setdefault(evidence_signature(code), []).append(code)
            for codes in by_signature.values():
                slots_of = [
                    np.array([p.codes.index(c) if c in p.codes else -1 for p in places], np.int64)[sub_place]
                    for c in codes
                ]
                in_play = np.flatnonzero(ev_here & np.logical_or.reduce([sl >= 0 for sl in slots_of]))
                if not len(in_play):
                    continue
                accepted = [v is not None and consent_accepted(codes[0], v) for v in kind.values]
                kinds_ok = np.array(accepted, bool)[sub_kind[in_play]]
                packed = evidence_masks_columns(
                    codes[0],
                    engine.anniversary,
                    sub_today[in_play],
                    {name: col[in_play] for name, col in sub.items()},
                    kinds_ok,
                    (requests[0][in_play], requests[1][in_play]),
                )
                for sl in slots_of:
                    slot = sl[in_play]
                    for k in range(code_slots):
                        here = slot == k
                        if here.any():
                            sub_ev[k][in_play[here]] = packed[here]
            sub_casl = _casl_columns(
                engine, rows, places, sub_place, special, ev_here, sub_today, sub, sub_kind, requests
            )
        sub_inv, _ = factorize([*sub_state, ev_here.astype(np.int64), *sub_ev, sub_casl])
        extra[special] = sub_inv + 1
        n_extra = int(sub_inv.max()) + 1

    by_kind = _consents_by_kind(rows, ok, today, reg_request, col_request)

    return _EvidenceKeys(has_ev, special, extra, n_extra, sub_ev, sub_casl, by_kind)


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
    if engine.context.ledger is not None:
        _add_placed_calls(engine, rows, numbers, places, place_inv)
    recent_cols = _recent_counts(rows)
    for _, counts, most in recent_cols:
        packer.add(counts, most)
    inverse, first_rows = factorize(packer.keys())

    return _Combinations(inverse, first_rows, recent_cols)


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
    """Step 7: one policy call per distinct combination of facts, cached across batches: its
    first row's values, read once as lists, make a key (``_GroupKey``) from which the facts follow."""
    places = placement.places
    place_inv = placement.place_inv
    ok = placement.ok
    today = clock.today
    failed_bits = registry.failed_bits
    national_listed = registry.national_listed
    fresh_len = registry.fresh_len
    request_lo = registry.request_lo
    has_ev = evidence.has_ev
    special = evidence.special
    extra = evidence.extra
    sub_ev = evidence.sub_ev
    sub_casl = evidence.sub_casl
    by_kind = evidence.by_kind
    first_rows = combinations.first_rows
    recent_cols = combinations.recent_cols
    jset = engine.jurisdictions
    fr = first_rows
    n_groups = len(fr)
    ev_at = np.minimum(np.searchsorted(special, fr), max(len(special) - 1, 0))
    ev_rows: list[list[int]] = (
        np.stack([a[ev_at] for a in sub_ev], axis=1).tolist() if sub_ev and len(special) else [[]] * n_groups
    )
    casl_rows: list[int] = sub_casl[ev_at].tolist() if len(special) else [0] * n_groups
    groups: list[_Group] = []
    cache = engine.groups
    if len(cache) > verdict_cache:
        cache.clear()
    columns = zip(
        ok[fr].tolist(),
        place_inv[fr].tolist(),
        today[fr].tolist(),
        extra[fr].tolist(),
        has_ev[fr].tolist(),
        rows.purpose.codes[fr].tolist(),
        rows.caller.codes[fr].tolist(),
        rows.line.codes[fr].tolist(),
        rows.prerecorded[fr].tolist(),
        national_listed[fr].tolist(),
        fresh_len[fr].tolist(),
        request_lo[fr].tolist(),
        failed_bits[fr].tolist(),
        ev_rows,
        rows.channel.codes[fr].tolist(),
        rows.automated[fr].tolist(),
        by_kind[fr].tolist(),
        casl_rows,
        list(zip(*(c[fr].tolist() for _, c, _ in recent_cols), strict=True))
        if recent_cols
        else [()] * n_groups,
        strict=True,
    )
    purposes, callers, lines = rows.purpose.values, rows.caller.values, rows.line.values
    for (
        valid,
        pi,
        t,
        ext,
        ev,
        purpose_code,
        caller_code,
        line_code,
        pre,
        listed,
        fresh,
        lo,
        fail,
        evs,
        channel_code,
        automated,
        kind_mask,
        casl_packed,
        recent_counts,
    ) in columns:
        if not valid:
            groups.append(_INVALID_GROUP)
            continue
        p = places[pi]
        ev_key = tuple(evs[: len(p.codes)]) if ext and ev else None
        key = _GroupKey(
            id(p),
            purposes[purpose_code],
            callers[caller_code],
            lines[line_code],
            pre,
            listed,
            fresh,
            lo,
            fail,
            ev_key,
            t if ext and p.states else None,
            rows.channel.values[channel_code],
            automated,
            () if not kind_mask else ((_CONSENT_KINDS[(kind_mask & 7) - 1], kind_mask >> 3),),
            casl_packed if ext and ev else 0,
            tuple((m, c) for (m, _, _), c in zip(recent_cols, recent_counts, strict=True) if c),
        )
        group = cache.get(key)
        if group is None:
            group = cache[key] = _Group(_facts(p, key, jset), jset)
        groups.append(group)
    return groups


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


def _casl_columns(
    engine: _Engine,
    rows: _Rows,
    places: Sequence[Any],
    sub_place: npt.NDArray[np.intp],
    special: npt.NDArray[np.intp],
    ev_here: npt.NDArray[np.bool_],
    sub_today: npt.NDArray[np.int64],
    sub: Mapping[str, npt.NDArray[np.int64]],
    sub_kind: npt.NDArray[np.int32],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> npt.NDArray[np.int64]:
    """``CallFacts.casl`` packed, for the special rows (zeros where it does not apply): texts
    into Canada with evidence, as ``Guard.check`` fills it."""
    out = np.zeros(len(special), np.int64)
    channel = rows.channel
    text_values = [v == "text" for v in channel.values]
    if not any(text_values):
        return out
    in_place = np.array([casl_in_play(p.codes, "text") for p in places], bool)[sub_place]
    is_text = np.array(text_values, bool)[channel.codes[special]]
    want = np.flatnonzero(ev_here & in_place & is_text)
    if not len(want):
        return out
    accepted = np.array([v is not None and casl_consent_accepted(v) for v in rows.consent_kind.values], bool)
    out[want] = casl_masks_columns(
        engine.anniversary,
        sub_today[want],
        {name: col[want] for name, col in sub.items()},
        accepted[sub_kind[want]],
        (requests[0][want], requests[1][want]),
    )
    return out


def _consents_by_kind(
    rows: _Rows,
    ok: npt.NDArray[np.bool_],
    today: npt.NDArray[np.int64],
    reg_request: npt.NDArray[np.int64] | None,
    col_request: npt.NDArray[np.int64] | None,
) -> npt.NDArray[np.int64]:
    """``CallFacts.consents`` per row, packed ``mask << 3 | kind + 1`` (0: none): filled, as
    ``Guard.check`` fills it, only for prerecorded or automated calls with a consent."""
    out = np.zeros(rows.n, np.int64)
    kind = rows.consent_kind
    if len(kind.values) == 1 and kind.values[0] is None:
        return out
    index = np.array([-1 if v is None else _CONSENT_KINDS.index(v) for v in kind.values], np.int64)[
        kind.codes
    ]
    want = np.flatnonzero((rows.prerecorded | rows.automated) & ok & (index >= 0))
    if not len(want):
        return out
    d = rows.dates
    cols = {
        name: (d[name][want] if name in d else np.full(len(want), NO_DATE, np.int64))
        for name in ("reassigned_on", "consent_on", "consent_revoked_on")
    }
    none_ = np.full(len(want), FAR_FUTURE, np.int64)
    requests = (
        none_ if reg_request is None else reg_request[want],
        none_ if col_request is None else col_request[want],
    )
    mask = consent_mask_columns(today[want], cols, np.ones(len(want), bool), requests)
    out[want] = np.where(mask != 0, mask << 3 | (index[want] + 1), 0)
    return out
