"""Facts: what the policy decides from, derived once for one call (``guard``) or a column (``bulk``).

The policy (``policy.decide``) never sees a raw date. Every date-dependent question ("is this
purchase within Texas's 12 months on the call's local date?", "is the national copy still within
31 days?") is answered here as a :data:`DayMask`: bit ``d`` is set when the answer is *yes* on
local day ``call_date + d``, for ``d`` in ``0..HORIZON``. A mask is a small int, so a
:class:`CallFacts` is a frozen, hashable, low-cardinality value: the bulk front end groups millions
of rows by it and asks the policy once per distinct value. The days after the call matter to
``next_allowed_at``, which may land on a later date where a relationship has lapsed or the
registry copy has gone stale (docs/defaults.md#calling-hours: "passes every rule").

Every date function here works on Python ``int`` day numbers (days since 1970-01-01) **and** on
numpy ``int64`` arrays of them, with the same code: no per-row Python in the bulk path. The
calendar arithmetic that holds no law (day numbers, months, day masks) is ``dncguard._calendar``
and the clocks (UTC instants to local day and minute) are ``dncguard._minutes``; both are
re-exported here, so the front ends ask ``facts`` alone.

>>> import datetime as dt
>>> day_number(dt.date(2025, 11, 30))
20422
>>> date_of(add_months(day_number(dt.date(2025, 11, 30)), 3))      # month-end clamped
datetime.date(2026, 2, 28)
>>> import numpy as np
>>> [date_of(int(d)) for d in add_months(np.array([20422, 20453]), 3)]
[datetime.date(2026, 2, 28), datetime.date(2026, 3, 31)]

An inquiry on 30 Nov 2025 supports a US call (3 months, anniversary exclusive) through 27 Feb 2026:

>>> from dncguard.jurisdictions.us import EBR_AFTER_INQUIRY
>>> date_of(window_end(day_number(dt.date(2025, 11, 30)), EBR_AFTER_INQUIRY, "exclusive") - 1)
datetime.date(2026, 2, 27)
>>> span_mask(0, 3)                                # valid on days +0, +1, +2
7
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from dncguard._calendar import (
    ALL_DAYS,
    FAR_FUTURE,
    FAR_PAST,
    HORIZON,
    NO_DATE,
    NO_DAYS,
    SEARCH_DAYS,
    DayMask,
    IntLike,
    add_months,
    add_months_day,
    civil_from_days,
    date_of,
    day_number,
    days_from_civil,
    span_mask,
)
from dncguard._minutes import (
    Zone,
    call_day,
    day_clock,
    local_day_minute,
    local_day_minute_array,
)
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import BusinessDays, EbrWindows, Months, Window
from dncguard.jurisdictions.call_rules import (
    CASL_CONSENT_KINDS,
    CASL_IMPLIED_CONSENT,
    FREQUENCY_CAPS,
    TEXT_RULES,
)
from dncguard.jurisdictions.holidays import holidays

__all__ = [
    "ALL_DAYS",
    "FAR_FUTURE",
    "FAR_PAST",
    "HORIZON",
    "JURISDICTION_CODES",
    "KNOWN_JURISDICTIONS",
    "NO_DATE",
    "NO_DAYS",
    "SEARCH_DAYS",
    "Anniversary",
    "CallFacts",
    "DayMask",
    "Evidence",
    "EvidenceMasks",
    "TimeRule",
    "add_months",
    "age_limits",
    "call_day",
    "cap_windows",
    "caps_in_play",
    "casl_consent_accepted",
    "casl_in_play",
    "casl_masks",
    "casl_masks_columns",
    "civil_from_days",
    "consent_accepted",
    "consent_end",
    "consent_mask_columns",
    "consent_masks",
    "date_of",
    "day_number",
    "days_from_civil",
    "evidence_masks",
    "evidence_masks_columns",
    "evidence_signature",
    "fresh_end",
    "held_by_caller",
    "hours_clock",
    "hours_clocks",
    "is_holiday",
    "list_states",
    "local_day_minute",
    "local_day_minute_array",
    "relationship_end",
    "requests_mask",
    "span_mask",
    "time_rule",
    "time_rule_passes",
    "time_rule_passes_on",
    "window_end",
]

Anniversary = Literal["exclusive", "inclusive"]


def window_end(on: IntLike, window: Window, anniversary: Anniversary) -> IntLike:
    """The first day on which evidence dated ``on`` no longer supports a call (exclusive end).

    Anniversary exclusive (the default, docs/defaults.md): exactly ``N`` months later has expired;
    inclusive keeps that day.
    """
    end: IntLike
    if isinstance(window, Months):
        end = add_months(on, window.n) if isinstance(on, np.ndarray) else add_months_day(on, window.n)
    elif isinstance(window, BusinessDays):
        # The n-th weekday after the event (a weekend event counts from the Friday before).
        days = np.asarray(on, dtype=np.int64).view("datetime64[D]")
        shifted = np.busday_offset(days, window.n, roll="backward").view(np.int64)
        end = shifted if isinstance(on, np.ndarray) else int(shifted)
    else:
        end = on + window.n
    return end + 1 if anniversary == "inclusive" else end


# --------------------------------------------------------------------------------------------
# The law's tables, as the front ends may see them (they read no Jurisdiction field themselves)
# --------------------------------------------------------------------------------------------

JURISDICTION_CODES: Final = tuple(sorted(JURISDICTIONS))
"""Every known rule set's code, sorted (``"CA"``, ``"US"``, ``"US-AL"``, ...)."""
KNOWN_JURISDICTIONS: Final = frozenset(JURISDICTIONS)


def fresh_end(country: str, obtained: IntLike) -> IntLike:
    """The first day on which a copy of ``country``'s national list obtained on day ``obtained``
    is too old to call on (its jurisdiction's ``fresh_days``, e.g. 31 for the US).

    A country without a freshness period is an error, never a silent zero days.
    """
    days = JURISDICTIONS[country].fresh_days
    if days is None:
        raise ValueError(f"jurisdiction {country!r}: no freshness period for its national list")
    return obtained + days + 1


def evidence_signature(code: str) -> tuple[object, frozenset[str]]:
    """What the evidence masks of ``code`` depend on: jurisdictions with equal signatures share them."""
    j = JURISDICTIONS[code]
    return (j.ebr, j.consent_kinds)


def consent_accepted(code: str, kind: str) -> bool:
    """Whether ``code``'s rules accept a consent of ``kind`` (e.g. written only)."""
    return kind in JURISDICTIONS[code].consent_kinds


@functools.cache
def list_states() -> frozenset[str]:
    """The US states that keep a do-not-call list of their own (docs/defaults.md)."""
    return frozenset(code for code, j in JURISDICTIONS.items() if not j.is_country and "state" in j.lists)


def age_limits() -> tuple[dict[str, int], int | None, tuple[str, ...]]:
    """What ``dncguard info`` warns about: the days a national copy stays fresh, by country; the
    days after which a state list is reported old; and the US states that keep their own lists."""
    from dncguard.jurisdictions import us_states

    national = {code: j.fresh_days for code, j in JURISDICTIONS.items() if j.is_country and j.fresh_days}
    list_states = tuple(code for code, j in JURISDICTIONS.items() if not j.is_country and "state" in j.lists)
    return national, us_states.STATE_LIST_WARN_DAYS, list_states


# --------------------------------------------------------------------------------------------
# Evidence: relationships, consents and do-not-call requests, reduced to day masks.
# Each rule is written once, for one call (Python ints) and for whole columns (numpy arrays).
# --------------------------------------------------------------------------------------------


def relationship_end(window_ends: IntLike, first_request: IntLike) -> IntLike:
    """The day a relationship stops counting: its window's end, or the seller's first
    do-not-call request if that is earlier. A request ends every relationship with that seller
    for good, later purchases included (docs/defaults.md#do-not-call-requests)."""
    if isinstance(window_ends, np.ndarray) or isinstance(first_request, np.ndarray):
        return np.minimum(window_ends, first_request)
    return min(window_ends, first_request)


def consent_end(end: IntLike, request: IntLike, given: IntLike) -> IntLike:
    """A consent given on ``given`` and counting until ``end``, after a do-not-call request dated
    ``request``: a request on or after the consent supersedes it; a consent given after the
    request permits calls again (docs/defaults.md#do-not-call-requests)."""
    if isinstance(end, np.ndarray) or isinstance(request, np.ndarray) or isinstance(given, np.ndarray):
        return np.where(request >= given, np.minimum(end, request), end)
    return min(end, request) if request >= given else end


def held_by_caller(on: IntLike, reassigned: IntLike) -> Any:
    """Whether evidence dated ``on`` is the current subscriber's: evidence from before the number
    was last permanently disconnected belonged to its previous holder (docs/defaults.md#consent)."""
    return on >= reassigned


class Evidence(NamedTuple):
    """A call's evidence for one seller, as day numbers (``None``: absent).

    ``purchases``, ``inquiries``: event days; ``contracts``: ``(start, end or None)``;
    ``consents``: ``(kind, given, revoked or None)`` (only consents naming this seller and number);
    ``requests``: request days, :data:`FAR_PAST` for an undated internal-list entry;
    ``reassigned``: the day the number was last permanently disconnected.
    """

    purchases: tuple[int, ...] = ()
    inquiries: tuple[int, ...] = ()
    contracts: tuple[tuple[int, int | None], ...] = ()
    consents: tuple[tuple[str, int, int | None], ...] = ()
    requests: tuple[int, ...] = ()
    reassigned: int | None = None


class EvidenceMasks(NamedTuple):
    """Evidence reduced to day masks for one jurisdiction's windows and consent kinds."""

    purchase: DayMask
    inquiry: DayMask
    contract: DayMask
    consent: DayMask


def _relationship_mask(
    events: Iterable[tuple[int, int]], window: Window | None, anniversary: Anniversary, today: int, cut: int
) -> DayMask:
    """Union over ``(valid_from, window_from)`` events, each valid up to its window's end or ``cut``."""
    if window is None:
        return NO_DAYS
    mask = NO_DAYS
    for start, anchor in events:
        end = relationship_end(window_end(anchor, window, anniversary), cut)
        mask |= span_mask(start - today, end - today)
    return mask


def evidence_masks(ev: Evidence, code: str, anniversary: Anniversary, today: int) -> EvidenceMasks:
    """Which exemptions the evidence supports under the rules of jurisdiction ``code``, day by day.

    * A relationship is valid from its day until its window ends (docs/defaults.md), and never
      on or after the seller's first do-not-call request, which ends every relationship with that
      seller for good, later purchases included (docs/defaults.md#do-not-call-requests).
    * Evidence dated before ``reassigned`` belonged to the number's previous holder (docs/defaults.md).
    * A consent of a kind the jurisdiction accepts is valid from its day until revoked, and only
      while no do-not-call request dated on or after it exists: a consent given before a request is
      superseded by it; one given after it permits calls again (docs/defaults.md). An undated
      internal-list entry predates every consent.
    """
    jurisdiction = JURISDICTIONS[code]
    return _masks_under(ev, jurisdiction.ebr, jurisdiction.consent_kinds, anniversary, today)


def casl_masks(ev: Evidence, anniversary: Anniversary, today: int) -> EvidenceMasks:
    """:func:`evidence_masks` under Canada's anti-spam law for a commercial text: implied consent
    by relationship (two years after a purchase or contract, six months after an inquiry,
    S.C. 2010, c. 23, s. 10(10)) and express consent of the kinds it accepts."""
    return _masks_under(ev, CASL_IMPLIED_CONSENT, CASL_CONSENT_KINDS, anniversary, today)


@functools.cache
def cap_windows() -> tuple[tuple[int, int], ...]:
    """The frequency caps' distinct rolling windows (minutes), each with the largest number of
    calls any cap allows in it: earlier calls are counted per window, up to that number."""
    found: dict[int, int] = {}
    for cap in FREQUENCY_CAPS.values():
        found[cap.window_minutes] = max(found.get(cap.window_minutes, 0), cap.calls)
    return tuple(sorted(found.items()))


@functools.lru_cache(maxsize=4096)
def caps_in_play(codes: tuple[str, ...]) -> bool:
    """Whether any of the jurisdictions ``codes`` caps the calls to a number (earlier calls count)."""
    return any(code in FREQUENCY_CAPS for code in codes)


def casl_in_play(codes: Iterable[str], channel: str) -> bool:
    """Whether a call of ``channel`` to the jurisdictions ``codes`` is a text that Canada's
    anti-spam law governs (then :func:`casl_masks` are needed)."""
    return channel == "text" and any(code in TEXT_RULES for code in codes)


def casl_consent_accepted(kind: str) -> bool:
    """Whether a consent of ``kind`` is express consent under CASL (s. 10(1))."""
    return kind in CASL_CONSENT_KINDS


def _masks_under(
    ev: Evidence, ebr: EbrWindows | None, kinds: frozenset[str], anniversary: Anniversary, today: int
) -> EvidenceMasks:
    first_request = min(ev.requests, default=FAR_FUTURE)
    since = FAR_PAST if ev.reassigned is None else ev.reassigned
    if ebr is None:
        purchase = inquiry = contract = NO_DAYS
    else:
        purchase = _relationship_mask(
            ((p, p) for p in ev.purchases if held_by_caller(p, since)),
            ebr.purchase,
            anniversary,
            today,
            first_request,
        )
        inquiry = _relationship_mask(
            ((q, q) for q in ev.inquiries if held_by_caller(q, since)),
            ebr.inquiry,
            anniversary,
            today,
            first_request,
        )
        contract = NO_DAYS
        if ebr.contract is not None:
            for start, ends in ev.contracts:
                if not held_by_caller(start, since):
                    continue
                end = FAR_FUTURE if ends is None else window_end(ends, ebr.contract, anniversary)
                contract |= span_mask(start - today, relationship_end(end, first_request) - today)
    consent = NO_DAYS
    undated_request = FAR_PAST in ev.requests
    if not undated_request:
        for kind, given, revoked in ev.consents:
            if kind not in kinds or not held_by_caller(given, since):
                continue
            end = FAR_FUTURE if revoked is None else revoked
            for request in ev.requests:
                end = consent_end(end, request, given)
            consent |= span_mask(given - today, end - today)
    return EvidenceMasks(purchase, inquiry, contract, consent)


def consent_masks(ev: Evidence, today: int) -> tuple[tuple[str, DayMask], ...]:
    """Per consent kind, the days on which a consent of that kind holds (kinds with none left
    out), under the same rules as :func:`evidence_masks` but whatever kinds a list accepts: for
    the rules that name their own consent (a prerecorded call to a wireless number, automated
    dialing), which read the kinds they accept from these."""
    if FAR_PAST in ev.requests:
        return ()  # an undated internal-list entry predates every consent
    since = FAR_PAST if ev.reassigned is None else ev.reassigned
    found: dict[str, DayMask] = {}
    for kind, given, revoked in ev.consents:
        if not held_by_caller(given, since):
            continue
        end = FAR_FUTURE if revoked is None else revoked
        for request in ev.requests:
            end = consent_end(end, request, given)
        found[kind] = found.get(kind, NO_DAYS) | span_mask(given - today, end - today)
    return tuple(sorted((kind, mask) for kind, mask in found.items() if mask))


def requests_mask(requests: Iterable[int], today: int) -> DayMask:
    """Days on which some do-not-call request for the seller is in effect (from its day on)."""
    first = min(requests, default=FAR_FUTURE)
    mask: DayMask = span_mask(first - today, FAR_FUTURE - today)
    return mask


def evidence_masks_columns(
    code: str,
    anniversary: Anniversary,
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> npt.NDArray[np.int64]:
    """:func:`evidence_masks` for whole columns under ``code``'s rules, packed
    ``purchase | inquiry << 11 | contract << 22 | consent << 33``.

    ``d``: the flat evidence columns as day numbers (:data:`NO_DATE`: absent), at most one
    purchase, inquiry, contract, consent and request each; ``requests``: that request and the
    registry's internal-list entry (:data:`FAR_FUTURE`: none; :data:`FAR_PAST`: undated).
    The rules are the same functions :func:`evidence_masks` applies to one call.
    """
    return _masks_columns_under(JURISDICTIONS[code].ebr, anniversary, today, d, consent_ok, requests)


def casl_masks_columns(
    anniversary: Anniversary,
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> npt.NDArray[np.int64]:
    """:func:`casl_masks` for whole columns, packed as :func:`evidence_masks_columns`."""
    return _masks_columns_under(CASL_IMPLIED_CONSENT, anniversary, today, d, consent_ok, requests)


def _masks_columns_under(
    ebr: EbrWindows | None,
    anniversary: Anniversary,
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> npt.NDArray[np.int64]:
    r1, r2 = requests
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
            return np.where(ok, span_mask(anchor - today, end - today), 0)

        purchase = relationship(d["last_purchase"], ebr.purchase)
        inquiry = relationship(d["last_inquiry"], ebr.inquiry)
        if ebr.contract is not None:
            start, ends = d["contract_on"], d["contract_ends"]
            ok = (start != NO_DATE) & held_by_caller(start, since)
            s0 = np.where(ok, start, 0)
            dated = ends != NO_DATE
            end = np.where(dated, _window_ends(ends, dated, ebr.contract, anniversary), FAR_FUTURE)
            contract = np.where(ok, span_mask(s0 - today, relationship_end(end, first_request) - today), 0)
    consent = consent_mask_columns(today, d, consent_ok, requests)
    packed: npt.NDArray[np.int64] = purchase | inquiry << 11 | contract << 22 | consent << 33
    return packed


def consent_mask_columns(
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> npt.NDArray[np.int64]:
    """The consent day mask of each row (:func:`consent_masks` for the flat columns: one consent
    per row, counted where ``consent_ok``, i.e. of a kind the rule at hand accepts)."""
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
    consent: npt.NDArray[np.int64] = np.where(ok, span_mask(g0 - today, end - today), 0)
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


# --------------------------------------------------------------------------------------------
# The facts the policy decides from
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallFacts:
    """Everything ``policy.decide`` needs about one call; hashable and low-cardinality.

    Call-level: ``country`` of the called number (``"US"``/``"CA"``); ``jurisdictions`` in play
    (codes of :data:`~dncguard.jurisdictions.JURISDICTIONS`: the number's country, the area code's
    and ``callee_region``'s states and their countries, and any state whose loaded list holds the
    number); ``purpose``, ``caller``, ``line``, ``prerecorded`` as in the call.

    Registry: ``national_listed`` (the number's country's national list holds it);
    ``national_covered`` (that list is loaded and covers the area code, TSR 310.8);
    ``national_fresh`` (days on which the area code's copy is within the freshness window);
    ``state_listed`` (``(state, days)`` for every loaded state list holding the number, from the
    day it was obtained); ``requested`` (days on which a do-not-call request to the seller, from
    the registry's internal list or the call, is in effect).

    Evidence: ``exemptions`` maps each jurisdiction in play to ``(purchase, inquiry, contract,
    consent)`` day masks under its windows and consent kinds.

    Time: ``location_known`` (some candidate zone exists); ``hours_failed`` (jurisdictions whose
    calling hours or day bans the call's start fails in some candidate zone); ``day`` (the local
    day offset at which to decide: 0 for the call itself, more when ``next_allowed_at`` searches).

    Call kinds (docs/calls.md): ``channel`` (``"voice"``/``"text"``), ``automated`` (an automated
    system selected or dialed the number); ``consents``: ``(kind, days)`` per consent kind
    (:func:`consent_masks`), filled only for a prerecorded or automated call (the rules that
    read consent by kind), else empty.

    ``states_unloaded``: the states in play that keep their own list whose list the registry
    does not hold (empty under ``Guard(missing_state_lists="allow")``, docs/defaults.md#state-lists).
    ``casl``: for a text into Canada, ``(purchase, inquiry, contract, consent)`` day masks under
    its anti-spam law (:func:`casl_masks`); zeros otherwise. ``recent``: ``(window minutes,
    earlier calls in it)`` per frequency-cap window (:func:`cap_windows`) holding some: the
    call's ``attempts`` in the window that ends at its start (the start excluded, the window's
    first instant included), counted up to the cap.
    """

    country: str
    jurisdictions: tuple[str, ...]
    purpose: str = "sale"
    caller: str = "seller"
    line: str = "unknown"
    prerecorded: bool = False
    national_listed: bool = False
    national_covered: bool = True
    national_fresh: DayMask = ALL_DAYS
    state_listed: tuple[tuple[str, DayMask], ...] = ()
    requested: DayMask = NO_DAYS
    exemptions: tuple[tuple[str, tuple[DayMask, DayMask, DayMask, DayMask]], ...] = ()
    location_known: bool = True
    hours_failed: frozenset[str] = field(default_factory=frozenset)
    day: int = 0
    channel: str = "voice"
    automated: bool = False
    consents: tuple[tuple[str, DayMask], ...] = ()
    states_unloaded: tuple[str, ...] = ()
    casl: tuple[DayMask, DayMask, DayMask, DayMask] = (0, 0, 0, 0)
    recent: tuple[tuple[int, int], ...] = ()

    def day_masks(self) -> tuple[DayMask, ...]:
        """Every :data:`DayMask` these facts hold: the policy sees the call's date only through
        them, so facts whose masks are all :data:`NO_DAYS` or :data:`ALL_DAYS` decide the same
        on every day (``tests/test_facts.py`` holds this list to the fields)."""
        return (
            self.national_fresh,
            self.requested,
            *(mask for _, mask in self.state_listed),
            *(mask for _, four in self.exemptions for mask in four),
            *(mask for _, mask in self.consents),
            *self.casl,
        )


# --------------------------------------------------------------------------------------------
# Calling hours: (zone, local day, local minute) against a jurisdiction's time rule
# --------------------------------------------------------------------------------------------

_CLOSED: Final = (24 * 60, -1)  # a day with no calls: no minute satisfies start <= m <= end


@dataclass(frozen=True)
class TimeRule:
    """A jurisdiction's calling hours compiled to per-weekday bounds (Monday = 0).

    ``starts``/``ends`` are inclusive minute bounds (a day without calls has an empty range);
    ``holidays`` names the calendar on whose days no call is allowed.
    """

    code: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    holidays: str | None
    starts_array: npt.NDArray[np.int64]
    ends_array: npt.NDArray[np.int64]


@functools.cache
def time_rule(code: str) -> TimeRule:
    """The compiled time rule of jurisdiction ``code`` (all day, every day, if it sets no hours)."""
    j = JURISDICTIONS[code]
    days = j.hours.days if j.hours is not None else (None,) * 7
    bounds = [
        (0, 24 * 60 - 1) if j.hours is None else (_CLOSED if h is None else (h.start, h.end)) for h in days
    ]
    starts = tuple(b[0] for b in bounds)
    ends = tuple(b[1] for b in bounds)
    return TimeRule(code, starts, ends, j.holidays, np.array(starts, np.int64), np.array(ends, np.int64))


@functools.cache
def hours_clock(code: str) -> zoneinfo.ZoneInfo | None:
    """The fixed clock on which jurisdiction ``code``'s hours are *also* read (``None``: local
    time only). Mississippi sets its hours in Central Standard Time (Miss. Code 77-3-723): a call
    must pass its time rule both on the called party's local clock and on UTC-6."""
    name = JURISDICTIONS[code].hours_clock
    return None if name is None else zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=4096)
def hours_clocks(codes: tuple[str, ...]) -> tuple[tuple[str, zoneinfo.ZoneInfo], ...]:
    """``(code, clock)`` for each of ``codes`` whose hours are also read on a fixed clock."""
    found = ((code, hours_clock(code)) for code in codes)
    return tuple((code, clock) for code, clock in found if clock is not None)


@functools.cache
def _holiday_days(calendar: str, year: int) -> frozenset[int]:
    return frozenset(day_number(d) for d in holidays(calendar, year))


@functools.cache
def _holiday_array(calendar: str, first_year: int, last_year: int) -> npt.NDArray[np.int64]:
    days = sorted(d for y in range(first_year, last_year + 1) for d in _holiday_days(calendar, y))
    return np.array(days, dtype=np.int64)


def is_holiday(calendar: str, day: Any) -> Any:
    """Whether local ``day`` (a day number or an array of them) is a holiday of ``calendar``."""
    if isinstance(day, np.ndarray):
        if day.size == 0:
            return np.zeros(day.shape, dtype=bool)
        y0 = int(civil_from_days(int(day.min()))[0])
        y1 = int(civil_from_days(int(day.max()))[0])
        table = _holiday_array(calendar, y0, y1)
        pos = np.searchsorted(table, day)
        return (pos < table.size) & (table[np.minimum(pos, table.size - 1)] == day)
    year = date_of(day).year
    return day in _holiday_days(calendar, year)


def time_rule_passes(rule: TimeRule, day: Any, minute: Any) -> Any:
    """Whether a call starting at local ``minute`` of local ``day`` meets ``rule`` (ints or arrays).

    Minute resolution, both ends inclusive (docs/defaults.md#calling-hours).
    """
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    if isinstance(weekday, np.ndarray):
        ok = (rule.starts_array[weekday] <= minute) & (minute <= rule.ends_array[weekday])
    else:
        ok = rule.starts[weekday] <= minute <= rule.ends[weekday]
    if rule.holidays is not None:
        ok = ok & (is_holiday(rule.holidays, day) ^ True)
    return ok


@functools.lru_cache(maxsize=65536)
def time_rule_passes_on(zone: Zone, code: str, utc_day: int) -> npt.NDArray[np.bool_]:
    """Whether ``code``'s calling hours, day and holiday bans pass in ``zone`` at each of the
    1440 UTC minutes of ``utc_day`` (cached, read-only)."""
    day, minute = day_clock(zone, utc_day)
    passes: npt.NDArray[np.bool_] = np.asarray(time_rule_passes(time_rule(code), day, minute), bool)
    passes.setflags(write=False)
    return passes
