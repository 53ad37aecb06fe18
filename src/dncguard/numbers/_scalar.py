"""One string to a national number (:func:`parse_number`): phonenumbers' country-code and
trunk-prefix rules, the common spellings as two regular expressions, and the reference path
through phonenumbers itself with dncguard's refusals."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import numpy as np
import phonenumbers
from phonenumbers import phonenumberutil as _pnu

from dncguard.errors import ArgumentTypeError, InvalidNumberError
from dncguard.numbers._plan import (
    _MAX_INPUT_CHARS,
    _TWO_NUMBER_DIGITS,
    ACCEPTED_REGIONS,
    _area_code_region,
    _plan,
    is_valid_area_code,
)

# ---------------------------------------------------------------------------------------------
# From digits to the national number: phonenumbers' country-code and trunk-prefix rules.
# ---------------------------------------------------------------------------------------------

# With the national number N (10 digits), these are the digit strings phonenumbers reads as
# "country code 1 / trunk prefix + N" (with region US): 1N, 11N, 111N and the international
# prefix 011 followed by 1N or 11N. The test suite checks this table against phonenumbers.
_PREFIXES_PLAIN: Final = ("", "1", "11", "111", "0111", "01111")
_PREFIXES_PLUS: Final = ("1", "11", "0111", "01111")


def _national(digits: str, plus: bool, value: object) -> int:
    """The 10-digit national number in ``digits`` (written after a ``+`` when ``plus``)."""
    n = len(digits)
    if n < 10:
        raise InvalidNumberError(value, f"too short: {n} digits, expected 10")
    head, nn = digits[:-10], digits[-10:]
    if head not in (_PREFIXES_PLUS if plus else _PREFIXES_PLAIN):
        cc = _foreign_country_code(digits, plus)
        if cc is not None:
            raise InvalidNumberError(value, f"country code +{cc} is not the US or Canada")
        if n >= 10 + _TWO_NUMBER_DIGITS:
            raise InvalidNumberError(value, "two numbers in one field; give one number per field")
        if plus and n == 10 and digits[0] == "1":  # +1 and nine digits
            raise InvalidNumberError(value, "too short: 9 digits after +1, expected 10")
        raise InvalidNumberError(value, f"too long: {n} digits, expected 10 (or 11 starting with 1)")
    return _checked(int(nn), value)


def _foreign_country_code(digits: str, plus: bool) -> int | None:
    """The country code phonenumbers would read from ``+digits`` or ``011digits``, if not 1."""
    if not plus:
        if not digits.startswith("011"):
            return None
        digits = digits[3:]
    codes = _plan().country_codes
    for k in (1, 2, 3):
        if digits[:1] != "0" and len(digits) >= k and int(digits[:k]) in codes:
            return None if digits[:k] == "1" else int(digits[:k])
    return None


def _checked(nn: int, value: object) -> int:
    """``nn`` when the plan holds it; else an error naming the area code or exchange."""
    plan = _plan()
    prefix = nn // 10_000
    if plan.valid_bytes[prefix]:
        return nn
    area = prefix // 1000
    code = plan.regions[plan.region[prefix] - 1] if plan.region[prefix] else _area_code_region(area)
    if code is not None and code not in ACCEPTED_REGIONS:
        raise InvalidNumberError(value, f"area code {area} is in {code}, not the US or Canada")
    if not is_valid_area_code(area):
        raise InvalidNumberError(value, f"bad area code {area:03d}")
    raise InvalidNumberError(value, f"bad exchange {area}-{prefix % 1000:03d}")


# ---------------------------------------------------------------------------------------------
# The scalar parser.
# ---------------------------------------------------------------------------------------------

# The common spellings, as two whole-string regular expressions that Python's re (in
# parse_number) and RE2 (in parse_numbers, through pyarrow.compute) read alike: junk without
# digits or "+" (nor ";", which may start RFC 3966 parameters); an optional "+"; the number part,
# digits and phonenumbers' punctuation, starting and ending with a digit; then either up to two
# letters (which phonenumbers drops) or one extension; then trailing characters phonenumbers
# strips (other than "+", so that a "+" in a covered row is the one before the number). The
# number part of an extension row has at least 3 digits, so that phonenumbers strips the
# extension exactly where the expression does (the leftmost match at the end). A row matching
# neither goes through the step-by-step rules below (in parse_numbers: through parse_number).
_LEAD: Final = r"[\t\n\r\x20-\x2a\x2c-\x2f\x3a\x3c-\x7e]*(?:(?P<plus>\+)[ ().\-/]*)?"
_PUNCT: Final = r"[ ().\-/\[\]*]"
_TAIL: Final = r"[\t\n\r\x20-\x22\x24-\x2a\x2c-\x2f\x3a\x3c-\x40\x5b-\x60\x7b-\x7e]*$"
_PLAIN_ROW: Final = (
    rf"^{_LEAD}(?P<number>[0-9](?:[0-9 ().\-/\[\]*]*[0-9])?)(?:{_PUNCT}*[A-Za-z]){{0,2}}{_TAIL}"
)
_EXTENSION_ROW: Final = (
    rf"^{_LEAD}(?P<number>[0-9]{_PUNCT}*[0-9]{_PUNCT}*[0-9](?:[0-9 ().\-/\[\]*]*[0-9])?)"
    r"(?: *(?:[eE]?[xX][tT](?:[eE][nN][sS][iI][oO])?[nN]?|[aA][nN][eE][xX][oO])[:.]?[ -]*"
    r"(?P<ext1>[0-9]{1,20})#?"
    r"| *(?:[xX#~]|[iI][nN][tT])[:.]?[ -]*(?P<ext2>[0-9]{1,9})#?"
    rf"|[- ]+(?P<ext3>[0-9]{{1,6}})#){_TAIL}"
)
_PLAIN_RE: Final = re.compile(_PLAIN_ROW)
_EXTENSION_RE: Final = re.compile(_EXTENSION_ROW)
_NUMBER_PUNCT: Final = b" ().-/[]*"
_FAST_PUNCT: Final = b" ().-/"  # what may stand between "+" and the number (_LEAD), and in it


# phonenumbers' extraction on ASCII input without "," ";" "\\" or tabs, written out: the number
# starts at the first digit or "+"; trailing characters other than letters, digits and "#" are
# dropped; an extension is the leftmost match of these labelled forms at the end.
_START: Final = re.compile(r"[0-9+]")
_TRAILING: Final = re.compile(r"[^#0-9A-Za-z]+$")
_SECOND_NUMBER: Final = re.compile(r"/ *x")
_EXTENSION: Final = re.compile(
    r"(?: *(?:e?xt(?:ensio)?n?|anexo)[:.]?[ -]*([0-9]{1,20})#?"
    r"| *(?:[x#~]|int)[:.]?[ -]*([0-9]{1,9})#?"
    r"|[- ]+([0-9]{1,6})#)$",
    re.IGNORECASE,
)
# A number part phonenumbers reads as digits only: leading "+", digits and its punctuation.
_CLEAN: Final = re.compile(r"\+*[0-9 ().\[\]/~*-]*")
_LETTER: Final = re.compile(r"[A-Za-z]")
_LETTER_BEFORE_DIGIT: Final = re.compile(r"[A-Za-z].*\d", re.DOTALL)
_NON_DIGIT: Final = re.compile(r"[^0-9]")
_SLOW_CHARS: Final = frozenset(",;\\\t")
# Control characters refused anywhere in a number field (tab, LF and CR count as spaces).
_ASCII_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf"})


def _control_character(text: str) -> str | None:
    """The first control or format character of ``text`` other than tab, LF and CR, if any."""
    m = _ASCII_CONTROL.search(text)
    if m is not None:
        return m.group()
    if not text.isascii():
        for c in text:
            if c not in "\t\n\r" and unicodedata.category(c) in _INVISIBLE_CATEGORIES:
                return c
    return None


def parse_number(s: str | int | None) -> int:
    """The 10-digit national number of a US or Canadian phone number in any common spelling.

    Raises :class:`~dncguard.errors.InvalidNumberError` (a ``ValueError``) saying why a value is
    not one: empty, letters, two numbers, too short, too long, a country code or area code
    outside the US and Canada, a bad area code or exchange. An ``int`` is read as its digits.

    >>> parse_number("212.555.0143"), parse_number(12125550143)
    (2125550143, 2125550143)
    >>> parse_number("")
    Traceback (most recent call last):
    ...
    dncguard.errors.InvalidNumberError: '' is not a US or Canadian phone number: empty
    """
    if type(s) is str:  # the common case, checked first
        text = s
    elif s is None:
        raise InvalidNumberError(s, "empty")
    elif isinstance(s, bool) or not isinstance(s, str | int | np.integer):
        raise ArgumentTypeError(f"parse_number() takes a str or int, not {type(s).__name__}: {s!r}")
    else:
        text = s if isinstance(s, str) else str(s)
    if len(text) > _MAX_INPUT_CHARS:
        raise InvalidNumberError(s, f"too long: more than {_MAX_INPUT_CHARS} characters")
    if text.isascii():
        # The commonest spellings, only digits and " ().-/" with perhaps a leading "+": the plain
        # expression below reads all their digits as the number, so do that without it.
        raw = text.encode()
        plus = raw[:1] == b"+"
        digits_b = raw.translate(None, _FAST_PUNCT)[plus:]
        if digits_b.isdigit():
            return _national(digits_b.decode(), plus, s)
    return _parse_text(text, s)


def _parse_text(text: str, s: object) -> int:
    """:func:`parse_number` of ``text`` (the value ``s`` as text) without its fast path."""
    m = _PLAIN_RE.match(text)
    if m is not None:
        digits = m["number"].encode().translate(None, _NUMBER_PUNCT).decode()
        return _national(digits, m["plus"] is not None, s)
    m = _EXTENSION_RE.match(text)
    if m is not None:
        if len(m["ext1"] or m["ext2"] or m["ext3"]) >= _TWO_NUMBER_DIGITS:
            raise InvalidNumberError(s, "two numbers in one field; give one number per field")
        digits = m["number"].encode().translate(None, _NUMBER_PUNCT).decode()
        return _national(digits, m["plus"] is not None, s)
    bad = _control_character(text)
    if bad is not None:
        raise InvalidNumberError(s, f"control character U+{ord(bad):04X} in the field")
    if not text.strip():
        raise InvalidNumberError(s, "empty")
    if not text.isascii() or not _SLOW_CHARS.isdisjoint(text):
        return _parse_reference(text, s)
    start = _START.search(text)
    if start is None:
        raise InvalidNumberError(s, "no digits")
    t = text[start.start() :]
    trailing = _TRAILING.search(t)
    if trailing is not None:
        t = t[: trailing.start()]
    second = _SECOND_NUMBER.search(t)
    if second is not None:
        cut = t[second.start() :]
        t = t[: second.start()]
        if len(_NON_DIGIT.sub("", cut)) >= _TWO_NUMBER_DIGITS:
            raise InvalidNumberError(s, "two numbers in one field; give one number per field")
    ext = _EXTENSION.search(t)
    if ext is not None and not _pnu._is_viable_phone_number(t[: ext.start()]):
        ext = None  # phonenumbers strips an extension only after a viable number
    number = t if ext is None else t[: ext.start()]
    if _refuses_letters(number):
        raise InvalidNumberError(s, "letters in the number; write it in digits")
    # phonenumbers drops one or two letters after the last digit.
    number = _LETTER.sub("", number)
    if _CLEAN.fullmatch(number) is None:
        bad = next(c for c in number.lstrip("+") if not (c.isdigit() or c in " ().[]/~*-"))
        raise InvalidNumberError(s, f"unexpected character {bad!r}")
    if ext is not None and len(ext.group(ext.lastindex or 0)) >= _TWO_NUMBER_DIGITS:
        raise InvalidNumberError(s, "two numbers in one field; give one number per field")
    return _national(_NON_DIGIT.sub("", number), number.startswith("+"), s)


def _refuses_letters(number: str) -> bool:
    """Whether the number part holds letters dncguard refuses: three or more, or any before a digit."""
    letters = _LETTER.findall(number)
    return bool(letters) and (len(letters) >= 3 or _LETTER_BEFORE_DIGIT.search(number) is not None)


_PARSE_ERRORS: Final = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "no valid country code after the +",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}


def _parse_reference(text: str, value: object) -> int:
    """Parse with phonenumbers itself, then apply dncguard's refusals (letters, two numbers).

    The path for input dncguard's own rules do not cover: non-ASCII characters, commas,
    semicolons (RFC 3966 ``tel:`` parameters), backslashes and tabs. It uses phonenumbers'
    own extraction steps so that the refusals see the number part phonenumbers sees.
    """
    if _pnu._RFC3966_PHONE_CONTEXT not in text:
        start = _pnu._VALID_START_CHAR_PATTERN.search(text)
        if start is None:
            raise InvalidNumberError(value, "no digits")
        rest = text[start.start() :]
        trailing = _pnu._UNWANTED_END_CHAR_PATTERN.search(rest)
        if trailing is not None:
            rest = rest[: trailing.start()]
        second = _pnu._SECOND_NUMBER_START_PATTERN.search(rest)
        cut = "" if second is None else _pnu.normalize_digits_only(rest[second.start() :])
        if len(cut) >= _TWO_NUMBER_DIGITS:
            raise InvalidNumberError(value, "two numbers in one field; give one number per field")
    try:
        extension, number = _pnu._maybe_strip_extension(_pnu._build_national_number_for_parsing(text))
        parsed = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException as e:
        raise InvalidNumberError(value, _PARSE_ERRORS.get(e.error_type, "not a phone number")) from None
    if _refuses_letters(number):
        raise InvalidNumberError(value, "letters in the number; write it in digits")
    if len(extension) >= _TWO_NUMBER_DIGITS:
        raise InvalidNumberError(value, "two numbers in one field; give one number per field")
    if parsed.country_code != 1:
        raise InvalidNumberError(value, f"country code +{parsed.country_code} is not the US or Canada")
    nsn = _pnu.national_significant_number(parsed)
    if len(nsn) != 10:
        why = "too short" if len(nsn) < 10 else "too long"
        raise InvalidNumberError(value, f"{why}: {len(nsn)} digits, expected 10")
    return _checked(int(nsn), value)
