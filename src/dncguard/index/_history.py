"""Compact number sets for the registry's history: sorted ``uint64`` sets as varint gaps.

A history delta (one day's additions to the national registry, say) is sparse: about one number
per 10,000-line block. The block containers of :mod:`dncguard.index._codec` cost a directory
entry and a padded container per block there (24 bytes a number); the gaps between successive
sorted numbers, as LEB128 varints (7 bits a byte, high bit = "more"), cost 3 bytes a number
for such a set and 1-2 bytes for a dense one. Encoding and decoding are vectorised (numpy, no
loop per number).

>>> import numpy as np
>>> blob = encode_set(np.array([2125550143, 2125550144, 4165551234], dtype=np.uint64))
>>> len(blob)  # the first number whole (5 bytes), then gaps of 1 and 2,040,001,090
11
>>> decode_set(blob, 3).tolist()
[2125550143, 2125550144, 4165551234]
>>> decode_set(blob, 2)
Traceback (most recent call last):
    ...
dncguard.errors.CorruptIndexError: history set: 3 numbers stored, 2 expected

A set also gets a skip table (:func:`skips_of`): for every ``SKIP``-th number, the number and
where its encoding ends, so that one number is looked up by decoding at most ``SKIP`` gaps
(:func:`has`), never the whole set: a past version answers its first lookup without decoding
the history.

>>> skips = skips_of(blob)
>>> has(blob, skips, 3, 2125550144), has(blob, skips, 3, 2125550145)
(True, False)
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dncguard.errors import CorruptIndexError

__all__ = ["SKIP", "check_skips", "decode_set", "encode_set", "has", "skips_of"]

U64 = npt.NDArray[np.uint64]

_MAX_BYTES: Final = 5  # 10**10 < 2**35: a gap between 10-digit numbers takes at most 5 bytes
_LIMIT: Final = 10_000_000_000
#: One skip entry per this many numbers of a set (8 bytes: 0.5 bit a number).
SKIP: Final = 128
_OFF_BITS: Final = 30  # a skip entry is ``number << 30 | byte offset``: 10**10 < 2**34, 34 + 30 = 64
_OFF_MASK: Final = (1 << _OFF_BITS) - 1


def encode_set(numbers: U64) -> bytes:
    """The varint-gap bytes of the sorted, distinct ``numbers`` (each below ``10**10``)."""
    if not len(numbers):
        return b""
    if int(numbers[-1]) >= _LIMIT:
        raise ValueError("history sets hold 10-digit numbers")
    q = numbers.astype(np.uint64, copy=False)
    gaps = np.empty(len(q), np.uint64)
    gaps[0] = q[0]
    np.subtract(q[1:], q[:-1], out=gaps[1:])
    if len(q) > 1 and not bool((q[1:] > q[:-1]).all()):
        raise ValueError("history sets are sorted and distinct")
    nb = np.ones(len(gaps), np.int64)
    for k in range(1, _MAX_BYTES):
        nb += gaps >= np.uint64(1 << (7 * k))
    starts = np.cumsum(nb) - nb
    out = np.empty(int(nb.sum()), np.uint8)
    for k in range(_MAX_BYTES):
        sel = np.flatnonzero(nb > k)
        if not len(sel):
            break
        byte = ((gaps[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        more = (nb[sel] > k + 1).astype(np.uint8) << np.uint8(7)
        out[starts[sel] + k] = byte | more
    return out.tobytes()


def decode_set(buf: Any, count: int) -> U64:
    """The ``count`` sorted numbers encoded in ``buf``; :class:`CorruptIndexError` if ``buf``
    does not hold exactly that many strictly increasing 10-digit numbers."""
    b = np.frombuffer(buf, np.uint8)
    ends = np.flatnonzero(b < 0x80)
    if len(ends) != count:
        raise CorruptIndexError(f"history set: {len(ends)} numbers stored, {count} expected")
    if not count:
        if len(b):
            raise CorruptIndexError("history set: bytes without a number")
        return np.zeros(0, np.uint64)
    if int(ends[-1]) != len(b) - 1:
        raise CorruptIndexError("history set: an unfinished number at the end")
    starts = np.empty(count, np.int64)
    starts[0] = 0
    np.add(ends[:-1], 1, out=starts[1:])
    nb = ends - starts + 1
    if int(nb.max()) > _MAX_BYTES:
        raise CorruptIndexError("history set: a number longer than 5 bytes")
    # each number's (at most 5) bytes read as one little-endian word, then its 7-bit groups
    # packed together and the bytes past its end masked off: one gather, no pass per byte
    padded = np.zeros(len(b) + 8, np.uint8)
    padded[: len(b)] = b
    words = np.ndarray((len(b),), dtype="<u8", buffer=padded, strides=(1,))[starts]
    vals = words & np.uint64(0x7F)
    for k in range(1, _MAX_BYTES):
        vals |= (words >> np.uint64(k)) & np.uint64(0x7F << (7 * k))
    vals &= (np.uint64(1) << (np.uint64(7) * nb.astype(np.uint64))) - np.uint64(1)
    if count > 1 and not bool((vals[1:] > 0).all()):
        raise CorruptIndexError("history set: numbers out of order")
    if float(vals.astype(np.float64).sum()) >= _LIMIT:
        raise CorruptIndexError("history set: a number out of range")
    return np.cumsum(vals, dtype=np.uint64)


def _ends(buf: Any) -> npt.NDArray[np.intp]:
    return np.flatnonzero(np.frombuffer(buf, np.uint8) < 0x80)


def skips_of(blob: Any) -> bytes:
    """The skip table of a set's bytes (as :func:`encode_set` made them): for numbers ``0, SKIP,
    2 * SKIP, ...``, ``number << 30 | offset`` (``uint64``), ``offset`` being where the number's
    bytes end. Empty when the set is (or when its bytes reach ``2**30``: then :func:`has` is not
    used, the whole set is decoded instead)."""
    b = np.frombuffer(blob, np.uint8)
    if not len(b) or len(b) > _OFF_MASK:
        return b""
    ends = _ends(b)
    values = decode_set(b, len(ends))[::SKIP]
    offsets = (ends[::SKIP] + 1).astype(np.uint64)
    return ((values << np.uint64(_OFF_BITS)) | offsets).astype("<u8").tobytes()


def check_skips(skips: Any, count: int, length: int) -> None:
    """:class:`CorruptIndexError` unless ``skips`` has the length a set of ``count`` numbers in
    ``length`` bytes gives it (the entries themselves are checked against the set when it is
    decoded whole: :func:`skips_agree`)."""
    want = 0 if not count or length > _OFF_MASK else 8 * -(-count // SKIP)
    if len(skips) != want:
        raise CorruptIndexError(f"history set: a skip table of {len(skips)} bytes, {want} expected")


def skips_agree(skips: Any, blob: Any, numbers: U64) -> bool:
    """Whether ``skips`` is the skip table of ``blob``, whose numbers are ``numbers``."""
    if not len(skips):
        return True
    table = np.frombuffer(skips, "<u8")
    ends = _ends(blob)
    return bool(
        np.array_equal(table >> np.uint64(_OFF_BITS), numbers[::SKIP])
        and np.array_equal(table & np.uint64(_OFF_MASK), (ends[::SKIP] + 1).astype(np.uint64))
    )


def has(blob: Any, skips: Any, count: int, n: int) -> bool:
    """Whether the set of ``count`` numbers in ``blob`` (skip table ``skips``) holds ``n``: one
    binary search in the skip table, then at most ``SKIP`` gaps decoded (in Python: for one
    number, cheaper than numpy's per-call cost)."""
    if not count:
        return False
    table = skips if isinstance(skips, memoryview) and skips.format == "Q" else memoryview(skips).cast("Q")
    j = bisect_right(table, (n << _OFF_BITS) | _OFF_MASK) - 1
    if j < 0:
        return False
    entry = table[j]
    value = entry >> _OFF_BITS
    if value == n:
        return True
    start = entry & _OFF_MASK
    stop = table[j + 1] & _OFF_MASK if j + 1 < len(table) else len(blob)
    if not 0 <= start <= stop <= len(blob) or stop - start > SKIP * _MAX_BYTES:
        raise CorruptIndexError("history set: a skip entry points outside the set")
    gap = shift = 0
    for byte in bytes(blob[start:stop]):
        gap |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        value += gap
        if value >= n:
            return value == n
        gap = shift = 0
    return False
