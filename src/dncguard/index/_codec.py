"""Block containers: vectorised encoding, decoding and membership tests (numpy only).

Numbers are grouped by their 6-digit prefix (area code + exchange); each non-empty prefix block
holds the set of its 4-digit line numbers (0-9999) in one *container*, the smallest of:

``BITMAP`` (1256 bytes)
    10,000 bits, line ``x`` at byte ``x >> 3``, bit ``x & 7``; zero-padded to 1256 bytes.
``ARRAY`` (``2n`` bytes, padded to 8)
    the ``n`` lines as sorted ``uint16``.
``PACKED`` with parameter ``l`` (1-13)
    line ``x`` is split into bucket ``h = x >> l`` and low part ``x & (2**l - 1)``.
    ``W = NW[l] = ceil(nb / 12)`` count words (``uint64``, ``nb = (9999 >> l) + 1`` buckets):
    bits 0-15 of word ``w`` hold its *sample*, the number of lines in buckets before ``12w``;
    nibble ``j`` of bits 16-63 holds the number of lines in bucket ``12w + j`` (at most 15:
    a block whose buckets overflow takes a smaller ``l`` or another container). Then the low
    parts of the ``n`` lines in order, ``l`` bits each, least significant bit first, padded to
    8 bytes. This is Elias-Fano with the unary high part replaced by fixed-width bucket counts
    and in-word samples, so a probe needs one word and a popcount-like sum, and no select.

A block's directory entry (``uint64``) packs ``type | l << 2 | n << 6 | offset << 20``;
``0`` means the block is empty. Containers start on 8-byte boundaries, and the data section ends
with 8 zero bytes so that a two-word read at the last word stays inside it.

A probe for line ``x`` in a ``PACKED`` block reads one count word: the lines of bucket ``h`` are
those of rank ``s .. s + c - 1`` with ``s`` = the word's sample + the nibbles below ``j``, and
``c`` = nibble ``j``; their ``c`` low parts (one or two more words) are compared with ``x``'s all
at once (a zero-field test on ``window ^ (low * 0b0..01 0..01)``).

>>> import numpy as np
>>> numbers = np.array([2125550000, 2125550143, 2125559999, 4165551234], dtype=np.uint64)
>>> enc = encode(numbers)
>>> enc.prefixes.tolist(), [int(t) for t in enc.entries & 3]
([212555, 416555], [2, 2])
>>> data = np.concatenate([enc.data, np.zeros(8, np.uint8)])
>>> decode(enc.entries, enc.prefixes, data).tolist() == numbers.tolist()
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dncguard.errors import CorruptIndexError

__all__ = [
    "ARRAY",
    "BITMAP",
    "BITMAP_BYTES",
    "LINES",
    "LOWS_AT",
    "MAX_L",
    "PACKED",
    "Encoded",
    "bitmap_stays",
    "container_sizes",
    "contains",
    "decode",
    "encode",
    "make_probe",
    "runs",
]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

BITMAP: Final = 1
ARRAY: Final = 2
PACKED: Final = 3
LINES: Final = 10_000
BITMAP_BYTES: Final = 1256
MAX_L: Final = 13
#: Prefer a bitmap (faster to probe) while it is at most this many times the smallest container.
#: 1.0 = always the smallest; benchmarks vary it to show the size/speed trade-off.
BITMAP_BIAS: float = 1.0
#: Whether ``PACKED`` containers may be chosen (benchmarks turn it off to show bitmap + array only).
ALLOW_PACKED: bool = True

#: buckets per count word: a 16-bit sample, then 12 four-bit counts
PER_WORD: Final = 12
_NW = np.array([(((LINES - 1) >> lw) + PER_WORD) // PER_WORD for lw in range(MAX_L + 1)], dtype=np.int64)
_LOWS_AT = 8 * _NW
#: Byte offset of the low parts in a ``PACKED`` container with parameter ``l`` (its count words).
LOWS_AT: Final = _LOWS_AT
_LOWS_AT_PY: Final = [int(x) for x in _LOWS_AT]
_SWAR_FIELDS = np.array([0] + [64 // lw for lw in range(1, MAX_L + 1)], dtype=np.int64)
_SWAR_ONES = np.array(
    [0] + [sum(1 << (k * lw) for k in range(64 // lw)) for lw in range(1, MAX_L + 1)], dtype=np.uint64
)
_SWAR_HIGHS = np.array(
    [0] + [sum(1 << (k * lw + lw - 1) for k in range(64 // lw)) for lw in range(1, MAX_L + 1)],
    dtype=np.uint64,
)
_ALL: Final = np.uint64(0xFFFFFFFFFFFFFFFF)
_M4: Final = 0x0F0F0F0F0F0F0F0F
_ONES: Final = 0x0101010101010101


@dataclass(frozen=True)
class Encoded:
    """Containers for a run of blocks: ``prefixes`` (sorted), directory ``entries`` with offsets
    relative to the start of ``data``, and ``data`` (the containers back to back)."""

    prefixes: U64
    entries: U64
    data: npt.NDArray[np.uint8]


def container_sizes(entries: U64) -> I64:
    """The byte size of each entry's container (0 for an empty entry)."""
    e = entries.astype(np.int64)
    t = e & 3
    lw = (e >> 2) & 15
    n = (e >> 6) & 0x3FFF
    size = np.zeros(len(e), np.int64)
    size[t == BITMAP] = BITMAP_BYTES
    size = np.where(t == ARRAY, 8 * ((n + 3) // 4), size)
    packed = _LOWS_AT[lw] + 8 * ((n * lw + 63) // 64)
    return np.where(t == PACKED, packed, size)


def bitmap_stays(counts: I64) -> npt.NDArray[np.bool_]:
    """Where a block of ``counts`` lines is a bitmap whatever its lines: no array, and no packed
    container even without bucket overflows, would be chosen over it."""
    ls = np.arange(1, MAX_L + 1, dtype=np.int64)
    packed = (_LOWS_AT[ls][None, :] + 8 * ((counts[:, None] * ls[None, :] + 63) // 64)).min(axis=1)
    if not ALLOW_PACKED:
        packed = np.full(len(counts), np.iinfo(np.int64).max // 2)
    smallest = np.minimum(packed, 8 * ((counts + 3) // 4))
    stays: npt.NDArray[np.bool_] = smallest * BITMAP_BIAS >= BITMAP_BYTES
    return stays


def runs(keys: npt.NDArray[np.integer[Any]]) -> I64:
    """Start indices of the runs of equal values in ``keys`` (non-empty)."""
    return np.concatenate([[0], np.flatnonzero(keys[1:] != keys[:-1]) + 1]).astype(np.int64)


def _choose(bidx: I64, line: I64, counts: I64) -> tuple[I64, I64, I64]:
    """Per block: container type, ``l`` and size in bytes."""
    nb = len(counts)
    ls = np.arange(1, MAX_L + 1, dtype=np.int64)
    sizes = _LOWS_AT[ls][None, :] + 8 * ((counts[:, None] * ls[None, :] + 63) // 64)
    upper = np.full(nb, MAX_L, np.int64)
    pending = np.ones(nb, bool)
    best = np.zeros(nb, np.int64)
    while pending.any():
        masked = np.where(ls[None, :] <= upper[:, None], sizes, np.iinfo(np.int64).max)
        best = np.where(pending, np.argmin(masked, axis=1) + 1, best)
        sel = np.flatnonzero(pending[bidx])
        if len(sel) == 0:
            break
        b = bidx[sel]
        key = (b << 16) | (line[sel] >> best[b])
        rs = runs(key)
        runlen = np.diff(np.append(rs, len(sel)))
        blocks_of_runs = b[rs]
        first = runs(blocks_of_runs)
        maxc = np.maximum.reduceat(runlen, first)
        checked = blocks_of_runs[first]
        bad = checked[maxc > 15]
        pending[:] = False
        pending[bad] = True
        upper[bad] = best[bad] - 1
        # l = 1 always fits only if no bucket of two lines has more than 15: it always does.
    best_size = sizes[np.arange(nb), best - 1]
    if not ALLOW_PACKED:
        best_size = np.full(nb, np.iinfo(np.int64).max // 2)
    array_size = 8 * ((counts + 3) // 4)
    kind = np.full(nb, PACKED, np.int64)
    size = best_size.copy()
    use_array = array_size < size
    kind[use_array] = ARRAY
    size[use_array] = array_size[use_array]
    use_bitmap = size * BITMAP_BIAS >= BITMAP_BYTES
    kind[use_bitmap] = BITMAP
    size[use_bitmap] = BITMAP_BYTES
    return kind, np.where(kind == PACKED, best, 0), size


def encode(numbers: U64) -> Encoded:
    """Encode sorted 10-digit ``numbers`` (duplicates are dropped) into one container per block."""
    if len(numbers) == 0:
        empty = np.zeros(0, np.uint64)
        return Encoded(empty, empty, np.zeros(0, np.uint8))
    num = numbers.astype(np.int64)
    if len(num) > 1:
        distinct = np.empty(len(num), bool)
        distinct[0] = True
        np.not_equal(num[1:], num[:-1], out=distinct[1:])
        if not distinct.all():
            num = num[distinct]
    prefix: I64 = num // LINES
    line: I64 = num - prefix * LINES
    del num
    starts = runs(prefix)
    m = len(line)
    counts = np.diff(np.append(starts, m))
    nb = len(starts)
    bidx = np.repeat(np.arange(nb, dtype=np.int64), counts)
    kind, lsel, size = _choose(bidx, line, counts)
    offs = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    total = int(size.sum())
    out = np.zeros(total, np.uint8)
    out16 = out.view("<u2")
    out64 = out.view("<u8")
    ekind = kind[bidx]

    sel = np.flatnonzero(ekind == BITMAP)
    if len(sel):
        pos = offs[bidx[sel]] * 8 + line[sel]
        byte = pos >> 3
        val = (1 << (pos & 7)).astype(np.uint8)
        rs = runs(byte)
        out[byte[rs]] = np.add.reduceat(val, rs)

    sel = np.flatnonzero(ekind == ARRAY)
    if len(sel):
        b = bidx[sel]
        out16[offs[b] // 2 + (sel - starts[b])] = line[sel]

    sel = np.flatnonzero(ekind == PACKED)
    if len(sel):
        _encode_packed(out64, sel, bidx, line, starts, offs, lsel, kind)

    entries = (
        kind.astype(np.uint64)
        | (lsel.astype(np.uint64) << np.uint64(2))
        | (counts.astype(np.uint64) << np.uint64(6))
        | (offs.astype(np.uint64) << np.uint64(20))
    )
    return Encoded(prefix[starts].astype(np.uint64), entries, out)


def _encode_packed(
    out64: U64,
    sel: I64,
    bidx: I64,
    line: I64,
    starts: I64,
    offs: I64,
    lsel: I64,
    kind: I64,
) -> None:
    b = bidx[sel]
    lb = lsel[b]
    h = line[sel] >> lb
    # counts: one run per (block, bucket), summed into the block's count words
    rs = runs((b << 16) | h)
    runcount = np.diff(np.append(rs, len(sel)))
    rb = b[rs]
    rh = h[rs]
    rw = rh // PER_WORD
    word = offs[rb] // 8 + rw
    val = runcount.astype(np.uint64) << (16 + 4 * (rh - rw * PER_WORD)).astype(np.uint64)
    ws = runs(word)
    out64[word[ws]] = np.add.reduceat(val, ws)
    # samples: exclusive prefix sums of the per-word counts within each block
    pblocks = np.flatnonzero(kind == PACKED)
    nw = _NW[lsel[pblocks]]
    wbase = np.concatenate([[0], np.cumsum(nw)[:-1]]).astype(np.int64)
    slot = np.full(len(kind), -1, np.int64)
    slot[pblocks] = np.arange(len(pblocks))
    wc = np.zeros(int(nw.sum()), np.int64)
    wc[wbase[slot[rb[ws]]] + rw[ws]] = np.add.reduceat(runcount, ws)
    cum = np.cumsum(wc) - wc
    rep_base = np.repeat(wbase, nw)
    samp = cum - np.repeat(cum[wbase], nw)
    dst = np.repeat(offs[pblocks] // 8, nw) + (np.arange(len(wc)) - rep_base)
    out64[dst] |= samp.astype(np.uint64)
    # low parts: l bits each at bit (offset + LOWS_AT[l]) * 8 + rank * l
    r = sel - starts[b]
    lo = (line[sel] & ((1 << lb) - 1)).astype(np.uint64)
    bitpos = (offs[b] + _LOWS_AT[lb]) * 8 + r * lb
    w0 = bitpos >> 6
    sh = bitpos & 63
    part = lo << sh.astype(np.uint64)
    ws = runs(w0)
    out64[w0[ws]] = np.add.reduceat(part, ws)
    spill = np.flatnonzero(sh + lb > 64)
    if len(spill):
        w1 = w0[spill] + 1
        part1 = lo[spill] >> (64 - sh[spill]).astype(np.uint64)
        ws = runs(w1)
        tgt = w1[ws]
        out64[tgt] |= np.bitwise_or.reduceat(part1, ws)


def _read_bits(data64: U64, bitpos: I64, width: I64) -> U64:
    """``width`` bits (< 64) at each ``bitpos`` of the little-endian word array ``data64``."""
    w0 = bitpos >> 6
    sh = (bitpos & 63).astype(np.uint64)
    lo = data64[w0] >> sh
    hi = (data64[w0 + 1] << np.uint64(1)) << (np.uint64(63) - sh)
    bits: U64 = (lo | hi) & ((np.uint64(1) << width.astype(np.uint64)) - np.uint64(1))
    return bits


def _nibble_sum(x: U64) -> U64:
    t = (x & np.uint64(_M4)) + ((x >> np.uint64(4)) & np.uint64(_M4))
    total: U64 = (t * np.uint64(_ONES)) >> np.uint64(56)
    return total


def decode(entries: U64, prefixes: U64, data: npt.NDArray[np.uint8]) -> U64:
    """The sorted numbers held by the (non-empty) ``entries`` of blocks ``prefixes``."""
    e = entries.astype(np.int64)
    t = e & 3
    lw = (e >> 2) & 15
    n = (e >> 6) & 0x3FFF
    off = e >> 20
    base = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64)
    total = int(n.sum())
    lines = np.zeros(total, np.int64)
    data16 = data[: len(data) // 2 * 2].view("<u2")
    data64 = data[: len(data) // 8 * 8].view("<u8")

    blk = np.flatnonzero(t == ARRAY)
    if len(blk):
        nn = n[blk]
        rank = np.arange(int(nn.sum())) - np.repeat(np.cumsum(nn) - nn, nn)
        lines[np.repeat(base[blk], nn) + rank] = data16[np.repeat(off[blk] // 2, nn) + rank]

    blk = np.flatnonzero(t == BITMAP)
    step = 4096
    for i in range(0, len(blk), step):
        part = blk[i : i + step]
        rows = data[off[part][:, None] + np.arange(LINES // 8)[None, :]]
        flat = np.flatnonzero(np.unpackbits(rows, axis=1, bitorder="little"))
        row = flat // LINES
        line = flat - row * LINES
        nn = n[part]
        rank = np.arange(len(row)) - np.repeat(np.cumsum(nn) - nn, nn)
        lines[base[part][row] + rank] = line

    blk = np.flatnonzero(t == PACKED)
    if len(blk):
        lb = lw[blk]
        nw = _NW[lb]
        wstart = np.repeat(off[blk] // 8, nw) + (np.arange(int(nw.sum())) - np.repeat(np.cumsum(nw) - nw, nw))
        words = data64[wstart]
        shifts = np.uint64(16) + np.arange(PER_WORD, dtype=np.uint64) * np.uint64(4)
        nib = ((words[:, None] >> shifts[None, :]) & np.uint64(15)).ravel()
        nbuck = PER_WORD * nw
        bucket = np.arange(len(nib)) - np.repeat(np.cumsum(nbuck) - nbuck, nbuck)
        h = np.repeat(bucket, nib.astype(np.int64))
        nn = n[blk]
        rank = np.arange(len(h)) - np.repeat(np.cumsum(nn) - nn, nn)
        le = np.repeat(lb, nn)
        bitpos = np.repeat((off[blk] + _LOWS_AT[lb]) * 8, nn) + rank * le
        low = _read_bits(data64, bitpos, le).astype(np.int64)
        lines[np.repeat(base[blk], nn) + rank] = (h << le) | low

    return (np.repeat(prefixes.astype(np.int64), n) * LINES + lines).astype(np.uint64)


def contains(
    entry: U64,
    line: I64,
    data: npt.NDArray[np.uint8],
    data16: npt.NDArray[np.uint16],
    data64: U64,
) -> npt.NDArray[np.bool_]:
    """For each query (its block's directory ``entry`` and its ``line``): is the line present?"""
    found = np.zeros(len(entry), bool)
    t = entry & np.uint64(3)

    signed = entry.view(np.int64)  # offsets are far below 2**63: no conversions needed
    q = np.flatnonzero(t == np.uint64(BITMAP))
    if len(q):
        ln = line[q]
        off = signed[q] >> 20
        found[q] = (data[off + (ln >> 3)] >> (ln & 7).astype(np.uint8)) & np.uint8(1) != 0

    q = np.flatnonzero(t == np.uint64(PACKED))
    if len(q):
        e = signed[q]
        ln = line[q]
        lw = (e >> 2) & 15
        off = e >> 20
        h = ln >> lw
        lo = (ln & ((1 << lw) - 1)).astype(np.uint64)
        hw = (h * 43691) >> 19  # h // 12, exact for h < 20000
        cw = data64[(off >> 3) + hw]
        j4 = (4 * (h - hw * PER_WORD)).astype(np.uint64)
        nibbles = cw >> np.uint64(16)
        c = ((nibbles >> j4) & np.uint64(15)).astype(np.int64)
        below = nibbles & ((np.uint64(1) << j4) - np.uint64(1))
        s = ((cw & np.uint64(0xFFFF)) + _nibble_sum(below)).astype(np.int64)
        bit = (off + 8 * _NW[lw]) * 8 + s * lw
        # compare lo with every low part of the bucket at once (SWAR zero-field test)
        span = (c * lw).astype(np.uint64)
        w0 = bit >> 6
        sh = (bit & 63).astype(np.uint64)
        # an empty bucket at the end of the last container points at the final pad word: clip
        w1 = np.minimum(w0 + 1, len(data64) - 1)
        window = (data64[w0] >> sh) | ((data64[w1] << np.uint64(1)) << (np.uint64(63) - sh))
        ones = _SWAR_ONES[lw]
        x = (window ^ (lo * ones)) | (_ALL << span)
        hit = ((x - ones) & ~x & _SWAR_HIGHS[lw]) != 0
        # buckets longer than one window (c > 64 // l, that is c * l > 64): test the rest one
        # low part at a time
        act = np.flatnonzero(span > np.uint64(64))
        act = act[~hit[act]]
        k = _SWAR_FIELDS[lw[act]]
        while len(act):
            v = _read_bits(data64, bit[act] + k * lw[act], lw[act])
            hit[act[v == lo[act]]] = True
            keep = (v < lo[act]) & (c[act] > k + 1)
            act, k = act[keep], k[keep] + 1
        found[q] = hit

    q = np.flatnonzero(t == np.uint64(ARRAY))
    if len(q):
        # Up to 4 lines fill one 8-byte word (a container starts on a word and is zero-padded):
        # compare the line with its 16-bit lanes at once; binary search the longer arrays.
        e = signed[q]
        count = (e >> 6) & 0x3FFF
        small = count <= _LANES
        if small.all():
            found[q] = _in_lanes(data64[e >> 23], line[q], count)
            return found
        few = np.flatnonzero(small)
        found[q[few]] = _in_lanes(data64[e[few] >> 23], line[q[few]], count[few])
        q = q[~small]
        e = entry[q].astype(np.int64)
        ln = line[q]
        lo_i = (e >> 20) >> 1
        hi_i = lo_i + ((e >> 6) & 0x3FFF)
        while True:
            active = lo_i < hi_i
            if not active.any():
                break
            mid = (lo_i + hi_i) >> 1
            v = data16[np.where(active, mid, 0)].astype(np.int64)
            less = active & (v < ln)
            lo_i = np.where(less, mid + 1, lo_i)
            hi_i = np.where(active & ~less, mid, hi_i)
        hit_a = data16[np.minimum(lo_i, len(data16) - 1)].astype(np.int64) == ln
        found[q] = hit_a & (lo_i < ((e >> 20) >> 1) + ((e >> 6) & 0x3FFF))
    return found


_LANES: Final = 4
_LANE_ONES: Final = np.uint64(0x0001000100010001)
_LANE_HIGHS: Final = np.uint64(0x8000800080008000)


def _in_lanes(words: U64, line: I64, count: I64) -> npt.NDArray[np.bool_]:
    """Whether ``line`` is one of the first ``count`` (at most 4) ``uint16`` lanes of ``words``.

    A zero lane of ``words ^ line * 0x0001000100010001`` is a match; the SWAR test can also flag
    a lane above a zero lane, so only "some lane below ``count``" is exact, and that is all it
    answers (lanes from ``count`` up are masked off).
    """
    x = words ^ (line.astype(np.uint64) * _LANE_ONES)
    below = np.where(
        count >= _LANES, _ALL, (np.uint64(1) << (count.astype(np.uint64) * np.uint64(16))) - np.uint64(1)
    )
    hit: npt.NDArray[np.bool_] = ((x - _LANE_ONES) & ~x & _LANE_HIGHS & below) != 0
    return hit


def make_probe(
    rows: list[int],
    directory: memoryview,
    data: memoryview,
    data16: memoryview,
    data64: memoryview,
    *,
    tick: Callable[[], None] | None = None,
    every: int = 256,
) -> Callable[[int], bool]:
    """A function ``probe(n) -> bool`` for one Python ``int`` ``n`` (0 <= n < 10**10).

    With ``tick``, the first call and then every ``every``-th call ``tick()`` first (it may
    raise: the caller's check that the mapped file did not change).

    ``rows[npa]`` is ``pages[npa] * 1000``; the views are the directory (``Q``), and the data as
    bytes, ``H`` and ``Q``. Plain ``int`` arithmetic over memoryviews: no numpy scalars, and the
    low parts of a bucket are compared at once (the zero-field test on a Python ``int``).
    """
    lows_at = [8 * a for a in _LOWS_AT_PY]
    # per (l, c) at index 16 * l + c: the bucket's c fields of l bits, their lowest and highest bits
    ones = [sum(1 << (k * lw) for k in range(c)) for lw in range(MAX_L + 1) for c in range(16)]
    highs = [o << max(i // 16 - 1, 0) for i, o in enumerate(ones)]
    low_mask = [(1 << lw) - 1 for lw in range(MAX_L + 1)]
    from_bytes = int.from_bytes

    # directory position of prefix p: rows[p // 1000] + p % 1000 = p + shift[p // 1000]
    shift = [row - 1000 * npa for npa, row in enumerate(rows)]

    left = 1

    def probe(n: int) -> bool:
        if tick is not None:
            nonlocal left
            left -= 1
            if not left:
                left = 1  # a tick that raises raises again on the next call
                tick()
                left = every
        try:
            prefix = n // 10_000
            line = n % 10_000
            entry = directory[prefix + shift[prefix // 1000]]
            if not entry:
                return False
            kind = entry & 3
            off = entry >> 20
            if kind == 1:  # BITMAP
                return (data[off + (line >> 3)] >> (line & 7)) & 1 == 1
            if kind == 3:  # PACKED
                lw = (entry >> 2) & 15
                h = line >> lw
                hw = h // 12
                cw = data64[(off >> 3) + hw]
                j4 = (h - hw * 12) << 2
                nibbles = cw >> 16
                c = (nibbles >> j4) & 15
                if not c:
                    return False
                below = nibbles & ((1 << j4) - 1)
                t = (below & _M4) + ((below >> 4) & _M4)
                bit = (off << 3) + lows_at[lw] + ((cw & 0xFFFF) + (((t * _ONES) >> 56) & 0xFF)) * lw
                # bits above the bucket's fields may be anything: the zero-field test only looks down
                if c * lw <= 64:
                    w = bit >> 6
                    window = (data64[w] | (data64[w + 1] << 64)) >> (bit & 63)
                else:
                    window = from_bytes(data[bit >> 3 : (bit + c * lw + 7) >> 3], "little") >> (bit & 7)
                k = (lw << 4) + c
                o = ones[k]
                x = window ^ ((line & low_mask[lw]) * o)
                return ((x - o) & ~x & highs[k]) != 0
            lo = off >> 1  # ARRAY
            end = hi = lo + ((entry >> 6) & 0x3FFF)
            while lo < hi:
                mid = (lo + hi) >> 1
                if data16[mid] < line:
                    lo = mid + 1
                else:
                    hi = mid
            return lo < end and data16[lo] == line
        except (IndexError, OverflowError):
            # only a damaged file opened with verify=False gets here (the structure was checked)
            raise CorruptIndexError(
                "damaged index: a container reads outside the data (open it with verify=True)"
            ) from None

    return probe
