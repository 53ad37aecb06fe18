"""``dncguard check``: decide every call in a file and report it (exit 0 / 1 / 2)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TextIO

import pyarrow as pa

from dncguard._fields import call_columns
from dncguard._seller import normalize_seller
from dncguard.cli._batches import _bulk_tables, _flat_batches, _read_records, _ReadBatches, _TableReader
from dncguard.cli._callfile import Batch, Defaults, is_table_file
from dncguard.cli._common import (
    EXIT_BLOCKED,
    EXIT_OK,
    _call_file,
    _collector_paused,
    _defaults,
    _guard,
    _Progress,
    _warn,
)
from dncguard.cli._decide import _blocked, _decide_records, _Piece, _stale_error
from dncguard.cli._ledger import Recorder, recorder
from dncguard.cli._report import _calls_table, _Explainer, _PieceWriter, _write_decisions
from dncguard.errors import StaleRegistryError

if TYPE_CHECKING:
    from dncguard.bulk import Decided


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
        return EXIT_BLOCKED if blocked else EXIT_OK
    with _collector_paused():
        records = _read_records(path, defaults)
        flat = _flat_batches(records)
    if flat is not None:  # decided in bulk, as a CSV file of the same calls is
        blocked = _check_table(
            args, path=path, defaults=defaults, out=sys.stdout, read=_ReadBatches(flat), record=record
        )
        return EXIT_BLOCKED if blocked else EXIT_OK
    guard = _guard(args)
    decisions = _decide_records(guard, records, path=path)
    if record is not None:
        record.calls(records.calls, decisions)
    _warn_unlisted_sellers(guard, path, {call.seller for call in records.calls})
    _write_decisions(guard, records.calls, records.tos, decisions, fmt=args.format, path=path, out=sys.stdout)
    return EXIT_OK if all(d.allowed for d in decisions) else EXIT_BLOCKED


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

    The file is read in a thread while the batches already read are decided. Nothing is written
    before the whole file has read well; text and json are then written as the rest is decided,
    junit (whose first line counts the failures) and ``--on-stale raise`` once all is decided.
    """
    from dncguard import bulk

    fmt: str = args.format
    reader = _TableReader(path, defaults, raw=False) if read is None else read
    try:
        guard = _guard(args)
    except BaseException:
        reader.wait()  # a bad call file is reported first, as when it was read before the index
        raise
    stream = fmt != "junit" and getattr(guard, "on_stale", "block") != "raise"
    tables, bulk_defaults = _bulk_tables(reader)
    pieces: list[_Piece] = []
    writer: _PieceWriter | None = None
    explainer = _Explainer(guard, path=path)
    # The invalid numbers' texts (junit, json) are worked out as the rest is decided.
    explaining = ThreadPoolExecutor(1, thread_name_prefix="dncguard-explain") if fmt != "text" else None
    progress = _Progress()
    sellers: set[str] = set()
    decided_all = False
    kept: list[Decided] = []  # for the ledger
    try:
        start = 0
        for decided in bulk.decide_batches(guard, tables, columns=False, **bulk_defaults):
            if record is not None:
                kept.append(decided)
            sellers.update(decided.sellers)
            piece = _Piece.of(start, decided)
            if explaining is not None:
                tos = decided.output.column("to").take(pa.array(piece.invalid)).to_pylist()
                rows = (start + piece.invalid).tolist()
                explained = explaining.submit(explainer.explain, fmt, tos, rows)
                piece = dataclasses.replace(piece, explained=explained)
            pieces.append(piece)
            start += len(piece.inverse)
            progress.show(f"{path}: decided {start:,} calls")
            if stream and reader.done and reader.error is None:
                if writer is None:
                    writer = _PieceWriter(explainer, _calls_table(reader.wait()), fmt=fmt, path=path, out=out)
                writer.write(pieces[writer.pieces_written :])
        decided_all = True
    except StaleRegistryError as e:
        raise _stale_error(guard, reader.wait(), path, e) from None
    finally:
        if explaining is not None:
            explaining.shutdown(wait=False, cancel_futures=not decided_all)
    batches = reader.wait()
    progress.done()
    if record is not None and batches:
        every = _calls_table(batches)
        whole = Batch(every, every, batches[0].first_row)
        at = 0
        for decided in kept:
            record.decided(whole, at, decided)
            at += decided.output.num_rows
    if writer is None:
        writer = _PieceWriter(explainer, _calls_table(batches), fmt=fmt, path=path, out=out)
    blocked = _blocked(pieces)
    writer.finish(pieces, blocked)
    _warn_unlisted_sellers(guard, path, sellers)
    if isinstance(reader, _TableReader) and reader.columns:
        passed = call_columns(reader.columns, fold_case=True)
        if passed:
            _warn(f"{path}: ignoring columns that are not call fields: {', '.join(passed)}")
    return blocked


_SELLERS_NAMED = 10
"""Sellers named at most in the warning about sellers without an internal list."""


def _warn_unlisted_sellers(guard: object, path: str, sellers: set[str]) -> None:
    """When the index holds internal lists but none for some of the calls' sellers, name those
    sellers on stderr (RULES §6.13): a misspelt seller is seen, not silently decided without its
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
