"""NANP-shaped numbers from bytes, vectorised: whole blocks of lines (or Arrow strings) at once.

Registry files need only the *shape* of a North American number, not the numbering plan: a record
is its digits, which must be 10 (or 11 with a leading ``1``) with the area code and the exchange
starting 2-9. Punctuation people write numbers with (``+1 (212) 555-0143``, ``212,5550143``,
quotes, tabs, semicolons, trailing spaces) is allowed; a record with any other byte (a letter) is
refused. A record without any digit (a blank line, a header) is no record. US territories and
toll-free numbers have this shape and are kept.

Two paths give the same numbers. The fast path takes a block whose lines all have the layout of
its first line (``2125550143`` or ``212,5550143``, LF or CRLF): one reshape, a column check and a
Horner pass over the digit columns. Anything else (mixed layouts, blank or header lines) takes the general
path: line ends, a running digit count and a gather. A bad record is found, and its offset
reported, only after the vectorised checks fail.

>>> parse_lines(b"2125550143\\n212,5550199\\r\\n\\n+1 (305) 555-0100\\n").numbers.tolist()
[2125550143, 2125550199, 3055550100]
>>> parse_lines(b"212555014\\n").error
'expected a 10-digit number (or 11 starting with 1), got 9 digits'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Parsed", "digits_value", "parse_lines", "parse_spans"]

U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_ZERO = np.uint8(48)
_NINE = np.uint8(9)
_TEN = np.uint32(10)
_E5 = np.uint64(100_000)
_E7 = np.uint64(10_000_000)

# Bytes allowed around the digits of a number.
_ALLOWED = np.zeros(256, dtype=bool)
_ALLOWED[[ord(c) for c in "0123456789 \t,;-()+.\"'\r\n"]] = True
_IS_END = np.zeros(256, dtype=bool)
_IS_END[[10, 13]] = True


@dataclass(frozen=True)
class Parsed:
    """The numbers of a block and where each record starts.

    ``numbers[i]`` came from the record at byte ``offset(i)``. When the block has a bad record,
    ``numbers`` holds nothing, ``error`` says what was expected and ``error_at`` is its offset.
    ``local`` marks 7-digit records (only when the caller allows them): their area code is not yet
    added.
    """

    numbers: U64
    starts: I64 | None = None
    stride: int = 0
    error: str | None = None
    error_at: int = 0
    local: npt.NDArray[np.bool_] | None = None

    def offset(self, i: int) -> int:
        """The byte offset of the record that gave ``numbers[i]``."""
        return int(self.starts[i]) if self.starts is not None else i * self.stride


def digits_value(d: U8) -> U64:
    """Rows of 10 digit values (0-9) -> their numbers: Horner in two uint32 halves.

    Single-threaded integer arithmetic: faster here than a float matrix product through BLAS,
    whose threads compete with the reader thread inflating the next block.
    """
    hi = d[:, 0].astype(np.uint32)
    lo = d[:, 5].astype(np.uint32)
    for k in range(1, 5):
        hi *= _TEN
        hi += d[:, k]
        lo *= _TEN
        lo += d[:, k + 5]
    out = hi.astype(np.uint64)
    out *= _E5
    out += lo
    return out


def _fixed(a: U8) -> Parsed | None:
    """The fast path: every line has the layout of the first one. ``None`` when that is not so."""
    nl = np.flatnonzero(a[:64] == 10)
    if nl.size == 0:
        return None
    width = int(nl[0]) + 1
    if a.size % width:
        return None
    m = a.reshape(-1, width)
    first = m[0]
    is_digit = (first - _ZERO) <= _NINE
    dcols = np.flatnonzero(is_digit)
    if dcols.size == 11 and first[dcols[0]] == 49:  # a leading 1 is part of the layout
        is_digit[dcols[0]] = False
        dcols = dcols[1:]
    if dcols.size != 10:
        return None
    for c in np.flatnonzero(~is_digit):
        if not _ALLOWED[first[c]] or not (m[:, c] == first[c]).all():
            return None
    d = (m[:, dcols[0] : dcols[-1] + 1] if dcols[-1] - dcols[0] == 9 else m[:, dcols]) - _ZERO
    if d.max() > _NINE or d[:, 0].min() < 2 or d[:, 3].min() < 2:
        return None  # the general path finds and names the bad record
    return Parsed(digits_value(d), stride=width)


def parse_lines(data: bytes, *, local: bool = False) -> Parsed:
    """Parse a block of lines (LF, CRLF or CR); ``local=True`` also accepts 7-digit records."""
    a = np.frombuffer(data, dtype=np.uint8)
    if a.size == 0:
        return Parsed(np.empty(0, np.uint64), starts=np.empty(0, np.int64))
    if not local:
        fast = _fixed(a)
        if fast is not None:
            return fast
    if not _IS_END[a[-1]]:
        a = np.append(a, np.uint8(10))
    ends = np.flatnonzero(_IS_END[a])
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    return parse_spans(a, starts, ends, local=local)


def parse_spans(a: U8, starts: I64, ends: I64, *, local: bool = False, other_digits: bool = True) -> Parsed:
    """Parse the records ``a[starts[i]:ends[i]]`` (the general path; also for Arrow strings).

    ``other_digits``: refuse a record written in other digits than 0-9 (the delimited readers
    refuse those themselves, naming the column).
    """
    is_digit = (a - _ZERO) <= _NINE
    csum = np.zeros(a.size + 1, dtype=np.int64)
    np.cumsum(is_digit, out=csum[1:])
    count = csum[ends] - csum[starts]
    has = count > 0
    bad_bytes = np.flatnonzero(~_ALLOWED[a])
    if bad_bytes.size:
        rec = np.searchsorted(starts, bad_bytes, side="right") - 1
        inside = (rec >= 0) & (bad_bytes < ends[np.maximum(rec, 0)])
        rec = rec[inside]
        wide = rec[~has[rec] & (a[bad_bytes[inside]] >= 0x80)]
        rec = rec[has[rec]]
        if wide.size and other_digits:
            # A line of other digits than 0-9 (full-width, Arabic-Indic) has no ASCII digit: it
            # would be skipped as a header line, and its number lost. Refused, like a letter.
            i = _other_digits(a, starts, ends, np.unique(wide))
            if i is not None and (not rec.size or i < rec[0]):
                return _bad(starts, i, "expected a phone number in the digits 0-9, got other digits")
        if rec.size:
            i = int(rec[0])
            return _bad(starts, i, "expected a phone number (digits and - ( ) + , ; . spaces only)")
    digits = a[is_digit] - _ZERO
    first = csum[starts]  # index into ``digits`` of each record's first digit
    lead_one = count == 11
    lead_one[lead_one] = digits[first[lead_one]] == 1
    ok = (count == 10) | lead_one | (local & (count == 7))
    bad = has & ~ok
    if bad.any():
        i = int(np.argmax(bad))
        return _bad(starts, i, f"expected a 10-digit number (or 11 starting with 1), got {count[i]} digits")
    keep = np.flatnonzero(has)
    first = first[keep] + lead_one[keep]
    n_digits = np.where(count[keep] == 7, 7, 10)
    if local and (n_digits == 7).any():
        # Left-pad 7-digit local numbers with three zero "area code" digits.
        padded = np.zeros((keep.size, 10), dtype=np.uint8)
        cols = np.arange(10)
        src = first[:, None] + cols - (10 - n_digits)[:, None]
        valid = cols >= (10 - n_digits)[:, None]
        padded[valid] = digits[src[valid]]
        d = padded
    else:
        d = digits[first[:, None] + np.arange(10)] if keep.size else np.zeros((0, 10), np.uint8)
    is_local = n_digits == 7
    shape_bad = ((d[:, 0] < 2) & ~is_local) | (d[:, 3] < 2)
    if shape_bad.any():
        i = int(keep[np.argmax(shape_bad)])
        return _bad(starts, i, "expected the area code and the exchange to start with 2-9")
    return Parsed(digits_value(d), starts=starts[keep], local=is_local if local else None)


_UNICODE_DIGIT = re.compile(r"\d")


def _other_digits(a: U8, starts: I64, ends: I64, recs: I64) -> int | None:
    """The first of the records ``recs`` (which hold no ASCII digit) that holds a Unicode digit."""
    for i in recs.tolist():
        if _UNICODE_DIGIT.search(a[starts[i] : ends[i]].tobytes().decode("utf-8", "replace")):
            return int(i)
    return None


def _bad(starts: I64, i: int, why: str) -> Parsed:
    return Parsed(np.empty(0, np.uint64), error=why, error_at=int(starts[i]))


def area_code_counts(numbers: U64) -> npt.NDArray[np.intp]:
    """How many numbers fall in each area code (index 0-999); avoids ``np.unique``'s hash path."""
    return np.bincount((numbers // _E7).astype(np.intp), minlength=1000)
