"""US state rules: state do-not-call lists, their relationship windows, and stricter calling hours.

One data row per state that adds anything to the federal rules (RULES §2.1-2.3, §6.4, §6.7,
§6.11). A row names its statute (``source``), the lists whose exemptions its relationship windows
govern (``("state",)``: its own list; ``("national",)``: it keeps no list but sets its own
windows, which then govern its numbers on the national registry), its windows, its calling hours
per weekday (``None``: no calls that day) and the holiday calendar on whose days it bans calls.

Sources are mostly secondary (vendor and law-firm tables, confidence [M]/[L] in RULES §2); where
sources conflict the row takes the stricter reading and says so. Everything a state does not set
is the federal rule (``us.py``).

A state list binds in full from the date it was obtained: the grace periods some states give for
new entries (Texas 60 days, Tex. Bus. & Com. Code 304.052; Pennsylvania 30 days) are **not**
applied, because a download does not say which entries are new (RULES §6.11, which wins over the
issue text that asked for publication date plus grace period).

>>> TEXAS.hours.days[6], TEXAS.ebr.purchase
(Hours(start=720, end=1260), Months(n=12))
>>> INDIANA.ebr.purchase is None and INDIANA.ebr.inquiry is None
True
"""

from __future__ import annotations

from typing import Final

from dncguard.jurisdictions import us
from dncguard.jurisdictions.base import (
    BusinessDays,
    Days,
    EbrWindows,
    Hours,
    Jurisdiction,
    ListName,
    Months,
    Week,
    Window,
)

__all__ = [
    "ALABAMA",
    "CALIFORNIA",
    "COLORADO",
    "CONNECTICUT",
    "FLORIDA",
    "INDIANA",
    "KANSAS",
    "KENTUCKY",
    "LOUISIANA",
    "MARYLAND",
    "MASSACHUSETTS",
    "MICHIGAN",
    "MINNESOTA",
    "MISSISSIPPI",
    "MISSOURI",
    "MONTANA",
    "NEVADA",
    "NEW_JERSEY",
    "NEW_MEXICO",
    "OKLAHOMA",
    "PENNSYLVANIA",
    "RHODE_ISLAND",
    "TENNESSEE",
    "TEXAS",
    "UTAH",
    "WASHINGTON",
    "WISCONSIN",
    "WYOMING",
]

H = Hours.of
# State lists have no staleness rule of their own; ``dncguard info`` warns when a loaded state list
# is older than this (about one quarterly release cycle; RULES §6.2 and §2.1's quarterly cadences).
STATE_LIST_WARN_DAYS: Final = 92
# A contract in force exempts; nothing after it ends ("current agreement only").
IN_FORCE_ONLY: Final = Months(0)


def _windows(purchase: Window, inquiry: Window | None, rule: str) -> EbrWindows:
    """A state's windows; a contract counts like a purchase after it ends (as in ``us.py``)."""
    return EbrWindows(purchase, inquiry, purchase, rule)


def _state(
    code: str,
    name: str,
    source: str,
    *,
    lists: tuple[ListName, ...] = (),
    ebr: EbrWindows | None = None,
    hours: Week | None = None,
    holidays: str | None = None,
) -> Jurisdiction:
    """A state row: the state's own additions, the federal rules for everything else."""
    return Jurisdiction(
        code=code,
        name=name,
        country="US",
        lists=lists,
        list_rule=source,
        ebr=ebr,
        consent_kinds=us.CONSENT_KINDS,
        consent_rule=us.CONSENT_RULE,
        hours=hours,
        hours_rule=source,
        holidays=holidays,
        holidays_rule=source,
        hours_exempt_purposes=us.US.hours_exempt_purposes,
        list_exempt_purposes=us.US.list_exempt_purposes,
        source=source,
    )


def _federal_windows(rule: str) -> EbrWindows:
    # The statute exempts an established business relationship without a window of its own.
    return EbrWindows(us.EBR_AFTER_PURCHASE, us.EBR_AFTER_INQUIRY, us.EBR_AFTER_CONTRACT_END, rule)


# fmt: off
ALABAMA: Final = _state(
    "US-AL", "Alabama", "Ala. Code 8-19A",  # RULES §2.2
    hours=Week.of(H("08:00", "20:00"), sunday=None), holidays="US-AL")
CALIFORNIA: Final = _state(
    "US-CA", "California", "Cal. Bus. & Prof. Code 17590-17594",  # RULES §2.3
    # No list of its own (California adopted the national registry); an inquiry supports calls
    # for 30 business days, which governs California numbers on the national registry.
    lists=("national",),
    ebr=_windows(us.EBR_AFTER_PURCHASE, BusinessDays(30), "Cal. Bus. & Prof. Code 17592"))
COLORADO: Final = _state(
    "US-CO", "Colorado", "C.R.S. 6-1-901 to 6-1-908",  # RULES §2.1, §2.3
    lists=("state",), ebr=_windows(us.EBR_AFTER_PURCHASE, Days(30), "C.R.S. 6-1-903"))
CONNECTICUT: Final = _state(
    "US-CT", "Connecticut", "Conn. Gen. Stat. 42-288a",  # RULES §2.2, §2.3; older sources say 21:00
    lists=("national",), ebr=_windows(Months(12), Months(12), "Conn. Gen. Stat. 42-288a"),
    hours=Week.of(H("09:00", "20:00")))
FLORIDA: Final = _state(
    "US-FL", "Florida", "Fla. Stat. 501.059; 501.616(6) (SB 1120, 2021)",
    lists=("state",), ebr=_federal_windows("Fla. Stat. 501.059(1)"),
    hours=Week.of(H("08:00", "20:00")))
INDIANA: Final = _state(
    "US-IN", "Indiana", "Ind. Code 24-4.7",  # RULES §2.1, §2.3
    # No relationship exemption: only an existing contract not yet performed.
    lists=("state",), ebr=EbrWindows(None, None, IN_FORCE_ONLY, "Ind. Code 24-4.7-1-1"))
KANSAS: Final = _state(
    "US-KS", "Kansas", "K.S.A. 50-670",  # RULES §2.2
    hours=Week.of(H("09:00", "20:00")))
KENTUCKY: Final = _state(
    "US-KY", "Kentucky", "KRS 367.46955",  # RULES §2.2
    hours=Week.of(H("10:00", "21:00")))
LOUISIANA: Final = _state(
    "US-LA", "Louisiana", "La. R.S. 45:844.11 et seq.; LPSC telemarketing rules",  # RULES §2.2, §2.3
    lists=("state",), ebr=_windows(Months(6), Months(6), "La. R.S. 45:844.12"),
    hours=Week.of(H("08:00", "20:00"), sunday=None), holidays="US-LA")
MARYLAND: Final = _state(
    "US-MD", "Maryland", "Md. Code Com. Law 14-4501 (Stop the Spam Calls Act, 2024)",
    hours=Week.of(H("08:00", "20:00")))
MASSACHUSETTS: Final = _state(
    "US-MA", "Massachusetts", "M.G.L. c. 159C",  # RULES §2.1, §2.2
    lists=("state",), ebr=_federal_windows("M.G.L. c. 159C, s. 1"),
    hours=Week.of(H("08:00", "20:00")))
MICHIGAN: Final = _state(
    "US-MI", "Michigan", "MCL 445.111a",  # RULES §2.2, §2.3
    lists=("national",), ebr=_windows(Months(12), None, "MCL 445.111"),
    hours=Week.of(H("09:00", "21:00")))
MINNESOTA: Final = _state(
    "US-MN", "Minnesota", "Minn. Stat. 325E.27",  # RULES §2.2
    hours=Week.of(H("09:00", "21:00")))
MISSISSIPPI: Final = _state(
    "US-MS", "Mississippi", "Miss. Code 77-3-701 et seq.",  # RULES §2.1-2.3; list status unverified
    # Sources disagree on whether Mississippi keeps its own list: its window governs both a
    # loaded Mississippi list and Mississippi numbers on the national registry (stricter reading).
    lists=("state", "national"), ebr=_windows(Months(6), Months(6), "Miss. Code 77-3-703"),
    hours=Week.of(H("08:00", "20:00"), sunday=None))
MISSOURI: Final = _state(
    "US-MO", "Missouri", "Mo. Rev. Stat. 407.1095-407.1110",  # RULES §2.1, §2.3
    lists=("state",), ebr=_windows(Months(6), Months(6), "Mo. Rev. Stat. 407.1095"))
MONTANA: Final = _state(
    "US-MT", "Montana", "MCA 30-14-1601 et seq.",  # RULES §2.3
    lists=("national",), ebr=_windows(Months(6), Months(6), "MCA 30-14-1602"))
NEVADA: Final = _state(
    "US-NV", "Nevada", "NRS 228.590",  # RULES §2.2
    hours=Week.of(H("09:00", "20:00")))
NEW_JERSEY: Final = _state(
    "US-NJ", "New Jersey", "N.J.S.A. 56:8-119 et seq.",  # RULES §2.3
    # No inquiry-based relationship: a current agreement only.
    lists=("national",), ebr=EbrWindows(None, None, IN_FORCE_ONLY, "N.J.S.A. 56:8-119"))
NEW_MEXICO: Final = _state(
    "US-NM", "New Mexico", "NMSA 57-12-22",  # RULES §2.2, §2.3
    lists=("national",), ebr=_windows(Months(12), Months(12), "NMSA 57-12-22"),
    hours=Week.of(H("09:00", "21:00")))
OKLAHOMA: Final = _state(
    "US-OK", "Oklahoma", "Okla. Stat. tit. 15, 775B, 775C.4",  # RULES §2.1, §2.2
    lists=("state",), ebr=_federal_windows("Okla. Stat. tit. 15, 775B.2"),
    hours=Week.of(H("08:00", "20:00")))
PENNSYLVANIA: Final = _state(
    "US-PA", "Pennsylvania", "73 P.S. 2241 et seq. (Telemarketer Registration Act, 2019 amendments)",
    lists=("state",), ebr=_windows(Months(12), Months(12), "73 P.S. 2242"),
    # Some vendors report a 13:30 Sunday start: the stricter reading is kept (RULES §2.2).
    hours=Week.of(H("08:00", "21:00"), sunday=H("13:30", "21:00")), holidays="US-PA")
RHODE_ISLAND: Final = _state(
    "US-RI", "Rhode Island", "R.I. Gen. Laws 5-61-3.5",  # RULES §2.2
    hours=Week.of(H("09:00", "18:00"), saturday=H("10:00", "17:00"), sunday=None), holidays="US-RI")
TENNESSEE: Final = _state(
    "US-TN", "Tennessee", "Tenn. Code 65-4-401 et seq.",  # RULES §2.1, §2.3
    lists=("state",), ebr=_windows(Months(12), Months(12), "Tenn. Code 65-4-401"))
TEXAS: Final = _state(
    "US-TX", "Texas", "Tex. Bus. & Com. Code 301.051; 304.051-304.052",  # RULES §2.1-2.3
    lists=("state",), ebr=_windows(Months(12), Months(12), "Tex. Bus. & Com. Code 304.004"),
    hours=Week.of(H("09:00", "21:00"), sunday=H("12:00", "21:00")))
UTAH: Final = _state(
    "US-UT", "Utah", "Utah Code 13-25a-103",  # RULES §2.2
    hours=Week.of(H("08:00", "21:00"), sunday=None), holidays="US-UT")
WASHINGTON: Final = _state(
    "US-WA", "Washington", "RCW 80.36.390",  # RULES §2.2, §2.3
    lists=("national",), ebr=_windows(Months(12), Months(12), "RCW 80.36.390"),
    hours=Week.of(H("08:00", "20:00")))
WISCONSIN: Final = _state(
    "US-WI", "Wisconsin", "Wis. Stat. 100.52",  # RULES §2.1, §2.3; state list abolished
    lists=("national",), ebr=EbrWindows(None, None, IN_FORCE_ONLY, "Wis. Stat. 100.52(1)"))
WYOMING: Final = _state(
    "US-WY", "Wyoming", "Wyo. Stat. 40-12-301 et seq.",  # RULES §2.1
    lists=("state",), ebr=_federal_windows("Wyo. Stat. 40-12-301"))
# fmt: on
