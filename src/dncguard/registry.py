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
import datetime as dt
import mmap
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dncguard import _args
from dncguard import _history as _hist
from dncguard._apply import (
    _LOW,
    Replaced,
    Unbacked,
    _apply_source,
    _by_date,
    _meta_of,
    _sort_key,
    check_backed,
)
from dncguard._history import (
    Change,
    _History,
    _history_reader,
    _history_sections,
    _newest_date,
    _prune,
    _Step,
    _with_id,
)
from dncguard._indexfile import (
    _FileWatch,
    _locked,
    _naming,
    _read_all,
    _remove_stale_temps,
    _stamp,
    _temp_name,
    _write_array,
)
from dncguard._past import _EPOCH, _AnyIndex, _hits, _PastIndex
from dncguard._past import resolve as _past_tuning
from dncguard._stored import (
    _HIGH,
    _SECTIONS,
    MAX_LAYERS,
    _content_id,
    _damage_is_corrupt,
    _layer_json,
    _load,
)
from dncguard.errors import (
    ArgumentError,
    ArgumentTypeError,
    CorruptIndexError,
    IndexChangedError,
)
from dncguard.index import (
    BATCH,
    NAT,
    BlockIndex,
    sort_queries,
    split,
)
from dncguard.index import _format as fmt
from dncguard.layers import Chunk, Layer, Listing

__all__ = ["MAX_LAYERS", "Change", "Registry"]

#: How long ``update`` keeps history by default: four years and a day, the limitation period of a
#: private TCPA action (28 U.S.C. 1658(a)) and a day's margin.
KEEP_HISTORY: Final = dt.timedelta(days=1462)


U64 = npt.NDArray[np.uint64]


I64 = npt.NDArray[np.int64]


_HASH_ASIDE: Final = 1 << 23


"""Sections of this many bytes or more are hashed for the id in a second thread while saving."""


_SORT_FROM: Final = 1 << 15


"""Bulk queries from this many on are probed in increasing order (see ``membership``)."""


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
        "_unchecked",
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
            raise ArgumentError(
                f"{len(self._layers)} layers: a registry holds at most {MAX_LAYERS} (one bit each in a mask)"
            )
        self._mmap = _mmap
        self._watch = _watch
        self._id: str | None = None
        # None: no history; else the history, or a function reading it from the file (lazily)
        self._hist: _History | Callable[[], _History] | None = None
        self._past = False  # a version returned by as_of: read-only
        # opened with verify=False: the buffer, header and path whose checksums and id were not
        # checked (see ``_trust``); None once checked, or for a registry not read from a file
        self._unchecked: tuple[Any, fmt.Header, str] | None = None
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
        :meth:`open` checks it against the content, which it hashes (as it checks the
        checksums); with ``verify=False`` it believes it without hashing the file."""
        if self._id is None:
            layers_meta, arrays = self._parts()
            self._id = _content_id(layers_meta, arrays)
        return self._id

    def _parts(self) -> tuple[list[dict[str, Any]], list[np.ndarray[Any, Any]]]:
        return _parts(self._layers, self._indexes)

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
        self._trust("update")
        if not isinstance(keep_history, dt.timedelta) or keep_history < dt.timedelta(0):
            raise ArgumentError(f"keep_history={keep_history!r}: expected a datetime.timedelta of 0 or more")
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
        unbacked: Unbacked = {}  # area codes covered by change lists alone, so far
        replaced: Replaced = {}  # state and internal lists replaced so far, and by what
        for chunks in _by_date(sources):
            _apply_source(chunks, metas, indexes, steps, unbacked, replaced)
        check_backed(unbacked)
        keys = sorted(metas, key=_sort_key)
        # layers left as they were still read this registry's file: keep watching it
        registry = Registry(
            [metas[k].layer(indexes[k].count) for k in keys], [indexes[k] for k in keys], _watch=self._watch
        )
        registry._hist = _prune(steps, old.base_id, old.start, keep_history)
        return registry

    def _trust(self, doing: str) -> None:
        """Check the checksums and the id of a registry opened with ``verify=False`` before its
        layers are carried into a new registry or a file: both are given fresh checksums and a
        fresh id there, so damage not found now would be written down as good data."""
        unchecked = self._unchecked
        if unchecked is None:
            return
        buf, header, name = unchecked
        if self._watch is not None:
            self._watch.check()  # first: reading a mapping truncated in place would fault
        try:
            _verified(buf, header)
        except CorruptIndexError as e:
            raise CorruptIndexError(
                f"{e.args[0] if e.args else e}; it was opened with verify=False and cannot be used to "
                f"{doing} an index: build it again from the downloads (dncguard build)",
                path=name,
            ) from None
        if self._watch is not None:
            self._watch.check()
        self._unchecked = None

    def _writable(self, doing: str) -> None:
        if self._past:
            raise ArgumentTypeError(
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

    def as_of(self, when: dt.date | str, *, tuning: Any = None) -> Registry:
        """The registry as it was: for a date, the data obtained on or before it; for a registry
        id (``"dncg:..."``, as a decision records it), exactly that version (the same
        :attr:`id`).

        A read-only :class:`Registry` (``save`` and ``update`` raise ``TypeError``): ``layers``,
        ``lookup``, ``membership`` and :class:`~dncguard.Guard` work on it as on any other.
        Raises :class:`~dncguard.errors.HistoryError` for a date older than the history kept (or
        one the history cannot separate: a layer's data applied out of date order around it), or
        an id of no version kept. A damaged history is
        :class:`~dncguard.errors.CorruptIndexError`, never a wrong answer.
        ``tuning=dncguard.replay.Tuning(...)`` divides the work differently (never the answers).
        """
        return _hist.as_of(self, when, _past_tuning(tuning))

    def _versions(self, ids: Iterable[str], tuning: Any = None) -> Iterator[tuple[str, Registry | None]]:
        """``(id, as_of(id))`` for each distinct id of ``ids``, ``None`` for an id of no version
        kept; newest version first, each older one derived from the one before it (undoing only
        the changes between them: replaying a ledger visits many neighbouring versions)."""
        return _hist.versions(self, ids, _past_tuning(tuning))

    def _rewind(self, undo: list[_Step]) -> Registry:
        """This registry with ``undo``'s steps undone: a view (see :class:`_PastIndex`) over the
        same indexes, each layer's numbers corrected by the numbers its undone steps changed."""
        return _hist.rewind(self, undo)

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
            q = _as_numbers(q)
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
        if not 0 <= layer_index < len(self._layers):  # not a negative index: another layer's dates
            raise IndexError(f"layer {layer_index}: the registry has {len(self._layers)} layers")
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
        self._trust("save")
        target = os.path.realpath(_args.fspath(path, "Registry.save"))
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
                if self._watch is not None:
                    # the file its layers were read from (or this registry's, before an update)
                    # was not changed in place since it was opened: else what was written mixes
                    # two files' bytes under fresh checksums and a fresh id
                    self._watch.check()
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
        target = os.path.realpath(_args.fspath(path, "Registry.update_file"))
        if timeout is not None:
            _args.seconds(timeout, "timeout")
        with _locked(target + ".lock", timeout):
            registry = cls.open(target).update(sources, keep_history=keep_history)
            registry.save(target)
        return registry

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, verify: bool = True, copy: bool = False) -> Registry:
        """Open the index file at ``path``. Checks its magic, version, size, header checksum and
        structure, and (unless ``verify=False``, for a file already trusted) every section
        checksum and the id its header states (:attr:`id`, recomputed from the content: a file
        changed and given fresh checksums keeps no id it does not have);
        :class:`~dncguard.errors.CorruptIndexError` if anything is wrong. Without the
        checksums a damaged file is still refused at open or at query when its structure is
        wrong (never another exception), but a flipped bit inside a container can change an
        answer: pass ``verify=False`` only for a file verified before. :meth:`update` and
        :meth:`save` check such a registry's checksums and id first (what they write gets fresh
        ones, so damage must be found before).

        The file is memory-mapped read-only (shared by every process that opens it; constant-time
        with ``verify=False``). Replace an index file, never overwrite it in place: a reader keeps
        answering from the file it opened when a new one is renamed over it (``save`` does), and
        raises :class:`~dncguard.errors.IndexChangedError` when it finds the file it maps changed
        in place (checked on every bulk call and every 256 single lookups). A truncation can still
        stop a mapping process before the check sees it (``SIGBUS``): where other programs may
        overwrite the file in place, pass ``copy=True`` to read it into private memory instead
        (one read of the file at open; then immune to changes of the file).
        """
        name = _args.fspath(path, "Registry.open")
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
            if registry._unchecked is not None:
                registry._unchecked = (buf, registry._unchecked[1], name)
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
            layers, indexes, content_id, history_at = _verified(buf, header)
        else:
            layers, indexes, content_id, history_at = _load(buf, header)
        if _watch is not None:
            for ix in indexes:
                ix.watch(_watch.check)
        registry = cls(layers, indexes, _mmap=buf, _watch=_watch)
        registry._id = content_id
        if not verify:
            registry._unchecked = (buf, header, "")
        if history_at is not None:
            registry._hist = _history_reader(buf, header, history_at, _watch, checked=verify)
        return registry


def _verified(buf: Any, header: fmt.Header) -> tuple[list[Layer], list[BlockIndex], str, int | None]:
    """:func:`_load`'s answer for a file whose every section checksum holds and whose content
    has the id its header states. The id is what every decision records as the data it was made
    on: a file whose content was changed and its checksums written again must not keep the id
    of the content it replaced. The content is hashed on a second thread while the checksums
    are checked (both let go of the GIL), so the two take about the time of one; a damaged
    file is still named by its checksums first (its structure, read meanwhile, is checked as
    with ``verify=False``: an error it finds waits for them)."""
    try:
        loaded = _load(buf, header)
    except Exception:
        fmt.verify_sections(buf, header)  # a damaged file is named by its checksums first
        raise
    layers, indexes, stated, _ = loaded
    # The layers' metadata as the file holds it (what was hashed when it was saved: a file
    # written before a layer's name was normalised keeps the id it was given then).
    arrays = _parts(layers, indexes)[1]
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dncguard-id") as pool:
        digest = pool.submit(_content_id, header.meta["layers"], arrays)
        fmt.verify_sections(buf, header)
        actual = digest.result()
    if actual != stated:
        raise CorruptIndexError(
            f"the index's content has the id {actual}, not the {stated} its header states: the "
            "file was changed after it was saved; build or download it again"
        )
    return loaded


def _parts(
    layers: Sequence[Layer], indexes: Sequence[Any]
) -> tuple[list[dict[str, Any]], list[np.ndarray[Any, Any]]]:
    """What the registry id is a digest of: the layers' metadata and their indexes' arrays."""
    arrays: list[np.ndarray[Any, Any]] = []
    layers_meta = []
    for layer, ix in zip(layers, indexes, strict=True):
        arrays += [ix.pages, ix.directory, ix.data, ix.dated, ix.dates]
        layers_meta.append(_layer_json(layer))
    return layers_meta, arrays


def _as_numbers(q: np.ndarray[Any, Any]) -> U64:
    """``q`` as ``uint64`` numbers; what is no whole number of 0 or more (NaN, a fraction, a
    negative number, which a cast would wrap round to a number no layer holds) is an error."""
    bad = None
    try:
        if q.dtype.kind == "f":
            bad = ~np.isfinite(q) | (q < 0) | (q != np.floor(q))
        elif q.dtype.kind == "i":
            bad = q < 0
        elif q.dtype.kind not in "ub":
            q = q.astype(np.float64) if q.dtype.kind in "OUS" else q
            return _as_numbers(q) if q.dtype.kind == "f" else q.astype(np.uint64)
        if bad is not None and bad.any():
            at = int(np.flatnonzero(bad.ravel())[0])
            raise ArgumentError(
                f"numbers: expected 10-digit integers (uint64); item {at} is {q.ravel()[at]!r}"
            )
        return q.astype(np.uint64)
    except (TypeError, ValueError, OverflowError) as e:
        if isinstance(e, ArgumentError):
            raise
        raise ArgumentError(f"numbers: expected 10-digit integers (uint64), got {q.dtype}") from None


def _parse(number: str | int) -> int:
    from dncguard.numbers import parse_number  # lazily: the single-int path never needs it

    return parse_number(number)
