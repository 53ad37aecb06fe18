"""The steps of ``Guard.check``'s facts that need no guard (``guard.Guard._known`` runs them in
order): where the call goes (:func:`_candidates`), its local clocks (:func:`_local_clocks`),
its evidence as day numbers (:func:`_call_evidence`), the fixed clocks some hours are read on
(:func:`_clock_failed`), earlier calls per cap window (:func:`_recent`), and what is memoised
per distinct facts (:class:`_Known`)."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from dncguard import geography
from dncguard._context import Area, day_of, order_jurisdictions, zone
from dncguard._seller import normalize_seller
from dncguard.errors import InvalidNumberError
from dncguard.facts import (
    HORIZON,
    KNOWN_JURISDICTIONS,
    CallFacts,
    DayMask,
    Evidence,
    call_day,
    cap_windows,
    day_number,
    evidence_signature,
    local_day_minute,
    time_rule,
    time_rule_passes,
)
from dncguard.models import Call, ReasonCode
from dncguard.numbers import parse_number
from dncguard.policy import (
    Verdict,
    decide,
    open_days,
    time_rules,
)

_MEMO_SIZE: Final = 1 << 16
_HORIZON_END: Final = HORIZON + 1
_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()
_NONE_FAILED: Final[frozenset[str]] = frozenset()
_NO_CASL: Final = (0, 0, 0, 0)
_CLOSED_DAY: Final = (1, 0)  # no minute m satisfies 1 <= m <= 0
_NATIONAL: Final = "national"
_STATE: Final = "state"
_INTERNAL: Final = "internal"


@dataclass(frozen=True, slots=True)
class _Known:
    """Memoised per distinct facts: the facts, the verdict, and what ``check`` needs beyond it."""

    facts: CallFacts
    verdict: Verdict
    stale: bool
    """The verdict holds ``stale_registry`` (``on_stale="raise"`` raises)."""
    may_open: bool
    """A blocked call may pass at a later minute: ``next_allowed_at`` must search."""

    @classmethod
    def of(cls, facts: CallFacts, jurisdictions: frozenset[str] | None) -> _Known:
        verdict = decide(facts, jurisdictions)
        stale = any(r.code is ReasonCode.STALE_REGISTRY for r in verdict.reasons)
        # next_allowed_at's own early answers (no candidate zone with hours to meet; no day on
        # which every rule but the clock passes) are facts alone: decided once here.
        may_open = not verdict.allowed and bool(open_days(facts, jurisdictions))
        if may_open and time_rules(facts, jurisdictions) and not facts.location_known:
            may_open = False
        return cls(facts, verdict, stale, may_open)


class _Listings(NamedTuple):
    """Step 1 of ``Guard._known``: what the registry and the call say about the number."""

    national_listed: bool
    states: list[tuple[str, dt.date | None]]
    """(state, the day its list was obtained) for each loaded state list holding the number."""
    requests: list[int]
    """The seller's do-not-call requests, as day numbers (FAR_PAST: undated)."""
    on_internal: bool
    """An internal list of the call's seller holds the number."""


class _EvidenceFacts(NamedTuple):
    """Step 4 of ``Guard._known``: the evidence as ``CallFacts`` day masks."""

    exemptions: tuple[tuple[str, tuple[DayMask, DayMask, DayMask, DayMask]], ...]
    by_kind: tuple[tuple[str, DayMask], ...]
    casl: tuple[DayMask, ...]


_NO_EVIDENCE: Final = _EvidenceFacts((), (), _NO_CASL)


def _candidates(
    call: Call, area: Area, listed_states: list[tuple[str, dt.date | None]]
) -> tuple[tuple[zoneinfo.ZoneInfo, ...], tuple[str, ...]]:
    """Step 2 of ``Guard._known``: the call's candidate zones and jurisdictions: the area
    code's, callee_region's and callee_timezone's, and those of any state whose loaded list holds
    the number (docs/defaults.md)."""
    zones = area.zones
    codes = area.codes
    if call.callee_region or call.callee_timezone or listed_states:
        located = (call.callee_region, *(state for state, _ in listed_states))
        extra_regions = [r for r in located if r and r not in area.regions]
        names = {z.key for z in zones}
        more = [z for r in extra_regions for z in geography.region_zones(r)]
        if call.callee_timezone:
            more.append(call.callee_timezone)
        zones = zones + tuple(zone(z) for z in sorted(set(more) - names))
        extra_codes = [
            c for r in extra_regions for c in (geography.region_country(r), r) if c in KNOWN_JURISDICTIONS
        ]
        codes = order_jurisdictions([*codes, *extra_codes], area.country)
    return zones, codes


def _local_clocks(at: dt.datetime, zones: tuple[zoneinfo.ZoneInfo, ...]) -> tuple[int, list[tuple[int, int]]]:
    """Step 3 of ``Guard._known``: the call's local date, judged fail-closed as the latest over
    the zones (``facts.call_day``), and its local (day, minute) in each zone."""
    if len(zones) == 1:
        local = at.astimezone(zones[0])  # facts.local_day_minute, inline: the common case
        today = local.toordinal() - _EPOCH_ORDINAL
        return today, [(today, local.hour * 60 + local.minute)]
    if zones:
        clocks = [local_day_minute(at, zone) for zone in zones]
        return max(day for day, _ in clocks), clocks
    return call_day(at, (), at.tzinfo), []


_Exemptions = tuple[tuple[str, tuple[DayMask, DayMask, DayMask, DayMask]], ...]
_RULE_SETS: dict[tuple[Any, frozenset[str]], int] = {}


@functools.cache
def _evidence_rules(code: str) -> int:
    """A number shared by the jurisdictions whose evidence rules (windows, consent kinds) match."""
    return _RULE_SETS.setdefault(evidence_signature(code), len(_RULE_SETS))


_CAP_WINDOWS_US: Final = tuple((minutes, most, minutes * 60_000_000) for minutes, most in cap_windows())
""":func:`~dncguard.facts.cap_windows` with each window's length in microseconds."""
_LONGEST_CAP_US: Final = max((window for _, _, window in _CAP_WINDOWS_US), default=0)
"""The longest frequency-cap window, in microseconds: how far back ``Guard`` asks the ledger."""


def _recent(earlier: Sequence[int], at: int) -> tuple[tuple[int, int], ...]:
    """``CallFacts.recent``: per cap window, the earlier calls (UTC microseconds since 1970) in
    the window that ends at ``at`` (its first instant included, ``at`` excluded), counted up to
    the largest cap."""
    found = []
    for minutes, most, window in _CAP_WINDOWS_US:
        since = at - window
        n = len([a for a in earlier if since <= a < at])
        if n:
            found.append((minutes, min(n, most)))
    return tuple(found)


def _clock_failed(clocked: tuple[tuple[str, zoneinfo.ZoneInfo], ...], at: dt.datetime) -> frozenset[str]:
    """The jurisdictions whose hours, read on their fixed clock (``facts.hours_clock``), the
    call's start fails (a call must pass both readings)."""
    return frozenset(
        code for code, clock in clocked if not time_rule_passes(time_rule(code), *local_day_minute(at, clock))
    )


def _call_evidence(call: Call, number: int, requests: list[int]) -> Evidence:
    """The call's relationships and consents with its own seller, as day numbers."""
    seller = call.seller
    purchases: list[int] = []
    inquiries: list[int] = []
    contracts: list[tuple[int, int | None]] = []
    for r in call.relationships:
        if r.seller is not None and normalize_seller(r.seller) != normalize_seller(seller):
            continue  # a relationship with another seller does not count (docs/defaults.md)
        if r.kind == "purchase":
            purchases.append(day_number(r.on))
        elif r.kind == "inquiry":
            inquiries.append(day_number(r.on))
        elif r.kind == "contract":
            contracts.append((day_number(r.on), day_of(r.ends)))
        # a donation or membership is no business relationship: see _supporter_evidence
    consents: list[tuple[str, int, int | None]] = []
    for c in call.consents:
        if c.seller is not None and normalize_seller(c.seller) != normalize_seller(seller):
            continue
        if c.number is not None:
            try:
                if parse_number(c.number) != number:
                    continue  # consent names another number
            except InvalidNumberError:
                continue
        consents.append((c.kind, day_number(c.on), day_of(c.revoked_on)))
    return Evidence(
        purchases=tuple(purchases),
        inquiries=tuple(inquiries),
        contracts=tuple(contracts),
        consents=tuple(consents),
        requests=tuple(requests),
        reassigned=day_of(call.reassigned_on),
    )


def _supporter_evidence(call: Call) -> tuple[tuple[int, ...], tuple[tuple[int, int | None], ...], int | None]:
    """The call's donations and memberships with its own seller (the charity), as day numbers:
    ``(donation days, (membership start, end or None) ...)``, and the reassignment day."""
    seller = call.seller
    donations: list[int] = []
    memberships: list[tuple[int, int | None]] = []
    for r in call.relationships:
        if r.kind not in ("donation", "membership"):
            continue
        if r.seller is not None and normalize_seller(r.seller) != normalize_seller(seller):
            continue  # a gift to another charity does not count
        if r.kind == "donation":
            donations.append(day_number(r.on))
        else:
            memberships.append((day_number(r.on), day_of(r.ends)))
    return tuple(donations), tuple(memberships), day_of(call.reassigned_on)


_Windows = dict[tuple[tuple[str, ...], int], tuple[int, int]]
"""``Guard``'s memo of :func:`_window`: ``(codes, local day) -> (first, last)``."""


def _open_at(windows: _Windows, codes: tuple[str, ...], clocks: list[tuple[int, int]]) -> bool:
    """Whether every rule of ``codes`` lets the call start at each ``(local day, minute)``."""
    for day, minute in clocks:
        first, last = _window(windows, codes, day)
        if not first <= minute <= last:
            return False
    return True


def _window(windows: _Windows, codes: tuple[str, ...], day: int) -> tuple[int, int]:
    """The local minutes ``(first, last)`` of ``day`` at which every rule of ``codes`` lets a
    call start (``(1, 0)``: none), memoised in ``windows``. Each rule's window is an interval;
    this is their meet."""
    window = windows.get((codes, day))
    if window is None:
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        first, last = 0, 24 * 60 - 1
        for code in codes:
            rule = time_rule(code)
            if not time_rule_passes(rule, day, rule.starts[weekday]):  # closed all day
                first, last = _CLOSED_DAY
                break
            first, last = max(first, rule.starts[weekday]), min(last, rule.ends[weekday])
        window = (first, last) if first <= last else _CLOSED_DAY
        if len(windows) >= _MEMO_SIZE:
            windows.clear()
        windows[(codes, day)] = window
    return window
