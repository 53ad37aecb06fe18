"""The decision: pure, no I/O, the single source of truth for ``Guard.check`` and ``Guard.scrub``.

:func:`decide` turns :class:`~dncguard.facts.CallFacts` into a :class:`Verdict`: every blocking
reason (not only the first) with its jurisdiction and citation, and every exemption that was
needed. It reads only the facts and the rule tables in :mod:`dncguard.jurisdictions`; the same
facts always give the same verdict, so callers may cache it (the bulk front end asks once per
distinct combination of facts). :func:`next_allowed_at` searches forward for the earliest minute
at which the same call passes every rule.

How a call is decided, for each jurisdiction in play (docs/defaults.md):

1. A jurisdiction the ``jurisdictions`` option leaves out blocks (``jurisdiction_excluded``).
2. Each list the jurisdiction governs (its national registry; a state's own list; the national
   registry under a state's own windows) blocks a listed number unless an exemption applies: an
   exempt purpose, a business line (national lists only), a consent of an accepted kind, or a
   relationship within the jurisdiction's window. Where the answer depends on the national copy,
   an area code it does not cover or a copy older than the freshness window blocks too.
3. The seller's do-not-call requests (internal list) block unless a later consent permits.
4. A prerecorded sales call needs consent.
5. Calling hours, day and holiday bans, in every candidate zone.

The modules: ``_verdict`` (:class:`Verdict`, an invalid number's), ``_decide`` (:func:`decide`
in named steps), ``_next_allowed`` (:func:`next_allowed_at`, :func:`open_days`, the minute
tables). Import from ``dncguard.policy``; the module names may change.

>>> from dncguard.facts import CallFacts
>>> decide(CallFacts(country="US", jurisdictions=("US",))).allowed
True
>>> v = decide(CallFacts(country="US", jurisdictions=("US",), national_listed=True))
>>> [(r.code.value, r.jurisdiction) for r in v.reasons]
[('national_registry', 'US')]
>>> survey = CallFacts(country="US", jurisdictions=("US",), national_listed=True, purpose="survey")
>>> decide(survey).allowed, decide(survey).exemptions[0].code
(True, <ExemptionCode.SURVEY: 'survey'>)
"""

from __future__ import annotations

from dncguard.policy._decide import decide, hour_rules, time_rules
from dncguard.policy._next_allowed import (
    GRID_DAYS,
    LAGS,
    NEVER,
    NO_MINUTE,
    allowed_minute,
    cap_release,
    clock_key,
    first_grid_minute,
    minute_waits,
    next_allowed_at,
    open_days,
    open_days_by_lag,
)
from dncguard.policy._verdict import (
    EXCLUDED_RULE,
    INVALID_NUMBER_RULE,
    NOT_NANP_AREA,
    Verdict,
    invalid_call_number,
    invalid_number,
)

__all__ = [
    "EXCLUDED_RULE",
    "GRID_DAYS",
    "INVALID_NUMBER_RULE",
    "LAGS",
    "NEVER",
    "NOT_NANP_AREA",
    "NO_MINUTE",
    "Verdict",
    "allowed_minute",
    "cap_release",
    "clock_key",
    "decide",
    "first_grid_minute",
    "hour_rules",
    "invalid_call_number",
    "invalid_number",
    "minute_waits",
    "next_allowed_at",
    "open_days",
    "open_days_by_lag",
    "time_rules",
]
