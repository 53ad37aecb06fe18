"""The facts the policy decides from (:class:`CallFacts`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dncguard._calendar import (
    ALL_DAYS,
    NO_DAYS,
    DayMask,
)


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

    Time: ``location_known`` (some candidate zone exists); ``hours_failed`` (the time rules,
    ``TIME_RULE_CODES``: a jurisdiction's own hours by its code, a window binding only some calls
    by its ``CALLER_HOURS`` key, whose calling hours or day bans the call's start fails in some
    candidate zone); ``day`` (the local
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
    first instant included), counted up to the cap. ``supporter``: days on which the called
    party is a member of, or a previous donor to, the charity the call is for
    (:func:`supporter_mask`), filled only for a call a member/donor rule reaches (a prerecorded
    charity call by a telemarketer into the US), else :data:`NO_DAYS`.
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
    supporter: DayMask = NO_DAYS

    def day_masks(self) -> tuple[DayMask, ...]:
        """Every :data:`DayMask` these facts hold: the policy sees the call's date only through
        them, so facts whose masks are all :data:`NO_DAYS` or :data:`ALL_DAYS` decide the same
        on every day (``tests/facts/test_facts.py`` holds this list to the fields)."""
        return (
            self.national_fresh,
            self.requested,
            *(mask for _, mask in self.state_listed),
            *(mask for _, four in self.exemptions for mask in four),
            *(mask for _, mask in self.consents),
            *self.casl,
            self.supporter,
        )
