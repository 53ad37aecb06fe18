"""Applying sources to a registry's layers: chunks gathered per layer, checked, then applied.

:meth:`dncguard.Registry.update` calls :func:`_apply_source` once per source, in the order of
the dates the sources were obtained (:func:`_by_date`)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt

from dncguard._calendar import latest_date
from dncguard._history import _Step, _step_of
from dncguard._stored import _HIGH, MAX_LAYERS, _damage_is_corrupt, _layer_json
from dncguard.errors import (
    ArgumentError,
    ArgumentTypeError,
    ChangeOrderError,
    CoverageError,
    InvalidNumberError,
)
from dncguard.index import (
    NAT,
    BlockIndex,
    sort_unique,
    unique_sorted,
)
from dncguard.layers import Chunk, Layer, LayerKey, LayerKind, Op

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


_KIND_ORDER: Final = {LayerKind.NATIONAL: 0, LayerKind.STATE: 1, LayerKind.INTERNAL: 2}


_LOW: Final = 2_000_000_000


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


def _sort_key(key: LayerKey) -> tuple[int, str]:
    return _KIND_ORDER[key.kind], key.name


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
    first: dt.date | None = None  # the oldest date of its chunks (obtained or coverage)


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


#: Per (national layer, area code): the source whose change list made the area code covered in
#: this update, while no full download has covered it (see :func:`check_backed`).
Unbacked = dict[tuple[LayerKey, int], str]


def check_backed(unbacked: Unbacked) -> None:
    """Refuse an update after which a national area code is covered by change lists alone.

    A change list changes data already held; a few additions are not an area code's list, and
    coverage claimed without it would allow calls to every number the list holds
    (docs/sources.md#ftc-change-lists). Checked once the update's sources are all applied, so a
    full download given in the same update (of any date order) backs the change list.
    """
    if not unbacked:
        return
    (key, _), source = next(iter(unbacked.items()))
    new = sorted(npa for (k, npa), s in unbacked.items() if k == key and s == source)
    shown = ", ".join(str(a) for a in new[:10]) + (f" and {len(new) - 10} more" if len(new) > 10 else "")
    full = "sources.dncl(...)" if key.jurisdiction == "CA" else "sources.ftc(...)"
    raise CoverageError(
        f"{source}: a change list for area code{'s' if len(new) > 1 else ''} {shown}, which the "
        f"{key.name} data does not cover: a change list only changes a full download already "
        f"loaded and cannot make an area code covered; load the full download of "
        f"{'those area codes' if len(new) > 1 else 'that area code'} ({full}) in the same build "
        "or update, or an earlier one",
        path=source,
    )


#: Per state or internal layer (area code ``None``), and per national layer and area code: the
#: date and source of the list that replaced it in this update.
Replaced = dict[tuple[LayerKey, int | None], tuple[dt.date | None, str]]


def _check_one_list(key: LayerKey, p: _Pending, replaced: Replaced) -> None:
    """Two lists of one state or seller, or two full downloads covering one area code, of one
    date, in one update: the later would replace the earlier and its numbers would be lost
    without a word (fail closed: refuse). Lists of different dates apply in date order, as
    across updates."""
    if not p.replaced:
        return
    what = p.source or key.name
    if key.kind is LayerKind.NATIONAL:
        for npa, day in sorted(p.coverage.items()):
            before = replaced.get((key, npa))
            if before is not None and before[0] == day:
                raise ChangeOrderError(
                    f"{what}: a second full download covering area code {npa} in one build or update "
                    f"beside {before[1]} (both obtained {day.isoformat()}): each replaces the {key.name} "
                    f"data of area code {npa}, so the numbers of the first would be lost; give both "
                    "files in one zip (one source), or the whole area code in one file",
                    path=p.source,
                )
        for npa, day in p.coverage.items():
            replaced[key, npa] = (day, what)
        return
    before = replaced.get((key, None))
    if before is not None and before[0] == p.obtained:
        when = "undated" if p.obtained is None else f"both obtained {p.obtained.isoformat()}"
        raise ChangeOrderError(
            f"{what}: a second list for {key.name} in one build or update beside {before[1]} "
            f"({when}): each replaces the {key.name} list whole, so the numbers of the first would "
            "be lost; combine them into one file",
            path=p.source,
        )
    replaced[key, None] = (p.obtained, what)


def _check_not_future(chunk: Chunk) -> None:
    """A chunk dated after today (UTC, plus a day) is refused, as the sources refuse it
    (docs/defaults.md#nothing-is-dated-in-the-future): an area code obtained in 2062 would be
    fresh until 2062, a request dated 2062 would block no call until then."""
    latest = latest_date()
    where = chunk.source or chunk.layer.name
    for what, day in (
        ("obtained", chunk.obtained),
        *((f"area code {npa} obtained", day) for npa, day in chunk.coverage.items()),
    ):
        if day is not None and (isinstance(day, dt.datetime) or not isinstance(day, dt.date)):
            # A datetime would compare with a date by a bare TypeError (or, held, mean a date
            # in some zone nobody named): a chunk's dates are calendar dates.
            raise ArgumentTypeError(f"{where}: {what} must be a datetime.date, not {type(day).__name__}")
        if day is not None and day > latest:
            raise ArgumentError(
                f"{where}: {what} {day.isoformat()} is in the future (today is "
                f"{(latest - dt.timedelta(days=1)).isoformat()} in UTC): give the date the data was obtained"
            )
    if chunk.dates is not None and len(chunk.dates):
        days = chunk.dates.view(np.int64)
        late = np.flatnonzero((days != NAT) & (days > (latest - _EPOCH).days))
        if len(late):
            raise ArgumentError(
                f"{where}: the request date {chunk.dates[late[0]]} of {int(chunk.numbers[late[0]])} is in "
                f"the future (today is {(latest - dt.timedelta(days=1)).isoformat()} in UTC)"
            )


_EPOCH: Final = dt.date(1970, 1, 1)


def _check_chunk(chunk: Chunk) -> None:
    bad_codes = [a for a in chunk.coverage if type(a) is not int or not 200 <= a <= 999]
    if bad_codes:
        where = chunk.source or chunk.layer.name
        raise CoverageError(
            f"{where}: area code {bad_codes[0]!r} is not a NANP area code (200-999)", path=chunk.source
        )
    _check_not_future(chunk)
    nums = chunk.numbers
    if not len(nums):
        return
    national = chunk.layer.kind is LayerKind.NATIONAL
    if national and not chunk.coverage and (chunk.op is not Op.REPLACE or chunk.obtained is None):
        # no area code, so no date: a change list would delete numbers from data of any date
        # (never refused as older), a replacement would add them to area codes it leaves uncovered
        where = chunk.source or chunk.layer.name
        raise CoverageError(
            f"{where}: {len(nums)} {chunk.layer.name} number(s) ({chunk.op}) without the area codes "
            "they cover: give the chunk coverage= (each area code with the date its data was "
            "obtained), or, for a full download, obtained=",
            path=chunk.source,
        )
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
    unbacked: Unbacked | None = None,
    replaced: Replaced | None = None,
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
        for dated in (chunk.obtained, *chunk.coverage.values()):
            if dated is not None and (p.first is None or dated < p.first):
                p.first = dated
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
    if replaced is not None:
        for key, p in pending.items():
            _check_one_list(key, p, replaced)
    with _damage_is_corrupt():  # the chunks are read: from here on only index arrays are indexed
        _apply_pending(pending, metas, indexes, steps, unbacked)


def _apply_pending(
    pending: dict[LayerKey, _Pending],
    metas: dict[LayerKey, _Meta],
    indexes: dict[LayerKey, BlockIndex],
    steps: list[_Step] | None = None,
    unbacked: Unbacked | None = None,
) -> None:
    for key, p in pending.items():
        existed = key in metas
        meta = metas.get(key) or _Meta(key)
        ix = indexes.get(key) or BlockIndex.empty()
        before = _layer_json(meta.layer(ix.count)) if existed else None
        ix_old = ix
        # area codes a change list makes covered before their full download (later in the update)
        unbacked_here: tuple[int, ...] = ()
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
                if unbacked:
                    for npa in covered:
                        unbacked.pop((key, npa), None)
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
                if not p.replaced:
                    unbacked_here = tuple(sorted(npa for npa in p.coverage if npa not in meta.area_codes))
                if unbacked is not None:
                    for npa in p.coverage:
                        if npa not in meta.area_codes:
                            unbacked.setdefault((key, npa), p.source or key.name)
                meta.area_codes.update(p.coverage)
        if key.kind is not LayerKind.NATIONAL and p.obtained is not None:
            meta.obtained = p.obtained
        if p.published is not None:
            meta.published = p.published
        metas[key] = meta
        indexes[key] = ix
        if len(metas) > MAX_LAYERS:
            raise ArgumentError(f"more than {MAX_LAYERS} layers: a registry holds at most {MAX_LAYERS}")
        if steps is not None:
            steps.append(_step_of(key, p, before, ix_old, ix, touched, unbacked_here))


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
