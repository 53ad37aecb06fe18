"""United States federal rules: the Telemarketing Sales Rule and the TCPA rules.

Two regimes stack and dncguard applies the stricter of them (docs/defaults.md):

* FTC Telemarketing Sales Rule, 16 CFR Part 310 (https://www.ecfr.gov/current/title-16/part-310)
* FCC TCPA rules, 47 CFR 64.1200 (https://www.ecfr.gov/current/title-47/section-64.1200)

References (official texts):

* 16 CFR 310.2, 310.4, 310.6, 310.8: https://www.ecfr.gov/current/title-16/chapter-I/subchapter-C/part-310
* 47 CFR 64.1200(a), (c), (d), (f): https://www.ecfr.gov/current/title-47/chapter-I/subchapter-B/part-64/subpart-L/section-64.1200
* 5 U.S.C. 6103 (federal holidays, used by the state calendars): https://uscode.house.gov

Each row records what it rests on (``US.basis``): the federal rows were read in the GPO and
Cornell copies of the rules during the design research; this audit re-read 47 CFR 64.1200(a)
(GPO 2003 and 2008 editions, the 2021 edition's (a)(1)) for the prerecorded-call row.

>>> US.ebr.purchase, US.ebr.inquiry
(Months(n=18), Months(n=3))
>>> US.hours.days[6]
Hours(start=480, end=1260)
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from dncguard.codes import ExemptionCode
from dncguard.jurisdictions.base import Basis, EbrWindows, Hours, Jurisdiction, Months, PurposeExemption, Week

__all__ = [
    "CALLING_HOURS",
    "CHARITY_CALLERS",
    "CONSENT_KINDS",
    "EBR_AFTER_CONTRACT_END",
    "EBR_AFTER_INQUIRY",
    "EBR_AFTER_PURCHASE",
    "REGISTRY_MAX_AGE_DAYS",
    "US",
]

# 16 CFR 310.2 "established business relationship" (1); 47 CFR 64.1200(f)(5): the last purchase,
# rental, lease or financial transaction within the 18 months immediately preceding the call.
EBR_AFTER_PURCHASE: Final = Months(18)
# 16 CFR 310.2 "established business relationship" (2); 47 CFR 64.1200(f)(5): an inquiry or
# application within the 3 months immediately preceding the call.
EBR_AFTER_INQUIRY: Final = Months(3)
# A contract is a continuing financial transaction (16 CFR 310.2): it supports calls while in force
# and for the purchase window after it ends, its last possible transaction date. (No rule names a
# separate US contract window; this reading never exceeds the purchase window.)
EBR_AFTER_CONTRACT_END: Final = EBR_AFTER_PURCHASE
EBR_RULE: Final = "16 CFR 310.2 (established business relationship); 47 CFR 64.1200(f)(5)"

# 16 CFR 310.4(b)(1)(iii)(B)(1); 47 CFR 64.1200(c)(2)(ii): a signed written agreement (E-SIGN
# signatures count) naming the seller and the number. Plain verbal consent never counts (docs/defaults.md).
CONSENT_KINDS: Final = frozenset({"written", "electronic"})
CONSENT_RULE: Final = "16 CFR 310.4(b)(1)(iii)(B)(1); 47 CFR 64.1200(c)(2)(ii)"

# 16 CFR 310.4(c); 47 CFR 64.1200(c)(1): not before 08:00 or after 21:00 at the called person's
# location; both ends permitted (docs/defaults.md#calling-hours, #calling-hours).
CALLING_HOURS: Final = Hours.of("08:00", "21:00")
HOURS_RULE: Final = "16 CFR 310.4(c); 47 CFR 64.1200(c)(1)"

# 16 CFR 310.4(b)(3)(iv); 47 CFR 64.1200(c)(2)(i)(D): a registry copy obtained no more than 31
# days before the call (calendar dates, per area code, docs/defaults.md).
REGISTRY_MAX_AGE_DAYS: Final = 31
FRESH_RULE: Final = "16 CFR 310.4(b)(3)(iv); 47 CFR 64.1200(c)(2)(i)(D)"
# 16 CFR 310.8: no calls into an area code whose registry data the seller has not accessed.
COVERAGE_RULE: Final = "16 CFR 310.8"

REGISTRY_RULE: Final = "16 CFR 310.4(b)(1)(iii)(B); 47 CFR 64.1200(c)(2)"
INTERNAL_LIST_RULE: Final = "16 CFR 310.4(b)(1)(iii)(A); 47 CFR 64.1200(d)"

# Surveys, political and informational calls are neither "telemarketing" (16 CFR 310.2) nor
# "telephone solicitation" (47 CFR 64.1200(f)(15)).
NOT_TELEMARKETING_RULE: Final = "16 CFR 310.2 (telemarketing); 47 CFR 64.1200(f)(15)"

# Who may rely on the charity exemption: a charity's own staff, or a telemarketer soliciting for
# it (16 CFR 310.6(a); 47 CFR 64.1200(f)(15)(iii); docs/defaults.md#exempt-purposes).
CHARITY_CALLERS: Final = frozenset({"charity", "telemarketer"})

# 16 CFR 310.4(b)(1)(v): prerecorded sales calls need the person's express written agreement; a
# relationship is not enough. 47 CFR 64.1200(a)(3) covers residential lines; wireless numbers are
# (a)(1)(iii) (any prerecorded call needs prior express consent) and (a)(2) (a sales call, prior
# express written consent). dncguard applies the written rule to every selling prerecorded call,
# whatever the line.
PRERECORDED_RULE: Final = (
    "16 CFR 310.4(b)(1)(v); 47 CFR 64.1200(a)(3) (residential), (a)(1)(iii), (a)(2) (wireless)"
)
SELLING_PURPOSES: Final = frozenset({"sale", "newspaper_subscription"})

_EARLIER: Final = "read in GPO/Cornell copies during the design research, not re-read in this audit"

US: Final = Jurisdiction(
    code="US",
    name="United States (federal)",
    country="US",
    lists=("national",),
    list_rule=REGISTRY_RULE,
    ebr=EbrWindows(EBR_AFTER_PURCHASE, EBR_AFTER_INQUIRY, EBR_AFTER_CONTRACT_END, EBR_RULE),
    consent_kinds=CONSENT_KINDS,
    consent_rule=CONSENT_RULE,
    hours=Week.of(CALLING_HOURS),
    hours_rule=HOURS_RULE,
    # Surveys, political and informational calls are not telemarketing / telephone solicitations,
    # so the hour rules do not reach them (docs/defaults.md#exempt-purposes, #calling-hours).
    hours_exempt_purposes=frozenset({"survey", "political", "informational"}),
    list_exempt_purposes=MappingProxyType(
        {
            "donation": PurposeExemption(
                ExemptionCode.CHARITY, "16 CFR 310.6(a); 47 CFR 64.1200(f)(15)(iii)", CHARITY_CALLERS
            ),
            "political": PurposeExemption(ExemptionCode.POLITICAL, NOT_TELEMARKETING_RULE),
            "survey": PurposeExemption(ExemptionCode.SURVEY, NOT_TELEMARKETING_RULE),
            "informational": PurposeExemption(ExemptionCode.INFORMATIONAL, NOT_TELEMARKETING_RULE),
        }
    ),
    # 16 CFR 310.6(b)(7); 47 CFR 64.1200(c)(2) protects residential subscribers only (docs/defaults.md).
    business_line_rule="16 CFR 310.6(b)(7); 47 CFR 64.1200(c)(2)",
    internal_list_rule=INTERNAL_LIST_RULE,
    # docs/defaults.md#exempt-purposes names only Canada's survey carve-out; in the US every caller honours a
    # do-not-call request made to it (fail closed, docs/defaults.md#fail-closed).
    internal_list_exempt_purposes=frozenset(),
    prerecorded_purposes=SELLING_PURPOSES,
    prerecorded_consent_kinds=CONSENT_KINDS,
    prerecorded_rule=PRERECORDED_RULE,
    fresh_days=REGISTRY_MAX_AGE_DAYS,
    fresh_rule=FRESH_RULE,
    coverage_rule=COVERAGE_RULE,
    source="16 CFR 310; 47 CFR 64.1200",
    basis=(
        Basis("list", REGISTRY_RULE, False, note=_EARLIER),
        Basis("ebr", EBR_RULE, False, note=_EARLIER + "; the contract reading is dncguard's"),
        Basis("consent", CONSENT_RULE, False, note=_EARLIER),
        Basis("hours", HOURS_RULE, False, note=_EARLIER),
        Basis("fresh", FRESH_RULE, False, note=_EARLIER),
        Basis("exemptions", NOT_TELEMARKETING_RULE, False, note=_EARLIER),
        Basis(
            "prerecorded",
            PRERECORDED_RULE,
            True,
            "https://www.ecfr.gov/current/title-47/chapter-I/subchapter-B/part-64/subpart-L/section-64.1200",
            "64.1200(a) read in the GPO 2003/2008 and 2021 editions; 16 CFR 310.4(b)(1)(v) not re-read",
        ),
    ),
)
"""The US federal rule set."""
