"""Hypothesis strategies shared by the test suite.

Numbers are synthetic: random 10-digit NANP numbers and the fictional 555-01XX lines, never a
list of real subscribers' numbers.
"""

from __future__ import annotations

from hypothesis import strategies as st

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
    country = draw(
        st.sampled_from(
            [
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
            ]
        )
    )
    lead = draw(
        st.sampled_from(
            [
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
            ]
        )
    )
    ext = draw(
        st.one_of(
            st.just(""),
            st.builds(
                lambda label, digits: label + digits,
                st.sampled_from(
                    [
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
                    ]
                ),
                st.from_regex(r"[0-9]{1,12}", fullmatch=True),
            ),
            st.builds(lambda d: f" {d}#", st.from_regex(r"[0-9]{1,8}", fullmatch=True)),
        )
    )
    trail = draw(
        st.sampled_from(
            ["", "", "", " ", "\t", ".", ")", " (home)", " cell", "!", "#", "_", " / x12", "/x34"]
        )
    )
    text = f"{lead}{country}{body}{ext}{trail}"
    mangle = draw(st.sampled_from(["none"] * 8 + ["vanity", "stray", "fullwidth", "arabic", "upper", "two"]))
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


def registry_numbers(country: str = "US") -> st.SearchStrategy[int]:
    """Numbers a national registry of ``country`` lists: its area codes, exchanges 2-9, any line.

    Clustered in a few exchanges (as real registrations are), so blocks get dense and numbers
    repeat when drawn many times.
    """
    codes = AREA_CODES_US + AREA_CODES_US_TERRITORIES + TOLL_FREE if country == "US" else AREA_CODES_CANADA
    exchange = st.one_of(st.sampled_from((555, 201, 999)), st.integers(200, 999))
    line = st.one_of(st.integers(100, 199), st.integers(0, 9999))
    return st.builds(lambda a, e, n: a * 10**7 + e * 10**4 + n, st.sampled_from(codes), exchange, line)
