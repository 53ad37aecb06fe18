"""US state rules: state do-not-call lists, their relationship windows, and stricter calling hours.

One data row per state that adds anything to the federal rules. A row names its statute
(``source``), the lists whose exemptions its relationship windows govern (``("state",)``: its own
list; ``("national",)``: it keeps no list but sets its own windows, which then govern its numbers
on the national registry), its windows, its calling hours per weekday (``None``: no calls that
day) and the holiday calendar on whose days it bans calls. Everything a state does not set is the
federal rule (``us.py``).

Each row records what it rests on (``basis``, one :class:`~dncguard.jurisdictions.base.Basis`
per row): ``primary=True`` where the statute or regulation text was read (its URL given),
``primary=False`` where only secondary sources (agency pages, vendor and law-firm tables) were
found; where sources conflict the row takes the stricter reading and says so. The README lists
the rows that still rest on secondary sources (a test holds that list equal to this data).

Reading rules. "Between 8 a.m. and 8 p.m." includes both ends, whether a statute permits calls
between two times or forbids them: Utah forbids calls "between the hours of 9 p.m. and 8 a.m.",
so 21:00 and 08:00 themselves are refused there (fail closed). A statute that names a standard
time (Mississippi: "Central Standard Time") is read on that clock *and* on local time
(``hours_clock``). A holiday that a statute moves to a weekday is banned on both days.

A state list binds in full from the date it was obtained: the grace periods some states give for
new entries (Texas 60 days, Tex. Bus. & Com. Code 304.052; Pennsylvania 30 days, 73 P.S.
2245.2(a)) are **not** applied, because a download does not say which entries are new.

References (official texts; each row cites its section):

* Alabama: Ala. Admin. Code r. 770-X-5-.17 (https://admincode.legislature.state.al.us);
  Ala. Code 8-19C, 1-3-8 (https://alison.legislature.state.al.us/code-of-alabama)
* Colorado: C.R.S. 6-1-901 to 6-1-908 (https://leg.colorado.gov/colorado-revised-statutes)
* Louisiana: La. R.S. 45:811, 45:844.11 et seq., 1:55 (https://legis.la.gov); LPSC General
  Order R-29617 (https://lpsc.louisiana.gov)
* Mississippi: Miss. Code 77-3-701 to 77-3-737 (the code as published by LexisNexis for the
  state; https://billstatus.ls.state.ms.us for session laws)
* Missouri: Mo. Rev. Stat. 407.1095-407.1110 (https://revisor.mo.gov/main/OneSection.aspx?section=407.1095)
* Pennsylvania: 73 P.S. 2241-2250 (Telemarketer Registration Act; https://www.legis.state.pa.us)
* Rhode Island: R.I. Gen. Laws 5-61-2, 5-61-3.6, 25-1-1 (http://webserver.rilegislature.gov/Statutes/)
* Utah: Utah Code 13-25a-103, 63G-1-301 (https://le.utah.gov/xcode/)
* Texas: Tex. Bus. & Com. Code 301.051, 304.051-304.052 (https://statutes.capitol.texas.gov)

>>> TEXAS.hours.days[6], TEXAS.ebr.purchase
(Hours(start=720, end=1260), Months(n=12))
>>> INDIANA.ebr.purchase is None and INDIANA.ebr.inquiry is None
True
>>> MISSOURI.ebr.purchase, MISSISSIPPI.hours_clock
(Days(n=180), 'Etc/GMT+6')
"""

from __future__ import annotations

from typing import Final

from dncguard.jurisdictions import us
from dncguard.jurisdictions.base import (
    Basis,
    BusinessDays,
    Days,
    EbrWindows,
    Hours,
    Jurisdiction,
    ListName,
    Months,
    RowName,
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
# is older than this (about one quarterly release cycle of the state lists).
STATE_LIST_WARN_DAYS: Final = 92
# A contract in force exempts; nothing after it ends ("current agreement only").
IN_FORCE_ONLY: Final = Months(0)


def _windows(purchase: Window, inquiry: Window | None, rule: str) -> EbrWindows:
    """A state's windows; a contract counts like a purchase after it ends (as in ``us.py``)."""
    return EbrWindows(purchase, inquiry, purchase, rule)


def _read(row: RowName, citation: str, url: str, note: str = "") -> Basis:
    """A row checked against the text at ``url`` (the official text or a mirror of it)."""
    return Basis(row, citation, True, url, note)


def _unread(row: RowName, citation: str, note: str) -> Basis:
    """A row resting only on secondary sources; ``note`` names them and what is open."""
    return Basis(row, citation, False, "", note)


_TABLES: Final = "vendor and law-firm state tables (ClickPoint, Drop Cowboy, Bubeck, DNC.com, 2025)"


def _state(
    code: str,
    name: str,
    source: str,
    *,
    basis: tuple[Basis, ...],
    lists: tuple[ListName, ...] = (),
    ebr: EbrWindows | None = None,
    hours: Week | None = None,
    holidays: str | None = None,
    hours_clock: str | None = None,
) -> Jurisdiction:
    """A state row: the state's own additions, the federal rules for everything else.

    Each row's rule (``list_rule``, ``hours_rule``, ``holidays_rule``, ``hours_clock_rule``) is the
    citation of its :class:`Basis`, or ``source`` where none is given.
    """
    cite = {b.row: b.citation for b in basis}
    return Jurisdiction(
        code=code,
        name=name,
        country="US",
        lists=lists,
        list_rule=cite.get("list", source),
        ebr=ebr,
        consent_kinds=us.CONSENT_KINDS,
        consent_rule=us.CONSENT_RULE,
        hours=hours,
        hours_rule=cite.get("hours", source),
        holidays=holidays,
        holidays_rule=cite.get("holidays", source),
        hours_exempt_purposes=us.US.hours_exempt_purposes,
        list_exempt_purposes=us.US.list_exempt_purposes,
        source=source,
        hours_clock=hours_clock,
        hours_clock_rule=cite.get("hours", "") if hours_clock else "",
        basis=basis,
    )


def _federal_windows(rule: str) -> EbrWindows:
    # The statute exempts an established business relationship without a window of its own.
    return EbrWindows(us.EBR_AFTER_PURCHASE, us.EBR_AFTER_INQUIRY, us.EBR_AFTER_CONTRACT_END, rule)


# fmt: off
ALABAMA: Final = _state(
    "US-AL", "Alabama", "Ala. Admin. Code r. 770-X-5-.17; Ala. Code 8-19C",
    # r. 770-X-5-.17(1)(b): "No solicitation calls are allowed on Sundays or holidays. On the days
    # that calls are allowed, none will be placed prior to 8 a.m. or after 8 p.m." Paragraph (1)
    # names automated calls; the rule's title covers live calls too: applied to every call.
    hours=Week.of(H("08:00", "20:00"), sunday=None), holidays="US-AL",
    basis=(
        _read("hours", "Ala. Admin. Code r. 770-X-5-.17(1)(b)",
              "https://admincode.legislature.state.al.us",
              "read via the Casetext copy of the Administrative Code (Register Vol. 43, No. 2, 2024)"),
        _read("holidays", "Ala. Admin. Code r. 770-X-5-.17(1)(b); Ala. Code 1-3-8",
              "https://alison.legislature.state.al.us/code-of-alabama?section=1-3-8",
              "the rule's 'holidays' read as the state holidays of Ala. Code 1-3-8; Juneteenth and "
              "Mardi Gras (Baldwin and Mobile counties) kept as well (fail closed)"),
    ))
CALIFORNIA: Final = _state(
    "US-CA", "California", "Cal. Bus. & Prof. Code 17590-17594",
    # No list of its own (California adopted the national registry); an inquiry supports calls
    # for 30 business days, which governs California numbers on the national registry.
    lists=("national",),
    ebr=_windows(us.EBR_AFTER_PURCHASE, BusinessDays(30), "Cal. Bus. & Prof. Code 17592"),
    basis=(
        _unread("list", "Cal. Bus. & Prof. Code 17590-17594", _TABLES),
        _unread("ebr", "Cal. Bus. & Prof. Code 17592", "inquiry 30 business days: " + _TABLES),
    ))
COLORADO: Final = _state(
    "US-CO", "Colorado", "C.R.S. 6-1-901 to 6-1-908",
    # C.R.S. 6-1-903(7)(a): a relationship formed by a voluntary two-way communication "on the
    # basis of an application, purchase, ongoing contractual agreement, or commercial
    # transaction" (the 18 months of the purchase window); an inquiry is a separate exemption of
    # 30 days, ended early by a do-not-call request (which ends every relationship anyway). An
    # application recorded as an inquiry gets the inquiry's 30 days (fail closed).
    lists=("state",), ebr=_windows(us.EBR_AFTER_PURCHASE, Days(30), "C.R.S. 6-1-903(7)(a)"),
    basis=(
        _unread("list", "C.R.S. 6-1-904", _TABLES),
        _unread("ebr", "C.R.S. 6-1-903(7)(a)",
                "definition read (colorado.public.law copy) up to its bases; its 18-month limit and "
                "the 30-day inquiry exemption were not read in the text: " + _TABLES),
    ))
CONNECTICUT: Final = _state(
    "US-CT", "Connecticut", "Conn. Gen. Stat. 42-288a",
    lists=("national",), ebr=_windows(Months(12), Months(12), "Conn. Gen. Stat. 42-288a"),
    hours=Week.of(H("09:00", "20:00")),
    basis=(
        _unread("list", "Conn. Gen. Stat. 42-288a", _TABLES),
        _unread("ebr", "Conn. Gen. Stat. 42-288a", _TABLES),
        _unread("hours", "Conn. Gen. Stat. 42-288a", "older sources say 21:00; the stricter 20:00 is kept"),
    ))
FLORIDA: Final = _state(
    "US-FL", "Florida", "Fla. Stat. 501.059; 501.616(6) (SB 1120, 2021)",
    lists=("state",), ebr=_federal_windows("Fla. Stat. 501.059(1)"),
    hours=Week.of(H("08:00", "20:00")),
    basis=(
        _unread("list", "Fla. Stat. 501.059(4)", "FDACS do-not-call pages"),
        _unread("ebr", "Fla. Stat. 501.059(1)", "FDACS pages; no window of its own: the federal windows"),
        _read("hours", "Fla. Stat. 501.616(6)(a)", "https://www.flsenate.gov/Session/Bill/2021/1120/BillText/er/HTML",
              "SB 1120 (2021) text and a copy of 501.616 read; FDACS pages still say 21:00 (superseded)"),
    ))
INDIANA: Final = _state(
    "US-IN", "Indiana", "Ind. Code 24-4.7",
    # No relationship exemption: only an existing contract not yet performed.
    lists=("state",), ebr=EbrWindows(None, None, IN_FORCE_ONLY, "Ind. Code 24-4.7-1-1"),
    basis=(
        _unread("list", "Ind. Code 24-4.7-4-1", _TABLES),
        _read("ebr", "Ind. Code 24-4.7-1-1(1), (2)", "https://statutes.laws.com/indiana/title-24/ar-4.7/ch-1/",
              "a copy of IC 24-4.7-1-1 read: only a call at the person's express request or about an "
              "existing debt or contract not yet performed is outside the article; no relationship window"),
    ))
KANSAS: Final = _state(
    "US-KS", "Kansas", "K.S.A. 50-670",
    hours=Week.of(H("09:00", "20:00")),
    basis=(_unread("hours", "K.S.A. 50-670", _TABLES),))
KENTUCKY: Final = _state(
    "US-KY", "Kentucky", "KRS 367.46955",
    hours=Week.of(H("10:00", "21:00")),
    basis=(_unread("hours", "KRS 367.46955", _TABLES),))
LOUISIANA: Final = _state(
    "US-LA", "Louisiana", "La. R.S. 45:811; 45:844.11 et seq.; LPSC General Order R-29617",
    # La. R.S. 45:811(2), (3): calls by ADAD equipment "or ... a live operator" only "between the
    # hours of 8:00 a.m. and 8:00 p.m., Monday through Saturday", never "on days declared to be a
    # state holiday, or Sundays". The holidays: La. R.S. 1:55.
    lists=("state",), ebr=_windows(Months(6), Months(6), "La. R.S. 45:844.12"),
    hours=Week.of(H("08:00", "20:00"), sunday=None), holidays="US-LA",
    basis=(
        _unread("list", "La. R.S. 45:844.14", "LPSC do-not-call pages; " + _TABLES),
        _unread("ebr", "La. R.S. 45:844.12",
                "six months: " + _TABLES + "; the same words are read in La. R.S. 45:844.31(3)"),
        _read("hours", "La. R.S. 45:811(2), (3); LPSC General Order R-29617",
              "https://legis.la.gov/legis/LawSearch.aspx",
              "45:811 read (LawServer copy); General Order R-29617 not read"),
        _read("holidays", "La. R.S. 45:811(3); La. R.S. 1:55",
              "https://legis.la.gov/legis/Law.aspx?d=74097",
              "1:55(A)(1) read on legis.la.gov; 1:55(E) (weekend moves, election day) from the "
              "Orleans civil clerk's table; parish-only days other than Baton Rouge's "
              "Inauguration Day (Saturdays in Orleans, festival days) are not state holidays"),
    ))
MARYLAND: Final = _state(
    "US-MD", "Maryland", "Md. Code Com. Law 14-4501 (Stop the Spam Calls Act, 2024)",
    hours=Week.of(H("08:00", "20:00")),
    basis=(_unread("hours", "Md. Code Com. Law 14-4503", "Stop the Spam Calls Act summaries (2023-2024)"),))
MASSACHUSETTS: Final = _state(
    "US-MA", "Massachusetts", "M.G.L. c. 159C; 201 CMR 12.00",
    # 201 CMR 12.02(2): no unsolicited telephonic sales call "between the hours of 8:00 P.M. to
    # 8:00 A.M., local time at the consumer's location". "Between" includes its ends: 20:00 and
    # 08:00 themselves are refused (fail closed), as in Utah.
    lists=("state",), ebr=_federal_windows("M.G.L. c. 159C, s. 1"),
    hours=Week.of(H("08:01", "19:59")),
    basis=(
        _unread("list", "M.G.L. c. 159C, s. 2; 201 CMR 12.02(1)", _TABLES),
        _unread("ebr", "M.G.L. c. 159C, s. 1", _TABLES),
        _read("hours", "201 CMR 12.02(2)",
              "https://regulations.justia.com/states/massachusetts/201-cmr/title-201-cmr-12-00/section-12-02",
              "the Justia copy of the Code of Massachusetts Regulations (Register 1531, 2024)"),
    ))
MICHIGAN: Final = _state(
    "US-MI", "Michigan", "MCL 445.111a",
    lists=("national",), ebr=_windows(Months(12), None, "MCL 445.111"),
    hours=Week.of(H("09:00", "21:00")),
    basis=(
        _unread("list", "MCL 445.111a", _TABLES),
        _unread("ebr", "MCL 445.111", _TABLES),
        _unread("hours", "MCL 445.111b", _TABLES),
    ))
MINNESOTA: Final = _state(
    "US-MN", "Minnesota", "Minn. Stat. 325E.27",
    hours=Week.of(H("09:00", "21:00")),
    basis=(_unread("hours", "Minn. Stat. 325E.27", _TABLES),))
MISSISSIPPI: Final = _state(
    "US-MS", "Mississippi", "Miss. Code 77-3-701 to 77-3-737",
    # Sources disagree on whether Mississippi keeps its own list: its window governs both a
    # loaded Mississippi list and Mississippi numbers on the national registry (stricter reading).
    # Miss. Code 77-3-723(1): "only ... between the hours of 8:00 a.m. and 8:00 p.m. Central
    # Standard Time. No telephone solicitations may be made on a Sunday." Read on CST (UTC-6 all
    # year: 09:00-20:00 local during daylight time) and on local time; no holiday ban since the
    # Commission's rules (39 Miss. Admin. Code Pt. 1, R. 1:28) were repealed in 2023.
    lists=("state", "national"), ebr=_windows(Months(6), Months(6), "Miss. Code 77-3-705"),
    hours=Week.of(H("08:00", "20:00"), sunday=None), hours_clock="Etc/GMT+6",
    basis=(
        _unread("list", "Miss. Code 77-3-707", "list status: sources disagree (kept as a state list)"),
        _unread("ebr", "Miss. Code 77-3-705", "six months: " + _TABLES),
        _read("hours", "Miss. Code 77-3-723(1)",
              "https://law.justia.com/codes/mississippi/",
              "read via a copy of the code (getpocketlaw); no holiday ban (DNC.com, 2024: Commission "
              "rule repealed)"),
    ))
MISSOURI: Final = _state(
    "US-MO", "Missouri", "Mo. Rev. Stat. 407.1095-407.1110",
    # Mo. Rev. Stat. 407.1095(3)(b): not a telephone solicitation if made "by or on behalf of any
    # person or entity with whom a residential subscriber has had a business contact within the
    # past one hundred eighty days or a current business or personal relationship": a day count.
    lists=("state",), ebr=_windows(Days(180), Days(180), "Mo. Rev. Stat. 407.1095(3)(b)"),
    basis=(
        _unread("list", "Mo. Rev. Stat. 407.1098", _TABLES),
        _read("ebr", "Mo. Rev. Stat. 407.1095(3)(b)",
              "https://revisor.mo.gov/main/OneSection.aspx?section=407.1095",
              "read via a copy of the statute (laws-info) and the 2006 bill text (HB 1131)"),
    ))
MONTANA: Final = _state(
    "US-MT", "Montana", "MCA 30-14-1601 et seq.",
    lists=("national",), ebr=_windows(Months(6), Months(6), "MCA 30-14-1602"),
    basis=(
        _unread("list", "MCA 30-14-1601 et seq.", _TABLES),
        _unread("ebr", "MCA 30-14-1602", _TABLES),
    ))
NEVADA: Final = _state(
    "US-NV", "Nevada", "NRS 228.590",
    hours=Week.of(H("09:00", "20:00")),
    basis=(_unread("hours", "NRS 228.590", _TABLES),))
NEW_JERSEY: Final = _state(
    "US-NJ", "New Jersey", "N.J.S.A. 56:8-119 et seq.",
    # No inquiry-based relationship: a current agreement only.
    lists=("national",), ebr=EbrWindows(None, None, IN_FORCE_ONLY, "N.J.S.A. 56:8-119"),
    basis=(
        _unread("list", "N.J.S.A. 56:8-119 et seq.", _TABLES),
        _unread("ebr", "N.J.S.A. 56:8-119", _TABLES),
    ))
NEW_MEXICO: Final = _state(
    "US-NM", "New Mexico", "NMSA 57-12-22",
    lists=("national",), ebr=_windows(Months(12), Months(12), "NMSA 57-12-22"),
    hours=Week.of(H("09:00", "21:00")),
    basis=(
        _unread("list", "NMSA 57-12-22", _TABLES),
        _unread("ebr", "NMSA 57-12-22", _TABLES),
        _read("hours", "NMSA 57-12-22(B)(5)", "https://law.justia.com/codes/new-mexico/2006/nmrc/jd_57-12-22-13117.html",
              "Justia's copy (2006) read: calls 'received before 9:00 a.m. or after 9:00 p.m.'"),
    ))
OKLAHOMA: Final = _state(
    "US-OK", "Oklahoma", "Okla. Stat. tit. 15, 775B, 775C.4",
    lists=("state",), ebr=_federal_windows("Okla. Stat. tit. 15, 775B.2"),
    hours=Week.of(H("08:00", "20:00")),
    basis=(
        _unread("list", "Okla. Stat. tit. 15, 775B.4", _TABLES),
        _unread("ebr", "Okla. Stat. tit. 15, 775B.2", _TABLES),
        _unread("hours", "Okla. Stat. tit. 15, 775C.4", _TABLES),
    ))
PENNSYLVANIA: Final = _state(
    "US-PA", "Pennsylvania", "73 P.S. 2241 et seq. (Telemarketer Registration Act, 2019 amendments)",
    # 73 P.S. 2245(a)(1): no telemarketing "after 9 p.m. or before 8 a.m."; (a)(10) (Act 73 of
    # 2019): no telephone solicitation call on a legal holiday. 44 P.S. 11 also makes every
    # Saturday afternoon a half-holiday; the days the sources give for (a)(10) are whole days and
    # leave it out, so Saturday afternoons stay open (open point: (a)(10)'s text was not read).
    lists=("state",), ebr=_windows(Months(12), Months(12), "73 P.S. 2242"),
    hours=Week.of(H("08:00", "21:00"), sunday=H("13:30", "21:00")), holidays="US-PA",
    basis=(
        _unread("list", "73 P.S. 2245.2", "Pennsylvania AG telemarketing pages"),
        _unread("ebr", "73 P.S. 2242",
                "definition read (Westlaw copy), no window in it; 12 months: Mac Murray & Shuster (2019)"),
        _read("hours", "73 P.S. 2245(a)(1)",
              "https://govt.westlaw.com/pac/Document/NE4CC77F0E9F711E9BEFE89A994168F89",
              "08:00-21:00 read; the 13:30 Sunday start is from vendor tables only (stricter reading kept)"),
        _unread("holidays", "73 P.S. 2245(a)(10); 44 P.S. 11",
                "the days from DNC.com and Mac Murray & Shuster (2019); Saturday half-holidays not banned"),
    ))
RHODE_ISLAND: Final = _state(
    "US-RI", "Rhode Island", "R.I. Gen. Laws 5-61-2(2); 5-61-3.6",
    # R.I. Gen. Laws 5-61-2(2): "Monday through Friday, except a state or federal holiday, nine
    # o'clock (9:00 a.m.) to six o'clock (6:00 p.m.); Saturday ten o'clock (10:00 a.m.) to five
    # o'clock (5:00 p.m.)"; 5-61-3.6 allows calls only then (it cites the definition as
    # "5-61-2(9)", a stale cross-reference). No Sunday hours. A holiday on a Saturday is banned
    # too (the text excepts holidays from weekdays only: fail closed).
    hours=Week.of(H("09:00", "18:00"), saturday=H("10:00", "17:00"), sunday=None), holidays="US-RI",
    basis=(
        _read("hours", "R.I. Gen. Laws 5-61-2(2); 5-61-3.6",
              "http://webserver.rilin.state.ri.us/Statutes/TITLE5/5-61/5-61-3.6.HTM"),
        _read("holidays", "R.I. Gen. Laws 5-61-2(2); 25-1-1; 5 U.S.C. 6103",
              "http://webserver.rilegislature.gov/Statutes/TITLE25/25-1/25-1-1.htm",
              "holidays proclaimed by the governor or the President (25-1-1) cannot be foreseen"),
    ))
TENNESSEE: Final = _state(
    "US-TN", "Tennessee", "Tenn. Code 65-4-401 et seq.",
    lists=("state",), ebr=_windows(Months(12), Months(12), "Tenn. Code 65-4-401"),
    basis=(
        _unread("list", "Tenn. Code 65-4-404", _TABLES),
        _read("ebr", "Tenn. Code 65-4-401", "https://lawserver.com/law/state/tennessee/tn-code/tennessee_code_65-4-401",
              "LawServer's copy read: an 'existing customer' includes one with a prior relationship "
              "within the prior twelve months; Tenn. Comp. R. & Regs. 1220-04-11-.01(7) says the same"),
    ))
TEXAS: Final = _state(
    "US-TX", "Texas", "Tex. Bus. & Com. Code 301.051; 304.051-304.052",
    lists=("state",), ebr=_windows(Months(12), Months(12), "Tex. Bus. & Com. Code 304.004"),
    hours=Week.of(H("09:00", "21:00"), sunday=H("12:00", "21:00")),
    basis=(
        _unread("list", "Tex. Bus. & Com. Code 304.051-304.052", "PUC Texas no-call pages"),
        _unread("ebr", "Tex. Bus. & Com. Code 304.004",
                "304.004(2) read (FindLaw copy): an established business relationship, or one ended "
                "less than a year before; the 12 months for a relationship itself: " + _TABLES),
        _unread("hours", "Tex. Bus. & Com. Code 301.051", _TABLES),
    ))
UTAH: Final = _state(
    "US-UT", "Utah", "Utah Code 13-25a-103",
    # Utah Code 13-25a-103(3): no telephone solicitation without prior express consent "(a)
    # between the hours of 9 p.m. and 8 a.m. local time; (b) on a Sunday; or (c) on a legal
    # holiday". "Between" includes its ends: 21:00 and 08:00 are refused (fail closed).
    hours=Week.of(H("08:01", "20:59"), sunday=None), holidays="US-UT",
    basis=(
        _read("hours", "Utah Code 13-25a-103(3)(a), (b)",
              "https://le.utah.gov/xcode/Title13/Chapter25A/13-25a-S103.html",
              "read via the FindLaw copy (current as of 1 January 2025)"),
        _read("holidays", "Utah Code 13-25a-103(3)(c); 63G-1-301",
              "https://le.utah.gov/xcode/Title63G/Chapter1/63G-1-S301.html",
              "2025 and 2026 texts read (copies of the enrolled text); Election Day from 2027 rests "
              "on H.B. 104 (2026) as introduced, its enactment not seen (fail closed)"),
    ))
WASHINGTON: Final = _state(
    "US-WA", "Washington", "RCW 80.36.390; RCW 19.158.040",
    # RCW 80.36.390(1)(a): not a telephone solicitation: "calls regarding an item that has been
    # purchased by the called party ... during a period not longer than twelve months prior"; a
    # call "in response to a request or inquiry" (no window given: the same 12 months kept).
    # RCW 19.158.040(2): no calls "received before 8:00 a.m. or after 8:00 p.m." local time.
    lists=("national",), ebr=_windows(Months(12), Months(12), "RCW 80.36.390(1)(a)"),
    hours=Week.of(H("08:00", "20:00")),
    basis=(
        _unread("list", "RCW 80.36.390", "Washington keeps no list of its own: " + _TABLES),
        _read("ebr", "RCW 80.36.390(1)(a)", "https://app.leg.wa.gov/RCW/default.aspx?cite=80.36.390",
              "read via copies of the RCW (instalawyer, CLIC); the inquiry window is not in the text"),
        _read("hours", "RCW 19.158.040(2)", "https://app.leg.wa.gov/RCW/default.aspx?cite=19.158.040"),
    ))
WISCONSIN: Final = _state(
    "US-WI", "Wisconsin", "Wis. Stat. 100.52",  # state list abolished
    lists=("national",), ebr=EbrWindows(None, None, IN_FORCE_ONLY, "Wis. Stat. 100.52(1)"),
    basis=(
        _unread("list", "Wis. Stat. 100.52", _TABLES),
        _unread("ebr", "Wis. Stat. 100.52(1)", _TABLES),
    ))
WYOMING: Final = _state(
    "US-WY", "Wyoming", "Wyo. Stat. 40-12-301 et seq.",
    lists=("state",), ebr=_federal_windows("Wyo. Stat. 40-12-301"),
    basis=(
        _unread("list", "Wyo. Stat. 40-12-301 et seq.", _TABLES),
        _unread("ebr", "Wyo. Stat. 40-12-301", _TABLES),
    ))
# fmt: on
