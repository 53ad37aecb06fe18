"""Canada: Telecommunications Act s. 41.7 and the CRTC Unsolicited Telecommunications Rules.

References (official texts):

* Telecommunications Act, S.C. 1993, c. 38, s. 41.7 (https://laws-lois.justice.gc.ca/eng/acts/t-3.4/)
* Unsolicited Telecommunications Rules (UTR), Telecom Decision CRTC 2007-48 as amended
  (https://crtc.gc.ca/eng/trules-reglest.htm): Part II National DNCL Rules, Part III
  Telemarketing Rules, Part IV Automatic Dialing-Announcing Device (ADAD) Rules.

Each row records what it rests on (``CA.basis``): the CRTC's consolidated Rules and the operator's
pages were read during the design research; none was re-read in this audit.

>>> CA.ebr.purchase, CA.ebr.contract, CA.ebr.inquiry
(Months(n=18), Months(n=18), Months(n=6))
>>> CA.hours.days[0], CA.hours.days[5]
(Hours(start=540, end=1290), Hours(start=600, end=1080))
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from dncguard.codes import ExemptionCode
from dncguard.jurisdictions.base import Basis, EbrWindows, Hours, Jurisdiction, Months, PurposeExemption, Week

__all__ = [
    "CA",
    "CALLING_HOURS_WEEKDAYS",
    "CALLING_HOURS_WEEKENDS",
    "CONSENT_KINDS",
    "EBR_AFTER_CONTRACT_END",
    "EBR_AFTER_INQUIRY",
    "EBR_AFTER_PURCHASE",
    "REGISTRY_MAX_AGE_DAYS",
]

# Telecommunications Act s. 41.7(2): purchase, lease or rental within 18 months.
EBR_AFTER_PURCHASE: Final = Months(18)
# Telecommunications Act s. 41.7(2): a written contract in force or expired within 18 months.
EBR_AFTER_CONTRACT_END: Final = Months(18)
# Telecommunications Act s. 41.7(2): an inquiry or application within 6 months.
EBR_AFTER_INQUIRY: Final = Months(6)
EBR_RULE: Final = "Telecommunications Act s. 41.7(2)"

# UTR Part II s. 4: express consent, written (paper, electronic, online) or verbal recorded or
# verified by an independent third party; unrecorded verbal consent is not proof (docs/defaults.md#consent).
CONSENT_KINDS: Final = frozenset({"written", "electronic", "recorded_verbal"})
CONSENT_RULE: Final = "UTR Part II s. 4 (express consent)"

# UTR Part III: 09:00-21:30 Monday-Friday, 10:00-18:00 Saturday and Sunday, called consumer's
# local time (docs/defaults.md#calling-hours, #calling-hours).
CALLING_HOURS_WEEKDAYS: Final = Hours.of("09:00", "21:30")
CALLING_HOURS_WEEKENDS: Final = Hours.of("10:00", "18:00")
HOURS_RULE: Final = "UTR Part III (Telemarketing Rules), calling hours"

# UTR Part II: do not call numbers registered on the National DNCL for more than 31 days; a copy
# older than 31 days cannot show that (docs/defaults.md).
REGISTRY_MAX_AGE_DAYS: Final = 31
FRESH_RULE: Final = "UTR Part II (National DNCL Rules), 31-day list subscription"
COVERAGE_RULE: Final = "UTR Part II (National DNCL Rules), subscription to the area codes called"

REGISTRY_RULE: Final = "UTR Part II (National DNCL Rules) s. 4"
# Telecommunications Act s. 41.7(4) and UTR Part III: exempt callers keep internal lists too,
# except surveys (s. 41.7(5)).
INTERNAL_LIST_RULE: Final = "Telecommunications Act s. 41.7(4); UTR Part III"
INTERNAL_LIST_EXEMPT_PURPOSES: Final = frozenset({"survey"})

# Registered charities, calls by or on their behalf (Telecommunications Act s. 41.7(1)).
CHARITY_CALLERS: Final = frozenset({"charity", "telemarketer"})
EXEMPTION_RULE: Final = "Telecommunications Act s. 41.7(1)"

# UTR Part IV: ADAD calls for solicitation need express consent; no EBR exemption (docs/defaults.md).
PRERECORDED_RULE: Final = "UTR Part IV (ADAD Rules)"
SELLING_PURPOSES: Final = frozenset({"sale", "newspaper_subscription"})

_EARLIER: Final = "CRTC consolidated UTR page read during the design research, not re-read in this audit"

CA: Final = Jurisdiction(
    code="CA",
    name="Canada",
    country="CA",
    lists=("national",),
    list_rule=REGISTRY_RULE,
    ebr=EbrWindows(EBR_AFTER_PURCHASE, EBR_AFTER_INQUIRY, EBR_AFTER_CONTRACT_END, EBR_RULE),
    consent_kinds=CONSENT_KINDS,
    consent_rule=CONSENT_RULE,
    hours=Week.of(CALLING_HOURS_WEEKDAYS, saturday=CALLING_HOURS_WEEKENDS, sunday=CALLING_HOURS_WEEKENDS),
    hours_rule=HOURS_RULE,
    # Surveys and informational (collection, service) calls are not telemarketing (docs/defaults.md,
    # §6.7); Canadian political callers and charities keep the hours.
    hours_exempt_purposes=frozenset({"survey", "informational"}),
    list_exempt_purposes=MappingProxyType(
        {
            "donation": PurposeExemption(ExemptionCode.CHARITY, EXEMPTION_RULE, CHARITY_CALLERS),
            "political": PurposeExemption(ExemptionCode.POLITICAL, EXEMPTION_RULE),
            "survey": PurposeExemption(ExemptionCode.SURVEY, EXEMPTION_RULE),
            "newspaper_subscription": PurposeExemption(ExemptionCode.NEWSPAPER, EXEMPTION_RULE),
            # Not telemarketing at all (docs/defaults.md#exempt-purposes).
            "informational": PurposeExemption(ExemptionCode.INFORMATIONAL, "UTR Part II (telemarketing)"),
        }
    ),
    # The National DNCL Rules apply to consumers, not to business consumers (docs/defaults.md).
    business_line_rule="UTR Part II (National DNCL Rules): business consumers",
    internal_list_rule=INTERNAL_LIST_RULE,
    internal_list_exempt_purposes=INTERNAL_LIST_EXEMPT_PURPOSES,
    prerecorded_purposes=SELLING_PURPOSES,
    prerecorded_consent_kinds=CONSENT_KINDS,
    prerecorded_rule=PRERECORDED_RULE,
    fresh_days=REGISTRY_MAX_AGE_DAYS,
    fresh_rule=FRESH_RULE,
    coverage_rule=COVERAGE_RULE,
    source="Telecommunications Act s. 41.7; CRTC Unsolicited Telecommunications Rules",
    basis=(
        Basis("list", REGISTRY_RULE, False, note=_EARLIER),
        Basis("ebr", EBR_RULE, False, note=_EARLIER),
        Basis("consent", CONSENT_RULE, False, note=_EARLIER + " (operator's consent page)"),
        Basis("hours", HOURS_RULE, False, note=_EARLIER),
        Basis("fresh", FRESH_RULE, False, note=_EARLIER + " (operator FAQ: 31 days)"),
        Basis("exemptions", EXEMPTION_RULE, False, note=_EARLIER),
        Basis("prerecorded", PRERECORDED_RULE, False, note=_EARLIER),
    ),
)
"""The Canadian federal rule set."""
