"""``dncguard scrub``: a call file's rows plus decision columns, written atomically."""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from dncguard.cli._batches import _flat_batches, _left_out, _read_records, _TableReader
from dncguard.cli._callfile import Batch, Defaults, is_table_file, read_records
from dncguard.cli._common import (
    EXIT_OK,
    _call_file,
    _collector_paused,
    _defaults,
    _guard,
    _output,
    _Progress,
)
from dncguard.cli._decide import (
    _decide_records,
    _decision_columns,
    _flat_verdicts,
    _stale_error,
    _verdict_columns,
)
from dncguard.cli._ledger import Recorder, recorder
from dncguard.cli._write import DECISION_COLUMNS, OutputWriter
from dncguard.errors import StaleRegistryError, UsageError

if TYPE_CHECKING:
    from dncguard.guard import Guard


def _cmd_scrub(args: argparse.Namespace) -> int:
    defaults = _defaults(args)
    path = _call_file(args.input, "IN")
    if not is_table_file(_output(args.output, "OUT")):
        raise UsageError(f"{args.output}: OUT must be a .csv or .parquet file")
    if os.path.exists(args.output) and os.path.samefile(path, args.output):
        # also through a symlink or a hard link: the rows would be overwritten as they are read
        raise UsageError(f"{args.output}: OUT is the call file IN ({path}): write the output to another file")
    record = recorder(args, path=path)
    try:
        return _scrub_file(args, path, defaults, record)
    finally:
        if record is not None:
            record.close()


def _scrub_file(args: argparse.Namespace, path: str, defaults: Defaults, record: Recorder | None) -> int:
    if not is_table_file(path):
        with _collector_paused():
            records = _read_records(path, defaults)
            flat = _flat_batches(records)
        guard = _guard(args)
        if flat is not None:  # decided in bulk, as a CSV file of the same calls is
            verdicts = _flat_verdicts(guard, flat, path=path)
        else:  # nested evidence that scrub's flat columns cannot hold: decided call by call
            decisions = _decide_records(guard, records, path=path)
            verdicts = _decision_columns(decisions)
            if record is not None:
                record.calls(records.calls, decisions)
                record = None
        if record is not None:  # each call's whole decision, as check gives it
            record.calls(records.calls, _decide_records(guard, records, path=path))
        with OutputWriter(args.output) as writer:
            writer.write(_with_verdicts(_records_table(path), verdicts))
        return EXIT_OK
    guard = _guard(args)
    reader = _TableReader(path, defaults, keep=False)
    try:
        with OutputWriter(args.output) as writer:
            _scrub_table(guard, reader, writer, path=path, record=record)
    finally:
        reader.close()
    return EXIT_OK


def _scrub_table(
    guard: Guard, reader: _TableReader, writer: OutputWriter, *, path: str, record: Recorder | None = None
) -> None:
    """``scrub`` of a CSV / Parquet file: its batches are read (a thread), decided (``bulk``'s
    threads) and written at the same time, a few batches apart (bounded memory); each output
    row is its input row as read plus the decision columns."""
    from dncguard import bulk

    progress = _Progress()
    batches = iter(reader)
    first = next(batches)
    left_out, bulk_defaults = _left_out(first)
    fed: collections.deque[Batch] = collections.deque()  # read, not yet written whole

    def calls() -> Iterator[pa.Table]:
        for batch in itertools.chain([first], batches):
            fed.append(batch)
            yield batch.calls.drop_columns(left_out)

    taken = 0  # rows of fed[0] already written
    done = 0
    try:
        # Written as decided: meanwhile ``decide_batches``' threads decide the next batches.
        for decided in bulk.decide_batches(guard, calls(), **bulk_defaults):
            n = decided.output.num_rows
            while n and taken == fed[0].raw.num_rows:  # a batch without rows
                fed.popleft()
                taken = 0
            # A batch of over a million rows is decided in slices: its rows, a slice at a time.
            raw = fed[0].raw.slice(taken, n)
            # Fail closed: each decision must be written beside its own row.
            to = fed[0].calls.column("to").slice(taken, n)
            if raw.num_rows != n or not to.equals(pa.chunked_array([decided.output.column("to")], to.type)):
                raise RuntimeError(f"{path}: decisions out of step with rows {fed[0].first_row + taken:,} on")
            if record is not None:
                record.decided(fed[0], taken, decided)
            taken += n
            if taken == fed[0].raw.num_rows:
                fed.popleft()
                taken = 0
            writer.write(_with_verdicts(raw, _verdict_columns(decided.output)))
            done += n
            progress.show(f"{path}: scrubbed {done:,} rows")
    except StaleRegistryError as e:
        raise _stale_error(guard, fed, path, e) from None  # among the calls not yet written
    progress.done()


def _with_verdicts(raw: pa.Table, verdicts: pa.Table) -> pa.Table:
    """``raw``'s columns (less any earlier decision columns: a re-scrub replaces them) + verdicts."""
    raw = raw.drop_columns([c for c in DECISION_COLUMNS if c in raw.column_names])
    return pa.table([*raw.columns, *verdicts.columns], names=raw.column_names + verdicts.column_names)


def _records_table(path: str) -> pa.Table:
    """A JSON call file's records as text columns (nested values as JSON), as a CSV reads."""

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) or value is None else json.dumps(value)

    records = [rec for _, rec in read_records(path)]
    names = list(dict.fromkeys(k for rec in records for k in rec))
    return pa.table({n: pa.array([text(rec.get(n)) for rec in records], pa.string()) for n in names})
