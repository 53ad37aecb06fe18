"""dncguard.numbers against the reference, phonenumbers, and the scalar path against the vector path.

The reference: a string is a US or Canadian number when ``phonenumbers.parse(s, "US")`` gives
country code 1, ``is_valid_number`` and a region in US/PR/VI/GU/MP/AS/CA. dncguard must accept
exactly those, with the national number phonenumbers gives, except for the refusals documented
in ``dncguard.numbers`` (letters in the number, two numbers in a field, 7-digit numbers).
"""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Any

import numpy as np
import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from phonenumbers import phonenumberutil as pnu

from dncguard.errors import InvalidNumberError
from dncguard.numbers import (
    ACCEPTED_REGIONS,
    format_e164,
    is_valid_area_code,
    is_valid_prefix,
    parse_number,
    parse_numbers,
)
from profiles import invariant
from strategies import messy_spellings, messy_strings, nanp_numbers

# ---------------------------------------------------------------------------------------------
# The reference and the documented exceptions, in phonenumbers' own terms.
# ---------------------------------------------------------------------------------------------


def reference(s: str) -> int | None:
    """The national number phonenumbers accepts as a US or Canadian number, else None."""
    try:
        n = phonenumbers.parse(s, "US")
    except phonenumbers.NumberParseException:
        return None
    if n.country_code != 1 or not phonenumbers.is_valid_number(n):
        return None
    if phonenumbers.region_code_for_number(n) not in ACCEPTED_REGIONS:
        return None
    return int(pnu.national_significant_number(n))


def deliberate_refusal(s: str) -> str | None:
    """Which documented dncguard refusal applies to an input phonenumbers accepts, if any."""
    if any(c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Cf") for c in s):
        return "control character"
    if ";phone-context=" not in s:
        start = pnu._VALID_START_CHAR_PATTERN.search(s)
        rest = s[start.start() :] if start else ""
        trailing = pnu._UNWANTED_END_CHAR_PATTERN.search(rest)
        rest = rest[: trailing.start()] if trailing else rest
        cut = pnu._SECOND_NUMBER_START_PATTERN.search(rest)
        if cut and len(pnu.normalize_digits_only(rest[cut.start() :])) >= 7:
            return "two numbers"
    extension, number = pnu._maybe_strip_extension(pnu._build_national_number_for_parsing(s))
    letters = re.findall("[A-Za-z]", number)
    if len(letters) >= 3 or re.search(r"[A-Za-z].*\d", number):
        return "letters"
    if len(extension) >= 7:
        return "two numbers"
    if len(pnu.national_significant_number(phonenumbers.parse(s, "US"))) != 10:
        return "too short"
    return None


def dncguard(s: str) -> int | None:
    try:
        return parse_number(s)
    except InvalidNumberError:
        return None


def check_against_reference(s: str) -> None:
    got, ref = dncguard(s), reference(s)
    if got is not None:
        assert got == ref, f"{s!r}: dncguard {got}, phonenumbers {ref}"
    elif ref is not None:
        why = deliberate_refusal(s)
        assert why is not None, f"{s!r}: phonenumbers accepts {ref}, dncguard refuses"
        with pytest.raises(InvalidNumberError, match=why):
            parse_number(s)


# ---------------------------------------------------------------------------------------------
# Agreement properties.
# ---------------------------------------------------------------------------------------------


@given(messy_strings())
@example("+1 212 555 0143 ext 5")
@example("212 555 0143 / 212 555 0199")
@example("(212)5550143x")
@example("abc 212 555 0143")
@example("tel:+1-212-555-0143")
@example("tel:+1-212-555-0143;ext=12")
@example("tel:212-555-0143;phone-context=+1")
@example("２１２５５５０１４３")
@example("(530) 583-6985 x302/x2303")
@example("+011 1 212 555 0143")
@example("1 xt2125550143")
@example("4~165550143")  # "~" starts an extension only after a viable number
@example("2125550146\x01")
@example("\x1b[31m212 555 0146\x1b[0m")
@example("\u202e2125550146")
def test_agrees_with_phonenumbers(s: str) -> None:
    """Every number dncguard accepts is phonenumbers'; each refusal of one it accepts is documented."""
    check_against_reference(s)


@given(nanp_numbers())
def test_clean_spellings_of_valid_numbers_are_accepted(number: int) -> None:
    """A plainly written number is accepted exactly when phonenumbers calls it US or Canadian."""
    area, exchange, line = f"{number:010d}"[:3], f"{number:010d}"[3:6], f"{number:010d}"[6:]
    for s in (f"{area}{exchange}{line}", f"({area}) {exchange}-{line}", f"+1 {area} {exchange} {line}"):
        assert dncguard(s) == reference(s)


@given(st.lists(messy_strings(), max_size=40))
def test_vector_parser_agrees_with_scalar(values: list[str]) -> None:
    """parse_numbers gives, row for row, what parse_number gives."""
    expected = [dncguard(s) for s in values]
    numbers, valid = parse_numbers(values)
    assert numbers.dtype == np.uint64
    assert valid.dtype == np.bool_
    assert [int(n) if ok else None for n, ok in zip(numbers, valid, strict=True)] == expected
    assert not numbers[~valid].any()


def test_vector_parser_agrees_with_scalar_on_a_large_threaded_batch() -> None:
    """Big enough to be split over two threads; includes every kind of messy input."""
    rnd = random.Random(20260316)
    pool = _spelling_pool(rnd, 400)
    values = [rnd.choice(pool) for _ in range(25_000)]
    numbers, valid = parse_numbers(values, threads=2)
    expected = {s: dncguard(s) for s in pool}
    got = [int(n) if ok else None for n, ok in zip(numbers, valid, strict=True)]
    assert got == [expected[s] for s in values]


@pytest.mark.parametrize("threads", [None, 1, 2, 3])
def test_vector_parser_in_many_blocks(threads: int | None) -> None:
    """Long columns are cut into blocks of rows (65,536 each) and, from 20,000 rows, parsed on
    threads; the result depends on neither cut nor threads (three blocks and a bit here)."""
    messy = _spelling_pool(random.Random(11), 50)
    plain = [f"(212) 555-{i:04d}" for i in range(0, 10_000, 7)]
    pool = messy + plain
    # Mostly common spellings (the vectorised path), a messy one every 101 rows (the slow one).
    values = [messy[i % len(messy)] if i % 101 == 0 else plain[i % len(plain)] for i in range(3 * 65_536 + 7)]
    numbers, valid = parse_numbers(pa.array(values, type=pa.large_string()), threads=threads)
    expected = {s: dncguard(s) for s in pool}
    assert [int(n) if ok else None for n, ok in zip(numbers, valid, strict=True)] == [
        expected[s] for s in values
    ]


@pytest.mark.parametrize("start", range(6))
def test_vector_parser_at_the_start_of_a_slice(start: int) -> None:
    """A row's digits are read backwards from its end: the first rows of a slice (fewer than 15
    digits before their end), country code and trunk prefixes right there, empty and null rows
    between them, and slices of an Arrow array that do not start at its buffer's start."""
    values = [
        "12125550143",
        "",
        "+12125550143",
        None,
        "0111 212 555 0143",
        "+1 (212) 555-0143",
        "2125550143",
        "1 1 2125550143",
        "+2125550143",
        "",
        "2125550143 ext 12",
        "99 2125550143",
    ]
    arr = pa.array(["+1 212 555 0199", *values]).slice(1 + start)
    numbers, valid = parse_numbers(arr, threads=1)
    expected = [None if s is None else dncguard(s) for s in values[start:]]
    assert [int(n) if ok else None for n, ok in zip(numbers, valid, strict=True)] == expected


@pytest.mark.parametrize("long_row", [" " * 250 + "2125550143", "(212) 555-0143" + " " * 250, "9" * 300])
def test_vector_parser_with_a_row_over_255_bytes(long_row: str) -> None:
    """Per-row counts take another path when a row is longer than 255 bytes; same answers."""
    values = ["+1 (212) 555-0143", long_row, "Tel: 212/555-0143", "", "1-212-555-0143 ext 7"]
    numbers, valid = parse_numbers(values, threads=1)
    assert [int(n) if ok else None for n, ok in zip(numbers, valid, strict=True)] == [
        dncguard(s) for s in values
    ]


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_parse_numbers_refuses_a_bad_thread_count(threads: object) -> None:
    with pytest.raises(ValueError, match="threads"):
        parse_numbers(["212-555-0143"], threads=threads)  # type: ignore[arg-type]


def _spelling_pool(rnd: random.Random, n: int) -> list[str]:
    forms = [
        "{a}{e}{l}",
        "({a}) {e}-{l}",
        "+1 {a} {e} {l}",
        "1-{a}-{e}-{l}",
        "{a}.{e}.{l}",
        "Tel: {a} {e} {l} ext. 12",
        "{a}-{e}-{l} x9",
        "+44 20 {e}{l}",
        "{a}-{e}-CALL",
        "{a} {e} {l};ext=7",
        "  {a}/{e}-{l}  ",
        "",
        "n/a",
        "{a}-{e}-{l}#",
        "{a}\t{e}\t{l}",
        "\uff12\uff11\uff12{e}{l}",
    ]
    pool = []
    for _ in range(n):
        a = rnd.choice([212, 416, 787, 876, 456, 800, 671, rnd.randrange(200, 1000)])
        e = rnd.choice([555, rnd.randrange(200, 1000), rnd.randrange(0, 200)])
        pool.append(rnd.choice(forms).format(a=a, e=e, l=f"{rnd.randrange(10000):04d}"))
    return pool


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda v: pa.array(v, type=pa.string()), id="arrow-string"),
        pytest.param(lambda v: pa.array(v, type=pa.large_string()), id="arrow-large-string"),
        pytest.param(lambda v: pa.chunked_array([pa.array(v[:2]), pa.array(v[2:])]), id="chunked"),
        pytest.param(lambda v: pa.array(["pad", *v], type=pa.string())[1:], id="arrow-sliced"),
        pytest.param(lambda v: np.array(v, dtype=object), id="numpy-object"),
        pytest.param(lambda v: np.array([x or "" for x in v]), id="numpy-str"),
        pytest.param(tuple, id="tuple"),
    ],
)
def test_parse_numbers_accepts_every_column_kind(convert) -> None:  # type: ignore[no-untyped-def]
    values = ["(212) 555-0143", None, "416.555.0143 x5", "212-555-CALL", "+44 20 7946 0958"]
    numbers, valid = parse_numbers(convert(values))
    assert valid.tolist() == [True, False, True, False, False]
    assert numbers.tolist() == [2125550143, 0, 4165550143, 0, 0]


def test_parse_numbers_of_nothing() -> None:
    numbers, valid = parse_numbers([])
    assert len(numbers) == len(valid) == 0
    numbers, valid = parse_numbers(pa.array([None, None]))  # pyarrow's type for it: null
    assert numbers.tolist() == [0, 0]
    assert valid.tolist() == [False, False]
    numbers, valid = parse_numbers(pa.chunked_array([], type=pa.string()))
    assert len(numbers) == len(valid) == 0


@pytest.mark.parametrize("values", [np.array([2125550143]), pa.array([1, 2]), 2125550143, "212-555-0143"])
def test_parse_numbers_refuses_what_is_not_a_column_of_strings(values: object) -> None:
    with pytest.raises(TypeError, match="parse_numbers"):
        parse_numbers(values)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# The numbering plan.
# ---------------------------------------------------------------------------------------------


def _reference_valid(number: int) -> bool:
    n = phonenumbers.PhoneNumber(country_code=1, national_number=number)
    return phonenumbers.is_valid_number(n) and phonenumbers.region_code_for_number(n) in ACCEPTED_REGIONS


@given(st.integers(2 * 10**9, 10**10 - 1))
def test_prefix_table_matches_is_valid_number(number: int) -> None:
    assert is_valid_prefix(number // 10_000) == _reference_valid(number)


def test_prefix_table_matches_is_valid_number_in_every_area_code() -> None:
    rnd = random.Random(7)
    for area in range(200, 1000):
        for _ in range(12):
            number = area * 10**7 + rnd.randrange(10**7)
            assert is_valid_prefix(number // 10_000) == _reference_valid(number), number


def test_validity_does_not_depend_on_the_line_number() -> None:
    """Every line of a block is valid or none is (checked on the reference, all 10,000 lines)."""
    for prefix in (212555, 800555, 416555, 787555, 671555, 684555, 524555, 212123):
        lines = {_reference_valid(prefix * 10_000 + line) for line in range(0, 10_000, 7)}
        assert lines == {is_valid_prefix(prefix)}


@pytest.mark.parametrize(
    ("area_code", "valid"),
    [
        (212, True),
        (202, True),  # DC
        (787, True),
        (340, True),
        (671, True),
        (670, True),
        (684, True),
        (416, True),
        (800, True),  # toll-free
        (876, False),
        (242, False),
        (456, False),
        (199, False),
    ],
)
def test_area_codes(area_code: int, valid: bool) -> None:
    """US states, DC and territories, Canada and toll-free are in; other NANP countries are out."""
    assert is_valid_area_code(area_code) is valid


@pytest.mark.parametrize("plus", ["", "+", "+ "])
@pytest.mark.parametrize("separator", ["", " ", "-"])
def test_country_code_and_trunk_prefixes_as_phonenumbers_reads_them(plus: str, separator: str) -> None:
    """Every prefix of 0s and 1s (up to 5 digits) before a number: accepted exactly when phonenumbers does."""
    heads = ["", *(format(i, f"0{k}b") for k in range(1, 6) for i in range(2**k)), "011", "44", "2", "212"]
    values = [
        f"{plus}{head}{separator}{body[:3]}{separator}{body[3:]}"
        for head in heads
        for body in ("2125550143", "4165550143", "8765550143")
    ]
    expected = [reference(s) for s in values]
    assert [dncguard(s) for s in values] == expected
    assert parse_numbers(values)[0].tolist() == [n or 0 for n in expected]


def test_fictional_555_01xx_and_toll_free_numbers_are_valid() -> None:
    """phonenumbers treats 555-0100..0199 as ordinary lines of the exchange, and 8XX as toll-free."""
    assert parse_number("212-555-0100") == 2125550100
    assert parse_number("(800) 555-0199") == 8005550199
    assert reference("212-555-0100") == 2125550100


# ---------------------------------------------------------------------------------------------
# Spellings and errors, one per reason.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "number"),
    [
        ("+1 (212) 555-0143", 2125550143),
        ("212.555.0143", 2125550143),
        ("1-212-555-0143", 2125550143),
        ("  212 555 0143  ", 2125550143),
        ("\t212-555-0143\t", 2125550143),
        ("Tel: 212 555 0143", 2125550143),
        ("tel:+1-212-555-0143", 2125550143),
        ("212-555-0143 x12", 2125550143),
        ("212-555-0143 ext. 12", 2125550143),
        ("212-555-0143 #12", 2125550143),
        ("(212)5550143x", 2125550143),
        ("+1 212 555 0143 ext 5", 2125550143),
        ("011 1 212 555 0143", 2125550143),
        ("\uff12\uff11\uff12\uff15\uff15\uff15\uff10\uff11\uff14\uff13", 2125550143),  # full-width
        ("\u0662\u0661\u0662\u0665\u0665\u0665\u0660\u0661\u0664\u0663", 2125550143),  # Arabic-Indic
        ("212\u2010555\u20100143", 2125550143),  # Unicode hyphen
        ("416 555 0143", 4165550143),
        ("787-555-0143", 7875550143),
        (2125550143, 2125550143),
        (12125550143, 2125550143),
    ],
)
def test_spellings(s: str | int, number: int) -> None:
    assert parse_number(s) == number
    if isinstance(s, str):
        assert reference(s) == number
        assert parse_numbers([s])[0].tolist() == [number]


@pytest.mark.parametrize(
    ("s", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("n/a", "no digits"),
        ("212 555 014", "too short"),
        ("555-0143", "too short"),
        ("212 555 01433", "too long"),
        ("+1 212 555 014", "too short: 9 digits after \\+1"),
        ("212 555 0143 / 212 555 0199", "two numbers"),
        ("212-555-0143;2125550199", "two numbers"),
        ("212-555-0143 ext. 2125550199", "two numbers"),
        ("212 555 0143 / x 212 555 0199", "two numbers"),
        ("456 555 0143", "bad area code"),
        ("212 123 4567", "bad exchange"),
        ("876 555 0143", "not the US or Canada"),
        ("242-555-0143", "not the US or Canada"),
        ("+44 20 7946 0958", "country code \\+44"),
        ("212-555-CALL", "letters"),
        ("1-800-FLOWERS", "letters"),
        ("212-555-O143", "letters"),
        ("212 555 0143 (home)", "letters"),
        ("212!555!0143", "unexpected character '!'"),
        ("212\t555\t0143", "not a phone number"),
        ("x" * 300, "too long"),
    ],
)
def test_errors_say_why(s: str | None, why: str) -> None:
    with pytest.raises(InvalidNumberError, match=why) as info:
        parse_number(s)
    assert isinstance(info.value, ValueError)
    assert info.value.value == s
    assert "is not a US or Canadian phone number" in str(info.value)
    assert not parse_numbers([s])[1].any()


@pytest.mark.parametrize(
    ("s", "why"),
    [
        ("212-555-CALL", "letters"),
        ("212-555-O143", "letters"),
        ("212 555 0143 / x 212 555 0199", "two numbers"),
        ("212-555-0143;2125550199", "two numbers"),
        ("310-1234", "too short"),
    ],
)
def test_documented_exceptions_are_what_phonenumbers_accepts(s: str, why: str) -> None:
    """Each deliberate refusal is of a string phonenumbers does accept."""
    assert reference(s) is not None or why == "letters"
    assert deliberate_refusal(s) == why
    with pytest.raises(InvalidNumberError, match=why):
        parse_number(s)


@pytest.mark.parametrize("value", [2125550143.0, b"2125550143", True, ["212"]])
def test_parse_number_refuses_other_types(value: object) -> None:
    with pytest.raises(TypeError, match="str or int"):
        parse_number(value)  # type: ignore[arg-type]


def test_format_e164() -> None:
    assert format_e164(2125550143) == "+12125550143"
    assert format_e164(np.uint64(4165550143)) == "+14165550143"
    assert format_e164(parse_number("(787) 555-0143")) == phonenumbers.format_number(
        phonenumbers.parse("(787) 555-0143", "US"), phonenumbers.PhoneNumberFormat.E164
    )
    for bad in (212555014, 12125550143, -1, True, "2125550143"):
        with pytest.raises(InvalidNumberError, match="10-digit"):
            format_e164(bad)  # type: ignore[arg-type]


@invariant()
@given(messy_spellings(2125550143))
def test_messy_spellings_of_one_number(s: str) -> None:
    check_against_reference(s)


# ---------------------------------------------------------------------------------------------
# The scalar fast path: digits and " ().-/" only, perhaps a leading "+".
# ---------------------------------------------------------------------------------------------


def _answer(parse: Any, s: str) -> tuple[str, object]:
    try:
        return "number", parse(s)
    except InvalidNumberError as e:
        return "error", str(e)


_fast_spellings = st.builds(
    lambda plus, body: ("+" if plus else "") + body,
    st.booleans(),
    st.text(alphabet="0123456789 ().-/", max_size=24)
    | st.builds(
        lambda n, sep: sep.join([str(n)[:3], str(n)[3:6], str(n)[6:]]),
        nanp_numbers(),
        st.sampled_from(["", " ", "-", ".", ") ", "/"]),
    ),
)


@pytest.mark.hypothesis
@given(_fast_spellings)
@example("+1 (212) 555-0143")
@example("+ 1 212 555 0143")
@example("+")
@example("(((")
@example("+2125550143")
def test_property_the_fast_path_answers_as_the_full_rules(s: str) -> None:
    """Same number, or the same error, with or without the shortcut for the common spellings."""
    from dncguard.numbers import _parse_text

    assert _answer(parse_number, s) == _answer(lambda t: _parse_text(t, t), s)


_INVISIBLE = st.sampled_from(
    [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x85, 0x9B)]
    + ["\u200b", "\u200e", "\u202e", "\u2060", "\ufeff"]
)


@given(messy_spellings(), _INVISIBLE, st.integers(min_value=0, max_value=40))
def test_a_control_character_anywhere_makes_a_number_invalid(s: str, bad: str, at: int) -> None:
    """A control or format character (other than tab, LF, CR) anywhere in the field refuses it,
    in the scalar and the vectorised parser alike (phonenumbers would ignore many of them)."""
    at = min(at, len(s))
    text = s[:at] + bad + s[at:]
    with pytest.raises(InvalidNumberError, match="control character"):
        parse_number(text)
    numbers, valid = parse_numbers([text])
    assert not valid[0]
    assert numbers[0] == 0


@pytest.mark.parametrize("space", ["\t", "\n", "\r", "\r\n"])
def test_tab_and_line_ends_around_a_number_are_spaces(space: str) -> None:
    text = f"{space}212 555 0143{space}"
    assert parse_number(text) == 2125550143
    numbers, valid = parse_numbers([text])
    assert valid[0]
    assert numbers[0] == 2125550143
