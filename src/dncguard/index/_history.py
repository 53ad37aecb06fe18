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
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dncguard.errors import CorruptIndexError

__all__ = ["decode_set", "encode_set"]

U64 = npt.NDArray[np.uint64]

_MAX_BYTES: Final = 5  # 10**10 < 2**35: a gap between 10-digit numbers takes at most 5 bytes
_LIMIT: Final = 10_000_000_000


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
