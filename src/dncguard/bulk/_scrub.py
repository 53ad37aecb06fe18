"""Deciding batches: read, parse, place, group, decide, broadcast (:func:`_scrub_batch`), and the
entry points ``scrub``, ``scrub_batches`` and ``decide_batches``.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, get_args

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard._provenance import provenance as _provenance_of
from dncguard._seller import normalize_seller
from dncguard.bulk._clock import _use_tables, _ZoneTables, local_clock
from dncguard.bulk._columns import _DATE_COLUMNS, NONE, _check_defaults, _fallback_days, _read, _Rows
from dncguard.bulk._engine import _Engine, _engine, _threads
from dncguard.bulk._evidence import _clip_offset, _fresh_end
from dncguard.bulk._grouping import _GROUP_CACHE, _INVALID_GROUP, _facts, _Group, _Packer, factorize
from dncguard.bulk._next_allowed import _next_allowed
from dncguard.bulk._output import _append, _decision_columns, decision_schema
from dncguard.bulk._place import _ALL_CODE_BITS, _BIT, _MINUTE_US, NO_NEXT
from dncguard.bulk._provenance import ProvenanceRows, append_provenance, provenance_schema
from dncguard.errors import CallColumnError, StaleRegistryError
from dncguard.facts import (
    FAR_FUTURE,
    FAR_PAST,
    HORIZON,
    cap_windows,
    caps_in_play,
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
from dncguard.models import ConsentKind, Decision, ReasonCode
from dncguard.numbers import format_e164, parse_numbers
from dncguard.policy import Verdict, cap_release, invalid_call_number, next_allowed_at

if TYPE_CHECKING:
    from dncguard.guard import Guard

_BATCH_ROWS: Final = 1 << 20
"""Rows per unit of work: large enough to amortise numpy calls, small enough to bound memory."""


_TAKES: Final = (
    "a pyarrow Table, RecordBatch, RecordBatchReader or Dataset, or an object that exports an Arrow"
    " stream or array (__arrow_c_stream__, __arrow_c_array__: a Polars DataFrame, a DuckDB result)"
)


def _is_dataset(data: Any) -> bool:
    import pyarrow.dataset as pa_ds

    return isinstance(data, pa_ds.Dataset)


def _reader(data: Any) -> pa.RecordBatchReader | None:
    """``data`` as a stream of record batches, read lazily (None: not a stream)."""
    if isinstance(data, pa.RecordBatchReader):
        return data
    if _is_dataset(data):
        return data.scanner().to_reader()
    if hasattr(data, "__arrow_c_stream__") and not isinstance(data, pa.Table | pa.RecordBatch):
        try:
            return pa.RecordBatchReader.from_stream(data)
        except (TypeError, ValueError, pa.ArrowException) as e:
            raise TypeError(f"scrub() takes {_TAKES}; {type(data).__name__}'s Arrow stream: {e}") from None
    return None


def as_arrow(data: Any) -> pa.Table | pa.RecordBatch:
    """``data`` as a pyarrow Table or RecordBatch: as it is when it is one, else read from the
    Arrow stream or array it exports (the whole of it)."""
    if isinstance(data, pa.Table | pa.RecordBatch):
        return data
    reader = _reader(data)
    if reader is not None:
        return reader.read_all()
    if hasattr(data, "__arrow_c_array__"):
        try:
            return pa.record_batch(data)
        except (TypeError, ValueError, pa.ArrowException) as e:
            raise TypeError(f"scrub() takes {_TAKES}; {type(data).__name__}'s Arrow array: {e}") from None
    raise TypeError(f"scrub() takes {_TAKES}, not {type(data).__name__}")


def _stream(batches: Any) -> Iterator[pa.RecordBatch | pa.Table]:
    """The batches of ``scrub_batches``' input: an iterable of batches or tables (or of objects
    exporting Arrow data), or one object that is itself a stream (read batch by batch, never
    materialised whole)."""
    if isinstance(batches, pa.Table | pa.RecordBatch):
        yield batches
        return
    reader = _reader(batches)
    if reader is not None:
        yield from reader
        return
    if hasattr(batches, "__arrow_c_array__"):
        yield as_arrow(batches)
        return
    for batch in batches:
        yield batch if isinstance(batch, pa.Table | pa.RecordBatch) else as_arrow(batch)


def _batches(data: pa.Table | pa.RecordBatch) -> list[pa.RecordBatch]:
    """Units of work of about ``_BATCH_ROWS`` rows: large chunks split, runs of small ones joined."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if not isinstance(data, pa.Table):
        raise TypeError(f"scrub() takes {_TAKES}, not {type(data).__name__}")
    out: list[pa.RecordBatch] = []
    run: list[pa.RecordBatch] = []
    size = 0
    for batch in data.to_batches(max_chunksize=_BATCH_ROWS):
        if size + batch.num_rows > _BATCH_ROWS and run:
            out.append(coalesce(run))
            run, size = [], 0
        run.append(batch)
        size += batch.num_rows
    if run:
        out.append(coalesce(run))
    return out or [pa.RecordBatch.from_pylist([], schema=data.schema)]


def coalesce(batches: Sequence[pa.RecordBatch]) -> pa.RecordBatch:
    """One record batch holding ``batches`` (of one schema) in order; no copy for a single one."""
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _decision(
    verdict: Verdict, when: dt.datetime | None, number: str, registry_id: str = "", consulted: Any = ()
) -> Decision:
    return Decision(
        allowed=verdict.allowed,
        reasons=verdict.reasons,
        exemptions=verdict.exemptions,
        next_allowed_at=when,
        number=number,
        jurisdictions=verdict.jurisdictions,
        registry_id=registry_id,
        consulted=consulted,
    )


@dataclass(frozen=True)
class Decided:
    """One decided batch: its output, and the per-group answers behind it (for explaining rows).

    ``output``: the input columns plus the decision columns (what ``scrub_batches`` yields).
    ``verdicts``: the policy's answer for each distinct combination of facts; ``inverse[i]`` is
    the one of row ``i``. Invalid numbers share one verdict with a generic message.
    ``next_at``: ``next_allowed_at`` per row in UTC microseconds (:data:`NO_NEXT`: none).
    ``numbers``: the called number per row as ``numbers.parse_numbers`` reads it (0: invalid).
    ``provenance``: what each row's ``registry_id`` and ``consulted`` follow from
    (:meth:`provenance_columns`; None only for a batch built without it).
    """

    output: pa.RecordBatch
    verdicts: tuple[Verdict, ...]
    inverse: npt.NDArray[np.intp]
    next_at: npt.NDArray[np.int64]
    numbers: npt.NDArray[np.uint64]
    provenance: ProvenanceRows | None = None
    sellers: tuple[str, ...] = ()
    """The distinct sellers of the batch, as written (for a summary that names sellers)."""

    def provenance_columns(self) -> list[pa.Array]:
        """The ``registry_id`` and ``consulted`` columns of this batch's rows."""
        assert self.provenance is not None
        return self.provenance.columns()

    def decision(self, row: int) -> Decision:
        """Row ``row``'s whole decision, as ``Guard.check`` gives it for the row's call: every
        reason (an invalid number's message names it and says why), every exemption, the
        jurisdictions, the number, and ``next_allowed_at`` (in UTC)."""
        verdict = self.verdicts[int(self.inverse[row])]
        number = int(self.numbers[row])
        prov = self.provenance
        registry_id = "" if prov is None else prov.provenance.registry_id
        if any(r.code is ReasonCode.INVALID_NUMBER for r in verdict.reasons):
            to = str(self.output.column("to")[row].as_py())
            return _decision(invalid_call_number(to), None, to, registry_id)
        micros = int(self.next_at[row])
        when = None if micros == NO_NEXT else _EPOCH + dt.timedelta(microseconds=micros)
        consulted = () if prov is None else prov.row(row)
        return _decision(verdict, when, format_e164(number), registry_id, consulted)


def _scrub_batch(
    engine: _Engine,
    batch: pa.RecordBatch,
    defaults: Mapping[str, Any],
    parse_threads: int | None = None,
    with_columns: bool = True,
    with_provenance: bool = False,
    first_row: int = 1,
) -> Decided:
    """Decide one batch. ``parse_threads``: for ``parse_numbers`` (1 when batches already run
    on every thread; None: its own choice). ``with_columns``: append the decision columns;
    ``with_provenance``: and the provenance columns after them. ``first_row``: the number of the
    batch's first row in the whole input (counted from 1), for errors."""
    try:
        rows = _read(batch, defaults)
    except CallColumnError as e:
        if e.row is None:
            raise
        # rows are counted from 1 over the whole input, as on the command line
        raise CallColumnError(e.detail, column=e.column, row=first_row + e.row, path=e.path) from None
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

    # Clocks: UTC minutes; per candidate zone the local day and the time rules that pass.
    minutes = rows.micros // _MINUTE_US
    zone_codes: dict[str, set[str]] = {}
    for p in places:
        for z in p.zones:
            zone_codes.setdefault(z.key, set()).update(p.codes)
    all_codes = sorted({c for p in places for c in p.codes})
    zone_codes_sorted = {z: sorted(c) for z, c in sorted(zone_codes.items())}
    slots = max((len(p.zones) for p in places), default=0)
    today = np.full(n, np.iinfo(np.int64).min, np.int64)
    passes = np.full(n, _ALL_CODE_BITS, np.int64)
    if not _use_tables(n, slots, len(zone_codes), minutes):
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
    no_zone = np.flatnonzero(today == np.iinfo(np.int64).min)
    if len(no_zone):
        today[no_zone] = _fallback_days(rows.fallback_day, minutes, no_zone)

    # Registry facts, as day offsets: a DayMask is a prefix (fresh) or a suffix (requested).
    place_codes = np.array([sum(1 << _BIT[c] for c in p.codes) for p in places], np.int64)
    failed_bits = place_codes[place_inv] & ~passes
    nat_mask = np.array([engine.nat_mask[p.npa] if p.valid else 0 for p in places], np.uint64)
    national_listed = (masks & nat_mask[place_inv]) != 0
    fresh_end = np.array([_fresh_end(p) for p in places], np.int64)
    fresh_len = _clip_offset(fresh_end[place_inv] - today)
    dnc = rows.dates.get("dnc_requested_on")
    col_request = None if dnc is None else np.where(dnc == NONE, FAR_FUTURE, dnc)
    if reg_request is None and col_request is None:
        request_lo = np.full(n, HORIZON + 1, np.int64)
    elif reg_request is None or col_request is None:
        only = reg_request if col_request is None else col_request
        assert only is not None
        request_lo = _clip_offset(only - today)
    else:
        request_lo = _clip_offset(np.minimum(reg_request, col_request) - today)

    # Evidence and state listings: only for the rows that have some, folded into one key.
    d = rows.dates
    kind = rows.consent_kind
    has_ev = np.zeros(n, bool)
    for name in ("last_purchase", "last_inquiry", "contract_on"):
        if name in d:
            has_ev |= d[name] != NONE
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
                name: (d[name][special] if name in d else np.full(len(special), NONE))
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

    # Distinct combinations of facts.
    packer = _Packer(n)
    # Bounds are exact maxima: a column that can only be 0 adds nothing.
    packer.add(decision_place[place_inv], len(seen) - 1)
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

    # One policy call per distinct combination of facts, cached across batches: its first row's
    # values, read once as lists, make a key from which the facts follow.
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
    if len(cache) > _GROUP_CACHE:
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
        key = (
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
    verdicts = [g.verdict for g in groups]

    if engine.context.on_stale == "raise":
        for g, v in enumerate(verdicts):
            if any(reason.code is ReasonCode.STALE_REGISTRY for reason in v.reasons):
                row = int(np.argmax(inverse == g))
                raise StaleRegistryError(
                    f"row {first_row + row}: the national registry copy for area code {int(npa[row])}"
                    " is too old for a call at that time: download a fresh copy"
                )
    next_at = _next_allowed(engine, rows, inverse, groups, places, place_inv, today, minutes)
    if recent_cols:
        _capped_next_allowed(engine, rows, inverse, groups, places, place_inv, next_at)
    prov = ProvenanceRows(
        _provenance_of(engine.context),
        npa,
        masks,
        rows.seller.codes,
        rows.seller.values,
        rows.region.codes,
        rows.region.values,
    )
    output = _append(batch, _decision_columns(verdicts, inverse, next_at)) if with_columns else batch
    if with_columns and with_provenance:
        output = append_provenance(output, prov)
    return Decided(output, tuple(verdicts), inverse, next_at, numbers, prov, tuple(rows.seller.values))


_CONSENT_KINDS: Final = get_args(ConsentKind)


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
) -> None:
    """``next_allowed_at`` of the rows a frequency cap blocks (few): per row, as ``Guard.check``
    finds it, from when the oldest counted call leaves the cap's window."""
    capped = [
        g.open_days != 0 and any(r.code is ReasonCode.FREQUENCY_CAP for r in g.verdict.reasons)
        for g in groups
    ]
    rows_capped = np.flatnonzero(np.array(capped, bool)[inverse]) if any(capped) else np.zeros(0, np.intp)
    assert rows.attempts is not None or not len(rows_capped)
    for r in rows_capped.tolist():
        facts = groups[int(inverse[r])].facts
        assert facts is not None
        assert rows.attempts is not None
        offsets, values = rows.attempts
        at = _EPOCH + dt.timedelta(microseconds=int(rows.micros[r]))
        attempts = [_EPOCH + dt.timedelta(microseconds=int(v)) for v in values[offsets[r] : offsets[r + 1]]]
        release = cap_release(facts, attempts, at, engine.jurisdictions)
        found = next_allowed_at(facts, at, places[int(place_inv[r])].zones, engine.jurisdictions, release)
        next_at[r] = NO_NEXT if found is None else (found - _EPOCH) // dt.timedelta(microseconds=1)


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
        name: (d[name][want] if name in d else np.full(len(want), NONE, np.int64))
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


def scrub(
    guard: Guard,
    data: Any,
    *,
    threads: int | None = None,
    provenance: bool = False,
    **defaults: Any,
) -> pa.Table | pa.RecordBatch:
    """Decide every row of ``data``: its columns plus ``allowed``, ``reason``, ``reasons``,
    ``next_allowed_at`` (and with ``provenance=True`` also ``registry_id`` and ``consulted``,
    each row's :class:`~dncguard.Decision` fields of those names). Returns the same kind it was
    given for a pyarrow Table or RecordBatch; for anything else that holds Arrow data (a
    RecordBatchReader, a pyarrow Dataset, or any object exporting ``__arrow_c_stream__`` or
    ``__arrow_c_array__``, such as a Polars DataFrame or a DuckDB result), a pyarrow Table
    (``polars.from_arrow`` turns it back).

    ``defaults`` give values for missing columns (and null cells), e.g. ``seller="acme"``.
    ``threads``: batches decided at once (default: up to 2). Raises ``ValueError`` naming the
    column and the first bad row (counted from 1) for invalid input.
    """
    _check_defaults(defaults)
    if not isinstance(data, pa.Table | pa.RecordBatch):
        arrow = as_arrow(data)
        data = pa.Table.from_batches([arrow]) if isinstance(arrow, pa.RecordBatch) else arrow
    batches = _batches(data)
    out = list(scrub_batches(guard, batches, threads=threads, provenance=provenance, **defaults))
    if isinstance(data, pa.RecordBatch):
        if len(out) == 1:
            return out[0]
        return pa.Table.from_batches(out).combine_chunks().to_batches()[0]
    schema = decision_schema(data.schema)
    return pa.Table.from_batches(out, schema=provenance_schema(schema) if provenance else schema)


def scrub_batches(
    guard: Guard,
    batches: Iterable[pa.RecordBatch] | Any,
    *,
    threads: int | None = None,
    provenance: bool = False,
    **defaults: Any,
) -> Iterator[pa.RecordBatch]:
    """Decide a stream of record batches, yielding one output batch per input batch, in order.

    ``batches``: an iterable of record batches or tables, or one object that is a stream of
    them (a ``pyarrow.RecordBatchReader``, a pyarrow Dataset, or any object exporting
    ``__arrow_c_stream__``: a Polars DataFrame or LazyFrame result, a DuckDB relation), read
    batch by batch. Memory stays bounded: at most ``threads`` batches are in flight (plus one
    waiting), so a stream of any length can be scrubbed batch by batch. Batches larger than
    about a million rows are decided in slices. Error rows count from 1 over the whole stream.
    """
    decided = decide_batches(guard, batches, threads=threads, provenance=provenance, **defaults)
    return (d.output for d in decided)


def decide_batches(
    guard: Guard,
    batches: Iterable[pa.RecordBatch] | Any,
    *,
    threads: int | None = None,
    columns: bool = True,
    provenance: bool = False,
    **defaults: Any,
) -> Iterator[Decided]:
    """:func:`scrub_batches`, yielding each output with its per-group verdicts (:class:`Decided`).

    One output per input batch, except that batches over about a million rows are decided (and
    yielded) in slices of that size. ``columns=False``: each ``output`` is its input batch as
    given, without the decision columns (for callers that read the verdicts instead).
    ``provenance=True``: the provenance columns follow the decision columns.
    """
    _check_defaults(defaults)
    engine = _engine(guard)
    n_threads = _threads(threads)

    def split() -> Iterator[pa.RecordBatch]:
        for batch in _stream(batches):
            if isinstance(batch, pa.Table):
                yield from _batches(batch)
            elif batch.num_rows > _BATCH_ROWS:
                for start in range(0, batch.num_rows, _BATCH_ROWS):
                    yield batch.slice(start, _BATCH_ROWS)
            else:
                yield batch

    def pieces() -> Iterator[tuple[int, pa.RecordBatch]]:
        first = 1  # each piece's first row in the whole stream, counted from 1
        for batch in split():
            yield first, batch
            first += batch.num_rows

    stream = pieces()
    head = list(itertools.islice(stream, 2))
    if n_threads == 1 or len(head) < 2:  # one batch: no threads to start (but parsing may)
        for first, batch in itertools.chain(head, stream):
            yield _scrub_batch(
                engine, batch, defaults, 1 if n_threads == 1 else None, columns, provenance, first
            )
        return
    with ThreadPoolExecutor(n_threads, thread_name_prefix="dncguard-scrub") as pool:
        pending: collections.deque[Future[Decided]] = collections.deque()
        for first, batch in itertools.chain(head, stream):
            # Batches on every thread: each parses on its own (no threads within threads).
            pending.append(pool.submit(_scrub_batch, engine, batch, defaults, 1, columns, provenance, first))
            if len(pending) > n_threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
