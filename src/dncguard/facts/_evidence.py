"""Evidence (relationships, consents, do-not-call requests) reduced to day masks for one call:
where a request ends a relationship, where reassignment voids earlier evidence, where a later
request overrides a consent. :mod:`dncguard.facts._columns` applies the same rules to columns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from dncguard._calendar import (
    FAR_FUTURE,
    FAR_PAST,
    NO_DAYS,
    DayMask,
    IntLike,
    span_mask,
)
from dncguard.facts._windows import Anniversary, window_end
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import EbrWindows, Window
from dncguard.jurisdictions.call_rules import CASL_CONSENT_KINDS, CASL_IMPLIED_CONSENT


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
    events: Iterable[tuple[int, int]],
    window: Window | None,
    anniversary: Anniversary,
    today: int,
    cut: int,
    lag: int = 0,
) -> DayMask:
    """Union over ``(valid_from, window_from)`` events, each valid up to its window's end or ``cut``."""
    if window is None:
        return NO_DAYS
    mask = NO_DAYS
    for start, anchor in events:
        end = relationship_end(window_end(anchor, window, anniversary), cut)
        mask |= span_mask(start + lag - today, end - today)
    return mask


def evidence_masks(
    ev: Evidence, code: str, anniversary: Anniversary, today: int, lag: int = 0
) -> EvidenceMasks:
    """Which exemptions the evidence supports under the rules of jurisdiction ``code``, day by day.

    * A relationship is valid from its day until its window ends (docs/defaults.md), and never
      on or after the seller's first do-not-call request, which ends every relationship with that
      seller for good, later purchases included (docs/defaults.md#do-not-call-requests).
    * Evidence dated before ``reassigned`` belonged to the number's previous holder (docs/defaults.md).
    * A consent of a kind the jurisdiction accepts is valid from its day until revoked, and only
      while no do-not-call request dated on or after it exists: a consent given before a request is
      superseded by it; one given after it permits calls again (docs/defaults.md). An undated
      internal-list entry predates every consent.

    Across candidate zones (docs/defaults.md#evidence-across-time-zones): ``today`` is the
    call's latest local date over its zones and ``lag`` how many days its earliest is behind.
    Evidence *starts* (a purchase, inquiry, contract or consent counts) only once its day has
    begun in every zone: from ``today + d - lag >= day``; it *ends* (a window's end, a
    revocation, a request) as soon as that day has begun in any zone: from ``today + d``.
    """
    jurisdiction = JURISDICTIONS[code]
    return _masks_under(ev, jurisdiction.ebr, jurisdiction.consent_kinds, anniversary, today, lag)


def casl_masks(ev: Evidence, anniversary: Anniversary, today: int, lag: int = 0) -> EvidenceMasks:
    """:func:`evidence_masks` under Canada's anti-spam law for a commercial text: implied consent
    by relationship (two years after a purchase or contract, six months after an inquiry,
    S.C. 2010, c. 23, s. 10(10)) and express consent of the kinds it accepts."""
    return _masks_under(ev, CASL_IMPLIED_CONSENT, CASL_CONSENT_KINDS, anniversary, today, lag)


def _masks_under(
    ev: Evidence,
    ebr: EbrWindows | None,
    kinds: frozenset[str],
    anniversary: Anniversary,
    today: int,
    lag: int,
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
            lag,
        )
        inquiry = _relationship_mask(
            ((q, q) for q in ev.inquiries if held_by_caller(q, since)),
            ebr.inquiry,
            anniversary,
            today,
            first_request,
            lag,
        )
        contract = NO_DAYS
        if ebr.contract is not None:
            for start, ends in ev.contracts:
                if not held_by_caller(start, since):
                    continue
                end = FAR_FUTURE if ends is None else window_end(ends, ebr.contract, anniversary)
                contract |= span_mask(start + lag - today, relationship_end(end, first_request) - today)
    consent = NO_DAYS
    undated_request = FAR_PAST in ev.requests
    if not undated_request:
        for kind, given, revoked in ev.consents:
            if kind not in kinds or not held_by_caller(given, since):
                continue
            end = FAR_FUTURE if revoked is None else revoked
            for request in ev.requests:
                end = consent_end(end, request, given)
            consent |= span_mask(given + lag - today, end - today)
    return EvidenceMasks(purchase, inquiry, contract, consent)


def consent_masks(ev: Evidence, today: int, lag: int = 0) -> tuple[tuple[str, DayMask], ...]:
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
        found[kind] = found.get(kind, NO_DAYS) | span_mask(given + lag - today, end - today)
    return tuple(sorted((kind, mask) for kind, mask in found.items() if mask))


def requests_mask(requests: Iterable[int], today: int) -> DayMask:
    """Days on which some do-not-call request for the seller is in effect (from its day on, as
    soon as that day has begun in any candidate zone: no ``lag``)."""
    first = min(requests, default=FAR_FUTURE)
    mask: DayMask = span_mask(first - today, FAR_FUTURE - today)
    return mask


def supporter_mask(
    donations: Iterable[int],
    memberships: Iterable[tuple[int, int | None]],
    reassigned: int | None,
    window: Window,
    anniversary: Anniversary,
    today: int,
    lag: int = 0,
) -> DayMask:
    """Days on which the called party is a member of, or a previous donor to, the charity the
    call is for (16 CFR 310.4(b)(1)(v)(B)): from a donation's day until ``window`` after it
    (the anniversary rule of the relationship windows), and from a membership's start until the
    day before its end (``None``: in force). Evidence dated before ``reassigned`` belonged to the
    number's previous holder. A do-not-call request does not end it here: the internal-list
    rule blocks the call by itself. ``lag``: as for :func:`evidence_masks` (a donation or
    membership starts counting once its day has begun in every candidate zone)."""
    since = FAR_PAST if reassigned is None else reassigned
    mask = NO_DAYS
    for on in donations:
        if held_by_caller(on, since):
            mask |= span_mask(on + lag - today, window_end(on, window, anniversary) - today)
    for start, ends in memberships:
        if held_by_caller(start, since):
            mask |= span_mask(start + lag - today, (FAR_FUTURE if ends is None else ends) - today)
    return mask
