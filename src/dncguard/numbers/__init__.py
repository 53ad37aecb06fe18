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

The modules: ``_plan`` (the numbering plan), ``_scalar`` (:func:`parse_number`), ``_vector``
(:func:`parse_numbers`). Import from ``dncguard.numbers``; the module names may change.

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

from dncguard.errors import InvalidNumberError as InvalidNumberError
from dncguard.numbers._plan import (
    ACCEPTED_REGIONS,
    format_e164,
    is_valid_area_code,
    is_valid_prefix,
)
from dncguard.numbers._plan import _plan as _plan
from dncguard.numbers._scalar import _parse_text as _parse_text
from dncguard.numbers._scalar import parse_number
from dncguard.numbers._vector import parse_numbers

__all__ = [
    "ACCEPTED_REGIONS",
    "format_e164",
    "is_valid_area_code",
    "is_valid_prefix",
    "parse_number",
    "parse_numbers",
]
