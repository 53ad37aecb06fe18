"""``decide``: the facts of a call to its verdict, jurisdiction by jurisdiction, in named
steps (its lists, the seller's requests and prerecorded calls, call kinds, frequency caps,
calling hours), and the time rules in play."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Final

from dncguard._caches import DECISIONS
from dncguard.facts import (
    CallFacts,
    DayMask,
    time_rule_owner,
)
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import Hours, Jurisdiction, ListName
from dncguard.jurisdictions.call_rules import (
    AUTOMATED_DIALING,
    CALLER_HOURS,
    CASL_EXPRESS_RULE,
    CASL_PURPOSES,
    CASL_RULE,
    CASL_UNSUBSCRIBE_RULE,
    FREQUENCY_CAPS,
    PRERECORDED_CHARITY,
    PRERECORDED_WIRELESS,
    TEXT_RULES,
)
from dncguard.models import Exemption, ExemptionCode, Reason, ReasonCode
from dncguard.policy._verdict import EXCLUDED_RULE, Verdict


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
    return hour_rules(
        facts.jurisdictions,
        facts.purpose,
        jurisdictions,
        facts.channel,
        caller=facts.caller,
        line=facts.line,
    )


@functools.lru_cache(maxsize=4096)
def hour_rules(
    in_play: tuple[str, ...],
    purpose: str,
    jurisdictions: frozenset[str] | None = None,
    channel: str = "voice",
    *,
    caller: str,
    line: str,
) -> tuple[str, ...]:
    """:func:`time_rules` from the jurisdictions in play, the purpose, the channel, the caller
    and the line alone (a text into a country whose electronic-message law governs it keeps no
    calling hours there).

    The time rules (``facts.TIME_RULE_CODES``): each jurisdiction's own hours, by its code, and
    after it each window of ``CALLER_HOURS`` binding this caller's calls of this purpose to this
    line (Mississippi's paid fund-raisers, Miss. Code 79-11-524): the one place that says which
    windows a call must meet, for ``Guard.check``, ``Guard.scrub`` and ``next_allowed_at``.
    """
    found: list[str] = []
    for code in in_play:
        if not _applies(code, jurisdictions) or (channel == "text" and code in TEXT_RULES):
            continue
        j = _rules(code)
        if (j.hours is not None or j.holidays is not None) and purpose not in j.hours_exempt_purposes:
            found.append(code)
        found.extend(
            key
            for key, window in CALLER_HOURS.items()
            if window.jurisdiction == code
            and caller in window.callers
            and purpose in window.purposes
            and line in window.lines
        )
    return tuple(found)


@functools.lru_cache(maxsize=DECISIONS)
def decide(facts: CallFacts, jurisdictions: frozenset[str] | None = None) -> Verdict:
    """Decide a call from its facts. ``jurisdictions``: the ``Guard`` option (``None``: all known).

    For each jurisdiction in play, in order: left out by the option (:func:`_excluded`); a text
    under an electronic-message law (:func:`_electronic_message`); its lists
    (:func:`_list_rules`); the seller's requests and prerecorded calls (:func:`_country_rules`);
    call kinds and frequency caps; calling hours (:func:`_hours_rules`). Then the state lists
    no jurisdiction in play governs (:func:`_unruled_state_lists`).
    """
    reasons: list[Reason] = []
    exemptions: list[Exemption] = []
    applied: list[str] = []
    masks = dict(facts.exemptions)
    hour_codes = time_rules(facts, jurisdictions)
    for code in facts.jurisdictions:
        j = _rules(code)
        if not _applies(code, jurisdictions):
            reasons.append(_excluded(j))
            continue
        applied.append(code)
        own = masks.get(code, _NO_MASKS)
        if facts.channel == "text" and code in TEXT_RULES:
            _electronic_message(code, facts, reasons, exemptions)
            continue  # neither its lists nor its hours (hour_rules leaves it out for texts)
        _list_rules(j, facts, own, reasons, exemptions)
        if j.is_country:
            _country_rules(j, facts, own, reasons)
        _call_kind_rules(code, facts, own, reasons)
        _frequency_cap(code, facts, reasons)
        if any(time_rule_owner(key) == code for key in hour_codes):
            _hours_rules(j, facts, hour_codes, reasons)
    _unruled_state_lists(facts, jurisdictions, masks, reasons, exemptions)
    return Verdict(not reasons, tuple(reasons), tuple(exemptions), tuple(applied))


def _excluded(j: Jurisdiction) -> Reason:
    """A jurisdiction the ``jurisdictions`` option leaves out blocks the calls that reach it."""
    return Reason(
        code=ReasonCode.JURISDICTION_EXCLUDED,
        jurisdiction=j.code,
        rule=EXCLUDED_RULE,
        message=f"the call reaches {j.name}, whose rules this Guard leaves out",
    )


def _list_rules(
    j: Jurisdiction,
    facts: CallFacts,
    own: tuple[DayMask, ...],
    reasons: list[Reason],
    exemptions: list[Exemption],
) -> None:
    """Each list ``j`` governs blocks a listed number unless an exemption applies; where the
    answer depends on the national copy, an uncovered area code or a stale copy blocks too."""
    code = j.code
    day = facts.day
    for which in j.lists:
        if which == "national":
            if j.country != facts.country:
                continue  # this country's registry holds only its own numbers
            listed = facts.national_listed
            unknown = j.is_country and not (facts.national_covered and _on(facts.national_fresh, day))
        else:
            listed = _on(dict(facts.state_listed).get(code, 0), day)
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


def _country_rules(
    j: Jurisdiction, facts: CallFacts, own: tuple[DayMask, ...], reasons: list[Reason]
) -> None:
    """A country's rules beyond its list: the seller's do-not-call requests, and prerecorded
    sales calls, each unless a consent holds."""
    day = facts.day
    consent = _on(own[3], day)
    if facts.purpose not in j.internal_list_exempt_purposes and _on(facts.requested, day) and not consent:
        reasons.append(
            Reason(
                code=ReasonCode.INTERNAL_LIST,
                jurisdiction=j.code,
                rule=j.internal_list_rule,
                message="the called party asked this seller not to call, and gave no consent since",
            )
        )
    if facts.prerecorded and facts.purpose in j.prerecorded_purposes and not consent:
        reasons.append(
            Reason(
                code=ReasonCode.PRERECORDED_WITHOUT_CONSENT,
                jurisdiction=j.code,
                rule=j.prerecorded_rule,
                message="a prerecorded sales call needs the called party's express written consent",
            )
        )


def _hours_rules(
    j: Jurisdiction, facts: CallFacts, hour_codes: tuple[str, ...], reasons: list[Reason]
) -> None:
    """Calling hours, day and holiday bans of ``j`` (its time rules among ``hour_codes``: its own
    hours, and the windows of ``CALLER_HOURS`` binding this call): failed in some candidate zone,
    or unknowable without a location (said once, by the country or the first).

    One ``calling_hours`` reason per jurisdiction, citing each of its time rules that failed
    (``"Miss. Code 77-3-723(1); Miss. Code 79-11-524"`` when both Mississippi windows do)."""
    code = j.code
    mine = [key for key in hour_codes if time_rule_owner(key) == code]
    if not facts.location_known:
        if code == facts.country or code == time_rule_owner(hour_codes[0]):
            reasons.append(
                Reason(
                    code=ReasonCode.CALLING_HOURS,
                    jurisdiction=code,
                    rule=j.hours_rule if code in mine else "; ".join(_hours_citation(j, k) for k in mine),
                    message="location unknown: give callee_timezone or callee_region for this number",
                )
            )
        return
    failed = [key for key in mine if key in facts.hours_failed]
    if failed:
        messages = [
            f"outside {j.name} calling hours, days or holidays (local time)"
            if key == code
            else f"outside the hours {CALLER_HOURS[key].rule} sets for this call:"
            f" {_week_text(CALLER_HOURS[key].hours.days)} (local time)"
            for key in failed
        ]
        message = "; ".join(messages)
        reasons.append(
            Reason(
                code=ReasonCode.CALLING_HOURS,
                jurisdiction=code,
                rule="; ".join(_hours_citation(j, key) for key in failed),
                message=message,
            )
        )


def _hours_citation(j: Jurisdiction, key: str) -> str:
    """The citation of time rule ``key`` of ``j``: its own hours (or holidays), or a window's."""
    if key == j.code:
        return j.hours_rule if j.hours is not None else j.holidays_rule
    return CALLER_HOURS[key].rule


def _week_text(days: tuple[object, ...]) -> str:
    """A window's week in words, e.g. ``09:00-21:00 Monday-Saturday, no calls on Sunday``."""
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    parts: list[str] = []
    i = 0
    while i < 7:
        h = days[i]
        k = i
        while k + 1 < 7 and days[k + 1] == h:
            k += 1
        span = names[i] if k == i else f"{names[i]}-{names[k]}"
        if isinstance(h, Hours):
            parts.append(f"{h.start // 60:02d}:{h.start % 60:02d}-{h.end // 60:02d}:{h.end % 60:02d} {span}")
        else:
            parts.append(f"no calls on {span}")
        i = k + 1
    return ", ".join(parts)


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
    * A prerecorded call soliciting a charitable contribution, made by a telemarketer, may only
      reach the charity's members and previous donors (``facts.supporter``); a consent or a
      business relationship does not replace that.
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
    charity = PRERECORDED_CHARITY.get(code)
    if (
        charity is not None
        and facts.prerecorded
        and facts.purpose in charity.purposes
        and facts.caller in charity.callers
        and not _on(facts.supporter, facts.day)
    ):
        reasons.append(
            Reason(
                code=ReasonCode.PRERECORDED_WITHOUT_CONSENT,
                jurisdiction=code,
                rule=charity.rule,
                message="a prerecorded charity call by a telemarketer may only reach the charity's members"
                f" or previous donors (a donation in the {charity.donor_window.n} months before the call):"
                " the call shows neither",
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
