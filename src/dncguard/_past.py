"""Past versions of a layer: a view over today's index and the numbers changed since.

:func:`_undo` makes the view of a layer with some of its history steps undone
(:class:`_PastIndex`); :mod:`dncguard._history` keeps the steps and finds which to undo."""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from dncguard._stored import _HIGH
from dncguard._tuning import check_whole, resolve_tuning
from dncguard.errors import CorruptIndexError
from dncguard.index import BlockIndex, Dated, difference, member, union

if TYPE_CHECKING:
    from dncguard._history import _Step

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_EPOCH: Final = dt.date(1970, 1, 1)


#: A past layer whose undone steps change at most this many numbers is computed (and its count
#: checked against the history) when ``as_of`` makes it; a larger one lazily (see ``_PastIndex``).
EAGER: Final = 1 << 16
#: Single lookups a lazy past layer answers from the skip tables before it computes ``flip``.
POINTS: Final = 64
#: ``near`` (see ``_PastIndex``) is folded into ``far`` once it holds more than this many numbers
#: and more than ``far`` over ``_FOLD_SHARE``.
FOLD: Final = 1 << 16
_FOLD_SHARE: Final = 16
#: Ledger entries replay reads and groups by registry version at a time.
CHUNK: Final = 1 << 16
#: A version's entries are decided in bulk from this many on (the bulk path's set-up, about as
#: long as ``check`` takes for a few hundred calls, is paid once per version), else one by one.
BULK_FROM: Final = 512
_NONE: Final = np.zeros(0, np.uint64)
#: Held while a past layer computes its differences (a bulk query may ask from two threads at
#: once; the first computes them, and drops what it made them from, under the lock).
_SETTLING: Final = threading.RLock()


@dataclass(frozen=True)
class Tuning:
    """How ``Registry.as_of`` and replay divide their work (their ``tuning=`` keyword). Every
    setting gives the same answers: these trade speed for memory, and let tests reach every path
    with small registries and ledgers.

    ``eager``: a past layer whose undone changes touch at most this many numbers is computed,
    and its count checked against the history, when ``as_of`` makes it; a larger one when first
    asked (default 65,536; 0: every layer that changed, when first asked; replay makes every
    version it visits at once, as it asks each for many numbers). ``fold``: numbers a
    past layer made from a newer one keeps apart from the differences it shares with it, before
    it makes its own copy of them all (default 65,536). ``chunk``: ledger entries replay reads
    and groups by registry version at a time (default 65,536). ``bulk_from``: a version's entries
    are decided together (``Guard.scrub``) from this many on, else one by one with ``check``
    (default 512).

    >>> Tuning(chunk=0)
    Traceback (most recent call last):
    ...
    dncguard.errors.ArgumentError: Tuning(chunk=0): expected a whole number, at least 1
    """

    eager: int = EAGER
    fold: int = FOLD
    chunk: int = CHUNK
    bulk_from: int = BULK_FROM

    def __post_init__(self) -> None:
        check_whole(self, "eager", "fold", least=0)
        check_whole(self, "chunk", "bulk_from")


DEFAULT: Final = Tuning()


def resolve(tuning: object) -> Tuning:
    """``tuning`` as given to ``as_of`` or replay: a :class:`Tuning`, or None for the defaults."""
    return resolve_tuning(tuning, DEFAULT, "dncguard.replay.Tuning")


class _PastIndex(Dated):
    """One layer as it was at a past version: a view over today's index, not a copy.

    ``base`` is the layer's :class:`~dncguard.index.BlockIndex` now; ``flip`` (``uint64``,
    sorted, distinct) holds every number whose membership changed between that version and now:
    ``parent``'s ``flip`` (a newer past version of the layer, or none) and the numbers the undone
    ``steps`` added or removed, each counted once per change (those changed an even number of
    times cancel out). A number is in the past layer exactly when it is in ``base`` xor in
    ``flip``, so the past layer holds ``base.count + len(flip) - 2 * in_base`` numbers
    (``in_base``: the numbers of ``flip`` that ``base`` holds), checked against ``count`` (the
    count the history recorded) when ``flip`` is computed with the check. ``dated``/``dates``
    are the past layer's own (number, date) pairs.

    ``flip`` is held in two parts, ``far`` xor ``near`` (each sorted and distinct): ``far`` is an
    older version's ``flip``, shared with it, and ``near`` the (few) numbers changed between the
    two. A version made from a newer one that holds its parts (as replay makes them, newest first,
    each from the next newer) costs the changes between them and ``near``, not a copy of the whole
    ``flip``; ``near`` is folded into a new ``far`` when it grows past a share of it.

    ``flip`` is computed when first needed, so ``as_of`` costs no decoding: a single lookup
    (:attr:`probe`) asks each undone step's skip tables whether it changed the number (at most
    ``SKIP`` gaps decoded per set), up to ``POINTS`` lookups; a bulk query computes ``flip``
    once. Bulk queries cost today's probe plus one binary search in ``flip`` (cache-resident for
    queries in increasing order: each batch searches only the part of ``flip`` in its range).
    The content id (and ``pages``, ``directory``, ``data``) is computed on a materialised copy,
    built once when first asked, after the count check.
    """

    __slots__ = (
        "_far",
        "_flip",
        "_flip_len",
        "_full",
        "_in_base",
        "_mvs",
        "_near",
        "_points",
        "_probe",
        "base",
        "count",
        "dated",
        "dates",
        "fold",
        "name",
        "parent",
        "steps",
    )

    def __init__(
        self,
        base: BlockIndex,
        steps: tuple[_Step, ...],
        parent: _PastIndex | None,
        count: int,
        dated: U64,
        dates: I64,
        name: str = "",
        fold: int = FOLD,
    ) -> None:
        self.base = base
        self.fold = fold
        self.steps = steps
        self.parent = parent  # settled (its ``far`` and ``near`` are known); dropped when this is
        self.count = count
        self.dated = dated
        self.dates = dates
        self.name = name
        self._far: U64 | None = None  # with ``_near``: None until settled
        self._near: U64 | None = None
        self._mvs: tuple[memoryview, memoryview] | None = None  # of far and near, for single lookups
        self._flip: U64 | None = None  # far xor near, made when asked for
        self._flip_len = 0
        self._in_base: int | None = None
        self._points = 0 if all(step.pointable() for step in steps) else POINTS
        self._full: BlockIndex | None = None
        self._probe: Callable[[int], bool] | None = None
        self._dated_mv: memoryview | None = None

    @property
    def settled(self) -> bool:
        """Whether the differences from now are computed (``far`` and ``near``)."""
        return self._near is not None

    @property
    def flip(self) -> U64:
        if self._flip is None:
            self.settle(check=False)
            assert self._far is not None
            assert self._near is not None
            self._flip = _xor(self._far, self._near)
        return self._flip

    @property
    def in_base(self) -> int:
        self.settle(check=True)
        assert self._in_base is not None
        return self._in_base

    def settle(self, *, check: bool) -> None:
        """Compute ``far`` and ``near`` (once); with ``check``, also ``in_base`` and check the
        count: :class:`CorruptIndexError` if the history does not add up to the count it recorded."""
        if self._near is not None and (not check or self._in_base is not None):
            return
        with _SETTLING:
            if self._near is not None and (not check or self._in_base is not None):
                return  # another thread computed them
            base = self.base
            in_base = None  # set on ``self`` only once the count is checked
            if self._near is None:
                parent = self.parent
                far, near = (_NONE, _NONE) if parent is None else parent.parts()
                sets = [a for step in self.steps for i in (0, 1) if len(a := step.numbers(i))]
                if len(sets) == 1:
                    changed = sets[0]
                elif sets:
                    changed = _odd(np.sort(np.concatenate(sets)))
                else:
                    changed = _NONE
                flip_len = 0 if parent is None else parent._flip_len
                if len(changed):
                    # changed back: in the newer version's flip, so no longer a difference from now
                    again = member(far, changed) ^ member(near, changed)
                    flip_len += len(changed) - 2 * int(again.sum())
                    if check and parent is not None and parent._in_base is not None:
                        held = base.contains(changed)  # gained where not again, lost where again
                        in_base = parent._in_base + int(held[~again].sum()) - int(held[again].sum())
                    near = _xor(near, changed)
                    if len(near) > max(self.fold, len(far) // _FOLD_SHARE):
                        far, near = _xor(far, near), _NONE
                elif check and parent is not None:
                    in_base = parent._in_base
                self._far, self._near, self._flip_len = far, near, flip_len
                # what made them is no longer needed (a chain of versions is not kept alive)
                self.parent, self.steps = None, ()
            if check:
                if in_base is None:
                    in_base = int(base.contains(self.flip).sum())
                if base.count + self._flip_len - 2 * in_base != self.count:
                    raise CorruptIndexError(f"history of layer {self.name} does not match the registry")
                self._in_base = in_base

    def parts(self) -> tuple[U64, U64]:
        """``(far, near)``: ``flip`` is their symmetric difference (see the class docstring)."""
        self.settle(check=False)
        assert self._far is not None
        assert self._near is not None
        return self._far, self._near

    def flips_one(self, n: int) -> bool:
        """Whether ``n``'s membership differs between this version and now."""
        # what makes them first: ``settle`` drops it only after ``near`` is set
        parent, steps = self.parent, self.steps
        if self._near is None and self._points >= POINTS:
            self.settle(check=False)
        if self._near is not None:
            mvs = self._mvs
            if mvs is None:
                far, near = self.parts()
                mvs = self._mvs = (_view(far), _view(near))
            return _has(mvs[0], n) != _has(mvs[1], n)
        self._points += 1
        changed = False if parent is None else parent.flips_one(n)
        for step in steps:
            if step.flips(n):
                changed = not changed
        return changed

    def hits(self, prefix: I64, line: I64, q: U64, increasing: bool) -> npt.NDArray[np.bool_]:
        """For each query of a batch (``q``, split into ``prefix`` and ``line``): in the layer?"""
        base = self.base
        hit = base.probe_lines(base.entries_of(prefix), line)
        if len(q):
            for flip in self.parts():
                if len(flip):
                    if increasing:
                        lo, hi = np.searchsorted(flip, q[[0, -1]]).tolist()
                        flip = flip[lo : hi + 1]
                    hit ^= member(flip, q)
        return hit

    def contains(self, numbers: U64) -> npt.NDArray[np.bool_]:
        q = numbers.astype(np.uint64, copy=False)
        far, near = self.parts()
        found: npt.NDArray[np.bool_] = self.base.contains(q) ^ member(far, q) ^ member(near, q)
        return found

    @property
    def probe(self) -> Callable[[int], bool]:
        """``probe(n) -> bool`` for one Python ``int``, as :attr:`BlockIndex.probe`."""
        if self._probe is None:
            base = self.base.probe
            if self._far is not None and self._near is not None and not len(self._far) + len(self._near):
                self._probe = base
            else:
                flips_one = self.flips_one

                def probe(n: int) -> bool:
                    return base(n) != (0 <= n < _HIGH and flips_one(n))

                self._probe = probe
        return self._probe

    def contains_one(self, number: int) -> bool:
        return 0 <= number < _HIGH and self.probe(number)

    def materialize(self) -> BlockIndex:
        """The past layer as an index of its own (built once)."""
        if self._full is None:
            self.settle(check=True)
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


def _view(a: U64) -> memoryview:
    return np.ascontiguousarray(a).data.cast("B").cast("Q")


def _has(mv: memoryview, n: int) -> bool:
    i = bisect_left(mv, n)
    return i < len(mv) and mv[i] == n


def _xor(a: U64, b: U64) -> U64:
    """The numbers in exactly one of the sorted, distinct ``a`` and ``b`` (sorted)."""
    if not len(b):
        return a
    if not len(a):
        return b
    both = member(a, b)
    return union(difference(a, b[both]), b[~both])


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


def _undo(ix: _AnyIndex, steps: list[_Step], count: int, name: str, tuning: Tuning = DEFAULT) -> _PastIndex:
    """The layer ``ix`` with ``steps`` (in the order applied, the layer's newest) undone: a layer
    of ``count`` numbers (the history's record), computed now when the steps change few numbers
    (and the count checked), else when first asked (see :class:`_PastIndex`)."""
    dated, dates = ix.dated, ix.dates
    undone = tuple(steps)
    if isinstance(ix, _PastIndex):
        base = ix.base
        ix_parent, ix_steps = ix.parent, ix.steps  # before ``settled``: see ``flips_one``
        if ix.settled:
            parent: _PastIndex | None = ix
        else:  # ix is not computed: undo its steps and these together
            parent, undone = ix_parent, (*undone, *ix_steps)
    else:
        base, parent = ix, None
    for step in reversed(steps):
        if step.counts[2] or step.counts[3]:
            dated, dates = _undo_dates(dated, dates, step)
    past = _PastIndex(base, undone, parent, count, dated, dates, name, tuning.fold)
    work = sum(step.counts[0] + step.counts[1] for step in undone)
    if parent is not None and parent._in_base is None:
        work += parent._flip_len
    if work <= tuning.eager:
        past.settle(check=True)
    return past


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
