"""NANP numbers: one string to a 10-digit integer, a column of strings to ``uint64`` plus validity.

A CRM holds a phone number in any spelling: ``+1 (212) 555-0143``, ``212.555.0143``,
``1-212-555-0143``, ``Tel: 212 555 0143 ext. 12``. dncguard works on the 10-digit national number
of the North American Numbering Plan (area code, exchange, line) as an ``int``: ``2125550143``.
Only numbers of the United States (the states, DC, Puerto Rico, the US Virgin Islands, Guam, the
Northern Mariana Islands and American Samoa) and of Canada are accepted; numbers of the other NANP
countries (Jamaica 876, the Bahamas 242, ...) and of the rest of the world are refused, since no
registry dncguard reads covers them (docs/defaults.md#jurisdiction-follows-the-number).

The reference is ``phonenumbers`` (Google's libphonenumber): a string is a number of ours when
``phonenumbers.parse(s, "US")`` gives country code 1, ``is_valid_number`` holds and
``region_code_for_number`` is one of US, PR, VI, GU, MP, AS, CA. Both :func:`parse_number` and
:func:`parse_numbers` accept exactly those strings and give exactly the national number
phonenumbers gives, with these deliberate exceptions, where dncguard refuses what phonenumbers
accepts (a refused number is a blocked call, never a guessed one):

* **letters in the number**: phonenumbers turns ``212-555-CALL`` into ``2125552255`` (three or
  more letters are read as a keypad spelling) and silently drops one or two stray letters
  (``212-555-O143`` with a letter O). dncguard refuses three or more letters in the number part,
  and any letter before its last digit: write the number in digits. Letters in a prefix
  (``Tel:``), in an extension label (``x12``, ``ext. 12``) or one or two after the last digit
  (``(212)5550143x``, which phonenumbers ignores) are fine.
* **two numbers in one field**: phonenumbers reads ``212-555-0143;2125550199`` or
  ``212-555-0143 ext. 2125550199`` as a number with a long extension, and cuts
  ``212 555 0143 / x 212 555 0199`` at the ``/x``. dncguard refuses a field whose extension, or
  the part phonenumbers cuts off, holds 7 or more digits: that is a second phone number.
* **7-digit numbers**: phonenumbers accepts Canada's 7-digit ``310-XXXX`` service numbers as
  valid. dncguard numbers are 10 digits (every registry lists 10-digit numbers), so these are
  refused as too short.
* **control characters**: phonenumbers ignores invisible characters around the number
  (``"2125550146\x01"``, a terminal escape, a zero-width space or a right-to-left override). A
  field holding one was not typed as a phone number, and can make what a person reads differ
  from what is dialled: dncguard refuses any control (Unicode category Cc) or format (Cf)
  character other than tab, line feed and carriage return, which count as spaces.

Everything else follows phonenumbers, including its quirks: the plan it knows (unassigned area
codes and exchanges are refused; the fictional 555-0100 to 555-0199 lines and toll-free 8XX
numbers are valid), leading junk (``Tel: ``, ``tel:``), extensions (``x12``, ``ext. 12``, ``#12``,
``;ext=12``), the international prefix ``011``, a repeated trunk prefix (``1 1 212 555 0143``) and
non-ASCII spellings (full-width digits ``２１２５５５０１４３``, other scripts' decimal digits,
Unicode dashes and spaces), which are read as phonenumbers reads them. Validity depends on the
area code and exchange only (the first 6 digits): the table of valid prefixes is derived from
phonenumbers' metadata on first use (about 0.1 s), never typed by hand.

How: two regular expressions describe the common spellings (a number with punctuation, prefix
junk, an optional ``+``, an extension, trailing junk); Python's ``re`` applies them in
:func:`parse_number` and RE2 (``pyarrow.compute``) in :func:`parse_numbers`, which then reads the
digits straight from the Arrow buffers with numpy (on two threads when a core is idle). Other
ASCII strings without ``,`` ``;`` ``\\`` or tabs follow phonenumbers' extraction steps written
out in this module; anything else goes through phonenumbers itself plus the checks above. Speed
against phonenumbers is measured by ``benchmarks/bench_numbers.py``.

>>> parse_number("+1 (212) 555-0143")
2125550143
>>> parse_number("Tel: 212.555.0143 ext. 12")
2125550143
>>> format_e164(parse_number("1-416-555-0143"))
'+14165550143'
>>> parse_number("212-555-CALL")
Traceback (most recent call last):
...
dncguard.errors.InvalidNumberError: '212-555-CALL' is not a US or Canadian phone number: letters...
>>> for s in ["876 555 0143", "212 555 014", "212-555-0143;2125550199"]:
...     try:
...         parse_number(s)
...     except InvalidNumberError as e:
...         print(e.why)
area code 876 is in JM, not the US or Canada
too short: 9 digits, expected 10
two numbers in one field; give one number per field
>>> numbers, valid = parse_numbers(["212-555-0143", "not a number", None])
>>> numbers.tolist(), valid.tolist()
([2125550143, 0, 0], [True, False, False])
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import phonenumberutil as _pnu

from dncguard.errors import InvalidNumberError

__all__ = [
    "ACCEPTED_REGIONS",
    "format_e164",
    "is_valid_area_code",
    "is_valid_prefix",
    "parse_number",
    "parse_numbers",
]

#: ISO 3166 codes of the NANP members whose numbers dncguard accepts: the US, its territories
#: in the plan, and Canada (docs/defaults.md#jurisdiction-follows-the-number).
ACCEPTED_REGIONS: Final = frozenset({"US", "PR", "VI", "GU", "MP", "AS", "CA"})

# phonenumbers refuses longer input outright (NumberParseException TOO_LONG).
_MAX_INPUT_CHARS: Final = 250
# A second "number" of this many digits in an extension or after "/x" is a phone number.
_TWO_NUMBER_DIGITS: Final = 7

# ---------------------------------------------------------------------------------------------
# The numbering plan, derived from phonenumbers' metadata.
# ---------------------------------------------------------------------------------------------

_FULL: Final = 0x3FF  # digit-set bitmask of \d
_TYPES: Final = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)

_Node = int | tuple[str, list[list[tuple["_Node", int, int]]]]


def _parse_pattern(p: str) -> _Node:
    """Parse the digit-only regex subset phonenumbers' NANP metadata uses into a small tree.

    A node is a digit bitmask (``1 << d`` per digit) or ``("alt", branches)``; a branch is a list
    of ``(node, min_repeat, max_repeat)``. Anything outside the subset raises, so a metadata
    update that needs more is noticed, not misread.
    """
    pos = 0

    def alternation() -> _Node:
        nonlocal pos
        branches = [sequence()]
        while pos < len(p) and p[pos] == "|":
            pos += 1
            branches.append(sequence())
        return ("alt", branches)

    def sequence() -> list[tuple[_Node, int, int]]:
        nonlocal pos
        items: list[tuple[_Node, int, int]] = []
        while pos < len(p) and p[pos] not in "|)":
            node = atom()
            lo = hi = 1
            if pos < len(p) and p[pos] == "?":
                lo, hi, pos = 0, 1, pos + 1
            elif pos < len(p) and p[pos] == "{":
                end = p.index("}", pos)
                a, comma, b = p[pos + 1 : end].partition(",")
                lo = int(a)
                hi = int(b) if comma else lo
                pos = end + 1
            items.append((node, lo, hi))
        return items

    def atom() -> _Node:
        nonlocal pos
        c = p[pos]
        if p.startswith("(?:", pos):
            pos += 3
            node = alternation()
            if p[pos : pos + 1] != ")":
                raise ValueError(f"unbalanced group in {p!r}")
            pos += 1
            return node
        if c == "[":
            end = p.index("]", pos)
            body, pos = p[pos + 1 : end], end + 1
            mask, i = 0, 0
            while i < len(body):
                if body.startswith("\\d", i):
                    mask, i = mask | _FULL, i + 2
                elif i + 2 < len(body) and body[i + 1] == "-":
                    for d in range(int(body[i]), int(body[i + 2]) + 1):
                        mask |= 1 << d
                    i += 3
                else:
                    mask, i = mask | 1 << int(body[i]), i + 1
            return mask
        if p.startswith("\\d", pos):
            pos += 2
            return _FULL
        if c.isdigit():
            pos += 1
            return 1 << int(c)
        raise ValueError(f"unsupported syntax at {pos} in metadata pattern {p!r}")

    node = alternation()
    if pos != len(p):
        raise ValueError(f"unsupported syntax at {pos} in metadata pattern {p!r}")
    return node


def _expand(node: _Node, limit: int) -> list[tuple[int, ...]]:
    """Every sequence of digit masks (at most ``limit`` long) the pattern tree matches."""
    if isinstance(node, int):
        return [(node,)]
    out: list[tuple[int, ...]] = []
    for items in node[1]:
        seqs: list[tuple[int, ...]] = [()]
        for sub_node, lo, hi in items:
            sub = _expand(sub_node, limit)
            new: list[tuple[int, ...]] = []
            reps = seqs
            for k in range(hi + 1):
                if k >= lo:
                    new.extend(reps)
                if k < hi:
                    reps = [r + x for r in reps for x in sub if len(r) + len(x) <= limit]
            seqs = new
        out.extend(seqs)
    return out


class _PlanBuilder:
    """Turns metadata patterns into boolean tables over the 1,000,000 six-digit prefixes."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, bool], npt.NDArray[np.bool_]] = {}
        self._digits = [np.array([d for d in range(10) if m >> d & 1], dtype=np.intp) for m in range(1024)]

    def table(self, pattern: str, *, prefix: bool) -> npt.NDArray[np.bool_]:
        """Prefixes whose every 10-digit number matches (``prefix``: whose digits start a match).

        Raises ``RuntimeError`` when the pattern constrains digits after the sixth, which a
        six-digit table cannot express.
        """
        key = (pattern, prefix)
        if key not in self._cache:
            table = np.zeros((10,) * 6, dtype=bool)
            for seq in _expand(_parse_pattern(pattern), 10):
                if not prefix and len(seq) != 10:
                    continue
                if any(m != _FULL for m in seq[6:]):
                    raise RuntimeError(
                        f"phonenumbers {phonenumbers.__version__} metadata pattern {pattern!r} depends on "
                        "more than the first 6 digits; dncguard.numbers needs updating for it"
                    )
                full = seq[:6] + (_FULL,) * (6 - len(seq))
                table[np.ix_(*(self._digits[m] for m in full))] = True
            self._cache[key] = table.reshape(-1)
        return self._cache[key]

    def desc(self, desc: phonenumbers.PhoneNumberDesc | None) -> npt.NDArray[np.bool_] | None:
        """Prefixes of the 10-digit numbers a number-type description matches, or None."""
        if desc is None or desc.national_number_pattern is None:
            return None
        if desc.possible_length and 10 not in desc.possible_length:
            return None
        return self.table(desc.national_number_pattern, prefix=False)


class _Plan:
    """The NANP as phonenumbers knows it, per 6-digit prefix (area code and exchange).

    ``region[p]`` is 1 + the index into ``regions`` of the region ``region_code_for_number``
    gives every number with prefix ``p`` (0: none); ``valid[p]`` says whether every such number
    is a valid number of an accepted region. Both follow phonenumbers' own algorithm: the
    regions of country code 1 are tried in order; one with ``leading_digits`` claims the
    numbers starting with them, one without claims the numbers valid for it.
    """

    def __init__(self) -> None:
        builder = _PlanBuilder()
        self.regions: tuple[str, ...] = tuple(_pnu.COUNTRY_CODE_TO_REGION_CODE[1])
        region = np.zeros(10**6, dtype=np.uint8)
        valid = np.zeros(10**6, dtype=bool)
        for i, code in enumerate(self.regions, 1):
            md = phonenumbers.PhoneMetadata.metadata_for_region(code)
            if md is None:
                continue
            if md.leading_digits and code not in ACCEPTED_REGIONS:
                # Refused whatever its validity: only which numbers it claims matters.
                region[builder.table(md.leading_digits, prefix=True) & (region == 0)] = i
                continue
            general = builder.desc(md.general_desc)
            if general is None:
                continue
            ok = np.zeros(10**6, dtype=bool)
            for name in _TYPES:
                t = builder.desc(getattr(md, name))
                if t is not None:
                    ok |= t
            ok &= general
            claims = builder.table(md.leading_digits, prefix=True) if md.leading_digits else ok
            take = claims & (region == 0)
            region[take] = i
            if code in ACCEPTED_REGIONS:
                valid |= take & ok
        self.region = region
        self.valid = valid
        self.valid_bytes = valid.tobytes()  # for single lookups: indexing bytes is fastest
        self.valid_bits = np.packbits(valid, bitorder="little")  # 125 KB: stays in cache for bulk
        self.valid_area: npt.NDArray[np.bool_] = np.asarray(valid.reshape(1000, 1000).any(axis=1))
        self.country_codes = frozenset(_pnu.COUNTRY_CODE_TO_REGION_CODE)


@functools.cache
def _plan() -> _Plan:
    return _Plan()


def is_valid_prefix(prefix: int) -> bool:
    """Whether the 6-digit prefix (area code and exchange, e.g. ``212555``) holds valid numbers.

    True exactly when every number ``prefix * 10_000 + line`` is a valid US or Canadian number.

    >>> is_valid_prefix(212555), is_valid_prefix(212123)
    (True, False)
    """
    return 0 <= prefix < 10**6 and bool(_plan().valid[prefix])


def is_valid_area_code(area_code: int) -> bool:
    """Whether the 3-digit area code holds any valid US or Canadian number.

    >>> is_valid_area_code(212), is_valid_area_code(416), is_valid_area_code(876), is_valid_area_code(456)
    (True, True, False, False)
    """
    return 200 <= area_code < 1000 and bool(_plan().valid_area[area_code])


def _area_code_region(area_code: int) -> str | None:
    """The NANP member (ISO 3166 code) phonenumbers places most numbers of an area code in.

    For error messages only ("area code 876 is in JM"); :mod:`dncguard.geography` is the public
    answer to where an area code is. None for an area code not in service.

    >>> _area_code_region(212), _area_code_region(787), _area_code_region(876), _area_code_region(456)
    ('US', 'PR', 'JM', None)
    """
    if not 200 <= area_code < 1000:
        return None
    plan = _plan()
    block = plan.region[area_code * 1000 : (area_code + 1) * 1000]
    counts = np.bincount(block, minlength=len(plan.regions) + 1)
    counts[0] = 0
    best = int(counts.argmax())
    return plan.regions[best - 1] if counts[best] else None


def format_e164(n: int) -> str:
    """The E.164 spelling of a 10-digit national number: ``+1`` and the ten digits.

    >>> format_e164(2125550143)
    '+12125550143'
    >>> format_e164(212555014)
    Traceback (most recent call last):
    ...
    dncguard.errors.InvalidNumberError: 212555014 is not a US or Canadian phone number: expected a 10-digit...
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 2_000_000_000 <= n < 10**10:
        raise InvalidNumberError(n, "expected a 10-digit national number from parse_number()")
    return f"+1{int(n)}"


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
        raise TypeError(f"parse_number() takes a str or int, not {type(s).__name__}: {s!r}")
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


# ---------------------------------------------------------------------------------------------
# The vectorised parser.
# ---------------------------------------------------------------------------------------------

# Sure refusals among the other rows: ASCII without a digit; ASCII without ";" "/" "\\" whose
# last digit is followed by three or more letters (a spelling: no extension can follow).
_NO_DIGITS_ROW: Final = r"^[\x00-\x2f\x3a-\x7f]*$"
_TRAILING_LETTERS_ROW: Final = (
    r"^[\x00-\x2e\x30-\x3a\x3c-\x5b\x5d-\x7f]*[0-9](?:[^0-9;/\\\x{80}-\x{10ffff}]*[A-Za-z]){3}"
    r"[^0-9;/\\\x{80}-\x{10ffff}]*$"
)
_HEAD_WEIGHTS: Final = 10 ** np.arange(4, -1, -1, dtype=np.int64)
_THREADS_FROM_ROWS: Final = 20_000
_BLOCK_ROWS: Final = 65_536  # rows per block: its arrays stay in cache, and memory stays bounded


def _eight_digits(word: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """The values of 8 ASCII digits packed in little-endian uint64s, and of their first 4."""
    x = word - np.uint64(0x3030303030303030)
    x = (x * np.uint64(10) + (x >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    x = (x * np.uint64(100) + (x >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    four = (x & np.uint64(0xFFFF)).astype(np.int32)
    x = (x * np.uint64(10000) + (x >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return x.astype(np.int64), four


def _row_counts(
    digits: npt.NDArray[np.bool_],
    others: npt.NDArray[np.bool_],
    starts: npt.NDArray[np.integer[Any]],
    lengths: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """How many bytes of each row are marked in ``digits`` and in ``others`` (rows start at
    ``starts``, ``lengths`` bytes long; the masks cover the rows' bytes back to back).

    One ``reduceat`` (its cost is per row) sums both as the two bytes of a ``uint16`` when no
    row is longer than 255 bytes; the sums get one 0 past the end, so that every start (an empty
    last row starts at the end) is a valid index, and an empty row, for which ``reduceat`` gives
    the value at its start, is reset to 0.
    """
    empty = lengths == 0
    if len(lengths) and int(lengths.max()) <= 255:
        both = np.zeros(len(digits) + 1, dtype=np.uint16)
        np.left_shift(others, 8, out=both[:-1], dtype=np.uint16)
        both[:-1] |= digits
        sums = np.add.reduceat(both, starts)
        sums[empty] = 0
        return (sums & 0xFF).astype(np.int64), (sums >> 8).astype(np.int64)
    out = []
    for marked in (digits, others):
        padded = np.zeros(len(marked) + 1, dtype=np.uint8)
        padded[:-1] = marked
        one = np.add.reduceat(padded, starts, dtype=np.int64)
        one[empty] = 0
        out.append(one)
    return out[0], out[1]


def _matches(arr: pa.Array, pattern: str) -> npt.NDArray[np.bool_]:
    """Where the RE2 ``pattern`` matches (False for nulls)."""
    found: npt.NDArray[np.bool_] = pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(
        zero_copy_only=False
    )
    return found


def _parse_slice(arr: pa.Array) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
    """Vectorised :func:`parse_number` on one Arrow array: (numbers, valid, rows left to it)."""
    n = len(arr)
    numbers = np.zeros(n, dtype=np.uint64)
    valid = np.zeros(n, dtype=bool)
    present = arr.is_valid().to_numpy(zero_copy_only=False)
    offset_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=offset_type)[arr.offset : arr.offset + n + 1].astype(np.int64)
    lengths = offsets[1:] - offsets[:-1]
    base = int(offsets[0])
    if data_buf is None or offsets[-1] == base:
        return numbers, valid, np.zeros(0, dtype=np.intp)
    data = np.frombuffer(data_buf, dtype=np.uint8)[base : int(offsets[-1])]

    # Where the digits (and "+" signs) are, and per row the index of its first one among them.
    # In a covered row, a "+" can only be the one just before the number's first digit.
    starts = offsets[:-1] - base
    digits = ((data - ord("0")) < 10) | (data == ord("+"))
    where = np.flatnonzero(digits)
    # Characters other than digits, " ().-/", and "+" (any "+": only the one before the number's
    # first digit may be there; "(" ")" "+" "-" "." "/" and digits are 0, 1, 3 and 5 to 17).
    shifted = data - ord("(")
    others = ((shifted >= 18) | ((shifted - 2) <= 2)) & (data != ord(" "))
    counts, others_in_row = _row_counts(digits, others, starts, lengths)
    first = np.cumsum(counts) - counts
    plus = (
        (counts > 0) & (data[where[np.minimum(first, len(where) - 1)]] == ord("+"))
        if len(where)
        else counts > 0
    )
    first = first + plus
    counts = counts - plus

    # Which rule covers each row: a plain spelling, one with an extension, a sure refusal, or
    # none (left to parse_number). Rows of only digits, " ().-/" and one "+" before the digits
    # are plain spellings without asking RE2 (the cheap, common case).
    sized = present & (lengths > 0) & (lengths <= _MAX_INPUT_CHARS)
    plain = sized & (others_in_row == plus) & (counts > 0)
    extension = np.zeros(n, dtype=bool)
    refused = ~present | (lengths == 0)
    rest = np.flatnonzero(sized & ~plain)
    if len(rest):
        others = arr.take(pa.array(rest))
        plain[rest] = found = _matches(others, _PLAIN_ROW)
        if not found.all():
            rest, others = rest[~found], others.filter(pa.array(~found))
            extension[rest] = found = _matches(others, _EXTENSION_ROW)
        if not found.all():
            rest, others = rest[~found], others.filter(pa.array(~found))
            refused[rest] = _matches(others, _NO_DIGITS_ROW) | _matches(others, _TRAILING_LETTERS_ROW)
    fast = plain | extension
    if len(where) == 0:  # no digit anywhere: every row is refused or left to parse_number
        return numbers, valid, np.flatnonzero(~fast & ~refused)

    # An extension is the row's last run of digits; only its length up to 7 matters (7 or more
    # digits make it a second number).
    ext_digits = np.zeros(n, dtype=np.int64)
    ext_rows = np.flatnonzero(extension)
    if len(ext_rows):
        last = (first[ext_rows] + counts[ext_rows] - 1)[:, None]
        back = np.arange(1, _TWO_NUMBER_DIGITS)[None, :]
        adjacent = where[np.maximum(last - back, 0)] == where[last] - back
        adjacent &= back < counts[ext_rows][:, None]
        ext_digits[ext_rows] = 1 + np.minimum.accumulate(adjacent, axis=1).sum(axis=1)
    in_number = counts - ext_digits
    ok = fast & (in_number >= 10) & (in_number <= 15) & (ext_digits < _TWO_NUMBER_DIGITS)
    idx = np.flatnonzero(ok)
    if len(idx):
        # Each row's number digits end at ``end`` in ``codes`` (the digits and "+" signs of the
        # slice, back to back): the last 8 read as one little-endian uint64 at any byte offset,
        # the two before them one by one (a row has at least 10).
        codes = np.take(data, where)
        end = first[idx] + in_number[idx]
        lanes: npt.NDArray[np.uint64] = np.ndarray((len(codes) - 7,), dtype="<u8", buffer=codes, strides=(1,))
        eight, four = _eight_digits(lanes[end - 8])  # int(d7..d14), int(d7..d10)
        d5d6 = (np.take(codes, end - 10).astype(np.int32) - ord("0")) * 10 + (
            np.take(codes, end - 9) - ord("0")
        )
        nn = d5d6.astype(np.int64) * 10**8 + eight
        prefix = d5d6 * 10**4 + four
        # The k digits before the national number must be one of _PREFIXES_PLAIN (after a "+":
        # _PREFIXES_PLUS), phonenumbers' country code, trunk prefix and "011" forms.
        k = in_number[idx] - 10
        after_plus = plus[idx]
        good = np.zeros(len(idx), dtype=bool)
        prefixed = np.flatnonzero(k > 0)
        head = np.zeros(len(idx), dtype=np.int64)
        if len(prefixed):
            # d0..d4, the 5 digits before the national number: those before the row's first
            # (another row's, or clipped at the start) are dropped by the modulo.
            before = np.maximum(end[prefixed][:, None] - np.arange(15, 10, -1)[None, :], 0)
            digits_before = np.take(codes, before).astype(np.int64) - ord("0")
            head[prefixed] = (digits_before @ _HEAD_WEIGHTS) % 10 ** k[prefixed]  # this row's k only
        for form in _PREFIXES_PLAIN:
            fits = (k == len(form)) & (head == int(form or "0"))
            good |= fits if form in _PREFIXES_PLUS else fits & ~after_plus
        bits = _plan().valid_bits
        good &= ((bits[prefix >> 3] >> (prefix & 7).astype(np.uint8)) & 1).astype(bool)
        numbers[idx] = np.where(good, nn, 0).astype(np.uint64)
        valid[idx] = good
    return numbers, valid, np.flatnonzero(~fast & ~refused)


def _as_arrow(values: object) -> pa.Array | pa.ChunkedArray:
    """The input as an Arrow string array (or chunked array)."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        arr = values
    elif isinstance(values, np.ndarray):
        if values.dtype.kind not in "UO":
            raise TypeError(f"parse_numbers() takes strings; got a numpy array of {values.dtype}")
        items = values.tolist() if values.dtype.kind == "O" else values
        arr = pa.array(items, type=pa.string(), from_pandas=True)
    elif isinstance(values, Sequence) and not isinstance(values, str | bytes):
        arr = pa.array(list(values), type=pa.string())
    else:
        raise TypeError(
            "parse_numbers() takes a pyarrow string array, a numpy array of str, or a sequence of "
            f"str; got {type(values).__name__}"
        )
    if pa.types.is_null(arr.type):  # all nulls (what pyarrow infers for [] or [None, ...])
        arr = arr.cast(pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise TypeError(f"parse_numbers() takes strings; got an Arrow column of {arr.type}")
    return arr


_Column: TypeAlias = (
    pa.Array | pa.ChunkedArray | npt.NDArray[np.str_] | npt.NDArray[np.object_] | Sequence[str | None]
)


def parse_numbers(
    values: _Column, *, threads: int | None = None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """Vectorised :func:`parse_number`: a column of strings to numbers and a validity mask.

    ``values`` is a pyarrow ``string``/``large_string`` array or chunked array (nulls allowed),
    a numpy array of ``str`` or ``object`` (``None`` is null), or a sequence of ``str``.
    Returns ``(numbers, valid)``: ``uint64`` national numbers (0 where invalid) and where each
    row is valid. Row for row it agrees with :func:`parse_number`; null and empty rows are
    invalid. The common spellings are parsed without a Python loop, over the Arrow buffers, in
    blocks of rows; the rare rows those rules do not cover (non-ASCII characters, commas or tabs
    inside the number, ...) go through :func:`parse_number` one by one.

    ``threads`` is how many threads share the blocks (numpy and pyarrow release the GIL). The
    default, None, uses two when the machine has a core to spare (1-minute load average at
    most the core count minus one) and one otherwise: on a busy machine a second thread only
    competes for the same core and its cache. The result does not depend on it.

    >>> numbers, valid = parse_numbers(["+1 416 555 0143", "212-555-CALL", ""])
    >>> numbers.tolist(), valid.tolist()
    ([4165550143, 0, 0], [True, False, False])
    """
    if threads is None:
        cores = os.cpu_count() or 1
        threads = 2 if cores >= 2 and os.getloadavg()[0] <= cores - 1 else 1
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, not {threads!r}")
    arr = _as_arrow(values)
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    parts = [_parse_array(chunk, threads) for chunk in chunks]
    if not parts:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _parse_array(arr: pa.Array, threads: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """parse_numbers on one Arrow array: blocks of rows, shared by ``threads`` threads."""
    _plan()  # build the table once, before the threads need it
    n = len(arr)
    pieces = [arr.slice(i, _BLOCK_ROWS) for i in range(0, n, _BLOCK_ROWS)]
    if threads > 1 and len(pieces) == 1 and n >= _THREADS_FROM_ROWS:
        pieces = [arr.slice(0, n // 2), arr.slice(n // 2)]
    if threads > 1 and len(pieces) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(_parse_slice, pieces))
    else:
        parts = [_parse_slice(piece) for piece in pieces]
    numbers = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.uint64)
    valid = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=bool)
    starts = np.cumsum([0] + [len(piece) for piece in pieces])[:-1].tolist()
    for start, part in zip(starts, parts, strict=True):
        for i in (part[2] + start).tolist():
            try:
                numbers[i] = parse_number(arr[i].as_py())
                valid[i] = True
            except InvalidNumberError:
                pass
    return numbers, valid
