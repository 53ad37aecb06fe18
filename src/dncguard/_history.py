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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from dncguard._past import DEFAULT, Tuning, _PastIndex, _undo
from dncguard._stored import _HIGH, _ID, _damage_is_corrupt, _date, _layer_from_json
from dncguard.errors import ArgumentTypeError, CorruptIndexError, HistoryError
from dncguard.index import (
    BlockIndex,
    sort_unique,
)
from dncguard.index import _format as fmt
from dncguard.index._history import check_skips, decode_set, encode_set, has, skips_of
from dncguard.layers import Layer, LayerKey

if TYPE_CHECKING:
    from dncguard._apply import _Pending
    from dncguard._indexfile import _FileWatch
    from dncguard.registry import Registry

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


_KINDS: Final = ("build", "changes", "replace")


_NO_SETS: Final = (b"", b"", b"", b"", b"")


@dataclass(frozen=True)
class Change:
    """One change the registry's history keeps: what one source did to one layer.

    ``kind`` is ``"build"`` (the layer's first data), ``"changes"`` (a change list) or
    ``"replace"`` (a full download or a state or internal list replacing the layer's data);
    ``added`` and ``removed`` count the numbers that entered and left the layer; ``obtained`` is
    the date the source's data was obtained (for a list without one, the day it was applied: the
    earlier of the machine's local and UTC dates);
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
    (their numbers; their dates as ``int64`` days). ``skips``: the skip tables of the added and
    removed sets (``None``: not stored, as in a version 3 file; made when saved again).
    ``unbacked``: the national area codes this step (a change list) made covered before the full
    download that backs it, later in the same update; ``since``: the oldest date of the source's
    data when older than ``obtained`` (one source of several dates; see :func:`as_of`)."""

    layer: str
    obtained: dt.date
    kind: str
    added: int
    removed: int
    registry_id: str | None  # None: the version that holds it (not known until it is hashed)
    before: Any  # dict, or as stored (JSON bytes in the data section), parsed only when undone
    counts: tuple[int, int, int, int]
    sets: tuple[Any, ...] = _NO_SETS
    skips: tuple[Any, Any] | None = None
    unbacked: tuple[int, ...] = ()
    since: dt.date | None = None

    def change(self, own_id: str) -> Change:
        rid = own_id if self.registry_id is None else self.registry_id
        return Change(self.layer, self.obtained, self.kind, self.added, self.removed, rid)

    def numbers(self, i: int) -> U64:
        return decode_set(self.sets[i], self.counts[i])

    def pointable(self) -> bool:
        """Whether :meth:`flips` can answer (each set has its skip table, or is empty)."""
        skips = self.skips
        return skips is not None and all(len(skips[i]) or not self.counts[i] for i in (0, 1))

    def flips(self, n: int) -> bool:
        """Whether this step changed ``n``'s membership (added or removed it), from the skip
        tables: without decoding the sets."""
        skips = self.skips
        assert skips is not None
        c = self.counts
        return has(self.sets[0], skips[0], c[0], n) or has(self.sets[1], skips[1], c[1], n)

    def gone_dates(self) -> I64:
        raw = self.sets[4]
        if len(raw) != 8 * self.counts[3]:
            raise CorruptIndexError(f"history of {self.layer}: request dates of the wrong length")
        return np.frombuffer(raw, "<i8").astype(np.int64)

    def with_skips(self) -> _Step:
        if self.skips is not None:
            return self
        return dataclasses.replace(self, skips=(skips_of(self.sets[0]), skips_of(self.sets[1])))


@dataclass(frozen=True)
class _Zipped:
    """A step's layer metadata as a version 4 file stores it: JSON, zlib-compressed (a national
    layer's metadata lists every area code with its date: 14 kB a change, uncompressed)."""

    blob: Any


def _stored_before(before: Any) -> bytes | Any:
    """The bytes of a step's metadata before, as :func:`_history_sections` writes them."""
    if isinstance(before, _Zipped):
        return before.blob
    if isinstance(before, dict):
        before = json.dumps(before, sort_keys=True, separators=(",", ":")).encode()
    return zlib.compress(bytes(before), 6)


@dataclass(frozen=True)
class _History:
    """The history a registry carries: its steps in the order applied, the id of the version
    before the first (``None``: not a version of its own), and the newest date of the data that
    was there before the first step (``None``: none), before which ``as_of`` cannot answer."""

    steps: tuple[_Step, ...]
    base_id: str | None
    start: dt.date | None


def _step_of(
    key: LayerKey,
    p: _Pending,
    before: dict[str, Any] | None,
    old: BlockIndex,
    new: BlockIndex,
    touched: list[U64],
    unbacked: tuple[int, ...] = (),
) -> _Step:
    """The history step of one source's change to one layer: what it added and removed (among
    the ``touched`` numbers, each array sorted and distinct: the only numbers whose membership it
    can have changed); ``unbacked``: the area codes a change list made covered before their full
    download (later in the same update)."""
    when = p.obtained or (max(p.coverage.values()) if p.coverage else None) or _applied_on()
    kind = "build" if before is None else "replace" if p.replaced else "changes"
    since = p.first if p.first is not None and p.first < when else None
    if before is None:
        return _Step(
            key.name, when, kind, new.count, 0, None, None, (0, 0, 0, 0), unbacked=unbacked, since=since
        )
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
    skips = (skips_of(sets[0]), skips_of(sets[1]))
    return _Step(
        key.name, when, kind, len(added), len(removed), None, before, counts, sets, skips, unbacked, since
    )


def _applied_on() -> dt.date:
    """The date of a list without one (an internal list): the day it is applied, the earlier of
    the machine's local and UTC dates, so that ``as_of`` of either day holds it (a list that only
    adds blocks is never left out of the day it was loaded on)."""
    return min(dt.date.today(), dt.datetime.now(dt.UTC).date())


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


def _before(step: _Step) -> dict[str, Any]:
    """A step's layer metadata before it, parsed if stored, and naming the step's layer."""
    before = step.before
    if not isinstance(before, dict):
        try:
            text = zlib.decompress(bytes(before.blob)) if isinstance(before, _Zipped) else bytes(before)
            before = json.loads(text)
        except (ValueError, RecursionError, zlib.error) as e:
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
        for step in steps[:i] if not whole else ():
            if step.unbacked and step.registry_id == last.registry_id:
                # a change list dropped made area codes covered that a full download kept (later
                # in the same update) backs: the days before that layer's last step of the update
                # are what as_of refuses (``_check_backed_on``), which can no longer see the change list
                same = [
                    s.obtained
                    for s in steps[i:]
                    if s.layer == step.layer and s.registry_id == step.registry_id
                ]
                start = max([start, *same])
    return _History(tuple(steps[i:]), base_id, start)


def _span(hist: _History | None) -> str:
    if hist is None or not hist.steps:
        return "no history"
    first = hist.start or hist.steps[0].obtained
    return f"{first.isoformat()} to {hist.steps[-1].obtained.isoformat()}, {len(hist.steps)} changes"


def _history_sections(hist: _History, own_id: str) -> list[npt.NDArray[np.uint8]]:
    """The two history sections: a JSON document of the steps (``at``: where each blob of a step
    is in the second section: its five number sets, its layer's metadata before (zlib-compressed
    JSON) and the skip tables of its added and removed sets), and the blobs."""
    parts: list[Any] = []  # the blobs and their padding, joined once (no growing buffer)
    size = 0
    records = []
    pads = [bytes(n) for n in range(8)]
    for step in hist.steps:
        at = []
        before = None if step.before is None else _stored_before(step.before)
        skips = step.with_skips().skips
        assert skips is not None
        # the layer's metadata before, as a sixth blob: reading the history parses it only when undone
        for blob in (*step.sets, b"" if before is None else before, *skips):
            length = len(blob)
            at.append([size, length])
            pad = -length % 8
            parts += [blob, pads[pad]]
            size += length + pad
        record = {
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
        if step.unbacked:  # written only when there are some: older files read the same
            record["unbacked"] = list(step.unbacked)
        if step.since is not None:
            record["since"] = step.since.isoformat()
        records.append(record)
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
            return _parse_history(text, buf, s_data, header.version)
        except CorruptIndexError as e:
            raise CorruptIndexError(str(e), path=path) from None

    return read


def _parse_history(text: bytes, buf: Any, s_data: fmt.Section, version: int = fmt.FORMAT_VERSION) -> _History:
    """The history as stored (``version`` 3: six blobs a step, the metadata uncompressed and no
    skip tables; 4: eight), every field checked."""
    blobs = 6 if version == 3 else 8
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
                or len(r["at"]) != blobs
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
            skips = None
            if blobs == 8:
                skips = (sets[6], sets[7])
                del sets[6:]
                for i in (0, 1):
                    check_skips(skips[i], counts[i], len(sets[i]))
            # the metadata before is parsed and checked in full (``_before``) when the step is undone
            last = sets.pop()
            before = (_Zipped(last) if blobs == 8 else last) if r["before"] else None
            if before is None and len(last):
                raise CorruptIndexError("a history entry is malformed")
            unbacked = r.get("unbacked", [])
            if not isinstance(unbacked, list) or any(
                type(a) is not int or not 200 <= a <= 999 for a in unbacked
            ):
                raise CorruptIndexError("a history entry is malformed")
            since = _date(r.get("since"))
            if since is not None and since >= obtained:
                raise CorruptIndexError("a history entry is malformed")
            steps.append(
                _Step(
                    layer,
                    obtained,
                    kind,
                    added,
                    removed,
                    rid,
                    before,
                    counts,
                    tuple(sets),
                    skips,
                    tuple(unbacked),
                    since,
                )
            )
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


def as_of(registry: Registry, when: dt.date | str, tuning: Tuning = DEFAULT) -> Registry:
    """:meth:`Registry.as_of`."""
    hist = registry._history_data()
    steps = () if hist is None else hist.steps
    if isinstance(when, str):
        own = registry.id
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
        past = rewind(registry, undo, tuning)
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
        _check_backed_on(when, steps, undo_at)
        for i in sorted(undo_at):
            step = steps[i]
            if step.since is not None and step.since <= when:
                raise HistoryError(
                    f"{when.isoformat()}: one source changed layer {step.layer} with data obtained from "
                    f"{step.since.isoformat()} to {step.obtained.isoformat()}: the history cannot separate "
                    "the part obtained by that day (give each download as a source of its own); ask "
                    "for a day outside that span or a registry id"
                )
        kept = [step for i, step in enumerate(steps) if i not in undo_at]
        undo = [step for i, step in enumerate(steps) if i in undo_at]
        past = rewind(registry, undo, tuning)
        if not undo:
            past._id = registry._id
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
        raise ArgumentTypeError(f"as_of({when!r}): expected a datetime.date or a registry id string")
    own_id = registry.id if any(step.registry_id is None for step in kept) else ""
    past._hist = _History(
        tuple(_with_id(step, own_id) for step in kept),
        None if hist is None else hist.base_id,
        None if hist is None else hist.start,
    )
    past._past = True
    return past


def _check_backed_on(when: dt.date, steps: tuple[_Step, ...], undo_at: set[int]) -> None:
    """Refuse a day on which a change list kept made area codes covered whose full download
    (later in the same update, obtained after the day) is undone: the data of that day would not
    build (a change list cannot make an area code covered), and answering would allow every
    number of those area codes but the change list's few."""
    for i, step in enumerate(steps):
        if not step.unbacked or i in undo_at:
            continue
        for j in range(i + 1, len(steps)):
            later = steps[j]
            if j in undo_at and later.layer == step.layer and later.registry_id == step.registry_id:
                codes = ", ".join(str(a) for a in step.unbacked)
                raise HistoryError(
                    f"{when.isoformat()}: area code(s) {codes} of {step.layer} were covered on that day "
                    f"only by a change list (obtained {step.obtained.isoformat()}); the full download "
                    f"that backs it was obtained {later.obtained.isoformat()}, after it: no data of "
                    f"that day covers them; ask for {later.obtained.isoformat()} or later, or a "
                    "registry id"
                )


def versions(
    registry: Registry, ids: Iterable[str], tuning: Tuning = DEFAULT
) -> Iterator[tuple[str, Registry | None]]:
    """:meth:`Registry._versions`."""
    hist = registry._history_data()
    steps = () if hist is None else hist.steps
    position: dict[str, int] = {}
    if hist is not None and hist.base_id is not None:
        position[hist.base_id] = 0
    for i, step in enumerate(steps):
        if step.registry_id is not None:
            position[step.registry_id] = i + 1
    own = registry.id
    position[own] = len(steps)
    wanted = set(ids)
    for rid in sorted(wanted - position.keys()):
        yield rid, None
    own_id = own if any(step.registry_id is None for step in steps) else ""
    newer, at = registry, len(steps)
    for rid in sorted(wanted & position.keys(), key=lambda r: -position[r]):
        keep = position[rid]
        past = rewind(newer, list(steps[keep:at]), tuning)
        # made at once, whatever ``tuning.eager``: a walk asks each version for many numbers, and
        # the next is made from this one's differences (a lazy layer would pass on its steps)
        for ix in past._indexes:
            if isinstance(ix, _PastIndex):
                ix.settle(check=True)
        past._id = rid
        past._hist = _History(
            tuple(_with_id(step, own_id) for step in steps[:keep]),
            None if hist is None else hist.base_id,
            None if hist is None else hist.start,
        )
        past._past = True
        newer, at = past, keep
        yield rid, past


def rewind(registry: Registry, undo: list[_Step], tuning: Tuning = DEFAULT) -> Registry:
    """:meth:`Registry._rewind`."""
    from dncguard._apply import _sort_key  # not at import: _apply imports this module

    current = {layer.key: (layer, ix) for layer, ix in zip(registry._layers, registry._indexes, strict=True)}
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
            layer = _layer_from_json(_before(first))
            current[key] = (layer, _undo(current[key][1], layer_steps, layer.count, name, tuning))
    keys = sorted(current, key=_sort_key)
    return type(registry)(
        [current[k][0] for k in keys],
        [current[k][1] for k in keys],
        _mmap=registry._mmap,
        _watch=registry._watch,
    )
