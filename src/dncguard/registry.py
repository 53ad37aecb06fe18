"""Registry: named do-not-call layers over the compact index; build, save, open, update, query.

A registry holds one layer per list: the national registries (``us-ftc``, ``ca-dncl``), state
lists (``us-tx``) and sellers' internal lists (``internal:acme``). National layers record, per
covered area code, the date its data was obtained (docs/defaults.md: the 31-day test is
judged per area code); internal layers record each entry's request date. Layers are ordered
national, state, internal, then by name; bit ``i`` of a :meth:`Registry.membership` mask is
``registry.layers[i]``.

Sources (:mod:`dncguard.sources`) feed a registry through :class:`~dncguard.layers.Chunk`
streams. :meth:`Registry.save` writes one file atomically (temporary file, flush, fsync, rename,
fsync of the directory); :meth:`Registry.open` maps it read-only and verifies every checksum, so a
damaged file raises :class:`~dncguard.errors.CorruptIndexError` instead of being served.

>>> import datetime as dt, numpy as np
>>> from dncguard.layers import Chunk, LayerKey, Op
>>> ftc = [Chunk(LayerKey.national("US"), Op.REPLACE,
...              np.array([2125550143, 2125550199, 3055550100], dtype=np.uint64),
...              coverage={212: dt.date(2026, 3, 10), 305: dt.date(2026, 3, 9)})]
>>> registry = Registry.build([ftc])
>>> [(layer.name, layer.count, str(layer.obtained)) for layer in registry.layers]
[('us-ftc', 3, '2026-03-09')]
>>> registry.lookup(2125550143)[0].layer.name
'us-ftc'
>>> registry.lookup(2125550144)
()
>>> registry.membership(np.array([2125550143, 2125550144], dtype=np.uint64)).tolist()
[1, 0]
>>> changes = [Chunk(LayerKey.national("US"), Op.DELETE, np.array([2125550143], dtype=np.uint64),
...                  coverage={212: dt.date(2026, 3, 11)})]
>>> updated = registry.update([changes])
>>> updated.layers[0].count, registry.layers[0].count, updated.layers[0].area_codes[212]
(2, 3, datetime.date(2026, 3, 11))
>>> Registry.build([[Chunk(LayerKey.national("US"), Op.REPLACE,
...                        np.array([4165550100], dtype=np.uint64),
...                        coverage={212: dt.date(2026, 3, 10)}, source="ftc.txt")]])
Traceback (most recent call last):
    ...
dncguard.errors.CoverageError: ftc.txt: 4165550100 is outside the area codes this source covers (212)
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import mmap
import os
import re
import socket
import stat
import sys
import time
import weakref
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import IO, Any, Final

import numpy as np
import numpy.typing as npt

from dncguard.errors import (
    ChangeOrderError,
    CorruptIndexError,
    CoverageError,
    HistoryError,
    IndexChangedError,
    IndexFileError,
    IndexLockedError,
    InvalidNumberError,
)
from dncguard.index import (
    BATCH,
    NAT,
    BlockIndex,
    difference,
    member,
    sort_queries,
    sort_unique,
    split,
    union,
    unique_sorted,
)
from dncguard.index import _format as fmt
from dncguard.index._history import decode_set, encode_set
from dncguard.layers import Chunk, Layer, LayerKey, LayerKind, Listing, Op

__all__ = ["MAX_LAYERS", "Change", "Registry"]

#: A membership mask is a ``uint64``: one bit per layer.
MAX_LAYERS: Final = 64
_KIND_ORDER: Final = {LayerKind.NATIONAL: 0, LayerKind.STATE: 1, LayerKind.INTERNAL: 2}
_SECTIONS: Final = ("pages", "directory", "data", "dated", "dates")
_DTYPES: Final = {"pages": "<i4", "directory": "<u8", "data": "u1", "dated": "<u8", "dates": "<i8"}
_LOW: Final = 2_000_000_000
_HIGH: Final = 10_000_000_000
_EPOCH: Final = dt.date(1970, 1, 1)
#: How long ``update`` keeps history by default: four years and a day, the limitation period of a
#: private TCPA action (28 U.S.C. 1658(a)) and a day's margin.
KEEP_HISTORY: Final = dt.timedelta(days=1462)
_KINDS: Final = ("build", "changes", "replace")
_NO_SETS: Final = (b"", b"", b"", b"", b"")

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


_HASH_ASIDE: Final = 1 << 23
"""Sections of this many bytes or more are hashed for the id in a second thread while saving."""

_SORT_FROM: Final = 1 << 15
"""Bulk queries from this many on are probed in increasing order (see ``membership``)."""


@dataclass
class _Meta:
    """A layer's metadata while a registry is being built or updated."""

    key: LayerKey
    area_codes: dict[int, dt.date] = field(default_factory=dict)
    obtained: dt.date | None = None
    published: dt.date | None = None

    def layer(self, count: int) -> Layer:
        codes = dict(sorted(self.area_codes.items()))
        obtained = min(codes.values()) if codes else self.obtained
        return Layer(
            name=self.key.name,
            kind=str(self.key.kind),
            jurisdiction=self.key.jurisdiction,
            seller=self.key.seller,
            obtained=obtained,
            area_codes=MappingProxyType(codes),
            count=count,
            published=self.published,
        )


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


def _sort_key(key: LayerKey) -> tuple[int, str]:
    return _KIND_ORDER[key.kind], key.name


class Registry:
    """Do-not-call layers and the numbers each lists; immutable (``update`` returns a new one).

    ``layers`` is ordered national, state, internal, then by name, the same after save and open.
    Each layer's numbers live in a :class:`~dncguard.index.BlockIndex` (memory-mapped when the
    registry was opened from a file); see there for the arrays and how a lookup computes.
    """

    __slots__ = (
        "_coverage",
        "_hist",
        "_id",
        "_indexes",
        "_layers",
        "_listings",
        "_mmap",
        "_past",
        "_probes",
        "_watch",
    )

    def __init__(
        self,
        layers: Iterable[Layer] = (),
        indexes: Iterable[BlockIndex | _PastIndex] = (),
        *,
        _mmap: Any = None,
        _watch: _FileWatch | None = None,
    ) -> None:
        self._layers = tuple(layers)
        self._indexes = tuple(indexes)
        if len(self._layers) != len(self._indexes):
            raise ValueError("one index per layer")
        if len(self._layers) > MAX_LAYERS:
            raise ValueError(
                f"{len(self._layers)} layers: a registry holds at most {MAX_LAYERS} (one bit each in a mask)"
            )
        self._mmap = _mmap
        self._watch = _watch
        self._id: str | None = None
        # None: no history; else the history, or a function reading it from the file (lazily)
        self._hist: _History | Callable[[], _History] | None = None
        self._past = False  # a version returned by as_of: read-only
        self._listings = tuple(Listing(layer, None) for layer in self._layers)
        self._probes: list[tuple[Callable[[int], bool], Listing, _AnyIndex | None]] | None = None
        cov = np.full((max(len(self._layers), 1), 1001), NAT, np.int64)
        for i, layer in enumerate(self._layers):
            for npa, day in layer.area_codes.items():
                cov[i, npa] = (day - _EPOCH).days
        self._coverage = cov.view("datetime64[D]")

    def __repr__(self) -> str:
        inner = ", ".join(f"{layer.name}: {layer.count:,}" for layer in self._layers)
        return f"<Registry {inner or 'empty'}>"

    # ----------------------------------------------------------------------------- properties

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The layers, in mask-bit order: national, state, internal, then by name."""
        return self._layers

    @property
    def id(self) -> str:
        """The registry's identity: ``"dncg:"`` and 32 hex digits of a SHA-256 digest of its
        content (every layer's metadata and numbers). Two registries with the same content have
        the same id, saved or not; any update changes it. Stored in the index file's header:
        :meth:`open` reads it without hashing the file."""
        if self._id is None:
            layers_meta, arrays = self._parts()
            self._id = _content_id(layers_meta, arrays)
        return self._id

    def _parts(self) -> tuple[list[dict[str, Any]], list[np.ndarray[Any, Any]]]:
        arrays: list[np.ndarray[Any, Any]] = []
        layers_meta = []
        for layer, ix in zip(self._layers, self._indexes, strict=True):
            arrays += [ix.pages, ix.directory, ix.data, ix.dated, ix.dates]
            layers_meta.append(_layer_json(layer))
        return layers_meta, arrays

    # ----------------------------------------------------------------------------- building

    @classmethod
    def build(cls, sources: Iterable[Iterable[Chunk]]) -> Registry:
        """A registry from ``sources`` (each an iterable of chunks, e.g. ``sources.ftc(...)``).

        Streaming: each source is read once, chunk by chunk. Duplicates are merged; a number
        outside the area codes a chunk declares raises :class:`~dncguard.errors.CoverageError`
        naming it. Sources apply in the order of the date they were obtained (undated last).
        """
        return cls().update(sources)

    def update(
        self, sources: Iterable[Iterable[Chunk]], *, keep_history: dt.timedelta = KEEP_HISTORY
    ) -> Registry:
        """A new registry with ``sources`` applied; this one is left as it was.

        A change list adds and deletes (its last record for a number wins, records ordered by
        date then arrival; applying it twice changes nothing) and refreshes the dates of the area
        codes it covers; a full national download replaces its layer for the area codes it covers
        and refreshes their dates; a state or internal list replaces that list. Sources apply in
        the order of the date they were obtained (stable; undated sources last).

        The new registry keeps this one's :attr:`history` and what ``sources`` changed (see
        :meth:`as_of`); changes obtained more than ``keep_history`` before the newest change
        kept are dropped (default :data:`KEEP_HISTORY`: four years and a day, the limitation
        period of a private TCPA action, 28 U.S.C. 1658(a)).
        """
        self._writable("update")
        if not isinstance(keep_history, dt.timedelta) or keep_history < dt.timedelta(0):
            raise ValueError(f"keep_history={keep_history!r}: expected a datetime.timedelta of 0 or more")
        old = self._history_data()
        if old is None:
            old = _History((), self.id, _newest_date(self._layers))
        elif any(step.registry_id is None for step in old.steps):
            own = self.id
            old = _History(tuple(_with_id(step, own) for step in old.steps), old.base_id, old.start)
        steps = list(old.steps)
        metas = {layer.key: _meta_of(layer) for layer in self._layers}
        indexes = {
            layer.key: ix if isinstance(ix, BlockIndex) else ix.materialize()
            for layer, ix in zip(self._layers, self._indexes, strict=True)
        }
        for chunks in _by_date(sources):
            _apply_source(chunks, metas, indexes, steps)
        keys = sorted(metas, key=_sort_key)
        # layers left as they were still read this registry's file: keep watching it
        registry = Registry(
            [metas[k].layer(indexes[k].count) for k in keys], [indexes[k] for k in keys], _watch=self._watch
        )
        registry._hist = _prune(steps, old.base_id, old.start, keep_history)
        return registry

    def _writable(self, doing: str) -> None:
        if self._past:
            raise TypeError(
                f"cannot {doing} a past version of the registry (from as_of): it is read-only; "
                "update or save the registry it came from"
            )

    # ----------------------------------------------------------------------------- history

    def _history_data(self) -> _History | None:
        hist = self._hist
        if hist is None or isinstance(hist, _History):
            return hist
        self._hist = hist = hist()  # read from the file on first use
        return hist

    @property
    def history(self) -> tuple[Change, ...]:
        """The changes kept, oldest first: one :class:`Change` per layer each source changed."""
        hist = self._history_data()
        if hist is None:
            return ()
        own = self.id if any(step.registry_id is None for step in hist.steps) else ""
        return tuple(step.change(own) for step in hist.steps)

    def history_size(self) -> int:
        """The bytes the history takes in the index file (as :meth:`save` writes it)."""
        hist = self._history_data()
        if hist is None:
            return 0
        own = self.id if any(step.registry_id is None for step in hist.steps) else ""
        return sum(a.nbytes for a in _history_sections(hist, own))

    def as_of(self, when: dt.date | str) -> Registry:
        """The registry as it was: for a date, the data obtained on or before it; for a registry
        id (``"dncg:..."``, as a decision records it), exactly that version (the same
        :attr:`id`).

        A read-only :class:`Registry` (``save`` and ``update`` raise ``TypeError``): ``layers``,
        ``lookup``, ``membership`` and :class:`~dncguard.Guard` work on it as on any other.
        Raises :class:`~dncguard.errors.HistoryError` for a date older than the history kept (or
        one the history cannot separate: a layer's data applied out of date order around it), or
        an id of no version kept. A damaged history is
        :class:`~dncguard.errors.CorruptIndexError`, never a wrong answer.
        """
        hist = self._history_data()
        steps = () if hist is None else hist.steps
        if isinstance(when, str):
            own = self.id
            if when == own:
                keep = len(steps)
            else:
                at = [i for i, step in enumerate(steps) if step.registry_id == when]
                if at:
                    keep = at[-1] + 1
                elif hist is not None and when == hist.base_id:
                    keep = 0
                else:
                    raise HistoryError(
                        f"registry id {when!r}: no version of this registry's history (kept from "
                        f"{_span(hist)}) has it"
                    )
            kept, undo = list(steps[:keep]), list(steps[keep:])
            past = self._rewind(undo)
            past._id = when
        elif isinstance(when, dt.date) and not isinstance(when, dt.datetime):
            # before the first change kept, the registry held what it held before it: data up to
            # ``start`` (a registry whose history begins empty did not exist yet)
            start = None if hist is None else hist.start
            if (start is None and (not steps or when < steps[0].obtained)) or (start and when < start):
                raise HistoryError(f"{when.isoformat()}: older than the history kept ({_span(hist)})")
            undo_at = {i for i, step in enumerate(steps) if step.obtained > when}
            seen: set[str] = set()
            for i, step in enumerate(steps):
                if i in undo_at:
                    seen.add(step.layer)
                elif step.layer in seen:
                    raise HistoryError(
                        f"{when.isoformat()}: layer {step.layer} had data obtained after it applied "
                        f"before data obtained on or before it: ask for a registry id instead"
                    )
            kept = [step for i, step in enumerate(steps) if i not in undo_at]
            undo = [step for i, step in enumerate(steps) if i in undo_at]
            past = self._rewind(undo)
            if not undo:
                past._id = self._id
            elif min(undo_at) == len(kept):
                # the steps kept are the first ones: the version that ends with the last of them,
                # if no update applied both kept and undone steps (its id is recorded)
                k = len(kept)
                if k == 0:
                    past._id = None if hist is None else hist.base_id
                else:
                    rid = steps[k - 1].registry_id
                    if rid is not None and rid != steps[k].registry_id:
                        past._id = rid
        else:
            raise TypeError(f"as_of({when!r}): expected a datetime.date or a registry id string")
        own_id = self.id if any(step.registry_id is None for step in kept) else ""
        past._hist = _History(
            tuple(_with_id(step, own_id) for step in kept),
            None if hist is None else hist.base_id,
            None if hist is None else hist.start,
        )
        past._past = True
        return past

    def _versions(self, ids: Iterable[str]) -> Iterator[tuple[str, Registry | None]]:
        """``(id, as_of(id))`` for each distinct id of ``ids``, ``None`` for an id of no version
        kept; newest version first, each older one derived from the one before it (undoing only
        the changes between them: replaying a ledger visits many neighbouring versions)."""
        hist = self._history_data()
        steps = () if hist is None else hist.steps
        position: dict[str, int] = {}
        if hist is not None and hist.base_id is not None:
            position[hist.base_id] = 0
        for i, step in enumerate(steps):
            if step.registry_id is not None:
                position[step.registry_id] = i + 1
        own = self.id
        position[own] = len(steps)
        wanted = set(ids)
        for rid in sorted(wanted - position.keys()):
            yield rid, None
        own_id = own if any(step.registry_id is None for step in steps) else ""
        newer, at = self, len(steps)
        for rid in sorted(wanted & position.keys(), key=lambda r: -position[r]):
            keep = position[rid]
            past = newer._rewind(list(steps[keep:at]))
            past._id = rid
            past._hist = _History(
                tuple(_with_id(step, own_id) for step in steps[:keep]),
                None if hist is None else hist.base_id,
                None if hist is None else hist.start,
            )
            past._past = True
            newer, at = past, keep
            yield rid, past

    def _rewind(self, undo: list[_Step]) -> Registry:
        """This registry with ``undo``'s steps undone: a view (see :class:`_PastIndex`) over the
        same indexes, each layer's numbers corrected by the numbers its undone steps changed."""
        current = {layer.key: (layer, ix) for layer, ix in zip(self._layers, self._indexes, strict=True)}
        by_name = {key.name: key for key in current}
        per_layer: dict[str, list[_Step]] = {}
        for step in undo:
            per_layer.setdefault(step.layer, []).append(step)
        with _damage_is_corrupt():
            for name, layer_steps in per_layer.items():
                key = by_name.get(name)
                if key is None or any(step.before is None for step in layer_steps[1:]):
                    raise CorruptIndexError(f"history of layer {name} does not match the registry")
                first = layer_steps[0]
                if first.before is None:
                    del current[key]  # the layer's first data: before it, no layer
                    continue
                ix = current[key][1]
                past = _undo(ix, layer_steps)
                layer = _layer_from_json(_before(first))
                if past.count != layer.count:
                    raise CorruptIndexError(f"history of layer {name} does not match the registry")
                current[key] = (layer, past)
        keys = sorted(current, key=_sort_key)
        return Registry(
            [current[k][0] for k in keys], [current[k][1] for k in keys], _mmap=self._mmap, _watch=self._watch
        )

    # ----------------------------------------------------------------------------- queries

    def lookup(self, number: str | int) -> tuple[Listing, ...]:
        """The listings of one number: ``(Listing(layer, on), ...)`` in layer order.

        ``number`` is a 10-digit ``int`` or any common NANP spelling (``"212-555-0143"``);
        ``on`` is the request date of an internal-list entry (``None`` when it has none).
        """
        n = number if type(number) is int and _LOW <= number < _HIGH else _parse(number)
        if self._probes is None:
            self._probes = [
                (ix.probe, listing, ix if len(ix.dated) else None)
                for ix, listing in zip(self._indexes, self._listings, strict=True)
            ]
        return tuple(
            [
                listing if ix is None else Listing(listing.layer, ix.date_one(n))
                for probe, listing, ix in self._probes
                if probe(n)
            ]
        )

    def probes(
        self,
    ) -> tuple[tuple[Layer, Callable[[int], bool], Callable[[int], dt.date | None] | None], ...]:
        """Per layer, in layer order: the layer, its membership test for one 10-digit ``int``,
        and for a layer with dates its date lookup (``None`` otherwise).

        For callers that ask about single numbers in a loop and only need some layers
        (``Guard.check`` skips other sellers' internal lists and other countries' registries);
        the answers are :meth:`lookup`'s.
        """
        return tuple(
            (layer, ix.probe, ix.date_one if len(ix.dated) else None)
            for layer, ix in zip(self._layers, self._indexes, strict=True)
        )

    def membership(self, numbers: npt.ArrayLike) -> U64:
        """Layer bit masks of ``numbers`` (``uint64`` 10-digit): bit ``i`` = in ``layers[i]``."""
        watch = self._watch
        if watch is not None:
            watch.check()
        q = np.asarray(numbers)
        if q.dtype != np.uint64:
            q = q.astype(np.uint64)
        mask = np.zeros(q.shape, np.uint64)
        flat = q.ravel()
        out = mask.reshape(-1)
        order = None
        if len(flat) >= _SORT_FROM:
            # in increasing order, neighbouring queries read neighbouring directory entries and
            # containers: fewer cache misses than the sort costs
            flat, order = sort_queries(flat)
            out = np.empty(len(flat), np.uint64)
        # one pass per batch: prefix and line once, then each layer's directory and containers
        with _damage_is_corrupt():
            for start in range(0, len(flat), BATCH):
                prefix, line = split(flat[start : start + BATCH])
                acc = out[start : start + len(line)]
                batch = flat[start : start + BATCH]
                for i, ix in enumerate(self._indexes):
                    hit = _hits(ix, prefix, line, batch, order is not None)
                    if i == 0:
                        acc[:] = hit
                    else:
                        acc |= hit.view(np.uint8).astype(np.uint64) << np.uint64(i)
        if order is not None:
            mask.reshape(-1)[order] = out
        if watch is not None:
            watch.check()  # the file did not change while it was read: the answers are its own
        return mask

    def request_dates(self, numbers: npt.ArrayLike, layer_index: int) -> npt.NDArray[np.datetime64]:
        """The request date of each number in layer ``layer_index`` (``NaT``: none, or not listed)."""
        q = np.asarray(numbers)
        if self._watch is not None:
            self._watch.check()
        with _damage_is_corrupt():
            out = (
                self._indexes[layer_index].dates_of(q.astype(np.uint64, copy=False).ravel()).reshape(q.shape)
            )
        if self._watch is not None:
            self._watch.check()
        return out

    def coverage_dates(self, npas: npt.ArrayLike, layer_index: int) -> npt.NDArray[np.datetime64]:
        """For each area code: the date layer ``layer_index``'s data for it was obtained (``NaT``:
        not covered)."""
        if not 0 <= layer_index < len(self._layers):
            raise IndexError(f"layer {layer_index}: the registry has {len(self._layers)} layers")
        a = np.asarray(npas).astype(np.int64)
        out: npt.NDArray[np.datetime64] = self._coverage[layer_index][
            np.where((a >= 0) & (a < 1000), a, 1000)
        ]
        return out

    # ----------------------------------------------------------------------------- files

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the registry to ``path`` atomically: a temporary file in the same directory,
        flushed and fsynced, renamed over ``path``, then the directory fsynced. A crash at any
        point leaves the previous file untouched; readers that have it open keep working.

        A symbolic link at ``path`` is followed: the file it points to is replaced and the link
        stays a link. The temporary file is removed on every failure; temporary files left by
        writers that were killed (their process no longer runs) are removed by the next save.
        An operating-system error (a full disk, no permission) raises
        :class:`~dncguard.errors.IndexFileError` naming the file.
        """
        self._writable("save")
        target = os.path.realpath(os.fspath(path))
        layers_meta, arrays = self._parts()
        if self._id is None and sum(a.nbytes for a in arrays) >= _HASH_ASIDE:
            # the id's hash and the checksums, each one pass over the sections, run side by side
            # (both release the GIL): the save takes no longer than the checksums alone
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                digest = pool.submit(_content_id, layers_meta, arrays)
                crcs = [fmt.section_crc(a) for a in arrays]
                self._id = digest.result()
        else:
            crcs = [fmt.section_crc(a) for a in arrays]
        meta: dict[str, Any] = {"layers": layers_meta, "sections": list(_SECTIONS), "id": self.id}
        hist = self._history_data()
        if hist is not None:
            extra = _history_sections(hist, self.id)
            arrays = [*arrays, *extra]
            crcs += [fmt.section_crc(a) for a in extra]
            meta["history"] = len(extra)
        header = fmt.pack_header(meta, [a.nbytes for a in arrays], crcs)
        directory = os.path.dirname(target)
        with _naming(target, "write", named_too=True):
            _remove_stale_temps(target)
            tmp = _temp_name(target)
            try:
                with open(tmp, "xb") as f:
                    with contextlib.suppress(FileNotFoundError):
                        # the replaced file's permissions (an index readable by one group stays so)
                        os.chmod(f.fileno(), stat.S_IMODE(os.stat(target).st_mode))
                    f.write(header)
                    for a in arrays:
                        _write_array(f, a)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            if sys.platform != "win32":  # pragma: no branch - directories cannot be fsynced on Windows
                fd = os.open(directory, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

    @classmethod
    def update_file(
        cls,
        path: str | os.PathLike[str],
        sources: Iterable[Iterable[Chunk]],
        *,
        timeout: float | None = None,
        keep_history: dt.timedelta = KEEP_HISTORY,
    ) -> Registry:
        """Apply ``sources`` to the index file at ``path`` and save it, holding an exclusive lock.

        The lock is taken on ``<path>.lock`` beside the file (created if missing, never removed);
        under it the latest ``path`` is opened, updated and saved, so two concurrent
        ``update_file`` calls (or ``dncguard update`` commands) apply one after the other and
        neither update is lost. A second caller waits for the first; with ``timeout`` (seconds)
        it gives up after that long with :class:`~dncguard.errors.IndexLockedError`. Returns the
        updated registry. ``keep_history``: as for :meth:`update`.
        """
        target = os.path.realpath(os.fspath(path))
        with _locked(target + ".lock", timeout):
            registry = cls.open(target).update(sources, keep_history=keep_history)
            registry.save(target)
        return registry

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, verify: bool = True, copy: bool = False) -> Registry:
        """Open the index file at ``path``. Checks its magic, version, size, header checksum and
        structure, and (unless ``verify=False``, for a file already trusted) every section
        checksum; :class:`~dncguard.errors.CorruptIndexError` if anything is wrong. Without the
        checksums a damaged file is still refused at open or at query when its structure is
        wrong (never another exception), but a flipped bit inside a container can change an
        answer: pass ``verify=False`` only for a file verified before.

        The file is memory-mapped read-only (shared by every process that opens it; constant-time
        with ``verify=False``). Replace an index file, never overwrite it in place: a reader keeps
        answering from the file it opened when a new one is renamed over it (``save`` does), and
        raises :class:`~dncguard.errors.IndexChangedError` when it finds the file it maps changed
        in place (checked on every bulk call and every 256 single lookups). A truncation can still
        stop a mapping process before the check sees it (``SIGBUS``): where other programs may
        overwrite the file in place, pass ``copy=True`` to read it into private memory instead
        (one read of the file at open; then immune to changes of the file).
        """
        name = os.fspath(path)
        with _naming(name, "read"):
            if not stat.S_ISREG(os.stat(name).st_mode):
                raise CorruptIndexError("not a regular file: not a dncguard index", path=name)
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise CorruptIndexError("not a regular file: not a dncguard index", path=name)
                if st.st_size == 0:
                    raise CorruptIndexError("empty file: not a dncguard index", path=name)
                if copy:
                    buf: Any = _read_all(fd, st.st_size, name)
                    if _stamp(os.fstat(fd)) != _stamp(st):
                        raise IndexChangedError(
                            "the file changed while it was read: open it again", path=name
                        )
                else:
                    buf = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            except BaseException:
                os.close(fd)
                raise
        watch = None
        if copy:
            os.close(fd)
        else:
            watch = _FileWatch(fd, name, st, buf)
            if hasattr(buf, "madvise") and hasattr(mmap, "MADV_WILLNEED"):
                buf.madvise(mmap.MADV_WILLNEED)
        try:
            registry = cls._from_buffer(buf, verify=verify, _watch=watch)
            if watch is not None:
                watch.check()  # unchanged while it was verified
            return registry
        except IndexChangedError:
            raise
        except CorruptIndexError as e:
            raise CorruptIndexError(str(e), path=name) from None

    @classmethod
    def _from_buffer(cls, buf: Any, *, verify: bool = True, _watch: _FileWatch | None = None) -> Registry:
        """A registry over the bytes of an index file (``mmap``, ``bytes``); the arrays are views."""
        size = len(buf)
        header = fmt.read_header(buf, size)
        if verify:
            fmt.verify_sections(buf, header)
        layers, indexes, content_id, history_at = _load(buf, header)
        if _watch is not None:
            for ix in indexes:
                ix.watch(_watch.check)
        registry = cls(layers, indexes, _mmap=buf, _watch=_watch)
        registry._id = content_id
        if history_at is not None:
            registry._hist = _history_reader(buf, header, history_at, _watch, checked=verify)
        return registry


# --------------------------------------------------------------------------------- helpers


def _parse(number: str | int) -> int:
    from dncguard.numbers import parse_number  # lazily: the single-int path never needs it

    return parse_number(number)


def _meta_of(layer: Layer) -> _Meta:
    return _Meta(
        layer.key, dict(layer.area_codes), None if layer.area_codes else layer.obtained, layer.published
    )


def _by_date(sources: Iterable[Iterable[Chunk]]) -> Iterator[Iterator[Chunk]]:
    """The sources, each as an iterator of its chunks, ordered by the date of their first chunk."""
    peeked = []
    for pos, source in enumerate(sources):
        it = iter(source)
        first = next(it, None)
        if first is None:
            continue
        when = first.obtained or (max(first.coverage.values()) if first.coverage else None)
        peeked.append(((when is None, when or dt.date.min, pos), itertools.chain([first], it)))
    peeked.sort(key=lambda p: p[0])
    for _, chunks in peeked:
        yield chunks


@dataclass
class _Pending:
    """What one source does to one layer, gathered from its chunks."""

    replace: list[U64] = field(default_factory=list)
    replace_dates: list[I64] = field(default_factory=list)
    replaced: bool = False
    changes: list[tuple[U64, bool, I64 | None]] = field(default_factory=list)
    coverage: dict[int, dt.date] = field(default_factory=dict)
    obtained: dt.date | None = None
    published: dt.date | None = None
    source: str | None = None


def _check_order(key: LayerKey, p: _Pending, meta: _Meta | None) -> None:
    """Registry data only moves forward (docs/defaults.md): refuse a change list or replacement older
    than the data it would change. The same date again is allowed (re-applying it is a no-op)."""
    if meta is None:
        return
    what = p.source or key.name
    if key.kind is LayerKind.NATIONAL:
        older = {
            npa: meta.area_codes[npa]
            for npa, day in p.coverage.items()
            if meta.area_codes.get(npa, day) > day
        }
        if not older:
            return
        codes = sorted(older)
        shown = ", ".join(str(a) for a in codes[:10]) + (
            f" and {len(codes) - 10} more" if len(codes) > 10 else ""
        )
        theirs = min(p.coverage[a] for a in codes).isoformat()
        newest = max(older.values()).isoformat()
        raise ChangeOrderError(
            f"{what}: obtained {theirs}, older than the {key.name} data already held for area code(s) "
            f"{shown} (obtained up to {newest}): apply change lists in date order",
            path=p.source,
        )
    if p.obtained is not None and meta.obtained is not None and p.obtained < meta.obtained:
        raise ChangeOrderError(
            f"{what}: obtained {p.obtained.isoformat()}, older than the {key.name} list already held "
            f"(obtained {meta.obtained.isoformat()}): apply change lists in date order",
            path=p.source,
        )


def _check_chunk(chunk: Chunk) -> None:
    bad_codes = [a for a in chunk.coverage if type(a) is not int or not 200 <= a <= 999]
    if bad_codes:
        where = chunk.source or chunk.layer.name
        raise CoverageError(
            f"{where}: area code {bad_codes[0]!r} is not a NANP area code (200-999)", path=chunk.source
        )
    nums = chunk.numbers
    if not len(nums):
        return
    lo, hi = int(nums.min()), int(nums.max())
    if lo < _LOW or hi >= _HIGH:
        bad = lo if lo < _LOW else hi
        where = f" (from {chunk.source})" if chunk.source else ""
        raise InvalidNumberError(bad, f"not a 10-digit NANP number{where}")
    if chunk.coverage:
        allowed = np.zeros(1000, bool)
        allowed[list(chunk.coverage)] = True
        outside = np.flatnonzero(~allowed[(nums // np.uint64(10_000_000)).astype(np.int64)])
        if len(outside):
            n = int(nums[outside[0]])
            codes = ", ".join(str(a) for a in sorted(chunk.coverage))
            where = chunk.source or chunk.layer.name
            raise CoverageError(
                f"{where}: {n} is outside the area codes this source covers ({codes})",
                number=n,
                path=chunk.source,
            )


def _apply_source(
    chunks: Iterator[Chunk],
    metas: dict[LayerKey, _Meta],
    indexes: dict[LayerKey, BlockIndex],
    steps: list[_Step] | None = None,
) -> None:
    pending: dict[LayerKey, _Pending] = {}
    for chunk in chunks:
        _check_chunk(chunk)
        p = pending.setdefault(chunk.layer, _Pending())
        keep_dates = chunk.layer.kind is LayerKind.INTERNAL
        dates = None if chunk.dates is None else chunk.dates.view(np.int64)
        if chunk.op is Op.REPLACE:
            p.replaced = True
            p.replace.append(chunk.numbers)
            if keep_dates:
                p.replace_dates.append(np.full(len(chunk.numbers), NAT, np.int64) if dates is None else dates)
        else:
            p.changes.append((chunk.numbers, chunk.op is Op.ADD, dates))
        for npa, day in chunk.coverage.items():
            p.coverage[npa] = max(day, p.coverage.get(npa, day))
        if chunk.obtained is not None:
            p.obtained = max(chunk.obtained, p.obtained or chunk.obtained)
        if chunk.published is not None:
            p.published = chunk.published
        if p.source is None:
            p.source = chunk.source
    for key, p in pending.items():
        if key.kind is LayerKind.NATIONAL and not p.coverage and p.replaced and p.obtained is not None:
            continue  # coverage taken from the data: checked below once the numbers are known
        _check_order(key, p, metas.get(key))
    with _damage_is_corrupt():  # the chunks are read: from here on only index arrays are indexed
        _apply_pending(pending, metas, indexes, steps)


def _apply_pending(
    pending: dict[LayerKey, _Pending],
    metas: dict[LayerKey, _Meta],
    indexes: dict[LayerKey, BlockIndex],
    steps: list[_Step] | None = None,
) -> None:
    for key, p in pending.items():
        existed = key in metas
        meta = metas.get(key) or _Meta(key)
        ix = indexes.get(key) or BlockIndex.empty()
        before = _layer_json(meta.layer(ix.count)) if existed else None
        ix_old = ix
        touched: list[U64] = []  # numbers whose membership this source may have changed
        internal = key.kind is LayerKind.INTERNAL
        if p.replaced:
            numbers, dates = _merge_list(p.replace, p.replace_dates if internal else None)
            p.replace.clear()
            if key.kind is LayerKind.NATIONAL:
                covered = dict(p.coverage)
                if not covered and p.obtained is not None:
                    npas = (numbers // np.uint64(10_000_000)).astype(np.int64)
                    covered = dict.fromkeys(
                        (int(a) for a in np.flatnonzero(np.bincount(npas, minlength=1000))), p.obtained
                    )
                    p.coverage = dict(covered)
                    _check_order(key, p, metas.get(key))
                if steps is not None and existed:
                    touched.append(ix.numbers_in(sorted(covered)))
                ix = ix.edit(clear_npas=sorted(covered), adds=numbers)
                meta.area_codes.update(covered)
            else:
                if steps is not None and existed:
                    touched.append(ix.numbers())
                ix = BlockIndex.empty().edit(adds=numbers, add_dates=dates)
                meta.area_codes = {}
            if steps is not None and existed:
                touched.append(numbers)
            del numbers
        if p.changes:
            adds, add_dates, dels = _resolve(p.changes, internal)
            ix = ix.edit(adds=adds, add_dates=add_dates, dels=dels)
            if steps is not None and existed:
                touched += [adds, dels]
            if key.kind is LayerKind.NATIONAL:
                meta.area_codes.update(p.coverage)
        if key.kind is not LayerKind.NATIONAL and p.obtained is not None:
            meta.obtained = p.obtained
        if p.published is not None:
            meta.published = p.published
        metas[key] = meta
        indexes[key] = ix
        if len(metas) > MAX_LAYERS:
            raise ValueError(f"more than {MAX_LAYERS} layers: a registry holds at most {MAX_LAYERS}")
        if steps is not None:
            steps.append(_step_of(key, p, before, ix_old, ix, touched))


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


def _merge_list(parts: list[U64], dates: list[I64] | None) -> tuple[U64, I64 | None]:
    """One list's numbers sorted and distinct. A number listed twice with request dates keeps
    one: no date wins (the entry applies always), else the later date. A consent given between
    two requests is ended by the second (docs/defaults.md), so for a call on or after the later request,
    as every call made today is, the later date is the one that blocks; the earlier would let
    that consent through."""
    if not parts:
        return np.zeros(0, np.uint64), None if dates is None else np.zeros(0, np.int64)
    # a copy: the caller's chunk arrays are never modified
    numbers = parts[0].copy() if len(parts) == 1 else np.concatenate(parts)
    parts.clear()
    if dates is None:
        # sorted and deduplicated in place: no full-size copy (2 GB at US scale) at the build's
        # peak; the encoder is correct with repeats too (a block is never split across pieces)
        numbers.sort()
        return unique_sorted(numbers), None
    d = np.concatenate(dates) if dates else np.zeros(0, np.int64)
    strict = np.where(d == NAT, np.iinfo(np.int64).max, d)
    order = np.lexsort((strict, numbers))
    numbers, strict = numbers[order], strict[order]
    last = np.ones(len(numbers), bool)
    if len(numbers):
        np.not_equal(numbers[1:], numbers[:-1], out=last[:-1])
    numbers, strict = numbers[last], strict[last]
    return numbers, np.where(strict == np.iinfo(np.int64).max, NAT, strict)


def _resolve(changes: list[tuple[U64, bool, I64 | None]], internal: bool) -> tuple[U64, I64 | None, U64]:
    """The net effect of change records: the last record per number wins, by date then arrival."""
    nums = np.concatenate([c[0] for c in changes])
    if all(c[1] for c in changes) and (not internal or all(c[2] is None for c in changes)):
        return sort_unique(nums), None, np.zeros(0, np.uint64)
    add = np.concatenate([np.full(len(c[0]), c[1]) for c in changes])
    dates = np.concatenate([np.full(len(c[0]), NAT, np.int64) if c[2] is None else c[2] for c in changes])
    order = np.lexsort((np.arange(len(nums)), dates, nums))
    nums, add, dates = nums[order], add[order], dates[order]
    last = np.ones(len(nums), bool)
    if len(nums):
        np.not_equal(nums[1:], nums[:-1], out=last[:-1])
    nums, add, dates = nums[last], add[last], dates[last]
    return nums[add], (dates[add] if internal else None), nums[~add]


def _layer_json(layer: Layer) -> dict[str, Any]:
    return {
        "name": layer.name,
        "kind": layer.kind,
        "jurisdiction": layer.jurisdiction,
        "seller": layer.seller,
        "obtained": None if layer.obtained is None else layer.obtained.isoformat(),
        "published": None if layer.published is None else layer.published.isoformat(),
        "count": layer.count,
        "area_codes": {str(a): d.isoformat() for a, d in sorted(layer.area_codes.items())},
    }


def _write_array(f: IO[bytes], a: np.ndarray[Any, Any]) -> None:
    buf = np.ascontiguousarray(a).data.cast("B")
    step = 1 << 26
    for i in range(0, len(buf), step):
        f.write(buf[i : i + step])
    pad = fmt.align(len(buf)) - len(buf)
    if pad:
        f.write(bytes(pad))


def _date(s: object) -> dt.date | None:
    if s is None:
        return None
    if not isinstance(s, str):
        raise TypeError(s)
    return dt.date.fromisoformat(s)


_ID: Final = re.compile(r"dncg:[0-9a-f]{32}")


def _key_of(lj: dict[str, Any]) -> LayerKey:
    """The layer's key, through the same checks as a key made by a source."""
    kind = LayerKind(lj["kind"])
    if kind is LayerKind.NATIONAL:
        key = LayerKey.national(lj["jurisdiction"])
    elif kind is LayerKind.STATE:
        key = LayerKey.state(lj["jurisdiction"])
    else:
        seller = lj["seller"]
        # as every writer made it: a non-empty name without outer spaces, in the layer's name
        named = (
            isinstance(seller, str) and seller == seller.strip() != "" and lj["name"] == f"internal:{seller}"
        )
        if not named or lj["jurisdiction"] is not None:
            raise CorruptIndexError(f"layer {lj['name']!r}: name, kind, jurisdiction and seller disagree")
        # An index written before sellers were normalised may name "internal:Acme": read as the
        # list of the one seller "acme" however written (docs/defaults.md#sellers-are-one-name).
        return LayerKey.internal(seller)
    if (key.jurisdiction, key.seller) != (lj["jurisdiction"], lj["seller"]) or key.name != lj["name"]:
        raise CorruptIndexError(f"layer {lj['name']!r}: name, kind, jurisdiction and seller disagree")
    return key


def _load(mm: Any, header: fmt.Header) -> tuple[list[Layer], list[BlockIndex], str, int | None]:
    meta = header.meta
    try:
        names = meta["sections"]
        extra = meta.get("history", 0) if header.version >= 3 else 0
        if extra not in (0, 2) or type(extra) is not int:
            raise CorruptIndexError("bad history entry in the metadata")
        layer_sections = len(_SECTIONS) * len(meta["layers"])
        if list(names) != list(_SECTIONS) or len(header.sections) != layer_sections + extra:
            raise CorruptIndexError("section table does not match the layers")
        if len(meta["layers"]) > MAX_LAYERS:
            raise CorruptIndexError(f"{len(meta['layers'])} layers: at most {MAX_LAYERS}")
        content_id = meta["id"]
        if not isinstance(content_id, str) or not _ID.fullmatch(content_id):
            raise CorruptIndexError("no registry id in the metadata")
        layers: list[Layer] = []
        indexes: list[BlockIndex] = []
        seen: set[LayerKey] = set()
        for i, lj in enumerate(meta["layers"]):
            layer = _layer_from_json(lj)
            if layer.key in seen:
                if lj.get("name") != layer.name:  # written before sellers were normalised
                    raise CorruptIndexError(
                        f"layer {lj.get('name')!r} and another hold the internal list of one seller"
                        f" ({layer.seller!r}: names are compared trimmed and case-folded): rebuild the"
                        " index from the downloads, each seller's list once"
                    )
                raise CorruptIndexError(f"layer {layer.name} appears twice")
            seen.add(layer.key)
            arrays = {}
            for j, name in enumerate(_SECTIONS):
                s = header.sections[i * len(_SECTIONS) + j]
                dtype = np.dtype(_DTYPES[name])
                if s.length % dtype.itemsize:
                    raise CorruptIndexError(f"layer {layer.name}: section {name} has a bad length")
                arrays[name] = np.frombuffer(mm, dtype, s.length // dtype.itemsize, s.offset)
            ix = BlockIndex(
                arrays["pages"],
                arrays["directory"],
                arrays["data"],
                arrays["dated"],
                arrays["dates"],
                layer.count,
            )
            try:
                ix.validate(layer.count)
            except CorruptIndexError as e:
                raise CorruptIndexError(f"layer {layer.name}: {e}") from None
            layers.append(layer)
            indexes.append(ix)
    except CorruptIndexError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise CorruptIndexError(f"unreadable metadata: {e!r}") from None
    return layers, indexes, content_id, (layer_sections if extra else None)


def _layer_from_json(lj: dict[str, Any]) -> Layer:
    """A layer's metadata as stored (in the header, or in the history), through every check."""
    try:
        key = _key_of(lj)
        codes = {int(a): _date(d) for a, d in lj["area_codes"].items()}
        if any(not 200 <= a <= 999 or d is None for a, d in codes.items()):
            raise CorruptIndexError(f"layer {key.name}: an area code out of range or without a date")
        count = lj["count"]
        if type(count) is not int or not 0 <= count < _HIGH:
            raise CorruptIndexError(f"layer {key.name}: bad count {count!r}")
        return Layer(
            name=key.name,
            kind=str(key.kind),
            jurisdiction=key.jurisdiction,
            seller=key.seller,
            obtained=_date(lj["obtained"]),
            area_codes=MappingProxyType(dict(sorted(codes.items()))),  # type: ignore[arg-type]
            count=count,
            published=_date(lj["published"]),
        )
    except CorruptIndexError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise CorruptIndexError(f"unreadable layer metadata: {e!r}") from None


@contextlib.contextmanager
def _damage_is_corrupt() -> Iterator[None]:
    """A query over a damaged file opened with ``verify=False`` that reads out of bounds raises
    :class:`CorruptIndexError` (the structure was checked at open; a container's bits were not)."""
    try:
        yield
    except (IndexError, OverflowError) as e:
        raise CorruptIndexError(f"damaged index: {e} (open it with verify=True)") from None


def _content_id(layers_meta: list[dict[str, Any]], arrays: list[np.ndarray[Any, Any]]) -> str:
    """The registry id: SHA-256 over the layers' metadata (canonical JSON) and every section's
    length and bytes. The encoding is a function of the numbers (the smallest container per
    block, in prefix order), so the same content always gives the same id."""
    h = hashlib.sha256(json.dumps(layers_meta, sort_keys=True, separators=(",", ":")).encode())
    for a in arrays:
        buf = np.ascontiguousarray(a).data.cast("B")
        h.update(len(buf).to_bytes(8, "little"))
        h.update(buf)
    return "dncg:" + h.hexdigest()[:32]


# --------------------------------------------------------------------------------- files

_TEMP_SUFFIX: Final = ".dncg-tmp"
_HOST: Final = zlib.crc32(socket.gethostname().encode()) & 0xFFFFFFFF


def _temp_name(target: str) -> str:
    """``.<name>.<host>.<pid>.<random>.dncg-tmp`` beside ``target``: recognisable, with its owner."""
    directory, name = os.path.split(target)
    return os.path.join(directory, f".{name}.{_HOST:08x}.{os.getpid()}.{os.urandom(4).hex()}{_TEMP_SUFFIX}")


def _remove_stale_temps(target: str) -> None:
    """Remove temporary files of ``target`` whose writer (on this host) no longer runs: a writer
    killed mid-save (SIGKILL, power loss) cannot remove its own."""
    if sys.platform == "win32":  # pragma: no cover - no cheap liveness test of a PID there
        return
    directory, name = os.path.split(target)
    pattern = re.compile(
        re.escape(f".{name}.") + r"([0-9a-f]{8})\.(\d+)\.[0-9a-f]{8}" + re.escape(_TEMP_SUFFIX)
    )
    # the names earlier versions used (no host): ``.<name>.<pid>.<random>.tmp``
    earlier = re.compile(re.escape(f".{name}.") + r"(\d+)\.[0-9a-f]{8}\.tmp")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry)
        if m is not None and int(m.group(1), 16) == _HOST:
            pid = int(m.group(2))
        elif (m := earlier.fullmatch(entry)) is not None:
            pid = int(m.group(1))
        else:
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or not a PID we can ask about): leave its file
    return True


@contextlib.contextmanager
def _naming(path: str, doing: str, *, named_too: bool = False) -> Iterator[None]:
    """Re-raise an ``OSError`` that names no file (or, ``named_too``, any: a save names its
    target, not its temporary file) as :class:`IndexFileError` naming ``path``."""
    try:
        yield
    except IndexFileError:
        raise
    except OSError as e:
        if e.filename and not named_too:
            raise
        raise IndexFileError(
            f"cannot {doing} the index: {e.strerror or e}", path=e.filename or path, errno=e.errno
        ) from e


@contextlib.contextmanager
def _locked(lock_path: str, timeout: float | None) -> Iterator[None]:
    """An exclusive lock on ``lock_path`` (``fcntl.flock``; ``msvcrt.locking`` on Windows)."""
    with _naming(lock_path, "lock", named_too=True):
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not _try_lock(fd, blocking=deadline is None):
            if deadline is not None and time.monotonic() >= deadline:
                raise IndexLockedError(
                    f"another update holds the lock {lock_path} (waited {timeout} s): "
                    "try again when it has finished",
                    path=lock_path,
                )
            time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _try_lock(fd: int, *, blocking: bool) -> bool:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _stamp(st: os.stat_result) -> tuple[int, ...]:
    # not st_ctime: replacing the file (unlinking this inode) changes it, and that is no change
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class _FileWatch:
    """The identity of an open index file (device, inode, size and modification time),
    checked on the descriptor the registry holds: ``check`` raises
    :class:`~dncguard.errors.IndexChangedError` once the file was changed in place."""

    __slots__ = ("__weakref__", "buf", "changed", "fd", "head", "path", "stamp")

    def __init__(self, fd: int, path: str, st: os.stat_result, buf: Any) -> None:
        self.fd = fd
        self.path = path
        self.stamp = _stamp(st)
        self.changed = False
        # the fixed header as mapped: it holds the header checksum, which covers every section's
        # checksum, so new content copied in place within one clock tick (same mtime) shows too
        self.buf = buf
        self.head = bytes(buf[: fmt.FIXED.size])
        weakref.finalize(self, os.close, fd)

    def check(self) -> None:
        # the size first: reading the mapped header of a truncated file would fault (SIGBUS)
        if self.changed or _stamp(os.fstat(self.fd)) != self.stamp or self.buf[: fmt.FIXED.size] != self.head:
            self.changed = True
            raise IndexChangedError(
                "the index file was changed in place while open (truncated or overwritten): "
                "its answers can no longer be trusted; open it again, and replace index files "
                "(save to a new name and rename) instead of overwriting them",
                path=self.path,
            )


def _read_all(fd: int, size: int, name: str) -> bytearray:
    buf = bytearray(size)
    with open(fd, "rb", buffering=0, closefd=False) as f, memoryview(buf) as view:
        got = 0
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                raise IndexChangedError(f"the file shrank to {got} bytes while it was read", path=name)
            got += n
    return buf
