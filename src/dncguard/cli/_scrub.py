"""``dncguard scrub``: a call file's rows plus decision columns, written atomically."""

from __future__ import annotations

import argparse
import collections
import gc
import itertools
import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from dncguard._gcpause import collector_paused
from dncguard._memtrim import Trimmer
from dncguard.bulk._output import REPLACED_COLUMNS
from dncguard.cli._batches import _flat_batches, _left_out, _RecordChunks, _Records, _TableReader
from dncguard.cli._callfile import Batch, Defaults, is_table_file, read_records
from dncguard.cli._common import (
    EXIT_OK,
    _call_file,
    _defaults,
    _guard,
    _output,
    _Progress,
)
from dncguard.cli._decide import (
    _check_calls,
    _decide_records,
    _decision_columns,
    _stale_error,
    _verdict_columns,
)
from dncguard.cli._ledger import Recorder, recorder
from dncguard.cli._write import OutputWriter
from dncguard.errors import CallColumnError, DncguardError, StaleRegistryError, UsageError

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
    # The ledger records on a thread of its own while rows are written and decided.
    record = recorder(args, path=path, ahead=True)
    try:
        code = _scrub_file(args, path, defaults, record)
    except BaseException:
        if record is not None:
            record.close(quiet=True)  # what was given is recorded; this command's error wins
        raise
    if record is not None:
        record.close()
    return code


def _scrub_file(args: argparse.Namespace, path: str, defaults: Defaults, record: Recorder | None) -> int:
    if not is_table_file(path):
        _scrub_records(args, path, defaults, record)
        return EXIT_OK
    guard = _guard(args)
    reader = _TableReader(path, defaults, keep=False)
    try:
        with OutputWriter(args.output) as writer:
            _scrub_table(guard, reader, writer, path=path, record=record)
    finally:
        reader.close()
    return EXIT_OK


def _scrub_records(args: argparse.Namespace, path: str, defaults: Defaults, record: Recorder | None) -> None:
    """``scrub`` of a JSON / JSON Lines file, streamed: memory does not grow with the file.

    A first pass gathers the output's columns (every field some record holds, in the order first
    met: the rows of a table share one header). Then the records are read, validated, decided
    and written :func:`._sizes.record_rows` at a time: a chunk whose calls all fit the flat
    columns is decided in bulk, as a CSV file of the same calls is; one with nested evidence
    they cannot hold, call by call (the same decisions). The index is opened once the first
    chunk has read well, so a bad file is named before a bad index, as when it was read whole.
    """
    from dncguard import bulk

    names = _record_names(path)
    chunks = _RecordChunks(path, defaults, keep=True)
    guard: Guard | None = None
    written = False
    with collector_paused(), OutputWriter(args.output) as writer:
        for chunk in chunks:
            if guard is None:
                guard = _guard(args)
            flat = _flat_batches(chunk)
            if flat is None:  # nested evidence that scrub's flat columns cannot hold
                decisions = _decide_records(guard, chunk, path=path)
                verdicts = _decision_columns(decisions)
            else:
                try:
                    decided = list(bulk.decide_batches(guard, [b.calls for b in flat]))
                except StaleRegistryError as e:
                    _check_calls(guard, chunk.calls, chunk.rows, path=path)  # names the row
                    raise StaleRegistryError(f"{path}: {e}") from None
                verdicts = pa.concat_tables([_verdict_columns(d.output) for d in decided])
                # The ledger keeps each call's whole decision, as check gives it.
                decisions = _decide_records(guard, chunk, path=path) if record is not None else []
            if record is not None:
                record.calls(chunk.calls, decisions)
            writer.write(_with_verdicts(_records_table(chunk, names, path), verdicts))
            written = True
            del chunk, flat
            gc.collect(0)  # the chunk's objects only (see ``check``)
        if record is not None:  # every decision recorded before the output is committed
            record.finish()
        if guard is None:  # no records: the index is checked all the same
            _guard(args)
        if not written:  # no records: the decision columns alone
            writer.write(_with_verdicts(pa.table({}), _decision_columns([])))
    chunks.warn()


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
    trimmer = Trimmer()  # the allocator's free pages handed back every few seconds
    try:
        # Written as decided: meanwhile ``decide_batches``' threads decide the next batches.
        for decided in bulk.decide_batches(guard, calls(), **bulk_defaults):
            n = decided.output.num_rows
            while n and taken == fed[0].raw.num_rows:  # a batch without rows
                fed.popleft()
                taken = 0
            # A table larger than bulk's batch is decided in slices: its rows, a slice at a time.
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
            trimmer.due()
        if record is not None:  # every decision recorded before the output is committed
            record.finish()
    except StaleRegistryError as e:
        raise _stale_error(guard, fed, path, e) from None  # among the calls not yet written
    progress.done()


def _with_verdicts(raw: pa.Table, verdicts: pa.Table) -> pa.Table:
    """``raw``'s columns (less any earlier decision and provenance columns, as ``Guard.scrub``
    drops them: a re-scrub replaces them) + verdicts."""
    raw = raw.drop_columns([c for c in raw.column_names if c in REPLACED_COLUMNS])
    return pa.table([*raw.columns, *verdicts.columns], names=raw.column_names + verdicts.column_names)


def _record_names(path: str) -> list[str]:
    """Every field some record of a JSON call file holds, in the order first met.

    A file that does not read stops this pass quietly: the pass that validates the records
    meets the same error, or an earlier row's, and names it."""
    names: dict[str, None] = {}
    try:
        for _, rec in read_records(path):
            if isinstance(rec, dict):
                names.update(dict.fromkeys(rec))
    except (DncguardError, ValueError, RecursionError):
        pass
    return list(names)


def _records_table(records: _Records, names: list[str], path: str) -> pa.Table:
    """A chunk's records as text columns ``names`` (nested values as JSON), as a CSV reads."""

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) or value is None else json.dumps(value)

    for row, rec in zip(records.rows, records.records, strict=True):
        extra = [k for k in rec if k not in names]
        if extra:  # fail closed: a field is never dropped (the file changed while it was read)
            raise CallColumnError(
                f"field {extra[0]!r} was not in the file when it was first read: it changed while"
                " being read; scrub it again once it is written",
                path=path,
                row=row,
            )
    return pa.table({n: pa.array([text(rec.get(n)) for rec in records.records], pa.string()) for n in names})
