"""The compact registry index: one layer's numbers in prefix blocks, probed by vectorised numpy.

A 10-digit NANP number ``n`` splits into its 6-digit prefix ``n // 10000`` (area code + exchange,
a block of 10,000 lines) and its line ``n % 10000``. :class:`BlockIndex` stores each non-empty
block's lines in the smallest container (a bitmap, a sorted ``uint16`` array, or bucket counts +
packed low bits; see :mod:`dncguard.index._codec`), found through a directory with one entry per
exchange of each area code present. A bulk query computes prefix and line for every number,
gathers the directory entries, then probes each container type as one vectorised group: a cost
per query of a few array gathers, never a Python loop or a binary search per row from Python.

The index knows nothing of file formats or registries: :class:`dncguard.Registry` names the
layers and writes them to disk (:mod:`dncguard.index._format` holds the byte layout).

>>> import numpy as np
>>> ix = BlockIndex.from_numbers(np.array([2125550143, 2125550144, 4165551234], dtype=np.uint64))
>>> ix.count
3
>>> ix.contains(np.array([2125550143, 2125550145, 7, 4165551234], dtype=np.uint64)).tolist()
[True, False, False, True]
>>> ix.contains_one(2125550144), ix.contains_one(99)
(True, False)
>>> ix2 = ix.edit(adds=np.array([3125550000], dtype=np.uint64),
...               dels=np.array([2125550143], dtype=np.uint64))
>>> ix2.numbers().tolist(), ix.count
([2125550144, 3125550000, 4165551234], 3)
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from dncguard._calendar import NO_DATE
from dncguard.errors import CorruptIndexError
from dncguard.index import _codec

__all__ = [
    "BATCH",
    "NAT",
    "PIECE",
    "TICK_EVERY",
    "BlockIndex",
    "difference",
    "encode_pieces",
    "member",
    "sort_queries",
    "sort_unique",
    "split",
    "union",
    "unique_sorted",
]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

#: No date, in the int64 day numbers the dates arrays hold (``datetime64[D]`` NaT's bits).
NAT: Final = NO_DATE
_EPOCH: Final = dt.date(1970, 1, 1)
#: Queries per batch of a bulk probe: temporaries stay in cache.
BATCH: Final = 1 << 15
#: Single probes between two calls of a watched index's ``tick`` (see :meth:`BlockIndex.watch`).
TICK_EVERY: Final = 256
#: Numbers per encoding piece: temporaries stay in cache (3x faster than 8M). Correctness does
#: not depend on it (a block is never split across pieces; see :func:`encode_pieces`).
PIECE: Final = 1 << 18
_DECODE_BLOCKS: Final = 256  # blocks per decoding piece, for the same reason
_MIN_DAY: Final = (dt.date.min - _EPOCH).days
_MAX_DAY: Final = (dt.date.max - _EPOCH).days
_EMPTY_U64: Final = np.zeros(0, np.uint64)
_EMPTY_I64: Final = np.zeros(0, np.int64)


def split(numbers: U64) -> tuple[I64, I64]:
    """6-digit prefix and 4-digit line of each ``uint64`` number (as ``int64``)."""
    q = numbers.astype(np.uint64, copy=False)
    prefix = (q // np.uint64(10_000)).astype(np.int64)
    return prefix, q.view(np.int64) - prefix * 10_000


def sort_unique(a: U64) -> U64:
    """``a`` sorted with duplicates removed (``np.sort`` + neighbour mask; never ``np.unique``)."""
    a = np.sort(a)
    if len(a) < 2:
        return a
    keep = np.empty(len(a), bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def sort_queries(numbers: U64) -> tuple[U64, npt.NDArray[np.intp]]:
    """``numbers`` in increasing order, and the position each came from (``sorted[k]`` is
    ``numbers[order[k]]``), numbers of ``10**10`` or more read as ``10**10`` (none is a number
    of the plan: the answers for them are the same).

    One ``np.sort`` of ``number << b | position`` (``b`` bits for the positions; 63 bits in all
    up to 2**29 numbers), not an ``argsort``: several times faster.

    >>> s, order = sort_queries(np.array([5, 2**64 - 1, 3, 5], dtype=np.uint64))
    >>> s.tolist(), order.tolist()
    ([3, 5, 5, 10000000000], [2, 0, 3, 1])
    """
    q = np.minimum(numbers.astype(np.uint64, copy=False), np.uint64(10**10))
    bits = max(len(q) - 1, 1).bit_length()
    if bits > 63 - 34:  # 10**10 < 2**34
        order = np.argsort(q, kind="stable")
        return q[order], order
    key = np.sort((q << np.uint64(bits)) | np.arange(len(q), dtype=np.uint64))
    return key >> np.uint64(bits), (key & np.uint64((1 << bits) - 1)).astype(np.intp)


def member(sorted_set: U64, values: U64) -> npt.NDArray[np.bool_]:
    """For each of ``values``: is it in the sorted array ``sorted_set``?"""
    if len(sorted_set) == 0:
        return np.zeros(len(values), bool)
    idx = np.searchsorted(sorted_set, values)
    found: npt.NDArray[np.bool_] = sorted_set[np.minimum(idx, len(sorted_set) - 1)] == values
    return found


def difference(a: U64, b: U64) -> U64:
    """The sorted, distinct ``a`` without the values of the sorted ``b`` (``b`` searched in ``a``)."""
    if len(a) == 0 or len(b) == 0:
        return a
    pos = np.searchsorted(a, b)
    inside = pos < len(a)
    pos, bb = pos[inside], b[inside]
    return np.delete(a, pos[a[pos] == bb])


def union(a: U64, b: U64) -> U64:
    """The sorted union of the sorted, distinct ``a`` and ``b`` (a merge, not a sort)."""
    if len(b) == 0:
        return a
    if len(a) == 0:
        return b
    b = b[~member(a, b)]
    return np.insert(a, np.searchsorted(a, b), b)


class Dated:
    """The dates an index keeps for some of its numbers (an internal list's request dates):
    ``dated`` (``uint64``, sorted) and ``dates`` (``int64`` days since 1970, parallel). Today's
    index and a past version's view answer date questions by this one rule."""

    __slots__ = ("_dated_mv",)
    dated: U64
    dates: I64
    _dated_mv: memoryview | None

    def date_one(self, number: int) -> dt.date | None:
        """The date stored for ``number``, or ``None``."""
        if not len(self.dated):
            return None
        if self._dated_mv is None:
            self._dated_mv = self.dated.data.cast("B").cast("Q")
        dated = self._dated_mv
        i = bisect_left(dated, number)
        if i < len(dated) and dated[i] == number:
            return _EPOCH + dt.timedelta(days=int(self.dates[i]))
        return None

    def dates_of(self, numbers: U64) -> npt.NDArray[np.datetime64]:
        """The date stored for each number (``NaT`` when none), as ``datetime64[D]``."""
        out = np.full(len(numbers), NAT, np.int64)
        if len(self.dated):
            q = numbers.astype(np.uint64, copy=False)
            idx = np.minimum(np.searchsorted(self.dated, q), len(self.dated) - 1)
            hit = self.dated[idx] == q
            out[hit] = self.dates[idx[hit]]
        return out.view("datetime64[D]")


class BlockIndex(Dated):
    """One layer's set of numbers, with optional per-number dates.

    Arrays (all little-endian, memory-mapped when opened from a file):

    ``pages`` (``int32[1001]``)
        ``pages[npa]`` is the directory row of area code ``npa``; an area code without numbers
        (and index 1000, where out-of-range queries are clipped) points at the last row, which is
        all zero. Rows are in increasing area-code order.
    ``directory`` (``uint64[(rows + 1) * 1000]``)
        entry of prefix ``npa * 1000 + nxx`` at ``pages[npa] * 1000 + nxx``: ``0`` for an empty
        block, else ``type | l << 2 | n << 6 | offset << 20`` (see ``_codec``).
    ``data`` (``uint8``)
        the containers in increasing prefix order, back to back, then 8 zero bytes.
    ``dated`` (``uint64``, sorted) and ``dates`` (``int64`` days since 1970, parallel)
        the numbers that carry a date (an internal list's request date); a listed number not in
        ``dated`` has none.

    A lookup of ``n`` computes ``e = directory[pages[min(n // 10**7, 1000)] * 1000 + (n // 10**4)
    % 1000]`` and probes container ``e`` for line ``n % 10000``: a bitmap reads one byte, an array
    is binary-searched, a packed block reads one count word (its bucket's rank and size) and then
    compares the bucket's low parts all at once. :meth:`contains` does this for ``BATCH`` numbers
    at a time, each container type as one vectorised group; :attr:`probe` does it for one ``int``
    in plain Python.
    """

    __slots__ = (
        "_d16",
        "_d64",
        "_probe",
        "_rows",
        "_tick",
        "count",
        "data",
        "dated",
        "dates",
        "directory",
        "pages",
    )

    def __init__(
        self,
        pages: npt.NDArray[np.int32],
        directory: U64,
        data: npt.NDArray[np.uint8],
        dated: U64,
        dates: I64,
        count: int,
    ) -> None:
        self.pages = pages
        self.directory = directory
        self.data = data
        self.dated = dated
        self.dates = dates
        self.count = count
        self._d16 = data[: len(data) // 2 * 2].view("<u2")
        self._d64 = data[: len(data) // 8 * 8].view("<u8")
        self._rows = pages.astype(np.int64) * 1000  # pages[npa] * 1000: the row's first entry
        self._probe: Callable[[int], bool] | None = None
        self._dated_mv: memoryview | None = None
        self._tick: Callable[[], None] | None = None

    def watch(self, tick: Callable[[], None]) -> None:
        """Call ``tick()`` (which may raise) before every :data:`TICK_EVERY`-th :attr:`probe`:
        a registry opened from a file checks there that the file did not change under it."""
        self._tick = tick
        self._probe = None

    def validate(self, count: int) -> None:
        """Check the structure of arrays read from a file (constant work per directory entry, no
        container decoded): :class:`~dncguard.errors.CorruptIndexError` when an offset, a count,
        a container type or size, the area-code table, or the dated numbers are out of place.

        Run at every open, also with ``verify=False``: a damaged file is refused there instead
        of failing (or indexing out of bounds) later in a query. What it cannot see (a flipped
        bit inside a container) is what the checksums are for.
        """
        pages, directory, data = self.pages, self.directory, self.data
        rows = len(directory) // 1000
        if len(pages) != 1001 or len(directory) != rows * 1000 or rows < 1 or len(data) < 8:
            raise CorruptIndexError("inconsistent array lengths")
        if len(self.dated) != len(self.dates):
            raise CorruptIndexError("dated numbers and their dates differ in length")
        p = pages.astype(np.int64)
        if int(p.min()) < 0 or int(p.max()) >= rows or int(p[1000]) != rows - 1:
            raise CorruptIndexError("area-code table points outside the directory")
        present = np.flatnonzero(p[:1000] != rows - 1)
        if not np.array_equal(p[present], np.arange(rows - 1)):
            raise CorruptIndexError("area-code table is not one row per area code in increasing order")
        if directory[(rows - 1) * 1000 :].any():
            raise CorruptIndexError("the empty directory row holds entries")
        e = directory[np.flatnonzero(directory)]  # in prefix order
        if len(e) and int(e.max()) >> 20 > len(data):  # also: every entry is below 2**63
            raise CorruptIndexError("a directory entry points past the data")
        e = e.view(np.int64)
        t = e & 3
        lw = (e >> 2) & 15
        n = (e >> 6) & 0x3FFF
        ok = (t != 0) & (n >= 1) & (n <= _codec.LINES)
        ok &= (lw == 0) | ((t == _codec.PACKED) & (lw <= _codec.MAX_L))
        ok &= (t != _codec.PACKED) | (lw != 0)
        if not ok.all():
            raise CorruptIndexError("a directory entry has a bad container type, parameter or count")
        if len(e):
            start = e >> 20
            # container sizes (as _codec.container_sizes, leaner: l <= MAX_L was checked above)
            size = np.where(t == _codec.ARRAY, 8 * ((n + 3) >> 2), _codec.BITMAP_BYTES)
            packed = np.flatnonzero(t == _codec.PACKED)
            lp = lw[packed]
            size[packed] = _codec.LOWS_AT[lp] + 8 * ((n[packed] * lp + 63) >> 6)
            end = start + size
            if int(start[0]) != 0 or not np.array_equal(start[1:], end[:-1]) or int(end[-1]) != len(data) - 8:
                raise CorruptIndexError("containers do not lie back to back in prefix order")
        elif len(data) != 8:
            raise CorruptIndexError("data without directory entries")
        if data[-8:].any():
            raise CorruptIndexError("the data does not end with its zero pad")
        if int(n.sum()) != count:
            raise CorruptIndexError(f"the directory holds {int(n.sum())} numbers, the metadata says {count}")
        dated, dates = self.dated, self.dates
        if len(dated):
            if not bool((dated[1:] > dated[:-1]).all()) or int(dated[0]) < 0 or int(dated[-1]) >= 10**10:
                raise CorruptIndexError("dated numbers out of order or out of range")
            if int(dates.min()) < _MIN_DAY or int(dates.max()) > _MAX_DAY:
                raise CorruptIndexError("a request date out of range")

    # construction -----------------------------------------------------------------------------

    @classmethod
    def empty(cls) -> BlockIndex:
        """An index holding no numbers."""
        return cls._assemble(_EMPTY_U64, _EMPTY_U64, np.zeros(8, np.uint8), _EMPTY_U64, _EMPTY_I64)

    @classmethod
    def from_numbers(cls, numbers: U64, dated: U64 | None = None, dates: I64 | None = None) -> BlockIndex:
        """An index of the sorted, distinct 10-digit ``numbers`` (``dated``/``dates``: see class)."""
        return cls.empty().edit(
            adds=numbers,
            add_dates=None if dated is None else _dates_for(numbers, dated, dates),
        )

    @classmethod
    def _assemble(
        cls, prefixes: U64, entries: U64, data: npt.NDArray[np.uint8], dated: U64, dates: I64
    ) -> BlockIndex:
        pre = prefixes.astype(np.int64)
        npa = pre // 1000
        rows_npa = npa[_codec.runs(npa)] if len(npa) else _EMPTY_I64
        pages = np.full(1001, len(rows_npa), np.int32)
        pages[rows_npa] = np.arange(len(rows_npa), dtype=np.int32)
        directory = np.zeros((len(rows_npa) + 1) * 1000, np.uint64)
        directory[pages[npa].astype(np.int64) * 1000 + pre % 1000] = entries
        count = int(((entries >> np.uint64(6)) & np.uint64(0x3FFF)).sum())
        return cls(pages, directory, data, dated, dates, count)

    # queries ----------------------------------------------------------------------------------

    def entries(self, numbers: U64) -> tuple[U64, I64]:
        """Directory entry and line of each number."""
        prefix, line = split(numbers)
        return self.entries_of(prefix), line

    def entries_of(self, prefix: I64) -> U64:
        """Directory entry of each 6-digit ``prefix`` (``int64``; anything out of range: ``0``)."""
        pq = prefix // 1000
        entry: U64 = self.directory[self._rows[np.minimum(pq, 1000)] + (prefix - pq * 1000)]
        return entry

    def probe_lines(self, entry: U64, line: I64) -> npt.NDArray[np.bool_]:
        """For each query (its directory ``entry`` and ``line``): is the line in the block?"""
        return _codec.contains(entry, line, self.data, self._d16, self._d64)

    def contains(self, numbers: U64) -> npt.NDArray[np.bool_]:
        """For each of the ``uint64`` ``numbers``: is it in this index?"""
        q = numbers.astype(np.uint64, copy=False)
        found = np.empty(len(q), bool)
        # batches that keep the temporaries in cache: several times faster than whole arrays
        for i in range(0, len(q), BATCH):
            prefix, line = split(q[i : i + BATCH])
            found[i : i + len(line)] = self.probe_lines(self.entries_of(prefix), line)
        return found

    @property
    def probe(self) -> Callable[[int], bool]:
        """``probe(n) -> bool`` for one Python ``int`` ``0 <= n < 10**10``; no numpy on this path."""
        if self._probe is None:
            rows = self._rows.tolist()
            self._probe = _codec.make_probe(
                rows,
                self.directory.data.cast("B").cast("Q"),
                self.data.data.cast("B"),
                self._d16.data.cast("B").cast("H"),
                self._d64.data.cast("B").cast("Q"),
                tick=self._tick,
                every=TICK_EVERY,
            )
        return self._probe

    def contains_one(self, number: int) -> bool:
        """Is ``number`` (a Python ``int``) in this index?"""
        return 0 <= number < 10_000_000_000 and (self._probe or self.probe)(number)

    def blocks(self) -> tuple[U64, U64]:
        """The non-empty blocks: their prefixes (sorted) and directory entries."""
        pos = np.flatnonzero(self.directory)
        rows_npa = np.full(len(self.directory) // 1000, -1, np.int64)
        present = np.flatnonzero(self.pages[:1000] != len(rows_npa) - 1)
        rows_npa[self.pages[present]] = present
        prefixes = (rows_npa[pos // 1000] * 1000 + pos % 1000).astype(np.uint64)
        return prefixes, self.directory[pos]

    def numbers(self) -> U64:
        """All numbers, sorted."""
        prefixes, entries = self.blocks()
        return _decode_pieces(entries, prefixes, self.data)

    def numbers_in(self, npas: Sequence[int]) -> U64:
        """The numbers of the area codes ``npas``, sorted."""
        prefixes, entries = self.blocks()
        want = np.zeros(1001, bool)
        want[list(npas)] = True
        keep = want[(prefixes // np.uint64(1000)).astype(np.int64)]
        return _decode_pieces(entries[keep], prefixes[keep], self.data)

    def npa_counts(self) -> dict[int, int]:
        """How many numbers each area code holds."""
        prefixes, entries = self.blocks()
        n = ((entries >> np.uint64(6)) & np.uint64(0x3FFF)).astype(np.int64)
        counts = np.bincount((prefixes // np.uint64(1000)).astype(np.int64), weights=n, minlength=1000)
        return {int(a): int(counts[a]) for a in np.flatnonzero(counts)}

    # editing ----------------------------------------------------------------------------------

    def edit(
        self,
        *,
        clear_npas: Sequence[int] = (),
        adds: U64 = _EMPTY_U64,
        add_dates: I64 | None = None,
        dels: U64 = _EMPTY_U64,
    ) -> BlockIndex:
        """A new index: this one without the area codes ``clear_npas`` and the numbers ``dels``,
        plus ``adds`` (sorted, disjoint from ``dels``; duplicates allowed).

        ``add_dates`` (``int64`` days, ``NAT`` for none) parallel to ``adds``: a number already
        listed (and not cleared) keeps the stricter of its old and new date: no date wins, else
        the later one. Untouched blocks are copied byte for byte; touched blocks are re-encoded.
        """
        clear = np.zeros(1001, bool)
        clear[list(clear_npas)] = True
        old_prefixes, old_entries = self.blocks()
        old_npa = (old_prefixes // np.uint64(1000)).astype(np.int64)
        touched = sort_unique(
            np.concatenate([_prefixes_of(adds), _prefixes_of(dels), old_prefixes[clear[old_npa]]])
        )
        hit = member(touched, old_prefixes)
        # Bitmap blocks that stay bitmaps (decided by their new count alone) are patched in place:
        # most numbers live in them, and decoding + re-encoding them would dominate an update.
        inplace = np.zeros(len(old_prefixes), bool)
        add_new, add_pos, del_old, del_pos = _EMPTY_U64, _EMPTY_I64, _EMPTY_U64, _EMPTY_I64
        adds_rest = adds
        candidates = hit & ((old_entries & np.uint64(3)) == np.uint64(_codec.BITMAP)) & ~clear[old_npa]
        if candidates.any():
            add_new = sort_unique(adds[~self.contains(adds)])
            del_old = dels[self.contains(dels)]
            add_pos, add_in = _block_of(old_prefixes, add_new)
            del_pos, _ = _block_of(old_prefixes, del_old)
            n_new = (
                _counts(old_entries)
                + np.bincount(add_pos[add_in], minlength=len(old_prefixes))
                - np.bincount(del_pos, minlength=len(old_prefixes))
            )
            inplace = candidates & (n_new > 0) & _codec.bitmap_stays(n_new)
            old_entries = np.where(
                inplace, (old_entries & ~_N_MASK) | (n_new.astype(np.uint64) << np.uint64(6)), old_entries
            )
            add_new, add_pos = add_new[add_in & inplace[add_pos]], add_pos[add_in & inplace[add_pos]]
            del_old, del_pos = del_old[inplace[del_pos]], del_pos[inplace[del_pos]]
            pos, found = _block_of(old_prefixes, adds)
            adds_rest = adds[~(found & inplace[pos])]
        dropped = clear[old_npa]  # blocks of cleared area codes: neither kept nor decoded
        redo = hit & ~inplace & ~dropped
        current = _decode_pieces(old_entries[redo], old_prefixes[redo], self.data)
        current = difference(current, dels)
        new_numbers = union(current, adds_rest)
        del current
        enc = encode_pieces(new_numbers)

        # dates
        dated, dates = self.dated, self.dates
        if len(dated):
            drop = clear[(dated // np.uint64(10_000_000)).astype(np.int64)] | member(dels, dated)
            if add_dates is not None:
                drop |= member(adds, dated)
            if add_dates is not None and len(adds):
                was = self.contains(adds) & ~clear[(adds // np.uint64(10_000_000)).astype(np.int64)]
                old = self.dates_of(adds).view(np.int64)
                add_dates = np.where(was, _stricter(old, add_dates), add_dates)
            dated, dates = dated[~drop], dates[~drop]
        if add_dates is not None and len(adds):
            keep = add_dates != NAT
            dated = np.concatenate([dated, adds[keep]])
            dates = np.concatenate([dates, add_dates[keep]])
            order = np.argsort(dated, kind="stable")
            dated, dates = dated[order], dates[order]

        # assemble: untouched old blocks and re-encoded ones, in prefix order
        keep_old = ~(redo | dropped)
        prefixes = np.concatenate([old_prefixes[keep_old], enc.prefixes])
        src_new = np.concatenate([np.zeros(int(keep_old.sum()), bool), np.ones(len(enc.prefixes), bool)])
        sizes_all = np.concatenate(
            [_codec.container_sizes(old_entries[keep_old]), _codec.container_sizes(enc.entries)]
        )
        src_off = np.concatenate(
            [
                (old_entries[keep_old] >> np.uint64(20)).astype(np.int64),
                (enc.entries >> np.uint64(20)).astype(np.int64),
            ]
        )
        meta = np.concatenate([old_entries[keep_old], enc.entries]) & np.uint64((1 << 20) - 1)
        order = np.argsort(prefixes, kind="stable")
        prefixes, src_new, sizes_all, src_off, meta = (
            prefixes[order],
            src_new[order],
            sizes_all[order],
            src_off[order],
            meta[order],
        )
        dst_off = np.concatenate([[0], np.cumsum(sizes_all)]).astype(np.int64)
        data = np.zeros(int(dst_off[-1]) + 8, np.uint8)
        if len(prefixes):
            # runs of blocks that come from the same source contiguously
            brk = (
                np.flatnonzero((src_new[1:] != src_new[:-1]) | (src_off[1:] != src_off[:-1] + sizes_all[:-1]))
                + 1
            )
            starts = np.concatenate([[0], brk])
            ends = np.concatenate([brk, [len(prefixes)]])
            old_data, new_data = self.data, enc.data
            for s, e, is_new in zip(starts.tolist(), ends.tolist(), src_new[starts].tolist(), strict=True):
                a = int(src_off[s])
                b = int(src_off[e - 1] + sizes_all[e - 1])
                data[dst_off[s] : dst_off[e]] = (new_data if is_new else old_data)[a:b]
        entries = meta | (dst_off[:-1].astype(np.uint64) << np.uint64(20))
        if len(add_new) or len(del_old):
            final = dst_off[np.searchsorted(prefixes, old_prefixes)]  # only read for kept blocks
            for numbers, pos, set_bits in ((add_new, add_pos, True), (del_old, del_pos, False)):
                line = (numbers % np.uint64(10_000)).astype(np.int64)
                byte = final[pos] + (line >> 3)
                bit = (1 << (line & 7)).astype(np.uint8)
                if set_bits:
                    np.bitwise_or.at(data, byte, bit)
                else:
                    np.bitwise_and.at(data, byte, ~bit)
        return BlockIndex._assemble(prefixes, entries, data, dated, dates)


_N_MASK: Final = np.uint64(0x3FFF << 6)


def _counts(entries: U64) -> I64:
    return ((entries >> np.uint64(6)) & np.uint64(0x3FFF)).astype(np.int64)


def _block_of(prefixes: U64, numbers: U64) -> tuple[I64, npt.NDArray[np.bool_]]:
    """For each number: the index of its block in the sorted ``prefixes``, and whether it exists."""
    if len(prefixes) == 0:
        return np.zeros(len(numbers), np.int64), np.zeros(len(numbers), bool)
    p = numbers // np.uint64(10_000)
    pos = np.minimum(np.searchsorted(prefixes, p), len(prefixes) - 1)
    return pos.astype(np.int64), prefixes[pos] == p


def _prefixes_of(numbers: U64) -> U64:
    """The distinct prefixes of sorted ``numbers``, computed in pieces (no full-size temporary)."""
    parts = []
    for i in range(0, len(numbers), PIECE):
        p = numbers[i : i + PIECE] // np.uint64(10_000)
        parts.append(p[_codec.runs(p)])
    return sort_unique(np.concatenate(parts)) if parts else _EMPTY_U64


def _stricter(old: I64, new: I64) -> I64:
    """Combine two request dates: no date (NAT) wins, else the later."""
    both = np.maximum(old, new)
    return np.where((old == NAT) | (new == NAT), NAT, both)


def _dates_for(numbers: U64, dated: U64, dates: I64 | None) -> I64:
    out = np.full(len(numbers), NAT, np.int64)
    if dates is not None and len(dated):
        idx = np.minimum(np.searchsorted(dated, numbers), len(dated) - 1)
        hit = dated[idx] == numbers
        out[hit] = dates[idx[hit]]
    return out


def _decode_pieces(entries: U64, prefixes: U64, data: npt.NDArray[np.uint8]) -> U64:
    """Decode a few hundred blocks at a time: cache-sized temporaries."""
    if len(entries) <= _DECODE_BLOCKS:
        return _codec.decode(entries, prefixes, data)
    return np.concatenate(
        [
            _codec.decode(entries[i : i + _DECODE_BLOCKS], prefixes[i : i + _DECODE_BLOCKS], data)
            for i in range(0, len(entries), _DECODE_BLOCKS)
        ]
    )


def unique_sorted(a: U64, piece: int | None = None) -> U64:
    """The sorted ``a`` without repeats, compacted in place (``a`` is overwritten): a prefix view.

    Piece by piece, so a list repeated many times never needs a second full-size array (2 GB at
    US scale) at the build's peak.

    >>> unique_sorted(np.array([3, 3, 3, 5, 7, 7], dtype=np.uint64), piece=2).tolist()
    [3, 5, 7]
    """
    step = PIECE if piece is None else piece
    if len(a) < 2:
        return a
    w = 0
    last = None
    for i in range(0, len(a), step):
        p = a[i : i + step]
        keep = np.empty(len(p), bool)
        keep[0] = last is None or p[0] != last
        np.not_equal(p[1:], p[:-1], out=keep[1:])
        last = p[-1]
        kept = p[keep]  # a copy: writing it below position i is safe
        a[w : w + len(kept)] = kept
        w += len(kept)
    return a[:w]


def encode_pieces(numbers: U64, piece: int | None = None) -> _codec.Encoded:
    """Encode sorted ``numbers`` (repeats allowed) in pieces of about ``piece`` numbers (default
    :data:`PIECE`), so a 258-million-number build keeps small temporaries.

    A piece always ends at a block boundary: a block (6-digit prefix) is never split across two
    pieces, whatever its number of entries (a block denser than a piece, or one number repeated
    more times than a piece holds, is encoded whole). The result is the same for every ``piece``.
    """
    step = PIECE if piece is None else piece
    if step < 1:
        raise ValueError(f"piece={step}: expected at least 1")
    if len(numbers) <= step:
        return _codec.encode(numbers)
    parts: list[_codec.Encoded] = []
    start = 0
    ten_k = np.uint64(10_000)
    while start < len(numbers):
        stop = start + step
        if stop < len(numbers):
            block = numbers[stop] // ten_k
            # cut before the block holding numbers[stop] ...
            stop = int(np.searchsorted(numbers, block * ten_k))
            if stop <= start:
                # ... unless the piece lies inside that block: then cut after the block
                stop = int(np.searchsorted(numbers, (block + np.uint64(1)) * ten_k))
        else:
            stop = len(numbers)
        parts.append(_codec.encode(numbers[start:stop]))
        start = stop
    shift = np.cumsum([0] + [len(p.data) for p in parts[:-1]])
    return _codec.Encoded(
        np.concatenate([p.prefixes for p in parts]),
        np.concatenate(
            [p.entries + (np.uint64(int(s)) << np.uint64(20)) for p, s in zip(parts, shift, strict=True)]
        ),
        np.concatenate([p.data for p in parts]),
    )
