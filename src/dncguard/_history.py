"""Registry history: the steps ``update`` keeps, how they are stored, and past versions.

Each change a source makes to a layer is a :class:`_Step`: its date, kind, counts, the layer's
metadata before it and the numbers it added and removed (:mod:`dncguard.index._history` sets).
:func:`as_of` undoes the steps after a date (or after a version) as a view over today's index
(:class:`_PastIndex`); the steps are stored in two sections of the index file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from dncguard._stored import _HIGH, _ID, _date
from dncguard.errors import (
    CorruptIndexError,
)
from dncguard.index import (
    NAT,
    BlockIndex,
    difference,
    member,
    sort_unique,
    union,
)
from dncguard.index import _format as fmt
from dncguard.index._history import decode_set, encode_set
from dncguard.layers import Layer, LayerKey

if TYPE_CHECKING:
    from dncguard._apply import _Pending
    from dncguard._indexfile import _FileWatch

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


_KINDS: Final = ("build", "changes", "replace")


_NO_SETS: Final = (b"", b"", b"", b"", b"")


_EPOCH: Final = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Change:
    """One change the registry's history keeps: what one source did to one layer.

    ``kind`` is ``"build"`` (the layer's first data), ``"changes"`` (a change list) or
    ``"replace"`` (a full download or a state or internal list replacing the layer's data);
    ``added`` and ``removed`` count the numbers that entered and left the layer; ``obtained`` is
    the date the source's data was obtained (for a list without one, the day it was applied);
    ``registry_id`` is the :attr:`Registry.id` of the version the update that applied it produced.
    """

    layer: str
    obtained: dt.date
    kind: str
    added: int
    removed: int
    registry_id: str


@dataclass(frozen=True)
class _Step:
    """A change with what it takes to undo it: the layer's metadata before (``None``: the layer
    did not exist) and five number sets (varint bytes, see ``index._history``): the numbers it
    added (not kept for a ``build``: undoing it drops the layer) and removed, and for a layer with
    request dates the numbers whose (number, date) pair it introduced, and the pairs it ended
    (their numbers; their dates as ``int64`` days)."""

    layer: str
    obtained: dt.date
    kind: str
    added: int
    removed: int
    registry_id: str | None  # None: the version that holds it (not known until it is hashed)
    before: Any  # dict, or as stored (JSON bytes in the data section), parsed only when undone
    counts: tuple[int, int, int, int]
    sets: tuple[Any, ...] = _NO_SETS

    def change(self, own_id: str) -> Change:
        rid = own_id if self.registry_id is None else self.registry_id
        return Change(self.layer, self.obtained, self.kind, self.added, self.removed, rid)

    def numbers(self, i: int) -> U64:
        return decode_set(self.sets[i], self.counts[i])

    def gone_dates(self) -> I64:
        raw = self.sets[4]
        if len(raw) != 8 * self.counts[3]:
            raise CorruptIndexError(f"history of {self.layer}: request dates of the wrong length")
        return np.frombuffer(raw, "<i8").astype(np.int64)


@dataclass(frozen=True)
class _History:
    """The history a registry carries: its steps in the order applied, the id of the version
    before the first (``None``: not a version of its own), and the newest date of the data that
    was there before the first step (``None``: none), before which ``as_of`` cannot answer."""

    steps: tuple[_Step, ...]
    base_id: str | None
    start: dt.date | None


class _PastIndex:
    """One layer as it was at a past version: a view over today's index, not a copy.

    ``base`` is the layer's :class:`~dncguard.index.BlockIndex` now; ``flip`` (``uint64``,
    sorted, distinct) holds every number whose membership changed between that version and now
    (the numbers the changes since added or removed, each counted once per change: those
    changed an even number of times cancel out). A number is in the past layer exactly when it is
    in ``base`` xor in ``flip``. ``in_base`` counts the numbers of ``flip`` that ``base`` holds, so
    the past count is ``base.count + len(flip) - 2 * in_base`` (checked against the count the
    history recorded). ``dated``/``dates`` are the past layer's own (number, date) pairs.

    Queries cost today's probe plus one binary search in ``flip`` (cache-resident for bulk
    queries in increasing order: each batch searches only the part of ``flip`` in its range).
    The content id (and ``pages``, ``directory``, ``data``) is computed on a materialised copy,
    built once when first asked.
    """

    __slots__ = (
        "_dated_mv",
        "_full",
        "_probe",
        "base",
        "count",
        "dated",
        "dates",
        "flip",
        "in_base",
    )

    def __init__(self, base: BlockIndex, flip: U64, in_base: int, dated: U64, dates: I64) -> None:
        self.base = base
        self.flip = flip
        self.in_base = in_base
        self.count = base.count + len(flip) - 2 * in_base
        self.dated = dated
        self.dates = dates
        self._full: BlockIndex | None = None
        self._probe: Callable[[int], bool] | None = None
        self._dated_mv: memoryview | None = None

    def hits(self, prefix: I64, line: I64, q: U64, increasing: bool) -> npt.NDArray[np.bool_]:
        """For each query of a batch (``q``, split into ``prefix`` and ``line``): in the layer?"""
        base = self.base
        hit = base.probe_lines(base.entries_of(prefix), line)
        flip = self.flip
        if len(flip) and len(q):
            if increasing:
                lo, hi = np.searchsorted(flip, q[[0, -1]]).tolist()
                flip = flip[lo : hi + 1]
            hit ^= member(flip, q)
        return hit

    def contains(self, numbers: U64) -> npt.NDArray[np.bool_]:
        q = numbers.astype(np.uint64, copy=False)
        found: npt.NDArray[np.bool_] = self.base.contains(q) ^ member(self.flip, q)
        return found

    @property
    def probe(self) -> Callable[[int], bool]:
        """``probe(n) -> bool`` for one Python ``int``, as :attr:`BlockIndex.probe`."""
        if self._probe is None:
            base = self.base.probe
            flip = self.flip
            if not len(flip):
                self._probe = base
            else:
                mv = flip.data.cast("B").cast("Q")
                size = len(mv)

                def probe(n: int) -> bool:
                    i = bisect_left(mv, n)
                    return base(n) != (i < size and mv[i] == n)

                self._probe = probe
        return self._probe

    def contains_one(self, number: int) -> bool:
        return 0 <= number < _HIGH and self.probe(number)

    def date_one(self, number: int) -> dt.date | None:
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
        out = np.full(len(numbers), NAT, np.int64)
        if len(self.dated):
            q = numbers.astype(np.uint64, copy=False)
            idx = np.minimum(np.searchsorted(self.dated, q), len(self.dated) - 1)
            hit = self.dated[idx] == q
            out[hit] = self.dates[idx[hit]]
        return out.view("datetime64[D]")

    def materialize(self) -> BlockIndex:
        """The past layer as an index of its own (built once)."""
        if self._full is None:
            base, flip = self.base, self.flip
            ix = base
            if len(flip):
                was = base.contains(flip)
                ix = base.edit(adds=flip[~was], dels=flip[was])
            self._full = BlockIndex(ix.pages, ix.directory, ix.data, self.dated, self.dates, ix.count)
        return self._full

    @property
    def pages(self) -> npt.NDArray[np.int32]:
        return self.materialize().pages

    @property
    def directory(self) -> U64:
        return self.materialize().directory

    @property
    def data(self) -> npt.NDArray[np.uint8]:
        return self.materialize().data


_AnyIndex = BlockIndex | _PastIndex


def _hits(ix: _AnyIndex, prefix: I64, line: I64, q: U64, increasing: bool) -> npt.NDArray[np.bool_]:
    if type(ix) is BlockIndex:
        return ix.probe_lines(ix.entries_of(prefix), line)
    assert isinstance(ix, _PastIndex)
    return ix.hits(prefix, line, q, increasing)


def _odd(a: U64) -> U64:
    """The values of the sorted ``a`` that occur an odd number of times."""
    if len(a) < 2:
        return a
    first = np.empty(len(a), bool)
    first[0] = True
    np.not_equal(a[1:], a[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    runs = np.diff(np.append(starts, len(a)))
    odd: U64 = a[starts[(runs & 1) == 1]]
    return odd


def _step_of(
    key: LayerKey,
    p: _Pending,
    before: dict[str, Any] | None,
    old: BlockIndex,
    new: BlockIndex,
    touched: list[U64],
) -> _Step:
    """The history step of one source's change to one layer: what it added and removed (among
    the ``touched`` numbers, each array sorted and distinct: the only numbers whose membership it
    can have changed)."""
    when = p.obtained or (max(p.coverage.values()) if p.coverage else None) or dt.date.today()
    kind = "build" if before is None else "replace" if p.replaced else "changes"
    if before is None:
        return _Step(key.name, when, kind, new.count, 0, None, None, (0, 0, 0, 0))
    # each touched array on its own (a full download and the data it replaces are 2 GB each at
    # US scale: never concatenated); what changed is small, and merged at the end
    added_parts, removed_parts = [], []
    for cand in touched:
        was, now = old.contains(cand), new.contains(cand)
        added_parts.append(cand[now & ~was])
        removed_parts.append(cand[was & ~now])
        del was, now
    empty = np.zeros(0, np.uint64)
    added = sort_unique(np.concatenate(added_parts)) if len(added_parts) > 1 else (added_parts or [empty])[0]
    removed = (
        sort_unique(np.concatenate(removed_parts))
        if len(removed_parts) > 1
        else (removed_parts or [empty])[0]
    )
    dnew, dgone, dgone_dates = _pair_diff(old.dated, old.dates, new.dated, new.dates)
    sets = (
        encode_set(added),
        encode_set(removed),
        encode_set(dnew),
        encode_set(dgone),
        dgone_dates.astype("<i8").tobytes(),
    )
    counts = (len(added), len(removed), len(dnew), len(dgone))
    return _Step(key.name, when, kind, len(added), len(removed), None, before, counts, sets)


def _pair_diff(od: U64, ot: I64, nd: U64, nt: I64) -> tuple[U64, U64, I64]:
    """Of two sorted (number, date) lists: the numbers whose pair only the new one has, and the
    pairs only the old one has."""

    def kept(a: U64, at: I64, b: U64, bt: I64) -> npt.NDArray[np.bool_]:
        if not len(b):
            return np.zeros(len(a), bool)
        i = np.minimum(np.searchsorted(b, a), len(b) - 1)
        same: npt.NDArray[np.bool_] = (b[i] == a) & (bt[i] == at)
        return same

    gone = ~kept(od, ot, nd, nt)
    return nd[~kept(nd, nt, od, ot)], od[gone], ot[gone]


def _undo(ix: _AnyIndex, steps: list[_Step]) -> _PastIndex:
    """The layer ``ix`` with ``steps`` (in the order applied, the layer's newest) undone."""
    if isinstance(ix, _PastIndex):
        base, flip, in_base = ix.base, ix.flip, ix.in_base
    else:
        base, flip, in_base = ix, np.zeros(0, np.uint64), 0
    dated, dates = ix.dated, ix.dates
    sets = [step.numbers(i) for step in steps for i in (0, 1)]
    sets = [a for a in sets if len(a)]
    if len(sets) == 1:
        changed = sets[0]
    elif sets:
        changed = _odd(np.sort(np.concatenate(sets)))
    else:
        changed = np.zeros(0, np.uint64)
    if len(changed):
        again = member(flip, changed)  # changed back: no longer a difference from now
        in_base += int(base.contains(changed[~again]).sum()) - int(base.contains(changed[again]).sum())
        flip = union(difference(flip, changed[again]), changed[~again])
    for step in reversed(steps):
        if step.counts[2] or step.counts[3]:
            dated, dates = _undo_dates(dated, dates, step)
    return _PastIndex(base, flip, in_base, dated, dates)


def _undo_dates(dated: U64, dates: I64, step: _Step) -> tuple[U64, I64]:
    """The (number, date) pairs before ``step``, from those after it."""
    dnew, gone, gone_dates = step.numbers(2), step.numbers(3), step.gone_dates()
    keep = ~member(dnew, dated)
    dated, dates = dated[keep], dates[keep]
    if len(gone):
        if member(dated, gone).any():
            raise CorruptIndexError(f"history of layer {step.layer}: request dates do not match")
        dated = np.concatenate([dated, gone])
        dates = np.concatenate([dates, gone_dates])
        order = np.argsort(dated, kind="stable")
        dated, dates = dated[order], dates[order]
    return dated, dates


def _before(step: _Step) -> dict[str, Any]:
    """A step's layer metadata before it, parsed if stored, and naming the step's layer."""
    before = step.before
    if not isinstance(before, dict):
        try:
            before = json.loads(bytes(before))
        except (ValueError, RecursionError) as e:
            raise CorruptIndexError(f"unreadable history: {e}") from None
    if not isinstance(before, dict) or before.get("name") != step.layer:
        raise CorruptIndexError(f"history of layer {step.layer}: its metadata names another layer")
    return before


def _with_id(step: _Step, own: str) -> _Step:
    return step if step.registry_id is not None else dataclasses.replace(step, registry_id=own)


def _newest_date(layers: Iterable[Layer]) -> dt.date | None:
    days = [d for layer in layers for d in (layer.obtained, *layer.area_codes.values()) if d is not None]
    return max(days, default=None)


def _prune(steps: list[_Step], base_id: str | None, start: dt.date | None, keep: dt.timedelta) -> _History:
    """The history without the changes obtained more than ``keep`` before the newest (only from
    the oldest end: what is kept can always be undone back to its start)."""
    if not steps:
        return _History((), base_id, start)
    cutoff = max(step.obtained for step in steps) - keep
    i = 0
    while i < len(steps) and steps[i].obtained < cutoff:
        i += 1
    if i:
        last = steps[i - 1]
        whole = i == len(steps) or steps[i].registry_id != last.registry_id
        base_id = last.registry_id if whole else None
        start = max([d for d in (start, *(step.obtained for step in steps[:i])) if d is not None])
    return _History(tuple(steps[i:]), base_id, start)


def _span(hist: _History | None) -> str:
    if hist is None or not hist.steps:
        return "no history"
    first = hist.start or hist.steps[0].obtained
    return f"{first.isoformat()} to {hist.steps[-1].obtained.isoformat()}, {len(hist.steps)} changes"


def _history_sections(hist: _History, own_id: str) -> list[npt.NDArray[np.uint8]]:
    """The two history sections: a JSON document of the steps, and their number sets."""
    parts: list[Any] = []  # the blobs and their padding, joined once (no growing buffer)
    size = 0
    records = []
    pads = [bytes(n) for n in range(8)]
    for step in hist.steps:
        at = []
        before = step.before
        if isinstance(before, dict):
            before = json.dumps(before, sort_keys=True, separators=(",", ":")).encode()
        # the layer's metadata before, as a sixth blob: reading the history parses it only when undone
        for blob in (*step.sets, b"" if before is None else before):
            length = len(blob)
            at.append([size, length])
            pad = -length % 8
            parts += [blob, pads[pad]]
            size += length + pad
        records.append(
            {
                "layer": step.layer,
                "obtained": step.obtained.isoformat(),
                "kind": step.kind,
                "added": step.added,
                "removed": step.removed,
                "id": step.registry_id or own_id,
                "before": before is not None,
                "counts": list(step.counts),
                "at": at,
            }
        )
    doc = {
        "steps": records,
        "base": hist.base_id,
        "start": None if hist.start is None else hist.start.isoformat(),
    }
    # compressed: each change repeats its layer's metadata (a national layer's area codes)
    text = zlib.compress(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode(), 6)
    return [np.frombuffer(text, np.uint8), np.frombuffer(b"".join(parts), np.uint8)]


def _history_reader(
    buf: Any, header: fmt.Header, at: int, watch: _FileWatch | None, *, checked: bool
) -> Callable[[], _History]:
    """Read the history sections on first use: checksums (unless ``checked`` at open), then the
    document, every field checked."""
    path = None if watch is None else watch.path

    def read() -> _History:
        if watch is not None:
            watch.check()
        s_doc, s_data = header.sections[at], header.sections[at + 1]
        try:
            for s in () if checked else (s_doc, s_data):
                view = memoryview(buf)[s.offset : s.offset + fmt.align(s.length)]
                try:
                    if zlib.crc32(view) != s.crc:
                        raise CorruptIndexError("checksum mismatch in the history: the file is damaged")
                finally:
                    view.release()
            try:
                text = zlib.decompress(bytes(buf[s_doc.offset : s_doc.offset + s_doc.length]))
            except zlib.error as e:
                raise CorruptIndexError(f"unreadable history: {e}") from None
            return _parse_history(text, buf, s_data)
        except CorruptIndexError as e:
            raise CorruptIndexError(str(e), path=path) from None

    return read


def _parse_history(text: bytes, buf: Any, s_data: fmt.Section) -> _History:
    try:
        doc = json.loads(text)
        steps = []
        data = memoryview(buf)[s_data.offset : s_data.offset + s_data.length]
        for r in doc["steps"]:
            layer, kind, rid = r["layer"], r["kind"], r["id"]
            counts = tuple(r["counts"])
            added, removed = r["added"], r["removed"]
            numbers = [added, removed, *counts]
            if (
                not isinstance(layer, str)
                or kind not in _KINDS
                or not isinstance(rid, str)
                or not _ID.fullmatch(rid)
                or len(counts) != 4
                or any(type(n) is not int or not 0 <= n < _HIGH for n in numbers)
                or (kind != "build" and counts[:2] != (added, removed))
                or type(r["before"]) is not bool
                or (kind == "build") == r["before"]
                or len(r["at"]) != 6
            ):
                raise CorruptIndexError("a history entry is malformed")
            sets = []
            for off, length in r["at"]:
                if (
                    type(off) is not int
                    or type(length) is not int
                    or not 0 <= off <= off + length <= len(data)
                ):
                    raise CorruptIndexError("a history entry points outside the history data")
                sets.append(data[off : off + length])
            obtained = _date(r["obtained"])
            if obtained is None:
                raise CorruptIndexError("a history entry without a date")
            # the metadata before is parsed and checked in full (``_before``) when the step is undone
            last = sets.pop()
            before = last if r["before"] else None
            if before is None and len(last):
                raise CorruptIndexError("a history entry is malformed")
            steps.append(_Step(layer, obtained, kind, added, removed, rid, before, counts, tuple(sets)))
        base, start = doc["base"], _date(doc["start"])
        if base is not None and (not isinstance(base, str) or not _ID.fullmatch(base)):
            raise CorruptIndexError("bad base id in the history")
        return _History(tuple(steps), base, start)
    except CorruptIndexError:
        raise
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        OverflowError,
        AssertionError,
        RecursionError,
    ) as e:
        raise CorruptIndexError(f"unreadable history: {e!r}") from None
