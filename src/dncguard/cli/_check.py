"""``dncguard check``: decide every call in a file and report it (exit 0 / 1 / 2)."""

from __future__ import annotations

import argparse
import collections
import dataclasses
import gc
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TextIO

import pyarrow as pa

from dncguard._arraymem import in_thread
from dncguard._fields import call_columns
from dncguard._gcpause import collector_paused
from dncguard._memtrim import Trimmer
from dncguard._seller import normalize_seller
from dncguard.cli import _sizes
from dncguard.cli._batches import _bulk_tables, _flat_batches, _ReadBatches, _RecordChunks, _TableReader
from dncguard.cli._budget import _Budget
from dncguard.cli._callfile import Batch, Defaults, call_from_record, is_table_file
from dncguard.cli._common import (
    EXIT_BLOCKED,
    EXIT_OK,
    _call_file,
    _defaults,
    _guard,
    _Progress,
    _warn,
)
from dncguard.cli._decide import _check_calls, _decide_records, _Piece
from dncguard.cli._ledger import Recorder, recorder
from dncguard.cli._lines import _Explainer
from dncguard.cli._report import _decisions_piece, _Report
from dncguard.errors import StaleRegistryError

if TYPE_CHECKING:
    from dncguard.bulk import Decided
    from dncguard.guard import Guard


def _cmd_check(args: argparse.Namespace) -> int:
    defaults = _defaults(args)
    path = _call_file(args.calls, "CALLS")
    record = recorder(args, path=path)
    try:
        return _check_file(args, path, defaults, record)
    finally:
        if record is not None:
            record.close()


def _check_file(args: argparse.Namespace, path: str, defaults: Defaults, record: Recorder | None) -> int:
    if is_table_file(path):
        blocked = _check_table(args, path=path, defaults=defaults, out=sys.stdout, record=record)
    else:
        blocked = _check_records(args, path=path, defaults=defaults, out=sys.stdout, record=record)
    return EXIT_BLOCKED if blocked else EXIT_OK


def _check_records(
    args: argparse.Namespace, *, path: str, defaults: Defaults, out: TextIO, record: Recorder | None
) -> int:
    """Decide a JSON / JSON Lines file's calls and write them in ``args.format``; return the
    number blocked.

    The records are read, validated and decided :func:`._sizes.record_rows` at a time, and each chunk
    written at once and dropped, so memory does not grow with the file: a chunk whose calls all
    fit the flat columns is decided in bulk, as a CSV file of the same calls is; one with nested
    evidence they cannot hold is decided call by call. A bad record or a stale registry met part
    way stops the command as for a table file (see :func:`_check_table`).
    """
    from dncguard import bulk

    fmt: str = args.format
    guard = _guard(args)
    explainer = _Explainer(guard, path=path)
    report = _Report(explainer, fmt=fmt, path=path, out=out, every=bool(getattr(args, "all", False)))
    chunks = _RecordChunks(path, defaults)
    progress = _Progress()
    sellers: set[str] = set()
    start = 0
    try:
        with collector_paused():
            for chunk in chunks:
                sellers.update(call.seller for call in chunk.calls)
                flat = _flat_batches(chunk)
                if flat is None:  # nested evidence that the flat columns cannot hold
                    decisions = _decide_records(guard, chunk, path=path)
                    if record is not None:
                        record.calls(chunk.calls, decisions)
                    report.write([_decisions_piece(guard, start, chunk.calls, chunk.tos, decisions, fmt=fmt)])
                else:
                    try:
                        answers = list(bulk.decide_batches(guard, [b.calls for b in flat], columns=False))
                    except StaleRegistryError as e:
                        _check_calls(guard, chunk.calls, chunk.rows, path=path)  # names the row
                        raise StaleRegistryError(f"{path}: {e}") from None
                    first = start
                    for decided in answers:
                        if record is not None:
                            _record(record, first, decided, {})
                        piece = _Piece.of(first, decided, fmt=fmt)
                        if fmt != "text":
                            piece = _explained(explainer, fmt, piece)
                        report.write([piece])
                        first += len(piece.inverse)
                start += len(chunk.calls)
                progress.show(f"{path}: decided {start:,} calls")
                del chunk, flat
                # What a chunk left in cycles (the collector is paused while reading): the
                # youngest generation only, which holds just this chunk's objects. A full
                # collection walks every object of the process (seconds in a large one, per chunk).
                gc.collect(0)
        progress.done()
        report.finish()
    finally:
        report.close()
    chunks.warn()
    _warn_unlisted_sellers(guard, path, sellers)
    return report.blocked


def _explained(explainer: _Explainer, fmt: str, piece: _Piece) -> _Piece:
    """``piece`` with the texts of its invalid numbers (junit, json, jsonl) worked out."""
    tos = piece.calls.column("to").take(pa.array(piece.invalid)).to_pylist()
    done: Future[list[str | None]] = Future()
    done.set_result(explainer.explain(fmt, tos, (piece.start + piece.invalid).tolist()))
    return dataclasses.replace(piece, explained=done)


def _check_table(
    args: argparse.Namespace,
    *,
    path: str,
    defaults: Defaults,
    out: TextIO,
    read: _ReadBatches | None = None,
    record: Recorder | None = None,
) -> int:
    """Decide a CSV / Parquet file's calls in bulk and write them in ``args.format``; return the
    number blocked.

    The file is read in a thread (a batch ahead) while the batches read are decided, and each
    decided piece is written at once and dropped: nothing is kept per call, so memory does not
    grow with the file. A CSV file's blocks are read only as a budget of bytes admits them
    (:func:`._sizes.flight_bytes`), and a piece's bytes are given back once it is handed to the
    report: the rows in flight across the reading, bulk and the report are bounded by bytes,
    not by counts of items of varying sizes in each stage. A bad row or (``--on-stale raise``) a
    stale registry met part way stops the command with exit 2; what was written by then stays
    written (text, jsonl; a json array is left without its closing bracket, and junit writes
    nothing: see ``_Report``). With ``--ledger``, each decided piece is recorded as it is decided
    (the pieces decided before such a stop stay recorded).
    """
    fmt: str = args.format
    if read is None:
        budget = _Budget(_sizes.flight_bytes())
        reader: _TableReader | _ReadBatches = _TableReader(
            path, defaults, keep=False, raw=False, budget=budget
        )
    else:
        reader = read
    try:
        guard = _guard(args)
    except BaseException:
        _close(reader)
        raise
    try:
        return _decide_and_report(args, guard, reader, path=path, out=out, fmt=fmt, record=record)
    finally:
        _close(reader)


def _close(reader: _TableReader | _ReadBatches) -> None:
    if isinstance(reader, _TableReader):
        reader.close()


def _decide_and_report(
    args: argparse.Namespace,
    guard: Guard,
    reader: _TableReader | _ReadBatches,
    *,
    path: str,
    out: TextIO,
    fmt: str,
    record: Recorder | None = None,
) -> int:
    from dncguard import bulk

    tables, bulk_defaults = _bulk_tables(reader)
    explainer = _Explainer(guard, path=path, defaults=bulk_defaults)
    report = _Report(explainer, fmt=fmt, path=path, out=out, every=bool(getattr(args, "all", False)))
    # The tables handed to bulk and not yet answered, with their first row (0-based): where a
    # stale registry is met, the row to name is among them.
    fed: collections.deque[tuple[int, pa.Table]] = collections.deque()

    def feed() -> Iterator[pa.Table]:
        start = 0
        for table in tables:
            fed.append((start, table))
            start += table.num_rows
            yield table

    # The invalid numbers' texts (junit, json) are worked out as the rest is decided.
    explaining = (
        ThreadPoolExecutor(1, thread_name_prefix="dncguard-explain", initializer=in_thread)
        if fmt != "text"
        else None
    )
    progress = _Progress()
    # The allocator's free pages handed back every few seconds: the peak stays that of a short
    # file however long this one (see dncguard._memtrim).
    trimmer = Trimmer()
    sellers: set[str] = set()
    decided_all = False
    start = 0
    try:
        # Python's cyclic collector paused while the calls are decided: each collection the
        # threads' allocations set off stops every thread (the GIL held) to walk the young
        # objects, a full one every object of the process (0.1 s at a time, 0.3 s of a 10M-row
        # file's run), for little garbage. Each piece's cycles are collected once it is handed
        # over, from the youngest generation.
        with collector_paused():
            for decided in bulk.decide_batches(guard, feed(), columns=False, **bulk_defaults):
                if record is not None:  # recorded as decided, nothing kept: memory stays flat
                    _record(record, start, decided, bulk_defaults)
                sellers.update(decided.sellers)
                piece = _Piece.of(start, decided, fmt=fmt)
                if explaining is not None:
                    tos = decided.output.column("to").take(pa.array(piece.invalid)).to_pylist()
                    rows = (start + piece.invalid).tolist()
                    explained = explaining.submit(explainer.explain, fmt, tos, rows)
                    piece = dataclasses.replace(piece, explained=explained)
                start += len(piece.inverse)
                while fed and fed[0][0] + fed[0][1].num_rows <= start:
                    fed.popleft()
                progress.show(f"{path}: decided {start:,} calls")
                report.write([piece])
                del decided, piece
                if reader.budget is not None:  # the rows handed to the report: their bytes read more
                    reader.budget.done(start)
                trimmer.due()
                # What the piece left in cycles: the youngest generation only.
                gc.collect(0)
        decided_all = True
        progress.done()
        report.finish()
    except StaleRegistryError as e:
        raise _stale_row(guard, fed, start, bulk_defaults, path, e) from None
    finally:
        report.close()
        if explaining is not None:
            explaining.shutdown(wait=False, cancel_futures=not decided_all)
    _warn_unlisted_sellers(guard, path, sellers)
    if isinstance(reader, _TableReader) and reader.columns:
        passed = call_columns(reader.columns, fold_case=True)
        if passed:
            _warn(f"{path}: ignoring columns that are not call fields: {', '.join(passed)}")
    return report.blocked


def _stale_row(
    guard: Guard,
    fed: collections.deque[tuple[int, pa.Table]],
    decided: int,
    defaults: dict[str, Any],
    path: str,
    error: StaleRegistryError,
) -> StaleRegistryError:
    """A stale registry met in bulk, with the file's first such row: the calls handed to bulk
    and not yet answered (from row ``decided``, 0-based), one by one, raise naming it (else
    ``error``, naming the file, is returned to raise)."""
    for first, table in fed:
        skip = max(decided - first, 0)
        for lo in range(skip, table.num_rows, 1 << 14):
            records = table.slice(lo, 1 << 14).to_pylist()
            rows = [first + lo + i + 1 for i in range(len(records))]
            calls = []
            for row, record in zip(rows, records, strict=True):
                for name, value in defaults.items():
                    if record.get(name) is None:
                        record[name] = value
                calls.append(call_from_record(record, path=path, row=row, defaults=Defaults()))
            _check_calls(guard, calls, rows, path=path)
    return StaleRegistryError(f"{path}: {error}")


def _with_defaults(calls: pa.Table | pa.RecordBatch, defaults: dict[str, Any]) -> pa.Table:
    """``calls`` (rows as handed to bulk) with the columns the file leaves out, each filled with
    the value bulk was given for it."""
    table = calls if isinstance(calls, pa.Table) else pa.Table.from_batches([calls])
    for name, value in defaults.items():
        if name not in table.column_names:
            table = table.append_column(name, pa.repeat(pa.scalar(value), table.num_rows))
    return table


def _record(record: Recorder, start: int, decided: Decided, defaults: dict[str, Any]) -> None:
    """Record the rows of one bulk answer (from row ``start``, 0-based) in the ledger."""
    calls = _with_defaults(decided.output, defaults)
    record.decided(Batch(calls.schema.empty_table(), calls, start + 1), 0, decided)


_SELLERS_NAMED = 10
"""Sellers named at most in the warning about sellers without an internal list."""


def _warn_unlisted_sellers(guard: object, path: str, sellers: set[str]) -> None:
    """When the index holds internal lists but none for some of the calls' sellers, name those
    sellers on stderr (docs/defaults.md): a misspelt seller is seen, not silently decided without its
    list. A seller is one name however written (trimmed, case-folded)."""
    layers = getattr(getattr(guard, "registry", None), "layers", ())
    held = {
        normalize_seller(layer.seller): layer.seller
        for layer in layers
        if layer.kind == "internal" and layer.seller is not None
    }
    if not held:
        return
    missing: dict[str, str] = {}
    for seller in sorted(sellers):
        key = normalize_seller(seller)
        if key not in held:
            missing.setdefault(key, seller)
    if not missing:
        return
    names = sorted(missing.values())
    shown = ", ".join(repr(n) for n in names[:_SELLERS_NAMED])
    more = f" and {len(names) - _SELLERS_NAMED} more" if len(names) > _SELLERS_NAMED else ""
    lists = ", ".join(repr(n) for n in sorted(held.values())[:_SELLERS_NAMED])
    _warn(
        f"{path}: the index holds no internal do-not-call list for seller {shown}{more}: their calls"
        f" were decided without one (the index holds lists for {lists}); check the seller's spelling"
    )
