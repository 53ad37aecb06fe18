"""Facts: what the policy decides from, derived once for one call (``guard``) or a column (``bulk``).

The policy (``policy.decide``) never sees a raw date. Every date-dependent question ("is this
purchase within Texas's 12 months on the call's local date?", "is the national copy still within
31 days?") is answered here as a :data:`DayMask`: bit ``d`` is set when the answer is *yes* on
local day ``call_date + d``, for ``d`` in ``0..HORIZON``. A mask is a small int, so a
:class:`CallFacts` is a frozen, hashable, low-cardinality value: the bulk front end groups millions
of rows by it and asks the policy once per distinct value. The days after the call matter to
``next_allowed_at``, which may land on a later date where a relationship has lapsed or the
registry copy has gone stale (docs/defaults.md#calling-hours: "passes every rule").

``call_date`` is the latest local date over the call's candidate zones; evidence that starts (a
consent, a purchase) counts only from the earliest, ``lag`` days behind it, so its masks are
built with that ``lag`` (docs/defaults.md#evidence-across-time-zones): ``next_allowed_at`` asks
for the masks at each lag the zones reach during its search.

Every date function here works on Python ``int`` day numbers (days since 1970-01-01) **and** on
numpy ``int64`` arrays of them, with the same code: no per-row Python in the bulk path. The
calendar arithmetic that holds no law (day numbers, months, day masks) is ``dncguard._calendar``
and the clocks (UTC instants to local day and minute) are ``dncguard._minutes``; both are
re-exported here, so the front ends ask ``facts`` alone.

The modules: ``_law`` (the law's tables as the front ends may ask them), ``_windows`` (a
window's end), ``_evidence`` (evidence to day masks for one call), ``_columns`` (the same rules
for whole columns), ``_hours`` (calling hours), ``_callfacts`` (:class:`CallFacts`). Import
from ``dncguard.facts``; the module names may change.

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

from dncguard._calendar import (
    ALL_DAYS,
    FAR_FUTURE,
    FAR_PAST,
    HORIZON,
    NO_DATE,
    NO_DAYS,
    SEARCH_DAYS,
    DayMask,
    add_months,
    civil_from_days,
    date_of,
    day_number,
    days_from_civil,
    span_mask,
)
from dncguard._minutes import (
    call_day,
    local_day_minute,
    local_day_minute_array,
    minute_after,
    within_minute,
)
from dncguard.facts._callfacts import CallFacts
from dncguard.facts._columns import (
    _window_ends as _window_ends,  # the column rule's table, for tests
)
from dncguard.facts._columns import (
    casl_masks_columns,
    consent_mask_columns,
    evidence_masks_columns,
    supporter_mask_columns,
)
from dncguard.facts._evidence import (
    Evidence,
    EvidenceMasks,
    casl_masks,
    consent_end,
    consent_masks,
    evidence_masks,
    held_by_caller,
    relationship_end,
    requests_mask,
    supporter_mask,
)
from dncguard.facts._hours import (
    TIME_RULE_CODES,
    TimeRule,
    hours_clock,
    hours_clocks,
    is_holiday,
    time_rule,
    time_rule_keys,
    time_rule_owner,
    time_rule_passes,
    time_rule_passes_on,
)
from dncguard.facts._law import (
    JURISDICTION_CODES,
    KNOWN_JURISDICTIONS,
    age_limits,
    cap_windows,
    caps_in_play,
    casl_consent_accepted,
    casl_in_play,
    consent_accepted,
    evidence_signature,
    fresh_end,
    list_states,
    supporter_window,
)
from dncguard.facts._windows import Anniversary, window_end

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
    "TIME_RULE_CODES",
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
    "minute_after",
    "relationship_end",
    "requests_mask",
    "span_mask",
    "supporter_mask",
    "supporter_mask_columns",
    "supporter_window",
    "time_rule",
    "time_rule_keys",
    "time_rule_owner",
    "time_rule_passes",
    "time_rule_passes_on",
    "window_end",
    "within_minute",
]
