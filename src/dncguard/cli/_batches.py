"""Call files as ``bulk`` takes them: batches read in a thread (:class:`_TableReader`), JSON
records validated (:class:`_Records`) and, where they fit, as the flat columns of a table.
"""

from __future__ import annotations

import dataclasses
import itertools
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from dncguard._arraymem import in_thread
from dncguard._flatcall import flat_row, flat_table
from dncguard.cli import _sizes
from dncguard.cli._budget import _Budget
from dncguard.cli._callfile import (
    Batch,
    Defaults,
    call_from_record,
    read_records,
    read_table_batches,
    unknown_fields,
)
from dncguard.cli._common import _Progress, _warn
from dncguard.models import Call


@dataclasses.dataclass(frozen=True)
class _Records:
    """A JSON / JSON Lines call file, every record validated: calls, data rows, numbers as written."""

    calls: list[Call]
    rows: list[int]
    tos: list[str]
    records: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """The records as read (only when asked: ``scrub`` writes them back)."""


def _read_records(path: str, defaults: Defaults) -> _Records:
    """Every record of a JSON call file, validated (for a command that needs them all)."""
    chunks = _RecordChunks(path, defaults, whole=True)
    records = next(iter(chunks), _Records([], [], []))
    chunks.warn()
    return records


class _RecordChunks:
    """A JSON call file's records, validated, in :class:`_Records` of at most
    :func:`._sizes.record_rows` (``whole``: one of all; ``keep``: with the records as read);
    ``ignored`` gathers the keys that are not call fields as they go."""

    def __init__(self, path: str, defaults: Defaults, *, whole: bool = False, keep: bool = False) -> None:
        self.path, self.defaults, self.keep = path, defaults, keep
        self.size = None if whole else _sizes.record_rows()
        self.ignored: set[str] = set()

    def __iter__(self) -> Iterator[_Records]:
        records = _Records([], [], [])
        for row, record in read_records(self.path):
            records.calls.append(call_from_record(record, path=self.path, row=row, defaults=self.defaults))
            records.rows.append(row)
            records.tos.append(str(record.get("to")))
            if self.keep:
                records.records.append(record)
            self.ignored.update(unknown_fields(list(record)))
            if self.size is not None and len(records.calls) >= self.size:
                yield records
                records = _Records([], [], [])
        if records.calls or self.size is None:
            yield records

    def warn(self) -> None:
        """Name the keys that are not call fields on stderr, once."""
        if self.ignored:
            names = ", ".join(sorted(self.ignored))
            _warn(f"{self.path}: ignoring fields that are not call fields: {names}")
            self.ignored = set()


def _flat_row(call: Call, to: str) -> tuple[Any, ...] | None:
    """``call`` as ``scrub``'s flat columns (:func:`dncguard._flatcall.flat_row`), or None where
    they cannot hold it exactly, or where its number was decided other than as written."""
    return flat_row(call) if call.to == to else None


def _flat_batches(records: _Records) -> list[Batch] | None:
    """A JSON call file's validated calls as the batches ``check`` decides a CSV file in, or None
    when some call does not fit the flat columns (see :func:`_flat_row`): then every call is
    decided by ``check``. ``raw`` is left empty (``check`` never writes the rows back)."""
    if not records.calls:  # nothing to decide: no batch (bulk takes none without rows)
        return None
    rows = []
    for call, to in zip(records.calls, records.tos, strict=True):
        row = _flat_row(call, to)
        if row is None:
            return None
        rows.append(row)
    table = flat_table(rows)
    raw = table.schema.empty_table()
    step = _sizes.read_rows()
    return [Batch(raw, table.slice(i, step), i + 1) for i in range(0, max(table.num_rows, 1), step)]


class _ReadBatches:
    """Batches already read, handed on as :class:`_TableReader` hands them."""

    done = True
    error: BaseException | None = None
    budget: _Budget | None = None

    def __init__(self, batches: list[Batch]) -> None:
        self.batches = batches

    def __iter__(self) -> Iterator[Batch]:
        return iter(self.batches)

    def wait(self) -> list[Batch]:
        return self.batches


def _batch_calls(
    batch: Batch, *, path: str, indices: Sequence[int] | None = None
) -> tuple[list[int], list[Call]]:
    """The data rows and calls of a batch (all, or those at ``indices``), for ``check``."""
    picked = range(batch.calls.num_rows) if indices is None else indices
    rows = [batch.first_row + i for i in picked]
    records = batch.records(indices)
    calls = [
        call_from_record(rec, path=path, row=row, defaults=Defaults())
        for row, rec in zip(rows, records, strict=True)
    ]
    return rows, calls


class _TableReader:
    """Reads a CSV / Parquet call file's batches in a thread while the batches read are decided.

    Iterate once for the batches as they come (the reading error, if any, is raised at the end);
    :meth:`wait` gives them all once the whole file has read well. ``keep=False``: the batches
    are not kept, and the thread reads at most :data:`_AHEAD` batches ahead of the iteration
    (bounded memory; :meth:`wait` then only waits); :meth:`close` stops it early. ``raw=False``:
    each batch's ``raw`` is left empty (its columns named, no rows), for a caller that never
    writes the rows back (``check``: half the memory it holds). ``budget``: the bytes of a CSV
    file in flight, read as the budget admits them and held until the caller says their rows are
    done with (:meth:`._Budget.done`); the iteration tells it when it waits for a batch.
    """

    def __init__(
        self,
        path: str,
        defaults: Defaults,
        *,
        keep: bool = True,
        raw: bool = True,
        budget: _Budget | None = None,
    ) -> None:
        self.path, self.defaults, self.keep, self.raw = path, defaults, keep, raw
        self.budget = budget
        self.batches: list[Batch] = []
        self.columns: list[str] | None = None
        """The file's column names, once its first batch is read."""
        self.error: BaseException | None = None
        self._queue: queue.Queue[Batch | None] = queue.Queue(0 if keep else _AHEAD)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dncguard-read", daemon=True)
        self._thread.start()

    def _put(self, batch: Batch | None) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(batch, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        in_thread()  # this thread's arrays in the command's kept blocks (dncguard._arraymem)
        progress = _Progress()
        try:
            for batch in read_table_batches(self.path, defaults=self.defaults, budget=self.budget):
                if self.columns is None:
                    self.columns = batch.raw.column_names
                if not self.raw:
                    batch = dataclasses.replace(batch, raw=batch.raw.schema.empty_table())
                if self.keep:
                    self.batches.append(batch)
                if not self._put(batch):
                    return
                progress.show(f"{self.path}: read {batch.first_row + batch.calls.num_rows - 1:,} rows")
        except BaseException as e:  # handed to the main thread
            self.error = e
        finally:
            self._put(None)

    def close(self) -> None:
        """Stop reading (the batches not yet taken are dropped)."""
        if self.budget is not None:
            self.budget.close()  # wakes the file's reading, waiting for room
        self._closed.set()
        self._thread.join()

    def __iter__(self) -> Iterator[Batch]:
        while (batch := self._get()) is not None:
            yield batch
        if self.error is not None:
            raise self.error

    def _get(self) -> Batch | None:
        """The next batch, waiting for it; with a budget, which is told while it is waited for
        (the pipeline then cannot go on without more bytes)."""
        if self.budget is None:
            return self._queue.get()
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            pass
        self.budget.starve(True)
        try:
            return self._queue.get()
        finally:
            self.budget.starve(False)

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> list[Batch]:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.batches


_AHEAD = 1
"""Batches a reader that does not keep them reads ahead of their use (``dncguard scrub``)."""


# Call columns a file may leave out, which the reader then fills with one value for every row:
# bulk is given that value as a default instead of a column of copies.
_DEFAULTED = ("seller", "purpose", "caller", "line")


def _left_out(first: Batch) -> tuple[list[str], dict[str, Any]]:
    """The call columns the file leaves out (filled by the reader with one value for every row),
    to drop from the calls, and that value of each, as a ``decide_batches`` default."""
    given = {name.strip().lower() for name in first.raw.column_names}
    left_out = [c for c in _DEFAULTED if c not in given and c in first.calls.column_names]
    defaults: dict[str, Any] = {}
    for column in left_out:
        defaults[column] = first.calls.column(column)[0].as_py() if first.calls.num_rows else None
    defaults = {k: v for k, v in defaults.items() if v is not None}
    return [c for c in left_out if c in defaults or c in ("caller", "line")], defaults


_SMALL_FIRST = 2
"""Tables of a quarter of a batch handed to bulk first (see :func:`_bulk_tables`)."""


def _bulk_tables(reader: _TableReader | _ReadBatches) -> tuple[Iterator[pa.Table], dict[str, Any]]:
    """The calls as ``decide_batches`` takes them, a batch of rows a table
    (``_sizes.batch_rows``), and its defaults."""
    batches = iter(reader)
    first = next(batches)
    left_out, defaults = _left_out(first)

    def tables() -> Iterator[pa.Table]:
        run: list[Batch] = []
        size = made = 0
        full = _sizes.batch_rows()  # handed to ``bulk.decide_batches`` at a time
        for batch in itertools.chain([first], batches):
            # The first tables are smaller: bulk starts deciding once it holds two (one a thread),
            # and until then the file is read and typed on one core while the other waits.
            rows = full if made >= _SMALL_FIRST else max(full // 4, 1)
            if run and size + batch.calls.num_rows > rows:
                yield _joined(run, left_out)
                run, size, made = [], 0, made + 1
            run.append(batch)
            size += batch.calls.num_rows
            if size >= rows // 2:  # large enough: decided as it is
                yield _joined(run, left_out)
                run, size, made = [], 0, made + 1
        if run:
            yield _joined(run, left_out)

    return tables(), defaults


def _joined(run: Sequence[Batch], left_out: Sequence[str]) -> pa.Table:
    """The calls of ``run`` as one table of one chunk a column (as bulk would join them), for
    ``decide_batches``; the instants of its ``at`` text, where the reader parsed them all, are
    handed to bulk with it (:data:`dncguard.bulk._columns.PARSED_TIMES`: not parsed again)."""
    from dncguard.bulk._columns import PARSED_TIMES

    calls = [batch.calls.drop_columns(left_out) for batch in run]
    table = calls[0] if len(calls) == 1 else pa.concat_tables(calls).combine_chunks()
    times = [batch.at_times for batch in run]
    if "at" in table.column_names and all(t is not None for t in times):
        at = table.column("at")
        if at.num_chunks == 1:
            PARSED_TIMES.put(at.chunk(0), times[0] if len(times) == 1 else pa.concat_arrays(times))
    return table
