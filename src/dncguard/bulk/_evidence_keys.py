"""Step 5 of a batch: relationships, consents and state listings as day masks (the column
rules of :mod:`dncguard.facts`), for the rows that have any, folded into one key per row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, get_args

import numpy as np
import numpy.typing as npt

from dncguard.bulk._columns import _DATE_COLUMNS, _Rows
from dncguard.bulk._engine import _Engine
from dncguard.bulk._evidence import _clip_offset
from dncguard.bulk._grouping import (
    factorize,
)
from dncguard.bulk._place import _BIT
from dncguard.bulk._steps import _Clock, _Lookup, _Placement, _RegistryFacts
from dncguard.facts import (
    FAR_FUTURE,
    NO_DATE,
    casl_consent_accepted,
    casl_in_play,
    casl_masks_columns,
    consent_accepted,
    consent_mask_columns,
    evidence_masks_columns,
    evidence_signature,
    supporter_mask_columns,
    supporter_window,
)
from dncguard.models import ConsentKind

_CONSENT_KINDS: Final = get_args(ConsentKind)


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
    supporter: npt.NDArray[np.int64]
    """Per row, ``CallFacts.supporter`` (``_supporters``)."""


def _evidence_keys(
    engine: _Engine,
    rows: _Rows,
    lookup: _Lookup,
    placement: _Placement,
    clock: _Clock,
    registry: _RegistryFacts,
) -> _EvidenceKeys:
    """Step 5: relationships, consents and state listings as day masks (``facts``' column rules),
    per row that has any (:func:`_has_evidence`), and one number per distinct combination of
    them: state listings (:func:`_state_offsets`), each jurisdiction's masks
    (:func:`_masks_by_slot`) and CASL's (:func:`_casl_columns`)."""
    n = rows.n
    ok = placement.ok
    state_code = placement.state_code
    today = clock.today
    lag = clock.lag
    has_ev = _has_evidence(rows, ok)
    has_state = (state_code != 0) & ok if state_code is not None else np.zeros(n, bool)
    special = np.flatnonzero(has_ev | has_state)
    extra = np.zeros(n, np.int64)
    code_slots = max((len(p.codes) for p in placement.places), default=0)
    sub_ev: list[npt.NDArray[np.int64]] = []
    sub_casl = np.zeros(0, np.int64)
    n_extra = 0
    if len(special):
        sub_today = today[special]
        sub_state = _state_offsets(engine, lookup.masks[special], sub_today)
        ev_here = has_ev[special]
        sub_ev = [np.zeros(len(special), np.int64) for _ in range(code_slots)]
        sub_casl = np.zeros(len(special), np.int64)
        if ev_here.any():
            sub_ev, sub_casl = _slot_masks(
                engine,
                rows,
                lookup,
                placement,
                clock.all_codes,
                registry,
                special,
                sub_today,
                ev_here,
                lag[special],
            )
        sub_inv, _ = factorize([*sub_state, ev_here.astype(np.int64), *sub_ev, sub_casl])
        extra[special] = sub_inv + 1
        n_extra = int(sub_inv.max()) + 1

    by_kind = _consents_by_kind(rows, ok, today, lookup.reg_request, registry.col_request, lag)

    supporter = _supporters(engine, rows, placement, today, lag, ok)

    return _EvidenceKeys(has_ev, special, extra, n_extra, sub_ev, sub_casl, by_kind, supporter)


def _slot_masks(
    engine: _Engine,
    rows: _Rows,
    lookup: _Lookup,
    placement: _Placement,
    all_codes: Sequence[str],
    registry: _RegistryFacts,
    special: npt.NDArray[np.intp],
    sub_today: npt.NDArray[np.int64],
    ev_here: npt.NDArray[np.bool_],
    sub_lag: npt.NDArray[np.int64],
) -> tuple[list[npt.NDArray[np.int64]], npt.NDArray[np.int64]]:
    """The packed evidence masks per jurisdiction slot (:func:`_masks_by_slot`) and CASL's
    (:func:`_casl_columns`) of the ``special`` rows, their evidence starting ``sub_lag`` days
    after its date (the earliest local date over the zones, docs/defaults.md)."""
    code_slots = max((len(p.codes) for p in placement.places), default=0)
    sub_ev = [np.zeros(len(special), np.int64) for _ in range(code_slots)]
    d = rows.dates
    sub = {
        name: (d[name][special] if name in d else np.full(len(special), NO_DATE)) for name in _DATE_COLUMNS
    }
    requests = _requests(lookup.reg_request, registry.col_request, special)
    sub_place = placement.place_inv[special]
    _masks_by_slot(
        engine, rows, placement, all_codes, special, sub_today, ev_here, sub, requests, sub_ev, sub_lag
    )
    sub_kind = rows.consent_kind.codes[special]
    sub_casl = _casl_columns(
        engine,
        rows,
        placement.places,
        sub_place,
        special,
        ev_here,
        sub_today,
        sub,
        sub_kind,
        requests,
        sub_lag,
    )
    return sub_ev, sub_casl


def _evidence_at_lag(
    engine: _Engine,
    rows: _Rows,
    lookup: _Lookup,
    placement: _Placement,
    clock: _Clock,
    registry: _RegistryFacts,
    evidence: _EvidenceKeys,
    at: npt.NDArray[np.intp],
    lag: int,
) -> tuple[list[npt.NDArray[np.int64]], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For the rows ``at`` (sorted), their evidence as :func:`_evidence_keys` reads it had the
    earliest local date over their zones been ``lag`` days behind the latest: the packed masks
    per jurisdiction slot, CASL's, the consent by kind and ``CallFacts.supporter``
    (``next_allowed_at`` reads each lag at the minutes the zones are that far apart)."""
    today = clock.today
    lags = np.full(rows.n, lag, np.int64)
    ev_here = evidence.has_ev[at]
    if ev_here.any():
        sub_ev, sub_casl = _slot_masks(
            engine, rows, lookup, placement, clock.all_codes, registry, at, today[at], ev_here, lags[at]
        )
    else:
        sub_ev, sub_casl = [], np.zeros(len(at), np.int64)
    only = np.zeros(rows.n, bool)
    only[at] = True
    ok = placement.ok & only
    by_kind = _consents_by_kind(rows, ok, today, lookup.reg_request, registry.col_request, lags)[at]
    supporter = _supporters(engine, rows, placement, today, lags, ok)[at]
    return sub_ev, sub_casl, by_kind, supporter


def _supporters(
    engine: _Engine,
    rows: _Rows,
    placement: _Placement,
    today: npt.NDArray[np.int64],
    lag: npt.NDArray[np.int64],
    ok: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int64]:
    """``CallFacts.supporter`` per row: filled, as ``Guard.check`` fills it, only for a
    prerecorded call with a donation or membership that a member/donor rule reaches
    (:func:`supporter_window` of its place's jurisdictions, purpose and caller)."""
    out = np.zeros(rows.n, np.int64)
    d = rows.dates
    dated = np.zeros(rows.n, bool)
    for name in ("last_donation", "membership_on"):
        if name in d:
            dated |= d[name] != NO_DATE
    want = np.flatnonzero(dated & rows.prerecorded & ok)
    if not len(want):
        return out
    inv, first = factorize([placement.place_inv[want], rows.purpose.codes[want], rows.caller.codes[want]])
    for g, f in enumerate(first.tolist()):
        row = int(want[f])
        window = supporter_window(
            placement.places[int(placement.place_inv[row])].codes,
            rows.purpose.values[int(rows.purpose.codes[row])],
            rows.caller.values[int(rows.caller.codes[row])],
            True,
        )
        if window is None:
            continue
        at = want[inv == g]
        cols = {
            name: (d[name][at] if name in d else np.full(len(at), NO_DATE, np.int64))
            for name in ("reassigned_on", "last_donation", "membership_on", "membership_ends")
        }
        out[at] = supporter_mask_columns(today[at], cols, window, engine.anniversary, lag[at])
    return out


def _has_evidence(rows: _Rows, ok: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The rows (with a valid number) that have a relationship or a consent."""
    d = rows.dates
    kind = rows.consent_kind
    has_ev = np.zeros(rows.n, bool)
    for name in ("last_purchase", "last_inquiry", "contract_on"):
        if name in d:
            has_ev |= d[name] != NO_DATE
    if any(v is not None for v in kind.values):  # (a batch of no rows has no values)
        has_ev |= np.array([v is not None for v in kind.values], bool)[kind.codes]
    has_ev &= ok
    return has_ev


def _state_offsets(
    engine: _Engine, masks: npt.NDArray[np.uint64], today: npt.NDArray[np.int64]
) -> list[npt.NDArray[np.int64]]:
    """Per loaded state list, 1 + the day offset from which it binds where it holds the number
    (0 where it does not): a state list binds from the day it was obtained."""
    found = []
    for bit, _, start in engine.state_layers:
        on = (masks & np.uint64(1 << bit)) != 0
        found.append(np.where(on, _clip_offset(start - today) + 1, 0))
    return found


def _requests(
    reg_request: npt.NDArray[np.int64] | None,
    col_request: npt.NDArray[np.int64] | None,
    rows: npt.NDArray[np.intp],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The internal list's and the row's own request days of ``rows`` (FAR_FUTURE: none)."""
    none_ = np.full(len(rows), FAR_FUTURE, np.int64)
    return (
        none_ if reg_request is None else reg_request[rows],
        none_ if col_request is None else col_request[rows],
    )


def _masks_by_slot(
    engine: _Engine,
    rows: _Rows,
    placement: _Placement,
    all_codes: Sequence[str],
    special: npt.NDArray[np.intp],
    sub_today: npt.NDArray[np.int64],
    ev_here: npt.NDArray[np.bool_],
    sub: Mapping[str, npt.NDArray[np.int64]],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    sub_ev: list[npt.NDArray[np.int64]],
    sub_lag: npt.NDArray[np.int64],
) -> None:
    """Fill ``sub_ev[k]`` with the packed evidence masks (``facts.evidence_masks_columns``) of
    the ``special`` rows under the rules of the jurisdiction in slot ``k`` of their place,
    computed once per group of jurisdictions with the same windows and consent kinds."""
    places = placement.places
    sub_place = placement.place_inv[special]
    kind = rows.consent_kind
    sub_kind = kind.codes[special]
    by_signature: dict[tuple[Any, ...], list[str]] = {}
    for code in all_codes:
        by_signature.setdefault(evidence_signature(code), []).append(code)
    # Per place of the batch, each jurisdiction's slot in its codes (-1: not in play there).
    place_slots = np.stack([p.slots for p in places]) if places else np.zeros((0, len(_BIT)), np.int64)
    for codes in by_signature.values():
        slots_of = [place_slots[:, _BIT[c]][sub_place] for c in codes]
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
            sub_lag[in_play],
        )
        for sl in slots_of:
            slot = sl[in_play]
            for k in range(len(sub_ev)):
                here = slot == k
                if here.any():
                    sub_ev[k][in_play[here]] = packed[here]


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
    sub_lag: npt.NDArray[np.int64],
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
        sub_lag[want],
    )
    return out


def _consents_by_kind(
    rows: _Rows,
    ok: npt.NDArray[np.bool_],
    today: npt.NDArray[np.int64],
    reg_request: npt.NDArray[np.int64] | None,
    col_request: npt.NDArray[np.int64] | None,
    lag: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """``CallFacts.consents`` per row, packed ``mask << 3 | kind + 1`` (0: none): filled, as
    ``Guard.check`` fills it, only for prerecorded or automated calls with a consent."""
    out = np.zeros(rows.n, np.int64)
    kind = rows.consent_kind
    if all(v is None for v in kind.values):
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
    mask = consent_mask_columns(today[want], cols, np.ones(len(want), bool), requests, lag[want])
    out[want] = np.where(mask != 0, mask << 3 | (index[want] + 1), 0)
    return out
