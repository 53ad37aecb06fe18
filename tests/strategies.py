"""Hypothesis strategies shared by the test suite.

Numbers are synthetic: random 10-digit NANP numbers and the fictional 555-01XX lines, never a
list of real subscribers' numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from hypothesis import strategies as st

from dncguard import Call, Consent, DncRequest, Relationship
from dncguard._calendar import latest_date
from dncguard.facts import JURISDICTION_CODES

UTC = dt.UTC

# Keypad letters, for vanity spellings (E.161).
_KEYPAD = {
    "2": "ABC",
    "3": "DEF",
    "4": "GHI",
    "5": "JKL",
    "6": "MNO",
    "7": "PQRS",
    "8": "TUV",
    "9": "WXYZ",
}
_FULL_WIDTH = str.maketrans("0123456789+-()", "０１２３４５６７８９＋－（）")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# Area codes from several NANP members: US states and territories, Canada, and other NANP
# countries (which dncguard refuses), plus a few that are not in service.
AREA_CODES_US = (201, 212, 213, 305, 312, 415, 512, 617, 702, 808, 907, 202)
AREA_CODES_US_TERRITORIES = (787, 939, 340, 671, 670, 684)
AREA_CODES_CANADA = (416, 514, 604, 403, 902, 709, 867)
AREA_CODES_OTHER_NANP = (876, 242, 246, 441, 809, 868, 284, 345, 649, 658)
AREA_CODES_NOT_IN_SERVICE = (456, 222, 333, 211, 911, 555, 370, 999)
TOLL_FREE = (800, 833, 844, 855, 866, 877, 888)


def nanp_numbers() -> st.SearchStrategy[int]:
    """10-digit NANP numbers: random ones (most not in service) and ones in known area codes."""
    known = st.sampled_from(
        AREA_CODES_US
        + AREA_CODES_US_TERRITORIES
        + AREA_CODES_CANADA
        + AREA_CODES_OTHER_NANP
        + AREA_CODES_NOT_IN_SERVICE
        + TOLL_FREE
    )
    exchange = st.one_of(st.just(555), st.integers(200, 999), st.integers(0, 199))
    line = st.one_of(st.integers(100, 199), st.integers(0, 9999))
    built = st.builds(lambda a, e, n: a * 10**7 + e * 10**4 + n, known, exchange, line)
    return st.one_of(built, st.integers(2 * 10**9, 10**10 - 1), st.integers(10**9, 2 * 10**9 - 1))


def _groups(number: int) -> tuple[str, str, str]:
    s = f"{number:010d}"
    return s[:3], s[3:6], s[6:]


# How CRMs spell a number around its digits (messy_spellings draws one of each).
_COUNTRY_PREFIXES: Final = (
    "",
    "",
    "",
    "1",
    "1 ",
    "1-",
    "+1",
    "+1 ",
    "+1-",
    "+1.",
    "(+1) ",
    "+ 1 ",
    "011 1 ",
    "1 1 ",
    "++1 ",
    "+0111 ",
)
_LEADS: Final = (
    "",
    "",
    "",
    " ",
    "\t",
    "Tel: ",
    "tel:",
    "phone ",
    "Cell: ",
    "#",
    "(",
    "mobile - ",
    "TEL:",
    "no.",
    "*",
)
_EXTENSION_LABELS: Final = (
    " x",
    "x",
    " X",
    " ext ",
    " ext.",
    " ext. ",
    " EXT:",
    " extension ",
    " Extn ",
    "#",
    " #",
    " #",
    ",",
    ",,",
    ";ext=",
    ";",
    " int ",
    " ~",
    "-",
    " anexo ",
)
_TRAILS: Final = ("", "", "", " ", "\t", ".", ")", " (home)", " cell", "!", "#", "_", " / x12", "/x34")
_MANGLES: Final = ("none",) * 8 + ("vanity", "stray", "fullwidth", "arabic", "upper", "two")


@st.composite
def messy_spellings(draw: st.DrawFn, number: int | None = None) -> str:
    """One number spelled the way CRMs hold numbers: punctuation, prefixes, extensions, junk."""
    if number is None:
        number = draw(nanp_numbers())
    area, exchange, line = _groups(number)
    sep = draw(st.sampled_from(["", " ", "-", ".", "  ", " - ", "/", "\t", "\u00a0", "\u2010"]))
    sep2 = draw(st.sampled_from([sep, sep, " ", "-", ""]))
    area_part = draw(st.sampled_from([area, f"({area})", f"({area}) ", f"[{area}]"]))
    body = f"{area_part}{sep}{exchange}{sep2}{line}"
    country = draw(st.sampled_from(_COUNTRY_PREFIXES))
    lead = draw(st.sampled_from(_LEADS))
    ext = draw(
        st.one_of(
            st.just(""),
            st.builds(
                lambda label, digits: label + digits,
                st.sampled_from(_EXTENSION_LABELS),
                st.from_regex(r"[0-9]{1,12}", fullmatch=True),
            ),
            st.builds(lambda d: f" {d}#", st.from_regex(r"[0-9]{1,8}", fullmatch=True)),
        )
    )
    trail = draw(st.sampled_from(_TRAILS))
    return _mangled(draw, f"{lead}{country}{body}{ext}{trail}", body, line)


def _mangled(draw: st.DrawFn, text: str, body: str, line: str) -> str:
    """``text`` (holding the number's ``body``) as it was typed wrong: keypad letters, a stray
    letter, full-width or Arabic-Indic digits, upper case, or a second number after it."""
    mangle = draw(st.sampled_from(_MANGLES))
    if mangle == "vanity":
        # Replace the last 1-4 digits of the line with keypad letters.
        k = draw(st.integers(1, 4))
        letters = "".join(_KEYPAD.get(d, "O")[0] for d in line[-k:])
        text = text.replace(body, body[: len(body) - k] + letters, 1)
    elif mangle == "stray":
        i = draw(st.integers(0, len(body) - 1))
        text = text.replace(body, body[:i] + draw(st.sampled_from("OolIa")) + body[i + 1 :], 1)
    elif mangle == "fullwidth":
        text = text.translate(_FULL_WIDTH)
    elif mangle == "arabic":
        text = text.translate(_ARABIC_INDIC)
    elif mangle == "upper":
        text = text.upper()
    elif mangle == "two":
        other = "-".join(_groups(draw(nanp_numbers())))
        text = text + draw(st.sampled_from([" / ", ";", ", ", " or ", " ext. ", " x ", "/x", " & "])) + other
    return text


def foreign_numbers() -> st.SearchStrategy[str]:
    """Numbers outside the NANP, in international format (random digits after a country code)."""
    return st.builds(
        lambda cc, rest, sep: f"{cc}{sep}{rest[:2]}{sep}{rest[2:6]}{sep}{rest[6:]}",
        st.sampled_from(["+44", "+33", "+49", "+52", "+61", "+7", "+86", "+212", "011 44 ", "00 44 ", "+0"]),
        st.from_regex(r"[0-9]{7,11}", fullmatch=True),
        st.sampled_from([" ", "-", ""]),
    )


def junk_strings() -> st.SearchStrategy[str]:
    """Short strings over the characters that matter to number parsing, in any order."""
    return st.text(alphabet="0123456789 +-().#xXeEtT;,/~*:\t1a", max_size=24)


def messy_strings() -> st.SearchStrategy[str]:
    """Anything a CRM's phone column may hold: messy numbers, foreign numbers, empty, junk."""
    return st.one_of(
        messy_spellings(),
        messy_spellings(),
        foreign_numbers(),
        st.sampled_from(["", " ", "\t", "n/a", "none", "-", "+", "1", "+1", "555-0143", "310-1234"]),
        junk_strings(),
    )


# What an output must not pass on as is: C0 controls (``\x1b`` starts an ANSI escape), C1
# controls, DEL, XML's forbidden noncharacters, line separators, bidirectional overrides, and the
# characters markup and CSV escape.
HOSTILE_CHARACTERS = tuple(
    "\x00\x01\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f\x85\x9b\ufffe\uffff\u2028\u2029\u202e\u2066&<>\"'\r\n\t;,=+-@\\"
)


def hostile_texts(*, surrogates: bool = False) -> st.SearchStrategy[str]:
    """Text a call file's field may hold to break a report: numbers with :data:`HOSTILE_CHARACTERS`
    and any other character mixed in; ``surrogates``: lone surrogates too (a JSON file can
    write them as ``\\udc80``; Arrow's UTF-8 cannot hold them)."""
    alphabet = st.one_of(
        st.sampled_from(HOSTILE_CHARACTERS),
        st.sampled_from("0123456789 "),
        # st.characters() draws lone surrogates too: only where the file format can hold them.
        st.characters(exclude_categories=("Cs",)),
        *([st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)] if surrogates else []),
    )
    return st.one_of(
        st.text(alphabet, max_size=16),
        st.builds(
            lambda a, b: a + "212-555-0101" + b, st.text(alphabet, max_size=4), st.text(alphabet, max_size=4)
        ),
    )


# Whitespace as Arrow's kernels and Python's ``str.isspace`` read it (ASCII and Unicode).
WHITESPACE = " \t\n\v\f\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2028\u3000"


def cell_texts() -> st.SearchStrategy[str | None]:
    """A CSV / Parquet cell as read (None: absent): blank, padded, or a date or date-time,
    the spellings the typing of a call file's date columns meets."""
    spaces = st.text(st.sampled_from(WHITESPACE), max_size=3)
    date = st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat)
    when = st.builds(lambda d: d + "T10:00:00-04:00", date)
    body = st.one_of(date, when, st.text(max_size=4), st.just(""), st.just("0000-01-01"))
    return st.one_of(st.none(), st.builds(lambda a, b, c: a + b + c, spaces, body, spaces))


# --------------------------------------------------------------------------------------------
# Calls: the one strategy of random calls (every jurisdiction, every evidence kind, times around
# every calling-hours, day and window boundary), for the agreement of scrub and check
# --------------------------------------------------------------------------------------------

# Synthetic numbers only: 555-01XX lines are reserved for fiction.
LISTED_LINES = tuple(range(100, 130))
US_NPAS = (
    212,
    305,
    512,
    713,
    850,
    270,
    907,
    808,
    787,
    671,
    684,
    340,
    602,
    317,
    334,
    541,
    401,
    208,
    415,
    601,
    405,
    410,
)
CA_NPAS = (416, 709, 867, 902, 306, 250, 418, 514)
CALLED_TOLL_FREE = (800, 888, 833)
REGIONS = (
    "US-GA",
    "US-FL",
    "US-TX",
    "US-NY",
    "US-PR",
    "US-IN",
    "CA-ON",
    "CA-NL",
    "CA-QC",
    "US-RI",
    "US-AL",
    "US-CA",
)
ZONES = ("America/New_York", "America/Chicago", "America/St_Johns", "America/Phoenix", "Pacific/Guam")


def number_text(npa: int, line: int, style: int) -> str:
    """A synthetic number ``NPA-555-01LL`` written one of the ways people write numbers."""
    d = f"{npa}5550{line:03d}"
    return (
        d,
        f"({d[:3]}) {d[3:6]}-{d[6:]}",
        f"+1 {d[:3]} {d[3:6]} {d[6:]}",
        f"{d[:3]}.{d[3:6]}.{d[6:]}",
        f"1-{d[:3]}-{d[3:6]}-{d[6:]}",
    )[style % 5]


BOUNDARY_MINUTES = (0, 480, 540, 600, 720, 810, 1020, 1080, 1200, 1260, 1290)  # 08:00, 09:00, ... 21:30
UTC_OFFSETS = (-150, -180, -210, -240, -300, -360, -420, -480, -540, -600, -660, 600)
SPECIAL_DAYS = (
    dt.date(2026, 3, 8),  # DST starts
    dt.date(2026, 11, 1),  # DST ends
    dt.date(2026, 11, 26),  # Thanksgiving
    dt.date(2026, 12, 25),
    dt.date(2026, 7, 3),  # Independence Day observed
    dt.date(2026, 4, 3),  # Good Friday
    dt.date(2026, 3, 31),
    dt.date(2026, 4, 1),
)
SHOWN_IN = (UTC, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=5, minutes=30)))

# Strategies are built once: Hypothesis spends most of its time building them otherwise.
_DAYS = st.one_of(st.dates(dt.date(2026, 2, 20), dt.date(2026, 4, 12)), st.sampled_from(SPECIAL_DAYS))
_MINUTES = st.one_of(
    st.tuples(
        st.sampled_from(BOUNDARY_MINUTES), st.sampled_from(UTC_OFFSETS), st.sampled_from((-1, 0, 0, 1))
    ),
    st.tuples(st.integers(0, 1439), st.just(0), st.just(0)),
)
_SECONDS = st.sampled_from((0, 0, 0, 30, 59))
_SHOWN = st.sampled_from(SHOWN_IN)
_EVIDENCE = st.one_of(
    st.tuples(st.just("months"), st.sampled_from((1, 3, 6, 12, 18, 24)), st.sampled_from((-1, 0, 1))),
    st.tuples(st.just("days"), st.sampled_from((-2, -1, 0, 1, 2, 29, 30, 31)), st.just(0)),
    st.tuples(st.just("days"), st.integers(-10, 900), st.just(0)),
)
_NUMBER_KIND = st.sampled_from(("us", "us", "us", "ca", "ca", "tollfree", "invalid"))
_STYLE = st.integers(0, 4)
_LINE_NO = st.sampled_from((*LISTED_LINES[:12], 180, 181, 199))
_US = st.sampled_from(US_NPAS)
_CA = st.sampled_from(CA_NPAS)
_TF = st.sampled_from(CALLED_TOLL_FREE)
_INVALID = st.sampled_from(
    ("", "12345", "876-555-0100", "212-055-0100", "+44 20 7946 0000", "212555010", "call me")
)
_RARE = st.integers(0, 3)  # 0: present (one in four)
_CONSENT_KIND = st.sampled_from(("written", "electronic", "recorded_verbal", "verbal"))
_SELLER = st.sampled_from(("acme", "acme", "other"))
_CALLER = st.sampled_from(("seller", "telemarketer", "charity"))
_PURPOSE = st.sampled_from(
    ("sale", "sale", "sale", "donation", "political", "survey", "newspaper_subscription", "informational")
)
_LINE = st.sampled_from(("unknown", "residential", "wireless", "business"))
_CHANNEL = st.sampled_from(("voice", "voice", "text"))
# One call in eight is a donation call to a Mississippi number (601), mostly by a paid fund-raiser:
# the calls Miss. Code 79-11-524's window (09:00-21:00 Monday-Saturday, but not to a business
# line) binds, beside the sales window of 77-3-723 (08:00-20:00 CST).
_MS_DONATION = st.integers(0, 7)
_MS_CALLER = st.sampled_from(("telemarketer", "telemarketer", "telemarketer", "charity", "seller"))
# Earlier calls, minutes before the call: around the 24-hour window's edge (1,440 minutes).
_ATTEMPTS = st.one_of(
    st.just(()),
    st.lists(st.sampled_from((1, 30, 600, 1439, 1440, 1441, 3000)), max_size=5).map(tuple),
)
_REGION = st.sampled_from((None, None, *REGIONS, *(c for c in JURISDICTION_CODES if "-" in c)))
_ZONE = st.sampled_from((None, None, None, None, *ZONES))


def _months_back(d: dt.date, months: int, days: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    last = (dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m + 1, min(d.day, last)) + dt.timedelta(days=days)


def _evidence_day(draw: st.DrawFn, call_day: dt.date) -> dt.date:
    """A date around a window edge before ``call_day`` (30 days, 1/3/6/12/18/24 months), or anywhere."""
    kind, a, b = draw(_EVIDENCE)
    day = _months_back(call_day, a, b) if kind == "months" else call_day - dt.timedelta(days=a)
    return min(day, latest_date())  # evidence dated after today is refused (RULES §6.14)


@st.composite
def instants(draw: st.DrawFn) -> dt.datetime:
    """A call time: near a calling-hours edge in some zone, around DST changes or holidays."""
    day = draw(_DAYS)
    m, offset, nudge = draw(_MINUTES)
    t = dt.datetime.combine(day, dt.time(), UTC) + dt.timedelta(
        minutes=(m - offset + nudge) % 1440, seconds=draw(_SECONDS)
    )
    return t.astimezone(draw(_SHOWN))


@st.composite
def number_texts(draw: st.DrawFn) -> str:
    kind = draw(_NUMBER_KIND)
    if kind == "invalid":
        return draw(_INVALID)
    npa = draw(_US if kind == "us" else _CA if kind == "ca" else _TF)
    return number_text(npa, draw(_LINE_NO), draw(_STYLE))


_OTHER_SELLER = st.sampled_from((None, None, None, "globex"))
"""The seller a nested piece of evidence names (None: the call's own seller)."""


@st.composite
def calls(draw: st.DrawFn, numbers: st.SearchStrategy[str] | None = None, *, nested: bool = False) -> Call:
    """A random call over every field, at times around every boundary the rules have.

    By default its evidence fits the flat columns of ``Guard.scrub`` (at most one purchase,
    inquiry, contract, consent and request, all the call's seller's). ``nested=True``: also up to
    two of each, some naming another seller (``"globex"``), as only a ``Call`` can hold.
    ``numbers``: the called numbers (default :func:`number_texts`: US, Canadian, toll-free and
    invalid numbers in every spelling).
    """
    at = draw(instants())
    day = at.astimezone(UTC).date()
    many = 2 if nested else 1

    def seller() -> str | None:
        return draw(_OTHER_SELLER) if nested else None

    relationships = []
    for kind in ("purchase", "inquiry"):
        for _ in range(many):
            if draw(_RARE) == 0:
                relationships.append(Relationship(kind=kind, on=_evidence_day(draw, day), seller=seller()))
    for _ in range(many):
        if draw(_RARE) == 0:
            ends = _evidence_day(draw, day) if draw(_RARE) < 2 else None
            relationships.append(
                Relationship(kind="contract", on=_evidence_day(draw, day), ends=ends, seller=seller())
            )
    for _ in range(many):  # a charity's evidence: a previous donor or a member
        if draw(_RARE) == 0:
            relationships.append(Relationship(kind="donation", on=_evidence_day(draw, day), seller=seller()))
        if draw(_RARE) == 0:
            ends = _evidence_day(draw, day) if draw(_RARE) < 2 else None
            relationships.append(
                Relationship(kind="membership", on=_evidence_day(draw, day), ends=ends, seller=seller())
            )
    consents = []
    for _ in range(many):
        if draw(_RARE) == 0:
            revoked = _evidence_day(draw, day) if draw(_RARE) == 0 else None
            consents.append(
                Consent(
                    kind=draw(_CONSENT_KIND), on=_evidence_day(draw, day), revoked_on=revoked, seller=seller()
                )
            )
    requests = [
        DncRequest(on=_evidence_day(draw, day), seller=seller()) for _ in range(many) if draw(_RARE) == 0
    ]
    to = draw(numbers if numbers is not None else number_texts())
    caller, purpose = draw(_CALLER), draw(_PURPOSE)
    if numbers is None and draw(_MS_DONATION) == 0:
        to = number_text(601, draw(_LINE_NO), draw(_STYLE))
        caller, purpose = draw(_MS_CALLER), "donation"
    return Call(
        to=to,
        at=at,
        seller=draw(_SELLER),
        caller=caller,
        purpose=purpose,
        line=draw(_LINE),
        prerecorded=draw(_RARE) == 0,
        relationships=tuple(relationships),
        consents=tuple(consents),
        dnc_requests=tuple(requests),
        callee_region=draw(_REGION),
        callee_timezone=draw(_ZONE),
        reassigned_on=_evidence_day(draw, day) if draw(_RARE) == 0 else None,
        channel=draw(_CHANNEL),
        automated=draw(_RARE) == 0,
        attempts=tuple(at - dt.timedelta(minutes=m) for m in draw(_ATTEMPTS)),
    )


CALL_LISTS = st.lists(calls(), min_size=1, max_size=24)


# --- calls as the rows of a call file (the command line's CSV and Parquet files) ---------------------

CALL_ROW_COLUMNS = frozenset(
    (
        "at",
        "seller",
        "purpose",
        "caller",
        "line",
        "prerecorded",
        "callee_region",
        "callee_timezone",
        "channel",
        "automated",
        "reassigned_on",
        "evidence",
    )
)
"""The optional columns of :func:`call_rows` (``"evidence"``: the flat evidence columns)."""

_ESCAPED_SPELLINGS = st.sampled_from(('"{d}" & <{a}>', "tél {d}", " {d} ", "{d}\t"))
"""Numbers as written with text a report must escape (JSON quotes, XML's ``&`` and ``<``)."""


@st.composite
def row_numbers(draw: st.DrawFn) -> str:
    """:func:`number_texts` but blank ones (a row without a number is no call: a missing field),
    now and then written with text that JSON and XML must escape."""
    text = draw(number_texts().filter(str.strip))
    if draw(_RARE) == 0 and text[:1].isdigit():
        return draw(_ESCAPED_SPELLINGS).format(d=text, a=text[:3])
    return text


def at_text(at: dt.datetime, style: int) -> str:
    """``at`` as ISO 8601 text in its own offset: ``T`` or a space between date and time, the
    offset as ``+HH:MM``, ``+HHMM`` or (UTC) ``Z``."""
    text = at.isoformat(sep="T" if style % 2 == 0 else " ")
    if style >= 2 and text[-6] in "+-":
        text = text[:-3] + text[-2:] if style == 2 or text[-6:] != "+00:00" else text[:-6] + "Z"
    return text


_AT_STYLE = st.integers(0, 3)


@st.composite
def call_rows(
    draw: st.DrawFn, columns: frozenset[str] = CALL_ROW_COLUMNS, numbers: st.SearchStrategy[str] | None = None
) -> dict[str, str | None]:
    """A call of :func:`calls` as a row of a CSV or Parquet call file: text in the columns the
    command line reads (``columns``: the optional ones the file has, see
    :data:`CALL_ROW_COLUMNS`), a value now and then left out (None) so that a default applies (the
    command's ``--at`` or ``--seller``, else the call's default). ``numbers``: the called numbers
    (default :func:`row_numbers`). The call's earlier ``attempts`` are left out: a CSV cell cannot
    hold a list of times."""
    from dncguard._flatcall import FLAT_TYPES, flat_row
    from dncguard.models import EVIDENCE_COLUMNS

    call = draw(calls(numbers if numbers is not None else row_numbers()))
    flat = flat_row(call)
    assert flat is not None  # calls() without nested evidence fits the flat columns
    values = dict(zip(FLAT_TYPES, flat, strict=True))
    row: dict[str, str | None] = {"to": call.to}
    for name in FLAT_TYPES:
        group = "evidence" if name in EVIDENCE_COLUMNS else name
        if name in ("to", "attempts") or group not in columns:
            continue
        value = values[name]
        if name == "at":
            text: str | None = at_text(call.at, draw(_AT_STYLE))
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            text = value
        if group != "evidence" and draw(_RARE) == 0:
            text = None  # the default applies
        row[name] = text
    return row


# --- calls and decisions (the ledger's round trips) --------------------------------------------------

_aware = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1))


def _offsets() -> st.SearchStrategy[dt.timezone]:
    return st.builds(
        lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)), st.integers(-14 * 60 + 1, 14 * 60 - 1)
    )


def aware_datetimes() -> st.SearchStrategy[dt.datetime]:
    """Aware datetimes with fixed UTC offsets (a zone's gap or fold times compare unequal across zones)."""
    return st.builds(lambda t, tz: t.replace(tzinfo=tz), _aware, _offsets())


def _names() -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != "")


@st.composite
def any_calls(draw: st.DrawFn) -> object:
    """Any valid :class:`dncguard.Call`, with evidence, messy numbers and unusual seller names."""
    from dncguard.models import Call, Consent, DncRequest, Relationship

    dates = st.dates(max_value=latest_date())  # evidence dated after today is refused (RULES §6.14)
    relationship = st.builds(
        Relationship,
        kind=st.sampled_from(["purchase", "inquiry", "contract"]),
        on=dates,
        ends=st.none() | st.dates(),  # a contract may end in the future
        seller=st.none() | _names(),
    )
    consent = st.builds(
        Consent,
        kind=st.sampled_from(["written", "electronic", "recorded_verbal", "verbal"]),
        on=dates,
        seller=st.none() | _names(),
        number=st.none() | messy_strings(),
        revoked_on=st.none() | dates,
    )
    request = st.builds(DncRequest, on=dates, seller=st.none() | _names())
    return Call(
        to=draw(st.one_of(messy_strings(), junk_strings().filter(bool))),
        at=draw(aware_datetimes()),
        seller=draw(_names()),
        caller=draw(st.sampled_from(["seller", "telemarketer", "charity"])),
        purpose=draw(
            st.sampled_from(
                ["sale", "donation", "political", "survey", "newspaper_subscription", "informational"]
            )
        ),
        line=draw(st.sampled_from(["residential", "wireless", "business", "unknown"])),
        prerecorded=draw(st.booleans()),
        relationships=tuple(draw(st.lists(relationship, max_size=2))),
        consents=tuple(draw(st.lists(consent, max_size=2))),
        dnc_requests=tuple(draw(st.lists(request, max_size=2))),
        callee_region=draw(st.sampled_from([None, "US-GA", "CA-ON", "US-FL"])),
        callee_timezone=draw(st.sampled_from([None, "America/Chicago", "America/Toronto"])),
        reassigned_on=draw(st.none() | dates),
    )


@st.composite
def decisions(draw: st.DrawFn) -> object:
    """Any :class:`dncguard.Decision`: every reason and exemption code, any text in messages."""
    from dncguard.models import Decision, Exemption, ExemptionCode, Reason, ReasonCode

    reason = st.builds(
        Reason,
        code=st.sampled_from(list(ReasonCode)),
        jurisdiction=st.text(max_size=6),
        rule=st.text(),
        message=st.text(),
    )
    exemption = st.builds(
        Exemption, code=st.sampled_from(list(ExemptionCode)), jurisdiction=st.text(max_size=6), rule=st.text()
    )
    return Decision(
        allowed=draw(st.booleans()),
        reasons=tuple(draw(st.lists(reason, max_size=3))),
        exemptions=tuple(draw(st.lists(exemption, max_size=2))),
        next_allowed_at=draw(st.none() | aware_datetimes()),
        number=draw(st.text(max_size=16)),
        jurisdictions=tuple(
            draw(st.lists(st.sampled_from(["US", "CA", "US-FL", "US-TX", "CA-ON"]), max_size=3))
        ),
    )


def registry_numbers(country: str = "US") -> st.SearchStrategy[int]:
    """Numbers a national registry of ``country`` lists: its area codes, exchanges 2-9, any line.

    Clustered in a few exchanges (as real registrations are), so blocks get dense and numbers
    repeat when drawn many times.
    """
    codes = AREA_CODES_US + AREA_CODES_US_TERRITORIES + TOLL_FREE if country == "US" else AREA_CODES_CANADA
    exchange = st.one_of(st.sampled_from((555, 201, 999)), st.integers(200, 999))
    line = st.one_of(st.integers(100, 199), st.integers(0, 9999))
    return st.builds(lambda a, e, n: a * 10**7 + e * 10**4 + n, st.sampled_from(codes), exchange, line)


# --- flat call tables (the bulk columns of API.md section 5), for the ledger's record_columns ------

_FLAT_DATES = st.none() | st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 1, 1))
_FLAT_PAST = st.none() | st.dates(min_value=dt.date(1990, 1, 1), max_value=latest_date())
"""Evidence dates: none after today (RULES §6.14); a contract's end may lie ahead."""


@st.composite
def flat_rows(draw: st.DrawFn) -> dict[str, object]:
    """One row of a flat call table: every column a call can have there, any of them null, with
    odd offsets, zones, text that JSON must escape, and whatever evidence fits the columns."""
    from zoneinfo import ZoneInfo

    zone = draw(st.sampled_from([dt.UTC, ZoneInfo("America/New_York"), ZoneInfo("America/St_Johns")]))
    at = draw(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1)))
    consent_on = draw(_FLAT_PAST)
    contract_on = draw(_FLAT_PAST)
    membership_on = draw(_FLAT_PAST)
    return {
        "to": draw(st.one_of(messy_strings(), junk_strings().filter(bool))),
        "at": at.replace(tzinfo=dt.UTC).astimezone(zone),
        "seller": draw(st.none() | _names()),
        "caller": draw(st.sampled_from([None, "seller", "telemarketer", "charity"])),
        "purpose": draw(st.sampled_from([None, "sale", "donation", "survey", "informational"])),
        "line": draw(st.sampled_from([None, "residential", "wireless", "business", "unknown"])),
        "prerecorded": draw(st.none() | st.booleans()),
        "callee_region": draw(st.sampled_from([None, "US-GA", " us-fl ", "CA-ON"])),
        "callee_timezone": draw(st.sampled_from([None, "America/Chicago", "America/Toronto"])),
        "reassigned_on": draw(_FLAT_PAST),
        "last_purchase": draw(_FLAT_PAST),
        "last_inquiry": draw(_FLAT_PAST),
        "contract_on": contract_on,
        "contract_ends": draw(_FLAT_DATES) if contract_on else None,
        "consent_kind": draw(st.sampled_from(["written", "electronic", "recorded_verbal", "verbal"]))
        if consent_on
        else None,
        "consent_on": consent_on,
        "consent_revoked_on": draw(_FLAT_PAST) if consent_on else None,
        "dnc_requested_on": draw(_FLAT_PAST),
        "last_donation": draw(_FLAT_PAST),
        "membership_on": membership_on,
        "membership_ends": draw(_FLAT_DATES) if membership_on else None,
    }


# --- seller spellings (RULES §6.13: one seller however written) ----------------------------------


@st.composite
def seller_spellings(draw: st.DrawFn, name: str) -> str:
    """Another spelling of seller ``name`` that is the same seller: each letter in any case form
    that case-folds alike (``ß`` as ``SS``/``ss``), inner spaces doubled or tabbed, outer
    whitespace added."""
    out = []
    for ch in name:
        if ch == " ":
            out.append(draw(st.sampled_from([" ", "  ", "\t", " \u00a0"])))
            continue
        forms = sorted(
            {
                f
                for f in (ch, ch.upper(), ch.lower(), ch.title(), ch.swapcase(), ch.casefold())
                if f.casefold() == ch.casefold()
            }
        )
        out.append(draw(st.sampled_from(forms)))
    pad = st.sampled_from(["", " ", "  ", "\t", "\n", "\u2003"])
    return draw(pad) + "".join(out) + draw(pad)


# --------------------------------------------------------------------------- registry histories

HISTORY_POOL = tuple(
    [2125550100 + i for i in range(8)]
    + [2122010100 + i for i in range(4)]
    + [3055550100 + i for i in range(6)]
)


@st.composite
def registry_histories(draw: st.DrawFn) -> list[list[tuple[dt.date, list[object]]]]:
    """A random sequence of updates (the first a build), each a list of ``(date, chunks)``
    sources at non-decreasing dates: full national downloads (of some area codes), national
    change lists, state lists and internal lists (full and changes, with request dates), over a
    small pool of numbers so that numbers repeat, come back and are deleted. One dense block
    (hundreds of lines) now and then, so bitmap containers are edited too."""
    import numpy as np

    from dncguard.layers import Chunk, LayerKey, Op

    us, tx, acme = LayerKey.national("US"), LayerKey.state("US-TX"), LayerKey.internal("acme")
    dense = np.arange(2129990000, 2129990800, dtype=np.uint64)

    def nums(pool: tuple[int, ...], with_dense: bool = False) -> np.ndarray:  # type: ignore[type-arg]
        picked = draw(st.lists(st.sampled_from(pool), max_size=10)) if pool else []
        a = np.array(picked, dtype=np.uint64)
        if with_dense:
            drop = draw(st.integers(0, 400))
            a = np.concatenate([a, dense[drop : drop + 400 + draw(st.integers(0, 400))]])
        return a

    def req_dates(n: int, day: dt.date) -> np.ndarray:  # type: ignore[type-arg]
        back = draw(st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=n, max_size=n))
        return np.array(
            ["NaT" if b is None else (day - dt.timedelta(days=b)).isoformat() for b in back], "datetime64[D]"
        )

    day = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 30)))
    updates: list[list[tuple[dt.date, list[object]]]] = []
    covered: set[int] = set()  # a change list changes only area codes a full download covers
    replaced_on: dict[str, dt.date] = {}  # the day of the last state, internal and full list
    for _ in range(draw(st.integers(1, 5))):
        update: list[tuple[dt.date, list[object]]] = []
        for _ in range(draw(st.integers(1, 3))):
            day += dt.timedelta(days=draw(st.integers(0, 6)))
            kind = draw(st.sampled_from(["ftc", "ftc-changes", "state", "internal", "internal-changes"]))
            if kind == "ftc-changes" and not covered:
                kind = "ftc"
            if kind in ("state", "internal"):
                # two lists of one state or seller of one date in one build are refused
                if replaced_on.get(kind) == day:
                    day += dt.timedelta(days=1)
                replaced_on[kind] = day
            if kind in ("ftc", "ftc-changes"):
                choices = [(212,), (305,), (212, 305)]
                if kind == "ftc-changes":
                    choices = [c for c in choices if covered.issuperset(c)]
                npas = draw(st.sampled_from(choices))
                if kind == "ftc":
                    covered.update(npas)
                    # two full downloads of one date covering one area code in one build are refused
                    if any(replaced_on.get(f"ftc-{a}") == day for a in npas):
                        day += dt.timedelta(days=1)
                    replaced_on.update({f"ftc-{a}": day for a in npas})
                pool = tuple(n for n in HISTORY_POOL if n // 10**7 in npas)
                cover = dict.fromkeys(npas, day)
                dense_ok = 212 in npas and draw(st.integers(0, 4)) == 0
                if kind == "ftc":
                    chunks: list[object] = [Chunk(us, Op.REPLACE, nums(pool, dense_ok), coverage=cover)]
                else:
                    chunks = [
                        Chunk(
                            us,
                            draw(st.sampled_from([Op.ADD, Op.DELETE])),
                            nums(pool, dense_ok),
                            coverage=cover,
                        )
                        for _ in range(draw(st.integers(1, 3)))
                    ]
            elif kind == "state":
                published = draw(st.one_of(st.none(), st.just(day - dt.timedelta(days=1))))
                chunks = [Chunk(tx, Op.REPLACE, nums(HISTORY_POOL), obtained=day, published=published)]
            else:
                chunks = []
                for _ in range(draw(st.integers(1, 2))):
                    a = nums(HISTORY_POOL)
                    op = Op.REPLACE if kind == "internal" else draw(st.sampled_from([Op.ADD, Op.DELETE]))
                    dates = req_dates(len(a), day) if op is not Op.DELETE and draw(st.booleans()) else None
                    chunks.append(Chunk(acme, op, a, dates=dates, obtained=day))
            update.append((day, chunks))
        updates.append(update)
    return updates
