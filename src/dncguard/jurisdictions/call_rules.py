"""Law for the call types the next rules add: frequency caps, automated dialing, Canadian texts.

**Used by rules added next.** No rule reads these tables yet: the decision engine gains
``channel="text"``, ``automated=True`` and ``Call.attempts`` in a following change. The numbers
live here now so that every number of the law stays in ``jurisdictions/``, each with its citation
and a :class:`~dncguard.jurisdictions.base.Basis` saying whether the statute text was read.

* :data:`FREQUENCY_CAPS`: at most ``calls`` telephone solicitations in a rolling window of
  ``window_minutes`` to one called number on one subject, whatever number the seller dials from.
* :data:`AUTOMATED_DIALING`: states whose law requires prior express written consent (a signed
  writing; an electronic signature counts) for a sales call that uses an automated system for
  the selection or dialing of numbers; ``relationship_exempts`` says whether the statute's own
  scope takes a call to an existing customer outside the rule (``False`` where the text is
  unclear or was not read: fail closed).
* :data:`CALLER_HOURS`: calling hours that bind only some callers' calls (Mississippi's paid
  fund-raisers, Miss. Code 79-11-524), on top of the jurisdiction's own hours.
* :data:`CASL_IMPLIED_CONSENT`: how long a Canadian existing business relationship implies
  consent to a commercial electronic message (a text), S.C. 2010, c. 23, s. 10(10).

References (official texts):

* Fla. Stat. 501.059, 501.616: https://www.flsenate.gov/Laws/Statutes
* Okla. Stat. tit. 15, 775C.1 et seq. (Telephone Solicitation Act of 2022): https://oksenate.gov
* Md. Code Com. Law 14-4501 et seq. (Stop the Spam Calls Act of 2023): https://mgaleg.maryland.gov
* An Act to promote the efficiency and adaptability of the Canadian economy ... (CASL), S.C. 2010,
  c. 23, s. 10: https://laws-lois.justice.gc.ca/eng/acts/E-1.6/

>>> FREQUENCY_CAPS["US-FL"].calls, FREQUENCY_CAPS["US-FL"].window_minutes
(3, 1440)
>>> AUTOMATED_DIALING["US-MD"].relationship_exempts
False
>>> CALLER_HOURS["US-MS fund-raisers"].hours.days[0], CALLER_HOURS["US-MS fund-raisers"].hours.days[6]
(Hours(start=540, end=1260), None)
>>> CASL_IMPLIED_CONSENT.purchase, CASL_IMPLIED_CONSENT.inquiry
(Months(n=24), Months(n=6))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from dncguard.jurisdictions.base import Basis, CallerHours, EbrWindows, Hours, Months, Week

__all__ = [
    "AUTOMATED_DIALING",
    "CALLER_HOURS",
    "CASL_BASIS",
    "CASL_CONSENT_KINDS",
    "CASL_EXPRESS_RULE",
    "CASL_IMPLIED_CONSENT",
    "CASL_PURPOSES",
    "CASL_RULE",
    "CASL_UNSUBSCRIBE_RULE",
    "FREQUENCY_CAPS",
    "PRERECORDED_CHARITY",
    "PRERECORDED_CHARITY_RULE",
    "PRERECORDED_WIRELESS",
    "PREVIOUS_DONOR_WINDOW",
    "TEXT_RULES",
    "AutomatedDialingRule",
    "FrequencyCap",
    "PrerecordedCharityRule",
    "PrerecordedWirelessRule",
]

Channel = Literal["voice", "text"]

_DAY_MINUTES: Final = 24 * 60


@dataclass(frozen=True)
class FrequencyCap:
    """At most ``calls`` solicitations in ``window_minutes`` to one number on one subject.

    ``exemptions``: what lifts the cap, in the statute's words (``""``: nothing does);
    ``channels``: the call kinds it counts.
    """

    jurisdiction: str
    calls: int
    window_minutes: int
    exemptions: str
    channels: tuple[Channel, ...]
    rule: str
    basis: Basis
    purposes: frozenset[str] = frozenset({"sale", "newspaper_subscription"})
    """The purposes the cap reaches: commercial solicitations (exempt purposes are outside it)."""


@dataclass(frozen=True)
class AutomatedDialingRule:
    """A state's prior-express-written-consent rule for automated selection or dialing."""

    jurisdiction: str
    consent_kinds: frozenset[str]
    relationship_exempts: bool
    scope: str
    rule: str
    basis: Basis
    purposes: frozenset[str] = frozenset({"sale", "newspaper_subscription"})
    """The call purposes the rule reaches: sales calls (a survey with sales content is a sale)."""


_WRITTEN: Final = frozenset({"written", "electronic"})


@dataclass(frozen=True)
class PrerecordedWirelessRule:
    """An artificial or prerecorded voice call to a wireless number needs the called party's
    prior express consent whatever the purpose; ``consent_kinds`` are the kinds that show it for
    a call not selling anything (a selling call needs the country's written consent as well).
    ``lines``: the line types treated as wireless (``"unknown"`` too: fail closed)."""

    jurisdiction: str
    lines: frozenset[str]
    consent_kinds: frozenset[str]
    rule: str
    basis: Basis


# 47 CFR 64.1200(a)(1)(iii): no call "using any automatic telephone dialing system or an artificial
# or prerecorded voice ... to any telephone number assigned to a ... cellular telephone service"
# other than for emergency purposes or with the prior express consent of the called party; prior
# express consent may be given orally (the FCC's 1992 and 2015 orders), so a recorded or plain
# verbal consent counts for a call that sells nothing. A selling call needs prior express written
# consent ((a)(2)): the country's prerecorded rule. Most US numbers are wireless and a number's
# line type is often unknown: ``unknown`` is read as wireless (docs/defaults.md, fail closed).
PRERECORDED_WIRELESS: Final[Mapping[str, PrerecordedWirelessRule]] = MappingProxyType(
    {
        "US": PrerecordedWirelessRule(
            "US",
            frozenset({"wireless", "unknown"}),
            frozenset({"written", "electronic", "recorded_verbal", "verbal"}),
            "47 CFR 64.1200(a)(1)(iii)",
            Basis(
                "prerecorded",
                "47 CFR 64.1200(a)(1)(iii), (a)(2)",
                True,
                "https://www.ecfr.gov/current/title-47/chapter-I/subchapter-B/part-64/subpart-L/section-64.1200",
                "64.1200(a)(1) read in the GPO 2003/2008 and 2021 editions; oral consent from the FCC's"
                " orders as summarised in the design research",
            ),
        ),
    }
)
"""Prerecorded or artificial voice calls to wireless numbers, by country."""


@dataclass(frozen=True)
class PrerecordedCharityRule:
    """A prerecorded call soliciting a charitable contribution, placed by one of ``callers`` (a
    for-profit telemarketer), may reach only the charity's members and its previous donors: a
    donation within ``donor_window`` before the call, or a membership in force on the call's day.
    No consent or business relationship replaces that (the rule names none)."""

    jurisdiction: str
    purposes: frozenset[str]
    callers: frozenset[str]
    donor_window: Months
    rule: str
    basis: Basis


# 16 CFR 310.4(b)(1)(v): an outbound telephone call delivering a prerecorded message is an abusive
# practice unless (A) for a sale, the seller holds the person's express written agreement, or (B)
# the call is "to induce a charitable contribution from a member of, or previous donor to, a
# non-profit charitable organization on whose behalf the call is made" (with the opt-out the
# rule describes). The TSR reaches for-profit telemarketers soliciting for a charity (USA PATRIOT
# Act 2001); a non-profit calling for itself is outside the FTC's jurisdiction. 16 CFR 310.2
# (2024 amendments, 89 FR 26760): a "previous donor" gave to that charity within the two years
# before the call. A membership counts while in force. Whether the message offers the opt-out
# cannot be seen from a call's fields and is not checked.
PRERECORDED_CHARITY_RULE: Final = "16 CFR 310.4(b)(1)(v)(B); 16 CFR 310.2 (previous donor)"
PREVIOUS_DONOR_WINDOW: Final = Months(24)
PRERECORDED_CHARITY: Final[Mapping[str, PrerecordedCharityRule]] = MappingProxyType(
    {
        "US": PrerecordedCharityRule(
            "US",
            frozenset({"donation"}),
            frozenset({"telemarketer"}),
            PREVIOUS_DONOR_WINDOW,
            PRERECORDED_CHARITY_RULE,
            Basis(
                "prerecorded",
                PRERECORDED_CHARITY_RULE,
                False,
                "https://www.ecfr.gov/current/title-16/chapter-I/subchapter-C/part-310",
                "the member/previous-donor limit from the FTC's own summary for telefunders (no "
                "'cold' prerecorded calls; opt-out on calls to a member or previous donor) and the "
                "design research; the 310.2 'previous donor' text (two years) was not read",
            ),
        ),
    }
)
"""Prerecorded charity calls by telemarketers, by country."""

FREQUENCY_CAPS: Final[Mapping[str, FrequencyCap]] = MappingProxyType(
    {
        # Fla. Stat. 501.616(6)(b) (SB 1120, 2021): not "more than three commercial telephone
        # solicitation phone calls from any number to a person over a 24-hour period on the same
        # subject matter or issue, regardless of the phone number used to make the call". The
        # 501.604 exemptions do not reach 501.616(6); no consent or relationship exception.
        # 501.616(6) names "phone calls"; texts are counted too (fail closed: 501.059 treats a
        # text message as a telephonic sales call).
        "US-FL": FrequencyCap(
            "US-FL",
            3,
            _DAY_MINUTES,
            "",
            ("voice", "text"),
            "Fla. Stat. 501.616(6)(b)",
            Basis(
                "frequency_cap",
                "Fla. Stat. 501.616(6)(b)",
                True,
                "https://www.flsenate.gov/Session/Bill/2021/1120/BillText/er/HTML",
                "SB 1120 text read; that 501.604's exemptions do not lift the cap is from secondary notes",
            ),
        ),
        # Telephone Solicitation Act of 2022: the same three-in-24-hours cap; the Act's own
        # exemptions (15 O.S. 775C.5, among them a business-to-business call and an existing
        # business relationship) apply. Section number and exemptions from secondary sources.
        "US-OK": FrequencyCap(
            "US-OK",
            3,
            _DAY_MINUTES,
            "the Act's exemptions (15 O.S. 775C.5)",
            ("voice", "text"),
            "Okla. Stat. tit. 15, 775C.4",
            Basis(
                "frequency_cap",
                "Okla. Stat. tit. 15, 775C.4",
                False,
                note="DNC.com and Consumer Finance Monitor (2022) summaries; the section text was not read",
            ),
        ),
        # Stop the Spam Calls Act of 2023 (in force 1 January 2024): three calls or text messages
        # per 24 hours on the same subject; 14-4502(a)(1)'s exemptions apply.
        "US-MD": FrequencyCap(
            "US-MD",
            3,
            _DAY_MINUTES,
            "Md. Code Com. Law 14-4502(a)(1)",
            ("voice", "text"),
            "Md. Code Com. Law 14-4503",
            Basis(
                "frequency_cap",
                "Md. Code Com. Law 14-4503",
                False,
                note="WMAR and Kelley Drye (2024) summaries; the section number is not confirmed",
            ),
        ),
    }
)
"""Frequency caps by jurisdiction (no other state cap was found). Used by rules added next."""

AUTOMATED_DIALING: Final[Mapping[str, AutomatedDialingRule]] = MappingProxyType(
    {
        # Fla. Stat. 501.059(8)(a) as amended by CS/CS/HB 761 (2023): no "unsolicited" telephonic
        # sales call involving an automated system for the selection and dialing of numbers or a
        # recorded message without prior express written consent (501.059(1)(g): signed, E-SIGN
        # counts). The 2012 definition of "unsolicited" left out calls to a person with a prior or
        # existing business relationship; the current 501.059(1) text was not read: fail closed.
        "US-FL": AutomatedDialingRule(
            "US-FL",
            _WRITTEN,
            False,
            "unsolicited telephonic sales calls (calls and texts) using an automated system for the "
            "selection and dialing of numbers or a recorded message",
            "Fla. Stat. 501.059(8)(a)",
            Basis(
                "automated_dialing",
                "Fla. Stat. 501.059(1)(g), (8)(a)",
                False,
                note="501.059(1)(g) read (a copy of the 2021 text); (8)(a) as amended in 2023 and "
                "the current definition of 'unsolicited' not read",
            ),
        ),
        # Okla. Stat. tit. 15, 775C.2(3): prior express written consent for a commercial
        # telephonic sales call "using an automated system for the selection or dialing of
        # telephone numbers, the playing of a recorded message ... or the transmission of a
        # prerecorded voicemail". The prohibition (775C.3) and its exemptions were not read.
        "US-OK": AutomatedDialingRule(
            "US-OK",
            _WRITTEN,
            False,
            "commercial telephonic sales calls using an automated system for the selection or "
            "dialing of numbers or a recorded message",
            "Okla. Stat. tit. 15, 775C.3",
            Basis(
                "automated_dialing",
                "Okla. Stat. tit. 15, 775C.2(3), 775C.3",
                False,
                note="775C.2 read (copies of the code); 775C.3 and the Act's relationship exemption "
                "from summaries only: not applied (fail closed)",
            ),
        ),
        # Md. Code Com. Law 14-4502(a)(3): "Without the prior express written consent of the called
        # party, a person may not make or cause to be made a telephone solicitation that involves
        # (i) an automated system for the selection or dialing of telephone numbers; or (ii) the
        # playing of a recorded message". (a)(1) exempts a business-customer communication only
        # when it starts as informational and becomes a solicitation on the customer's inquiry:
        # no general relationship exemption.
        "US-MD": AutomatedDialingRule(
            "US-MD",
            _WRITTEN,
            False,
            "telephone solicitations (calls and texts) using an automated system for the selection "
            "or dialing of numbers or a recorded message",
            "Md. Code Com. Law 14-4502(a)(3)",
            Basis(
                "automated_dialing",
                "Md. Code Com. Law 14-4501(d), 14-4502(a)",
                True,
                "https://mgaleg.maryland.gov/mgawebsite/Laws/StatuteText?article=gcl&section=14-4502",
                "read via copies of the code (Lexace, self-law)",
            ),
        ),
    }
)
"""States requiring prior express written consent for automated dialing. Used by rules added next."""

# S.C. 2010, c. 23, s. 10(9)(a) and (10): consent is implied by an existing business relationship
# arising from (a) a purchase or lease of a product, goods, a service, land or an interest in land
# within the two-year period before the message, (b) the acceptance of a business opportunity in
# that period, (c) a written contract in force or expired within that period, (d) an inquiry or
# application within the six-month period before the message. A do-not-call list and the UTR
# calling hours do not govern a commercial electronic message.
CASL_RULE: Final = "S.C. 2010, c. 23, s. 10(10)"
CASL_IMPLIED_CONSENT: Final = EbrWindows(Months(24), Months(6), Months(24), CASL_RULE)
"""Canadian implied consent to a commercial text, by relationship. Used by rules added next."""
CASL_BASIS: Final = Basis(
    "texts",
    CASL_RULE,
    False,
    note="two years / six months from law-firm summaries (Blakes, Stewart McKelvey, 2014) and the "
    "design research; s. 10(10)'s text was not read in this audit",
)

# S.C. 2010, c. 23, s. 6(1): no commercial electronic message without the recipient's express or
# implied consent. s. 10(1) and the CRTC's Electronic Commerce Protection Regulations (CRTC),
# SOR/2012-36, with Telecom Regulatory Policy CRTC 2012-183: express consent may be obtained in
# writing (paper or electronic) or orally, and oral consent must be verifiable (an audio recording
# or an independent third party): ``written``, ``electronic``, ``recorded_verbal``; plain
# ``verbal`` is not proof (fail closed).
CASL_EXPRESS_RULE: Final = "S.C. 2010, c. 23, s. 6(1), 10(1)"
CASL_CONSENT_KINDS: Final = frozenset({"written", "electronic", "recorded_verbal"})
# s. 1(2): a message is commercial if one of its purposes is to encourage participation in a
# commercial activity (a sale; a newspaper subscription). Surveys, political and informational
# messages are not; a registered charity's fundraising message is excluded by s. 3(g) of the
# Electronic Commerce Protection Regulations, SOR/2013-221.
CASL_PURPOSES: Final = frozenset({"sale", "newspaper_subscription"})
# s. 11(3): an unsubscribe request takes effect no later than 10 business days after it is sent;
# dncguard honours it from the day it is recorded (docs/defaults.md), and it ends implied consent and an
# earlier express consent alike.
CASL_UNSUBSCRIBE_RULE: Final = "S.C. 2010, c. 23, s. 11(3)"

TEXT_RULES: Final[Mapping[str, str]] = MappingProxyType({"CA": CASL_RULE})
"""Countries where a commercial text is governed by an electronic-message law (CASL) instead of
the telemarketing rules: their do-not-call list, internal-list and calling-hour rules do not
govern a text; consent does (``channel="text"``, docs/defaults.md#channels-texts)."""

# Miss. Code 79-11-524 ("Restrictions on hours of telephone solicitation", in the Regulation of
# Charitable Solicitations, Miss. Code 79-11-501 et seq.): "Any fund-raising counsel, professional
# fund-raiser, professional solicitor or employee of any of these who makes a telephone
# solicitation subject to the provisions of this chapter to a residential telephone number shall
# make calls only between the hours of 9:00 a.m. and 9:00 p.m., Monday through Saturday. No calls
# shall be made on Sundays." This is on top of Miss. Code 77-3-723(1) (08:00-20:00 Central
# Standard Time, no Sunday; the US-MS rule set), which a donation call also meets: a paid
# fund-raiser's call may start 09:00-20:00 local time, Monday to Saturday.
# * Who: fund-raising counsel, professional fund-raisers, professional solicitors and their
#   employees. A paid calling firm (``caller="telemarketer"``) is one. The section does not name a
#   charity's own officers and employees, but 79-11-501's definition of "professional
#   fund-raiser" ends: "A bona fide officer or employee of a charitable organization shall not be
#   deemed a professional fund-raiser unless his salary or other compensation is paid as a
#   commission which is computed on the basis of funds to be raised or actually raised". A call
#   does not say how its caller is paid, so a charity calling for itself (``caller="charity"``) is
#   bound too (fail closed: its commission-paid staff are professional fund-raisers).
#   ``caller="seller"`` with a donation purpose is a business other than a charity calling for
#   itself (docs/calls.md): whether it is a professional fund-raiser or solicitor cannot be told
#   from the call, so the window binds it as well.
# * What: a solicitation "subject to the provisions of this chapter", a charitable one:
#   ``purpose="donation"``.
# * Where: "to a residential telephone number". A business line is not one; a wireless number is
#   presumed residential (docs/defaults.md#business-lines) and a line of unknown kind is treated
#   as residential (fail closed).
# * When: the statute names no time zone (unlike 77-3-723): read on the called party's local time,
#   in every candidate zone. No holiday ban.
_MS_FUND_RAISERS_RULE: Final = "Miss. Code 79-11-524"
CALLER_HOURS: Final[Mapping[str, CallerHours]] = MappingProxyType(
    {
        "US-MS fund-raisers": CallerHours(
            key="US-MS fund-raisers",
            jurisdiction="US-MS",
            hours=Week.of(Hours.of("09:00", "21:00"), sunday=None),
            callers=frozenset({"telemarketer", "seller", "charity"}),
            purposes=frozenset({"donation"}),
            lines=frozenset({"residential", "wireless", "unknown"}),
            rule=_MS_FUND_RAISERS_RULE,
            basis=Basis(
                "hours",
                _MS_FUND_RAISERS_RULE,
                True,
                "https://github.com/UniCourt/cic-code-ms/blob/master/transforms/ms/ocms/r78/"
                "gov.ms.code.title.79.html#t79c11s79-11-524",
                "read in the Official Code of Mississippi Annotated, Release 78 (2020-07-08), as posted "
                "by Public.Resource.Org (79-11-524: Laws 1997, ch. 444, s. 18; the definitions of "
                "79-11-501 read there too), and in a copy of the code (getpocketlaw, the same text)",
            ),
        ),
    }
)
"""Calling hours that bind only some calls into a jurisdiction, by time-rule key
(:class:`~dncguard.jurisdictions.base.CallerHours`): a call they bind meets them and the
jurisdiction's own hours alike."""
