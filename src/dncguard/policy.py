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

import dataclasses
import datetime as dt
import functools
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dncguard._minutes import Zone, day_clock
from dncguard.errors import InvalidNumberError
from dncguard.facts import (
    ALL_DAYS,
    NO_DATE,
    NO_DAYS,
    SEARCH_DAYS,
    CallFacts,
    DayMask,
    call_day,
    hours_clocks,
    time_rule_passes_on,
)
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import Jurisdiction, ListName
from dncguard.jurisdictions.call_rules import (
    AUTOMATED_DIALING,
    CASL_EXPRESS_RULE,
    CASL_PURPOSES,
    CASL_RULE,
    CASL_UNSUBSCRIBE_RULE,
    FREQUENCY_CAPS,
    PRERECORDED_WIRELESS,
    TEXT_RULES,
)
from dncguard.models import Exemption, ExemptionCode, Reason, ReasonCode
from dncguard.numbers import parse_number

__all__ = [
    "EXCLUDED_RULE",
    "GRID_DAYS",
    "INVALID_NUMBER_RULE",
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
    "time_rules",
]

EXCLUDED_RULE: Final = (
    "dncguard Guard(jurisdictions=...): a call to a jurisdiction left out is blocked"  # docs/defaults.md
)
# docs/defaults.md#jurisdiction-follows-the-number: numbers of other NANP countries are outside dncguard.
INVALID_NUMBER_RULE: Final = "North American Numbering Plan: US and Canadian numbers only"


@dataclass(frozen=True)
class Verdict:
    """What the policy decided: the parts of a :class:`~dncguard.Decision` that facts determine."""

    allowed: bool
    reasons: tuple[Reason, ...]
    exemptions: tuple[Exemption, ...]
    jurisdictions: tuple[str, ...]


def invalid_number(text: str, why: str) -> Verdict:
    """The verdict for a called number that is not a US or Canadian number (fail closed).

    >>> invalid_number("123", "too short").reasons[0].code.value
    'invalid_number'
    """
    reason = Reason(
        code=ReasonCode.INVALID_NUMBER,
        jurisdiction="NANP",
        rule=INVALID_NUMBER_RULE,
        message=f"{text!r} is not a US or Canadian phone number: {why}",
    )
    return Verdict(False, (reason,), (), ())


NOT_NANP_AREA: Final = "not a US or Canadian area code"
"""Why a number that parses is still invalid: its area code is not in the US or Canada."""


def invalid_call_number(text: str) -> Verdict:
    """The verdict of a called number written ``text`` that is not a US or Canadian number,
    saying why: it does not parse as one, or its area code is not one of theirs.

    >>> invalid_call_number("555-0100").reasons[0].message
    "'555-0100' is not a US or Canadian phone number: too short: 7 digits, expected 10"
    """
    try:
        parse_number(text)
    except InvalidNumberError as e:
        return invalid_number(text, e.why)
    return invalid_number(text, NOT_NANP_AREA)


def _on(mask: DayMask, day: int) -> bool:
    return bool((mask >> day) & 1)


def _rules(code: str) -> Jurisdiction:
    return JURISDICTIONS[code]


def _list_exemptions(
    j: Jurisdiction, which: ListName, facts: CallFacts, masks: tuple[DayMask, ...]
) -> tuple[Exemption, ...]:
    """The exemptions that let a call through list ``which`` of jurisdiction ``j`` on ``facts.day``."""
    country = _rules(j.country)
    purpose = j.list_exempt_purposes.get(facts.purpose)
    if purpose is not None and (purpose.callers is None or facts.caller in purpose.callers):
        return (Exemption(code=purpose.code, jurisdiction=j.code, rule=purpose.rule),)
    if which == "national" and facts.line == "business" and country.business_line_rule:
        return (
            Exemption(code=ExemptionCode.BUSINESS_LINE, jurisdiction=j.code, rule=country.business_line_rule),
        )
    purchase, inquiry, contract, consent = masks
    ebr_rule = j.ebr.rule if j.ebr is not None else ""
    found = []
    day = facts.day
    if _on(consent, day):
        found.append(Exemption(code=ExemptionCode.CONSENT, jurisdiction=j.code, rule=j.consent_rule))
    for code, mask in (
        (ExemptionCode.EBR_PURCHASE, purchase),
        (ExemptionCode.EBR_CONTRACT, contract),
        (ExemptionCode.EBR_INQUIRY, inquiry),
    ):
        if _on(mask, day):
            found.append(Exemption(code=code, jurisdiction=j.code, rule=ebr_rule))
    return tuple(found)


_NO_MASKS: Final = (0, 0, 0, 0)


def _applies(code: str, allowed: frozenset[str] | None) -> bool:
    return allowed is None or code in allowed


def time_rules(facts: CallFacts, jurisdictions: frozenset[str] | None = None) -> tuple[str, ...]:
    """The jurisdictions whose calling hours and day bans apply to this call (docs/defaults.md#calling-hours).

    Hours reach every telemarketing call, exempt or not, but not the purposes a jurisdiction
    leaves outside them (US: surveys, political and informational calls; Canada: surveys and
    informational calls). ``jurisdictions`` is the ``Guard`` option (``None``: all).
    """
    return hour_rules(facts.jurisdictions, facts.purpose, jurisdictions, facts.channel)


@functools.lru_cache(maxsize=4096)
def hour_rules(
    in_play: tuple[str, ...],
    purpose: str,
    jurisdictions: frozenset[str] | None = None,
    channel: str = "voice",
) -> tuple[str, ...]:
    """:func:`time_rules` from the jurisdictions in play, the purpose and the channel alone (a
    text into a country whose electronic-message law governs it keeps no calling hours there)."""
    return tuple(
        code
        for code in in_play
        if _applies(code, jurisdictions)
        and (_rules(code).hours is not None or _rules(code).holidays is not None)
        and purpose not in _rules(code).hours_exempt_purposes
        and not (channel == "text" and code in TEXT_RULES)
    )


@functools.lru_cache(maxsize=65536)
def decide(facts: CallFacts, jurisdictions: frozenset[str] | None = None) -> Verdict:
    """Decide a call from its facts. ``jurisdictions``: the ``Guard`` option (``None``: all known)."""
    reasons: list[Reason] = []
    exemptions: list[Exemption] = []
    applied: list[str] = []
    day = facts.day
    masks = dict(facts.exemptions)
    states = dict(facts.state_listed)
    hour_codes = time_rules(facts, jurisdictions)
    for code in facts.jurisdictions:
        j = _rules(code)
        if not _applies(code, jurisdictions):
            reasons.append(
                Reason(
                    code=ReasonCode.JURISDICTION_EXCLUDED,
                    jurisdiction=code,
                    rule=EXCLUDED_RULE,
                    message=f"the call reaches {j.name}, whose rules this Guard leaves out",
                )
            )
            continue
        applied.append(code)
        own = masks.get(code, _NO_MASKS)
        if facts.channel == "text" and code in TEXT_RULES:
            _electronic_message(code, facts, reasons, exemptions)
            continue  # neither its lists nor its hours (hour_rules leaves it out for texts)
        for which in j.lists:
            if which == "national":
                if j.country != facts.country:
                    continue  # this country's registry holds only its own numbers
                listed = facts.national_listed
                unknown = j.is_country and not (facts.national_covered and _on(facts.national_fresh, day))
            else:
                listed = _on(states.get(code, 0), day)
                unknown = False
                if code in facts.states_unloaded:
                    _state_list_not_loaded(j, facts, own, reasons)
                    continue
            if not (listed or unknown):
                continue
            found = _list_exemptions(j, which, facts, own)
            if found:
                exemptions.extend(found)
                continue
            if listed:
                national = which == "national"
                reasons.append(
                    Reason(
                        code=ReasonCode.NATIONAL_REGISTRY if national else ReasonCode.STATE_REGISTRY,
                        jurisdiction=code,
                        rule=j.list_rule,
                        message=f"listed on the {'national registry' if national else 'state list'}"
                        f" and no exemption applies under {j.name}'s rules",
                    )
                )
            if unknown and not facts.national_covered:
                reasons.append(
                    Reason(
                        code=ReasonCode.AREA_CODE_NOT_COVERED,
                        jurisdiction=code,
                        rule=j.coverage_rule,
                        message="the loaded national registry does not cover this area code",
                    )
                )
            elif unknown:
                reasons.append(
                    Reason(
                        code=ReasonCode.STALE_REGISTRY,
                        jurisdiction=code,
                        rule=j.fresh_rule,
                        message=f"the national copy for this area code is over {j.fresh_days} days old",
                    )
                )
        if j.is_country:
            consent = _on(own[3], day)
            if (
                facts.purpose not in j.internal_list_exempt_purposes
                and _on(facts.requested, day)
                and not consent
            ):
                reasons.append(
                    Reason(
                        code=ReasonCode.INTERNAL_LIST,
                        jurisdiction=code,
                        rule=j.internal_list_rule,
                        message="the called party asked this seller not to call, and gave no consent since",
                    )
                )
            if facts.prerecorded and facts.purpose in j.prerecorded_purposes and not consent:
                reasons.append(
                    Reason(
                        code=ReasonCode.PRERECORDED_WITHOUT_CONSENT,
                        jurisdiction=code,
                        rule=j.prerecorded_rule,
                        message="a prerecorded sales call needs the called party's express written consent",
                    )
                )
        _call_kind_rules(code, facts, own, reasons)
        _frequency_cap(code, facts, reasons)
        if code in hour_codes:
            if not facts.location_known:
                if code == facts.country or code == hour_codes[0]:
                    reasons.append(
                        Reason(
                            code=ReasonCode.CALLING_HOURS,
                            jurisdiction=code,
                            rule=j.hours_rule,
                            message="location unknown: give callee_timezone or callee_region for this number",
                        )
                    )
            elif code in facts.hours_failed:
                reasons.append(
                    Reason(
                        code=ReasonCode.CALLING_HOURS,
                        jurisdiction=code,
                        rule=j.hours_rule if j.hours is not None else j.holidays_rule,
                        message=f"outside {j.name} calling hours, days or holidays (local time)",
                    )
                )
    _unruled_state_lists(facts, jurisdictions, masks, reasons, exemptions)
    return Verdict(not reasons, tuple(reasons), tuple(exemptions), tuple(applied))


def _state_list_not_loaded(
    j: Jurisdiction, facts: CallFacts, own: tuple[DayMask, ...], reasons: list[Reason]
) -> None:
    """A state that keeps its own list binds whether or not the list is loaded (docs/defaults.md#state-lists):
    a call the list would govern (no exemption from it, as for a listed number) fails closed."""
    if _list_exemptions(j, "state", facts, own):
        return
    reasons.append(
        Reason(
            code=ReasonCode.STATE_LIST_NOT_LOADED,
            jurisdiction=j.code,
            rule=j.list_rule,
            message=f"{j.name} keeps its own do-not-call list and it is not loaded: add the {j.code}"
            f" list to the registry (dncguard build --state {j.code}=FILE@DATE), or allow such calls"
            " knowingly (--missing-state-lists allow on the command line,"
            " missing_state_lists='allow' in Python)",
        )
    )


def _electronic_message(
    code: str, facts: CallFacts, reasons: list[Reason], exemptions: list[Exemption]
) -> None:
    """A commercial text into Canada: CASL, not the telemarketing rules (docs/defaults.md#channels-texts).

    It needs express consent or consent implied by a relationship (``facts.casl``: both already
    end at a do-not-call request, CASL s. 11); the national list and calling hours do not govern
    it. A text that is not commercial is outside CASL's consent rule.
    """
    if facts.purpose not in CASL_PURPOSES:
        return
    day = facts.day
    purchase, inquiry, contract, consent = facts.casl
    if _on(consent, day):
        exemptions.append(Exemption(code=ExemptionCode.CONSENT, jurisdiction=code, rule=CASL_EXPRESS_RULE))
        return
    found = [
        Exemption(code=kind, jurisdiction=code, rule=TEXT_RULES[code])
        for kind, mask in (
            (ExemptionCode.EBR_PURCHASE, purchase),
            (ExemptionCode.EBR_CONTRACT, contract),
            (ExemptionCode.EBR_INQUIRY, inquiry),
        )
        if _on(mask, day)
    ]
    if found:
        exemptions.extend(found)
        return
    if _on(facts.requested, day):
        reasons.append(
            Reason(
                code=ReasonCode.INTERNAL_LIST,
                jurisdiction=code,
                rule=CASL_UNSUBSCRIBE_RULE,
                message="the recipient asked this sender to stop (unsubscribe) and gave no express"
                " consent since",
            )
        )
        return
    reasons.append(
        Reason(
            code=ReasonCode.TEXT_WITHOUT_CONSENT,
            jurisdiction=code,
            rule=CASL_EXPRESS_RULE,
            message="a commercial text into Canada needs the recipient's express consent, or consent implied"
            f" by a relationship ({CASL_RULE})",
        )
    )


def _consented(facts: CallFacts, kinds: frozenset[str]) -> bool:
    """Whether a consent of one of ``kinds`` holds on ``facts.day`` (``CallFacts.consents``)."""
    return any(kind in kinds and _on(mask, facts.day) for kind, mask in facts.consents)


def _call_kind_rules(code: str, facts: CallFacts, own: tuple[DayMask, ...], reasons: list[Reason]) -> None:
    """The rules that depend on how the call is made (docs/calls.md, docs/defaults.md).

    * An artificial or prerecorded voice call to a wireless number (or one of unknown line type)
      needs prior express consent whatever its purpose; a selling call's written consent is the
      country's prerecorded rule above.
    * A sales call with automated selection or dialing into a state that requires prior express
      written consent for it needs that consent; a relationship does not replace it unless the
      statute's scope says so.
    """
    wireless = PRERECORDED_WIRELESS.get(code)
    if (
        wireless is not None
        and facts.prerecorded
        and facts.line in wireless.lines
        and facts.purpose not in _rules(code).prerecorded_purposes
        and not _consented(facts, wireless.consent_kinds)
    ):
        reasons.append(
            Reason(
                code=ReasonCode.PRERECORDED_WITHOUT_CONSENT,
                jurisdiction=code,
                rule=wireless.rule,
                message="a prerecorded or artificial voice call to a wireless number (or one of unknown"
                " line type) needs the called party's prior express consent",
            )
        )
    automated = AUTOMATED_DIALING.get(code)
    if (
        automated is not None
        and facts.automated
        and facts.purpose in automated.purposes
        and not _consented(facts, automated.consent_kinds)
        and not (automated.relationship_exempts and any(_on(m, facts.day) for m in own[:3]))
    ):
        reasons.append(
            Reason(
                code=ReasonCode.AUTOMATED_WITHOUT_CONSENT,
                jurisdiction=code,
                rule=automated.rule,
                message=f"a sales call with automated selection or dialing needs the called party's prior"
                f" express written consent under {_rules(code).name}'s law",
            )
        )


def _frequency_cap(code: str, facts: CallFacts, reasons: list[Reason]) -> None:
    """More earlier calls in the cap's rolling window than the state allows (docs/defaults.md)."""
    cap = FREQUENCY_CAPS.get(code)
    if cap is None or facts.purpose not in cap.purposes or facts.channel not in cap.channels:
        return
    if dict(facts.recent).get(cap.window_minutes, 0) >= cap.calls:
        reasons.append(
            Reason(
                code=ReasonCode.FREQUENCY_CAP,
                jurisdiction=code,
                rule=cap.rule,
                message=f"{cap.calls} calls to this number on this subject in the {cap.window_minutes}"
                f" minutes before this one already: {_rules(code).name} allows no more",
            )
        )


def cap_release(
    facts: CallFacts, attempts: Sequence[dt.datetime], at: dt.datetime, jurisdictions: frozenset[str] | None
) -> dt.datetime | None:
    """The first minute boundary at which no frequency cap in play blocks the call any longer:
    when the oldest counted call has left each reached cap's window (``None``: no cap reached)."""
    release: dt.datetime | None = None
    for code in facts.jurisdictions:
        cap = FREQUENCY_CAPS.get(code)
        if cap is None or not _applies(code, jurisdictions):
            continue
        if facts.purpose not in cap.purposes or facts.channel not in cap.channels:
            continue
        window = dt.timedelta(minutes=cap.window_minutes)
        times = sorted(a for a in attempts if at - window <= a < at)
        if len(times) < cap.calls:
            continue
        # Counted while within the window (its first instant included): free just after.
        free = (times[len(times) - cap.calls] + window).astimezone(_UTC)
        free = free.replace(second=0, microsecond=0) + _MINUTE
        release = free if release is None or free > release else release
    return release


def _unruled_state_lists(
    facts: CallFacts,
    jurisdictions: frozenset[str] | None,
    masks: Mapping[str, tuple[DayMask, ...]],
    reasons: list[Reason],
    exemptions: list[Exemption],
) -> None:
    """A loaded state list for a state without list rules here still binds (fail closed).

    A state with no rule set in ``dncguard.jurisdictions`` (e.g. a New York list), or whose rule
    set keeps no list of its own, would otherwise be ignored: a silent allow. Such a list blocks
    under the country's exemptions (docs/defaults.md#fail-closed, #exempt-purposes, #state-lists).
    """
    for region, mask in facts.state_listed:
        rules = JURISDICTIONS.get(region)
        if rules is not None and "state" in rules.lists and region in facts.jurisdictions:
            continue  # decided above under the state's own rules
        if not _on(mask, facts.day):
            continue
        country = _rules(region.split("-", 1)[0])
        if not _applies(country.code, jurisdictions):
            continue  # the country's rules are left out: JURISDICTION_EXCLUDED already blocks
        found = _list_exemptions(country, "state", facts, masks.get(country.code, _NO_MASKS))
        if found:
            exemptions.extend(e for e in found if e not in exemptions)
            continue
        reasons.append(
            Reason(
                code=ReasonCode.STATE_REGISTRY,
                jurisdiction=region,
                rule=f"{region} do-not-call list",
                message=f"listed on the loaded {region} list; dncguard has no rule set for that list,"
                f" so only {country.name}'s exemptions are applied",
            )
        )


# --------------------------------------------------------------------------------------------
# next_allowed_at: the earliest minute at which the same call passes every rule
# --------------------------------------------------------------------------------------------

_MINUTE: Final = dt.timedelta(minutes=1)
_UTC: Final = dt.UTC


_SEARCHED_DAYS: Final[DayMask] = (1 << (SEARCH_DAYS + 2)) - 1
"""The day offsets ``next_allowed_at`` may land on (local days ``0..SEARCH_DAYS + 1``)."""


@functools.lru_cache(maxsize=65536)
def open_days(facts: CallFacts, jurisdictions: frozenset[str] | None = None) -> DayMask:
    """The day offsets (bit ``d``: local day ``call_date + d``, up to ``SEARCH_DAYS + 1``) on
    which every rule but the clock lets the call through; ``0``: none.

    Frequency caps release within a day (:func:`cap_release`), not by day: they are left to
    ``next_allowed_at``'s ``not_before``.
    """
    base = dataclasses.replace(facts, hours_failed=frozenset(), location_known=True, recent=(), day=0)
    if all(mask in (NO_DAYS, ALL_DAYS) for mask in base.day_masks()):
        # The facts read the same on every day: one decision answers for all of them.
        return _SEARCHED_DAYS if decide(base, jurisdictions).allowed else NO_DAYS
    days = range(SEARCH_DAYS + 2)
    return sum(1 << d for d in days if decide(dataclasses.replace(base, day=d), jurisdictions).allowed)


def next_allowed_at(
    facts: CallFacts,
    at: dt.datetime,
    zones: Sequence[zoneinfo.ZoneInfo],
    jurisdictions: frozenset[str] | None = None,
    not_before: dt.datetime | None = None,
) -> dt.datetime | None:
    """The earliest instant after ``at``, up to 8 days ahead, at which the call passes every rule.

    ``not_before``: an instant before which the call cannot pass (a frequency cap's release,
    :func:`cap_release`), a minute boundary.

    ``facts`` are the call's facts at ``at`` (with ``day=0``); ``zones`` its candidate zones. Only
    ``at`` changes: a minute passes when every time rule passes in every zone and the call's
    local date then is one of its :func:`open_days` (every other rule re-decided on that date, so
    a relationship that lapses or a registry copy that goes stale later is honoured). The minutes
    are read from :func:`minute_waits`, the same table ``Guard.scrub`` reads for whole columns.
    The result is a minute boundary in ``at``'s own offset; ``None`` when no minute within
    ``SEARCH_DAYS`` days passes.
    """
    codes = time_rules(facts, jurisdictions)
    if codes and not zones:
        return None  # location unknown: no minute can pass
    open_on = open_days(facts, jurisdictions)
    if not open_on:
        return None
    tz = at.tzinfo
    today = call_day(at, zones, tz)
    at_us = (at - _EPOCH) // _MICROSECOND
    start = at_us // _MINUTE_US + 1
    if not_before is not None:
        start = max(start, -(-((not_before - _EPOCH) // _MICROSECOND) // _MINUTE_US))
    clocks = tuple(clock_key(z) for z in zones) or (clock_key(tz or _UTC),)
    index = start - first_grid_minute(today)
    waits = minute_waits(clocks, tuple(sorted(codes)), open_on, today)
    if index >= len(waits):
        return None
    when = allowed_minute(int(waits[index]), start, at_us)
    if when == NO_MINUTE:
        return None
    return (_EPOCH + dt.timedelta(minutes=when)).astimezone(tz)


# The minute table both front ends read: ``next_allowed_at`` for one call, ``Guard.scrub`` for a
# column (one table per distinct zones, time rules, open days and call date, then a gather).

GRID_DAYS: Final = 12
"""UTC days of one :func:`minute_waits` table: ``t0 - 1 .. t0 + 10`` for a call of local date
``t0``. Its minute lies within UTC days ``t0 - 1 .. t0 + 1`` (no zone is more than a day from
UTC), and its search ends ``SEARCH_DAYS`` days later."""
NEVER: Final = int(np.iinfo(np.uint16).max)
"""A :func:`minute_waits` entry: no allowed minute at or after this one within the table."""
NO_MINUTE: Final = int(np.iinfo(np.int64).max)
"""What :func:`allowed_minute` gives when no minute within the search passes."""
_MINUTE_US: Final = 60_000_000
_SEARCH_US: Final = SEARCH_DAYS * 86_400_000_000
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND: Final = dt.timedelta(microseconds=1)


def clock_key(zone: dt.tzinfo) -> Zone:
    """How :func:`minute_waits` names a zone: an IANA zone by its name (as ``Guard.scrub``
    does), any other ``tzinfo`` (a call's own offset) as itself."""
    key = getattr(zone, "key", None)
    return key if isinstance(zone, zoneinfo.ZoneInfo) and isinstance(key, str) else zone


def first_grid_minute(t0: Any) -> Any:
    """The UTC minute (since 1970) at which :func:`minute_waits` of local date ``t0`` starts."""
    return (t0 - 1) * 1440


def allowed_minute(wait: Any, start: Any, at_us: Any) -> Any:
    """The allowed minute (UTC minutes since 1970) a search from minute ``start`` finds, given
    :func:`minute_waits`' entry ``wait`` there, for a call at ``at_us`` (UTC microseconds):
    :data:`NO_MINUTE` when none is within ``SEARCH_DAYS`` days of the call. Ints or arrays."""
    when = start + np.where(wait == NEVER, 0, wait) if isinstance(wait, np.ndarray) else start + wait
    ok = (wait != NEVER) & (when * _MINUTE_US <= at_us + _SEARCH_US)
    if isinstance(ok, np.ndarray):
        return np.where(ok, when, NO_MINUTE)
    return when if ok else NO_MINUTE


@functools.lru_cache(maxsize=2048)  # 34 KB each
def minute_waits(
    clocks: tuple[Zone, ...], codes: tuple[str, ...], open_on: DayMask, t0: int
) -> npt.NDArray[np.uint16]:
    """For each UTC minute of the :data:`GRID_DAYS` days from :func:`first_grid_minute` of
    ``t0``: how many minutes until the first minute (at or after it) at which a call of local
    date ``t0`` passes, :data:`NEVER` if none does within the table.

    A minute passes when the time rules of ``codes`` pass in every zone of ``clocks`` (and on
    their fixed clock, :func:`~dncguard.facts.hours_clocks`), and the call's local date then (the
    latest over ``clocks``) is ``t0 + d`` for a day ``d`` of ``open_on`` (:func:`open_days`).
    ``clocks``: the candidate zones (:func:`clock_key`), or the call's own offset when it has none
    (then ``codes`` is empty: only the date counts). Cached, read-only.
    """
    days = range(t0 - 1, t0 - 1 + GRID_DAYS)
    passes = np.ones(GRID_DAYS * 1440, bool)
    local_day = np.full(GRID_DAYS * 1440, NO_DATE, np.int64)  # no zone yet: below every day
    for zone in clocks:
        np.maximum(local_day, np.concatenate([day_clock(zone, d)[0] for d in days]), out=local_day)
        for code in codes:
            passes &= np.concatenate([time_rule_passes_on(zone, code, d) for d in days])
    for code, clock in hours_clocks(codes):
        # Hours set on a fixed clock (Mississippi's Central Standard Time) are read there too.
        passes &= np.concatenate([time_rule_passes_on(clock_key(clock), code, d) for d in days])
    offset = local_day - t0
    inside = (offset >= 0) & (offset < SEARCH_DAYS + 2)
    passes &= inside & ((open_on >> np.clip(offset, 0, SEARCH_DAYS + 1)) & 1).astype(bool)
    never = np.iinfo(np.int64).max
    index = np.arange(len(passes), dtype=np.int64)
    nxt = np.minimum.accumulate(np.where(passes, index, never)[::-1])[::-1]
    wait = np.where(nxt == never, NEVER, np.minimum(nxt - index, NEVER - 1)).astype(np.uint16)
    wait.setflags(write=False)
    return wait
