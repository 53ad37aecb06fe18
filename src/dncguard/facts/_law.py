"""The law's tables as the front ends may see them: codes, freshness, which lists a state
keeps, consent kinds, frequency caps, CASL's reach. The front ends read no
:class:`~dncguard.jurisdictions.base.Jurisdiction` field themselves; they ask these."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Final

from dncguard._calendar import (
    IntLike,
)
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import Window
from dncguard.jurisdictions.call_rules import (
    CASL_CONSENT_KINDS,
    FREQUENCY_CAPS,
    PRERECORDED_CHARITY,
    TEXT_RULES,
)

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


def supporter_window(codes: Iterable[str], purpose: str, caller: str, prerecorded: bool) -> Window | None:
    """How long a donation makes the called party a previous donor, when the call is one that a
    jurisdiction of ``codes`` lets reach only a charity's members and previous donors (a
    prerecorded charity call by a telemarketer into the US); ``None``: no such rule applies, so
    donations and memberships need not be read. One window for all (the US's)."""
    if not prerecorded:
        return None
    for code in codes:
        rule = PRERECORDED_CHARITY.get(code)
        if rule is not None and purpose in rule.purposes and caller in rule.callers:
            return rule.donor_window
    return None
