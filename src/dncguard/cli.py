"""The ``dncguard`` command line: build and update an index, check and scrub call lists.

A thin argparse front end over :class:`dncguard.registry.Registry` and
:class:`dncguard.guard.Guard`; it holds no rules. Commands (``shared/design/API.md`` section 3)::

    dncguard build OUT --ftc PATH@DATE --dncl PATH@DATE --state REGION=PATH@DATE --internal [SELLER=]PATH
    dncguard update INDEX --ftc-changes PATH@DATE            (and the build flags)
    dncguard check --registry INDEX CALLS [--format text|json|junit] [--at T] [--seller S] [--purpose P]
    dncguard scrub --registry INDEX IN OUT
    dncguard lookup --registry INDEX NUMBER...
    dncguard info INDEX

Exit codes: 0 success (``check``: every call allowed); 1 ``check`` found a blocked call; 2 bad
input (a missing or unreadable file, a corrupt index, a call field that cannot be read), with a
message naming the file, the 1-based data row and the field; never a traceback. ``lookup``
reports an argument that is not a NANP number as ``invalid`` and still exits 0.

Progress goes to stderr, and only when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import codecs
import collections
import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import itertools
import json
import os
import queue
import sys
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TextIO, get_args

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pydantic_core

from dncguard import _io
from dncguard._arrow import trimmed
from dncguard.errors import DncguardError, StaleRegistryError
from dncguard.models import EVIDENCE_COLUMNS, Call, Decision, Purpose, Reason, ReasonCode

if TYPE_CHECKING:
    from dncguard.bulk import Decided
    from dncguard.guard import Guard
    from dncguard.layers import Chunk, Layer
    from dncguard.policy import Verdict
    from dncguard.registry import Registry

__all__ = ["main"]

PROG = "dncguard"
EXIT_OK, EXIT_BLOCKED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(DncguardError, ValueError):
    """A command-line argument that cannot be used (exit 2)."""


# --- arguments --------------------------------------------------------------------------------


class _SourceAction(argparse.Action):
    """Collect every source flag, in command-line order, as ``(flag, value)`` in ``sources``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        items = list(getattr(namespace, self.dest, None) or [])
        items.append((self.const, values))
        setattr(namespace, self.dest, items)


def _add_source_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "registry sources (each repeatable; DATE is the day the download was obtained, YYYY-MM-DD)"
    )
    flags = [
        ("--ftc", "ftc", "PATH@DATE", "FTC National Do Not Call Registry full download"),
        ("--ftc-changes", "ftc_changes", "PATH@DATE", "FTC change list (additions and deletions)"),
        ("--dncl", "dncl", "PATH@DATE", "Canadian National DNCL download"),
        ("--state", "state", "REGION=PATH@DATE", "a US state list, e.g. US-TX=texas.csv@2026-03-01"),
        (
            "--internal",
            "internal",
            "[SELLER=]PATH",
            "a seller's own do-not-call list (CSV: number, optional requested_on; SELLER= names the "
            "seller, else a seller column does)",
        ),
    ]
    for flag, kind, metavar, text in flags:
        g.add_argument(flag, dest="sources", action=_SourceAction, const=kind, metavar=metavar, help=text)


def _add_guard_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registry", required=True, metavar="INDEX", help="the index file (from build)")
    g = p.add_argument_group("calls")
    g.add_argument("--at", metavar="DATETIME", help="when calls without an `at` start (ISO 8601 with offset)")
    g.add_argument("--seller", help="the seller of calls without a `seller`")
    g.add_argument("--purpose", choices=get_args(Purpose), help="the purpose of calls without a `purpose`")
    g = p.add_argument_group("policy")
    g.add_argument("--on-stale", choices=("block", "raise"), help="a registry copy too old: block (default)")
    g.add_argument("--ebr-anniversary", choices=("exclusive", "inclusive"), help="default: exclusive")
    g.add_argument(
        "--jurisdictions",
        metavar="LIST",
        help="comma-separated rule sets to apply, e.g. US,CA (default: all known)",
    )


_CHECK_DESCRIPTION = """\
Decide every call in CALLS. Exit 0 if all are allowed, 1 if any is blocked, 2 on bad input
(a message names the file, the data row and the field; nothing is decided until the whole file
reads well).

Fields (JSON keys, or CSV/Parquet columns by name): to, at (ISO 8601 with a UTC offset), seller,
caller, purpose, line, prerecorded, callee_region, callee_timezone, reassigned_on; evidence as
the flat columns last_purchase, last_inquiry, contract_on, contract_ends, consent_kind,
consent_on, consent_revoked_on, dnc_requested_on (the call's seller's), or in JSON also as the
lists relationships, consents and dnc_requests. Other columns are ignored.

CSV and Parquet files are decided in bulk, and every call is explained from the answer for its
combination of facts (the same text a check of the call gives); JSON files, which may nest
evidence, are decided call by call.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Local, exact, explainable Do-Not-Call compliance for US and Canadian calls.",
        epilog="Exit codes: 0 ok / all calls allowed, 1 a call is blocked (check), 2 bad input.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("build", help="build an index from registry downloads")
    p.add_argument("out", metavar="OUT", help="the index file to write (atomically)")
    _add_source_flags(p)
    p.set_defaults(run=_cmd_build)

    p = sub.add_parser("update", help="apply change lists and replacements to an index in place")
    p.add_argument("index", metavar="INDEX")
    _add_source_flags(p)
    p.set_defaults(run=_cmd_update)

    p = sub.add_parser(
        "check",
        help="decide every call in a file",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_CHECK_DESCRIPTION,
    )
    p.add_argument("calls", metavar="CALLS", help="a .jsonl, .json (array), .csv or .parquet call file")
    p.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="text: a line per call (default); json: a JSON line per call with its row and full "
        "decision; junit: JUnit XML, a blocked call is a failed test case",
    )
    _add_guard_flags(p)
    p.set_defaults(run=_cmd_check)

    p = sub.add_parser(
        "scrub",
        help="write a call file's rows plus decision columns",
        description="Write IN's rows (a call file, as for check) plus the columns allowed, reason, "
        "reasons (';'-joined in CSV) and next_allowed_at (UTC) to OUT (.csv or .parquet), atomically. "
        "Exit 0, or 2 on bad input (OUT is then left as it was).",
    )
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT")
    _add_guard_flags(p)
    p.set_defaults(run=_cmd_scrub)

    p = sub.add_parser(
        "lookup",
        help="which lists hold each number",
        description="Print the lists holding each NUMBER. A NUMBER that is not a US or Canadian "
        "number is reported as invalid; the exit code stays 0.",
    )
    p.add_argument("--registry", required=True, metavar="INDEX")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("numbers", nargs="+", metavar="NUMBER")
    p.set_defaults(run=_cmd_lookup)

    p = sub.add_parser("info", help="an index's lists, dates, coverage, counts and freshness")
    p.add_argument("index", metavar="INDEX")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=_cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits on --help (0) and on a usage error (2)
        return e.code if isinstance(e.code, int) else EXIT_BAD_INPUT
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, without a second error on exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (DncguardError, ValueError, OSError, zipfile.BadZipFile) as e:
        _error(_describe(e))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _describe(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {e.strerror or e}"
    if isinstance(e, StaleRegistryError):
        return f"{e} (--on-stale raise)"
    return str(e) or type(e).__name__


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


class _Progress:
    """One self-overwriting status line on stderr when it is a terminal; silent otherwise."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._last = 0.0

    def show(self, text: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.enabled and (force or now - self._last > 0.2):
            self._last = now
            print(f"\r\x1b[K{text}", end="", file=sys.stderr, flush=True)

    def done(self, text: str = "") -> None:
        if self.enabled:
            print(f"\r\x1b[K{text}", file=sys.stderr, flush=True)


# --- build / update ---------------------------------------------------------------------------


def _iso_date(text: str, *, flag: str, spec: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {spec}: {text!r} is not a date: write PATH@YYYY-MM-DD") from None


def _path_at(spec: str, flag: str) -> tuple[str, dt.date]:
    """Split ``PATH@DATE``; the date is required (the 31-day rule is counted from it)."""
    path, sep, date = spec.rpartition("@")
    if not sep or not path:
        raise UsageError(
            f"{flag} {spec}: the date the list was obtained is required: write {flag} {spec}@YYYY-MM-DD"
        )
    return _existing(path, flag), _iso_date(date, flag=flag, spec=spec)


def _existing(path: str, flag: str) -> str:
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file ({flag})")
    return path


def _output(path: str, flag: str) -> str:
    """An output path whose directory exists (the file is written beside it, then renamed)."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"{path}: no such directory {directory} ({flag})")
    return path


def _open_source(kind: str, spec: str) -> Iterable[Chunk]:
    """The source one flag names: ``--ftc PATH@DATE``, ``--state REGION=PATH@DATE``, ..."""
    from dncguard import sources

    flag = "--" + kind.replace("_", "-")
    if kind == "internal":
        seller, sep, rest = spec.partition("=")
        if sep and seller and os.sep not in seller and "/" not in seller and not os.path.exists(spec):
            return sources.internal(_existing(rest, flag), seller=seller)
        return sources.internal(_existing(spec, flag))
    if kind == "state":
        region, sep, rest = spec.partition("=")
        if not sep or not region:
            raise UsageError(
                f"--state {spec}: write --state REGION=PATH@DATE, e.g. US-TX=texas.csv@2026-03-01"
            )
        path, obtained = _path_at(rest, flag)
        return sources.state(region.strip().upper(), path, obtained=obtained)
    path, obtained = _path_at(spec, flag)
    read = {"ftc": sources.ftc, "ftc_changes": sources.ftc_changes, "dncl": sources.dncl}[kind]
    return read(path, obtained=obtained)


def _sources(args: argparse.Namespace, progress: _Progress) -> list[Iterable[Chunk]]:
    """The sources the flags name (the registry applies them in the order of their dates)."""
    flags: list[tuple[str, str]] = args.sources or []
    if not flags:
        raise UsageError(
            "no sources given: add at least one of --ftc, --ftc-changes, --dncl, --state, --internal"
        )
    opened = [_open_source(kind, spec) for kind, spec in flags]
    if not progress.enabled:
        return opened
    return [_Counted(source, spec, progress) for source, (_, spec) in zip(opened, flags, strict=True)]


class _Counted:
    """A source whose chunks, as they are read, move the progress line on."""

    def __init__(self, source: Iterable[Chunk], label: str, progress: _Progress) -> None:
        self.source, self.label, self.progress = source, label, progress

    def __iter__(self) -> Iterator[Chunk]:
        count = 0
        self.progress.show(f"reading {self.label} ...", force=True)
        for chunk in self.source:
            count += len(chunk.numbers)
            self.progress.show(f"reading {self.label}: {count:,} numbers")
            yield chunk


def _summary(registry: Registry, path: str) -> str:
    layers = ", ".join(f"{layer.name} ({layer.count:,})" for layer in registry.layers)
    return f"wrote {path} ({registry.id}): {layers or 'no layers'}"


def _cmd_build(args: argparse.Namespace) -> int:
    from dncguard.registry import Registry

    out = _output(args.out, "OUT")
    progress = _Progress()
    registry = Registry.build(_sources(args, progress))
    progress.show(f"writing {out} ...", force=True)
    registry.save(out)
    progress.done(_summary(registry, out))
    return EXIT_OK


def _cmd_update(args: argparse.Namespace) -> int:
    from dncguard.registry import Registry

    progress = _Progress()
    sources = _sources(args, progress)
    progress.show(f"updating {args.index} ...", force=True)
    # under the index's lock: a concurrent update waits, and neither is lost
    registry = Registry.update_file(_existing(args.index, "INDEX"), sources)
    progress.done(_summary(registry, args.index))
    return EXIT_OK


# --- check / scrub ----------------------------------------------------------------------------


def _defaults(args: argparse.Namespace) -> _io.Defaults:
    at = None
    if args.at is not None:
        try:
            at = dt.datetime.fromisoformat(args.at)
        except ValueError:
            raise UsageError(
                f"--at {args.at!r}: not an ISO 8601 date-time such as 2026-03-16T14:00:00-04:00"
            ) from None
        if at.tzinfo is None or at.utcoffset() is None:
            raise UsageError(
                f"--at {args.at!r}: a time without a UTC offset is ambiguous: add one, e.g. -04:00"
            )
    if args.seller is not None and not args.seller.strip():
        raise UsageError("--seller: name the party on whose behalf the calls are made")
    return _io.Defaults(at=at, seller=args.seller, purpose=args.purpose)


def _guard(args: argparse.Namespace) -> Guard:
    from dncguard.guard import Guard
    from dncguard.registry import Registry

    registry = Registry.open(_existing(args.registry, "--registry"))
    options: dict[str, Any] = {}
    if args.on_stale:
        options["on_stale"] = args.on_stale
    if args.ebr_anniversary:
        options["ebr_anniversary"] = args.ebr_anniversary
    if args.jurisdictions:
        options["jurisdictions"] = tuple(j.strip() for j in args.jurisdictions.split(",") if j.strip())
    try:
        return Guard(registry, **options)
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from None


@dataclasses.dataclass
class _Outcomes:
    """Decided calls, column by column (a million calls make no million objects).

    ``rows``: the 1-based data rows; ``tos``: the numbers as written; ``allowed``: the verdicts;
    ``decisions``: full decisions by position, for every blocked call (and for every call when
    asked), the others decided in bulk.
    """

    rows: list[int] = dataclasses.field(default_factory=list)
    tos: list[str] = dataclasses.field(default_factory=list)
    allowed: list[bool] = dataclasses.field(default_factory=list)
    decisions: dict[int, Decision] = dataclasses.field(default_factory=dict)

    @property
    def blocked(self) -> int:
        return self.allowed.count(False)


def _check_calls(guard: Guard, calls: Sequence[Call], rows: Sequence[int], *, path: str) -> list[Decision]:
    try:
        return list(guard.check_many(calls))
    except StaleRegistryError:
        # Say which call needed the fresher copy: decide one by one up to it.
        for row, call in zip(rows, calls, strict=True):
            try:
                guard.check(call)
            except StaleRegistryError as e:
                raise StaleRegistryError(f"{path}, row {row}: {e}") from None
        raise


@dataclasses.dataclass(frozen=True)
class _Records:
    """A JSON / JSON Lines call file, every record validated: calls, data rows, numbers as written."""

    calls: list[Call]
    rows: list[int]
    tos: list[str]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block: reading a JSON call file makes a few
    objects a call (no cycles among them), and each full collection walks every one made so far
    (a third of the reading time for 200,000 calls). It runs once, after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_records(path: str, defaults: _io.Defaults) -> _Records:
    records = _Records([], [], [])
    ignored: set[str] = set()
    for row, record in _io.read_records(path):
        records.calls.append(_io.call_from_record(record, path=path, row=row, defaults=defaults))
        records.rows.append(row)
        records.tos.append(str(record.get("to")))
        ignored.update(_io.unknown_fields(list(record)))
    if ignored:
        _warn(f"{path}: ignoring fields that are not call fields: {', '.join(sorted(ignored))}")
    return records


_FIXED_OFFSETS = (dt.timezone, pydantic_core.TzInfo)
"""The time zones of an ``at`` read from ISO 8601 text or ``--at``: a fixed UTC offset."""

_FLAT_TYPES: dict[str, pa.DataType] = {
    "to": pa.string(),
    "at": pa.string(),
    "seller": pa.string(),
    "caller": pa.string(),
    "purpose": pa.string(),
    "line": pa.string(),
    "prerecorded": pa.bool_(),
    "callee_region": pa.string(),
    "callee_timezone": pa.string(),
    "reassigned_on": pa.date32(),
    **{name: pa.string() if name == "consent_kind" else pa.date32() for name in EVIDENCE_COLUMNS},
}


def _flat_row(call: Call, to: str) -> tuple[Any, ...] | None:
    """``call`` as ``scrub``'s flat columns (API.md section 5; :data:`_FLAT_TYPES` in order),
    with ``at`` as ISO 8601 text in its own offset; None where they cannot hold it exactly:
    evidence beyond one relationship of each kind, one consent and one request, all the call's
    seller's; a consent for another number; an offset that is not a whole minute; a number
    decided other than as written."""
    offset = call.at.utcoffset()
    if call.to != to or not isinstance(call.at.tzinfo, _FIXED_OFFSETS) or offset is None:
        return None
    if offset % dt.timedelta(minutes=1) or len(call.consents) > 1 or len(call.dnc_requests) > 1:
        return None
    mine = (None, call.seller)  # evidence without a seller is the call's seller's
    on: dict[str, dt.date] = {}
    contract_ends = None
    for rel in call.relationships:
        if rel.seller not in mine or rel.kind in on or (rel.kind != "contract" and rel.ends is not None):
            return None
        on[rel.kind] = rel.on
        if rel.kind == "contract":
            contract_ends = rel.ends
    consent_kind = consent_on = consent_revoked_on = None
    for consent in call.consents:
        if consent.seller not in mine or consent.number is not None:
            return None
        consent_kind, consent_on, consent_revoked_on = consent.kind, consent.on, consent.revoked_on
    requested = None
    for request in call.dnc_requests:
        if request.seller not in mine:
            return None
        requested = request.on
    return (
        call.to,
        call.at.isoformat(),
        call.seller,
        call.caller,
        call.purpose,
        call.line,
        call.prerecorded,
        call.callee_region,
        call.callee_timezone,
        call.reassigned_on,
        on.get("purchase"),
        on.get("inquiry"),
        on.get("contract"),
        contract_ends,
        consent_kind,
        consent_on,
        consent_revoked_on,
        requested,
    )


def _flat_batches(records: _Records) -> list[_io.Batch] | None:
    """A JSON call file's validated calls as the batches ``check`` decides a CSV file in, or None
    when some call does not fit the flat columns (see :func:`_flat_row`): then every call is
    decided by ``check``. ``raw`` is left empty (``check`` never writes the rows back)."""
    rows = []
    for call, to in zip(records.calls, records.tos, strict=True):
        row = _flat_row(call, to)
        if row is None:
            return None
        rows.append(row)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_FLAT_TYPES)
    table = pa.table(
        {
            name: pa.array(values, kind)
            for (name, kind), values in zip(_FLAT_TYPES.items(), columns, strict=True)
        }
    )
    raw = table.schema.empty_table()
    step = _io._BATCH_ROWS
    return [_io.Batch(raw, table.slice(i, step), i + 1) for i in range(0, max(table.num_rows, 1), step)]


class _ReadBatches:
    """Batches already read, handed on as :class:`_TableReader` hands them."""

    done = True
    error: BaseException | None = None

    def __init__(self, batches: list[_io.Batch]) -> None:
        self.batches = batches

    def __iter__(self) -> Iterator[_io.Batch]:
        return iter(self.batches)

    def wait(self) -> list[_io.Batch]:
        return self.batches


def _decide_records(guard: Guard, records: _Records, *, path: str) -> _Outcomes:
    """Decide JSON records with ``check_many`` (they may carry nested evidence ``scrub`` cannot)."""
    decisions = _check_calls(guard, records.calls, records.rows, path=path)
    allowed = [d.allowed for d in decisions]
    return _Outcomes(records.rows, records.tos, allowed, dict(enumerate(decisions)))


def _flat_verdicts(guard: Guard, batches: list[_io.Batch], *, path: str) -> pa.Table:
    """The scrub columns of a JSON call file's calls decided in bulk (see :func:`_flat_batches`)."""
    from dncguard import bulk

    try:
        decided = list(bulk.decide_batches(guard, [b.calls for b in batches]))
    except StaleRegistryError as e:
        raise _stale_error(guard, batches, path, e) from None
    return pa.concat_tables([_verdict_columns(d.output) for d in decided])


def _verdict_columns(output: pa.RecordBatch) -> pa.Table:
    """The scrub columns of a bulk answer, as :data:`_io.DECISION_SCHEMA` types them."""
    return pa.table(
        [output.column(f.name).cast(f.type) for f in _io.DECISION_SCHEMA], schema=_io.DECISION_SCHEMA
    )


def _stale_error(
    guard: Guard, batches: Iterable[_io.Batch], path: str, error: StaleRegistryError
) -> StaleRegistryError:
    """A stale registry met in bulk, with the file's first such row: the calls of ``batches``,
    one by one, raise naming it (else ``error``, naming the file, is returned to raise)."""
    for batch in batches:
        rows, calls = _batch_calls(batch, path=path)
        _check_calls(guard, calls, rows, path=path)
    return StaleRegistryError(f"{path}: {error}")


def _decision_columns(decisions: Sequence[Decision]) -> pa.Table:
    """The scrub columns (``allowed``, ``reason``, ``reasons``, ``next_allowed_at``) of decisions."""
    return pa.table(
        {
            "allowed": [d.allowed for d in decisions],
            "reason": [d.reasons[0].code.value if d.reasons else None for d in decisions],
            "reasons": [[r.code.value for r in d.reasons] for d in decisions],
            "next_allowed_at": [d.next_allowed_at for d in decisions],
        },
        schema=_io.DECISION_SCHEMA,
    )


def _batch_calls(
    batch: _io.Batch, *, path: str, indices: Sequence[int] | None = None
) -> tuple[list[int], list[Call]]:
    """The data rows and calls of a batch (all, or those at ``indices``), for ``check``."""
    picked = range(batch.calls.num_rows) if indices is None else indices
    rows = [batch.first_row + i for i in picked]
    records = batch.records(indices)
    calls = [
        _io.call_from_record(rec, path=path, row=row, defaults=_io.Defaults())
        for row, rec in zip(rows, records, strict=True)
    ]
    return rows, calls


def _decide_table_per_call(guard: Guard, batches: Sequence[_io.Batch], *, path: str) -> _Outcomes:
    """Decide CSV / Parquet batches with a ``check`` per call: the reference the bulk path matches."""
    outcomes = _Outcomes()
    for batch in batches:
        rows, calls = _batch_calls(batch, path=path)
        decisions = _check_calls(guard, calls, rows, path=path)
        offset = len(outcomes.rows)
        outcomes.rows.extend(rows)
        outcomes.tos.extend(batch.calls.column("to").to_pylist())
        outcomes.allowed.extend(d.allowed for d in decisions)
        outcomes.decisions.update((offset + i, d) for i, d in enumerate(decisions))
    return outcomes


def _cmd_check(args: argparse.Namespace) -> int:
    defaults = _defaults(args)
    path = _existing(args.calls, "CALLS")
    if _io.is_table_file(path):
        blocked = _check_table(args, path=path, defaults=defaults, out=sys.stdout)
        return EXIT_BLOCKED if blocked else EXIT_OK
    with _collector_paused():
        records = _read_records(path, defaults)
        flat = _flat_batches(records)
    if flat is not None:  # decided in bulk, as a CSV file of the same calls is
        blocked = _check_table(args, path=path, defaults=defaults, out=sys.stdout, read=_ReadBatches(flat))
        return EXIT_BLOCKED if blocked else EXIT_OK
    outcomes = _decide_records(_guard(args), records, path=path)
    write = {"text": _write_text, "json": _write_json, "junit": _write_junit}[args.format]
    write(outcomes, path, sys.stdout)
    return EXIT_BLOCKED if outcomes.blocked else EXIT_OK


def _reason_text(decision: Decision) -> str:
    return _reason_text_of(decision.reasons)


def _write_text(outcomes: _Outcomes, path: str, out: TextIO) -> None:
    """A line per call: verdict, row, number as written; for a blocked call its reasons (code,
    jurisdiction, citation) and when it may be made; then a count."""
    width = max(map(len, outcomes.tos), default=0)
    row_width = len(str(outcomes.rows[-1])) if outcomes.rows else 0
    lines = []
    for i, (row, to, ok) in enumerate(zip(outcomes.rows, outcomes.tos, outcomes.allowed, strict=True)):
        where = f"row {row:<{row_width}}"
        if ok:
            lines.append(f"ALLOWED  {where}  {to}\n")
            continue
        d = outcomes.decisions[i]
        when = f"  next allowed {d.next_allowed_at.isoformat()}" if d.next_allowed_at else ""
        lines.append(f"BLOCKED  {where}  {to:<{width}}  {_reason_text(d)}{when}\n")
    out.writelines(lines)
    n, blocked = len(outcomes.rows), outcomes.blocked
    out.write(f"{n} calls: {n - blocked} allowed, {blocked} blocked\n")


def _write_json(outcomes: _Outcomes, path: str, out: TextIO) -> None:
    """JSON Lines: ``{"row": N, **decision.model_dump(mode="json")}`` per call."""
    for i, row in enumerate(outcomes.rows):
        decision = outcomes.decisions[i]  # asked with explain_allowed: every decision is at hand
        out.write(json.dumps({"row": row, **decision.model_dump(mode="json")}) + "\n")


def _write_junit(outcomes: _Outcomes, path: str, out: TextIO) -> None:
    """JUnit XML: a test case per call; a blocked call is a failure carrying its reasons."""
    n = len(outcomes.rows)
    counts = {"tests": str(n), "failures": str(outcomes.blocked), "errors": "0", "skipped": "0"}
    suites = ET.Element("testsuites", {"name": f"{PROG} check", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": path, **counts})
    classname = os.path.splitext(os.path.basename(path))[0]
    for i, (row, to, ok) in enumerate(zip(outcomes.rows, outcomes.tos, outcomes.allowed, strict=True)):
        case = ET.SubElement(
            suite, "testcase", {"classname": classname, "name": f"row {row}: {to}", "time": "0"}
        )
        if ok:
            continue
        d = outcomes.decisions[i]
        lines = [f"{r.code.value} ({r.jurisdiction}, {r.rule}): {r.message}" for r in d.reasons]
        if d.next_allowed_at is not None:
            lines.append(f"next allowed at {d.next_allowed_at.isoformat()}")
        codes = [r.code.value for r in d.reasons]
        failure = ET.SubElement(
            case,
            "failure",
            {"message": f"{to} blocked: {', '.join(codes)}", "type": codes[0] if codes else "blocked"},
        )
        failure.text = "\n".join(lines)
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode") + "\n")


# --- check: CSV / Parquet in bulk -------------------------------------------------------------
#
# One policy, two front ends: ``bulk.decide_batches`` decides the rows per distinct combination
# of facts; each verdict's text is built once and broadcast to its rows with Arrow's ``take``;
# only what varies per row (the row number, the number as written, ``next_allowed_at``, the
# called number in E.164) is formatted per row, by Arrow string kernels. The result is, byte for
# byte, what ``_write_text`` / ``_write_junit`` / ``_write_json`` print for a ``check`` per call.

_FORMAT_ROWS = 1 << 18
"""Rows formatted (and written) at a time: bounds the memory the output text takes."""


@dataclasses.dataclass(frozen=True)
class _Piece:
    """Rows ``start .. start + len(inverse)`` (0-based) of a table file, decided in bulk."""

    start: int
    verdicts: tuple[Verdict, ...]
    inverse: npt.NDArray[np.int32]
    next_at: npt.NDArray[np.int64]
    invalid: npt.NDArray[np.intp]
    """The rows (within the piece) whose number is invalid."""
    numbers: npt.NDArray[np.uint64]
    """The called numbers, as decided (0: invalid)."""
    explained: Future[list[str | None]] | None = None
    """Their text (junit) or line (json), worked out while the rest is decided (None: ask check)."""

    @classmethod
    def of(cls, start: int, decided: Decided) -> _Piece:
        """The piece of one answer of ``bulk.decide_batches``, starting at row ``start``."""
        inverse = decided.inverse.astype(np.int32, copy=False)
        invalid = np.flatnonzero(np.array([_is_invalid(v) for v in decided.verdicts], bool)[inverse])
        return cls(start, decided.verdicts, inverse, decided.next_at, invalid, decided.numbers)


class _TableReader:
    """Reads a CSV / Parquet call file's batches in a thread while the batches read are decided.

    Iterate once for the batches as they come (the reading error, if any, is raised at the end);
    :meth:`wait` gives them all once the whole file has read well. ``keep=False``: the batches
    are not kept, and the thread reads at most :data:`_AHEAD` batches ahead of the iteration
    (bounded memory; :meth:`wait` then only waits); :meth:`close` stops it early. ``raw=False``:
    each batch's ``raw`` is left empty (its columns named, no rows), for a caller that never
    writes the rows back (``check``: half the memory it holds).
    """

    def __init__(self, path: str, defaults: _io.Defaults, *, keep: bool = True, raw: bool = True) -> None:
        self.path, self.defaults, self.keep, self.raw = path, defaults, keep, raw
        self.batches: list[_io.Batch] = []
        self.error: BaseException | None = None
        self._queue: queue.Queue[_io.Batch | None] = queue.Queue(0 if keep else _AHEAD)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dncguard-read", daemon=True)
        self._thread.start()

    def _put(self, batch: _io.Batch | None) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(batch, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        progress = _Progress()
        try:
            for batch in _io.read_table_batches(self.path, defaults=self.defaults):
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
        self._closed.set()
        self._thread.join()

    def __iter__(self) -> Iterator[_io.Batch]:
        while (batch := self._queue.get()) is not None:
            yield batch
        if self.error is not None:
            raise self.error

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> list[_io.Batch]:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.batches


_AHEAD = 1
"""Batches a reader that does not keep them reads ahead of their use (``dncguard scrub``)."""

_BULK_ROWS = 1 << 20
"""Rows handed to ``bulk.decide_batches`` at a time (its own unit of work)."""

# Call columns a file may leave out, which the reader then fills with one value for every row:
# bulk is given that value as a default instead of a column of copies.
_DEFAULTED = ("seller", "purpose", "caller", "line")


def _left_out(first: _io.Batch) -> tuple[list[str], dict[str, Any]]:
    """The call columns the file leaves out (filled by the reader with one value for every row),
    to drop from the calls, and that value of each, as a ``decide_batches`` default."""
    given = {name.strip().lower() for name in first.raw.column_names}
    left_out = [c for c in _DEFAULTED if c not in given and c in first.calls.column_names]
    defaults: dict[str, Any] = {}
    for column in left_out:
        defaults[column] = first.calls.column(column)[0].as_py() if first.calls.num_rows else None
    defaults = {k: v for k, v in defaults.items() if v is not None}
    return [c for c in left_out if c in defaults or c in ("caller", "line")], defaults


def _bulk_tables(reader: _TableReader | _ReadBatches) -> tuple[Iterator[pa.Table], dict[str, Any]]:
    """The calls as ``decide_batches`` takes them, about a million rows a table, and its defaults."""
    batches = iter(reader)
    first = next(batches)
    left_out, defaults = _left_out(first)

    def tables() -> Iterator[pa.Table]:
        run: list[pa.Table] = []
        size = 0
        for batch in itertools.chain([first], batches):
            calls = batch.calls.drop_columns(left_out)
            if run and size + calls.num_rows > _BULK_ROWS:
                yield pa.concat_tables(run)
                run, size = [], 0
            run.append(calls)
            size += calls.num_rows
            if size >= _BULK_ROWS // 2:  # large enough: decided as it is, without a copy to join
                yield pa.concat_tables(run)
                run, size = [], 0
        if run:
            yield pa.concat_tables(run)

    return tables(), defaults


def _blocked(pieces: Sequence[_Piece]) -> int:
    return sum(
        int(np.count_nonzero(~np.array([v.allowed for v in p.verdicts], bool)[p.inverse])) for p in pieces
    )


def _strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def _attr(text: str) -> str:
    """``text`` escaped as ElementTree escapes an attribute value."""
    for old, new in _ATTR_ESCAPES:
        text = text.replace(old, new)
    return text


def _cdata(text: str) -> str:
    """``text`` escaped as ElementTree escapes element text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ATTR_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)


def _attr_column(values: pa.Array) -> pa.Array:
    """:func:`_attr` of every string (the kernels run only when some value needs escaping)."""
    if not pc.any(pc.match_substring_regex(values, '[&<>"\r\n\t]')).as_py():
        return values
    for old, new in _ATTR_ESCAPES:
        values = pc.replace_substring(values, old, new)
    return values


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MINUTE_US = 60_000_000


def _instant_text(utc_us: int, offset_seconds: int, *, json_style: bool) -> str:
    """An instant in a UTC offset, as ``Decision.next_allowed_at`` is written: ``isoformat()``
    (text, junit), or the Decision's JSON (json)."""
    tz = dt.timezone(dt.timedelta(seconds=offset_seconds))
    when = (_EPOCH + dt.timedelta(microseconds=utc_us)).astimezone(tz)
    if json_style:
        dumped = Decision(allowed=False, number="", next_allowed_at=when).model_dump(mode="json")
        return str(dumped["next_allowed_at"])
    return when.isoformat()


def _next_texts(
    next_at: npt.NDArray[np.int64],
    at: pa.Array,
    *,
    json_style: bool,
    before: str = "",
    after: str = "",
    none: str | None = None,
) -> pa.Array:
    """``next_allowed_at`` of each row as the per-call path writes ``Decision.next_allowed_at``:
    in the UTC offset of the call's own ``at`` (``policy.next_allowed_at`` returns
    ``t.astimezone(at.tzinfo)``).

    ``next_at``: UTC microseconds, ``bulk.NO_NEXT`` where none (null in the result). ``at``: the
    calls' ``at`` column as read: ISO 8601 text keeps its written offset; an aware timestamp
    column has its time zone, whose offset at the instant itself applies. The rows share few
    distinct (instant, offset) pairs (the next opening of a rule, per zone and day): each pair
    is written once, in Python, exactly as ``check``'s decision writes it, between ``before``
    and ``after``; a row without one gets ``none``.
    """
    from dncguard import bulk

    n = len(next_at)
    has = next_at != bulk.NO_NEXT
    rows = np.flatnonzero(has)
    if not len(rows):
        return pa.repeat(pa.scalar(none, pa.string()), n)
    utc = next_at[rows]
    picked = at.take(pa.array(rows))
    if pa.types.is_timestamp(picked.type):
        instants = pa.array(utc, pa.int64()).cast(pa.timestamp("us", tz=picked.type.tz or "UTC"))
        local = np.asarray(pc.local_timestamp(instants).cast(pa.int64()).to_numpy(zero_copy_only=False))
        offsets = (local.astype(np.int64) - utc) // 1_000_000
    else:
        offsets = _text_offsets(picked.cast(pa.string())) * 60
    if np.any(utc % _MINUTE_US) or np.any(np.abs(offsets) >= 1 << 20):
        keys = np.arange(len(rows), dtype=np.int64)  # never from the minute search: one by one
    else:
        keys = (utc // _MINUTE_US) << 21 | (offsets + (1 << 20))
    encoded = pa.array(keys).dictionary_encode()
    first = np.asarray(pc.index_in(encoded.dictionary, value_set=pa.array(keys)))
    texts = [
        f"{before}{_instant_text(int(utc[i]), int(offsets[i]), json_style=json_style)}{after}" for i in first
    ]
    positions = np.full(n, len(texts), np.int32)  # the last entry: ``none`` (None: null)
    positions[rows] = np.asarray(encoded.indices)
    return pc.take(_strings([*texts, none]), pa.array(positions))


def _text_offsets(text: pa.Array) -> npt.NDArray[np.int64]:
    """The UTC offset, in minutes, written in each ISO 8601 time (``Z``: 0).

    The text's wall-clock part read as a naive time, less the instant it stands for; a text whose
    first 19 characters are not ``YYYY-MM-DDTHH:MM:SS`` (no seconds, say) is read by a pattern.
    """
    text = trimmed(text)
    instants = text.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    try:
        wall = pc.utf8_slice_codeunits(text, 0, 19).cast(pa.timestamp("us")).cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _pattern_offsets(text)
    utc = np.asarray(instants.to_numpy(zero_copy_only=False), dtype=np.int64)
    local = np.asarray(wall.to_numpy(zero_copy_only=False), dtype=np.int64)
    return (local - (utc - utc % 1_000_000)) // _MINUTE_US


def _pattern_offsets(text: pa.Array) -> npt.NDArray[np.int64]:
    parts = pc.extract_regex(text, r"(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})?$")
    sign, hh, mm = (pc.struct_field(parts, name) for name in ("sign", "hh", "mm"))
    hours = pc.cast(pc.if_else(pc.equal(hh, ""), "0", hh), pa.int64())
    minutes = pc.cast(pc.if_else(pc.equal(mm, ""), "0", mm), pa.int64())
    total = pc.add(pc.multiply(hours, 60), minutes)
    total = pc.if_else(pc.equal(sign, "-"), pc.negate(total), total)
    return np.asarray(pc.fill_null(total, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def _is_invalid(verdict: Verdict) -> bool:
    return any(r.code is ReasonCode.INVALID_NUMBER for r in verdict.reasons)


class _Explainer:
    """The rows whose number is invalid: bulk gives them one generic verdict, ``check`` a message
    naming the number and why. Each is explained alone (they are few), from the texts of
    ``policy.invalid_number`` itself filled in per row; a number that parses but whose area code
    is not a US or Canadian one (rarer still) is decided by ``check``."""

    _TO, _WHY, _ROW, _NUMBER = "\x00to\x00", "\x00why\x00", "\x00row\x00", "\x00number\x00"

    def __init__(self, guard: Guard, *, path: str) -> None:
        from dncguard.policy import invalid_number

        self.guard, self.path = guard, path
        self.calls: pa.Table | None = None  # every call, for check (set once the file is read)
        template = invalid_number(self._TO, self._WHY)
        (reason,) = template.reasons
        self._message = reason.message
        self._junit = f"{reason.code.value} ({reason.jurisdiction}, {reason.rule}): "
        decision = Decision(allowed=False, reasons=template.reasons, exemptions=(), number=self._NUMBER)
        line = _json_line(0, decision).replace('"row": 0', f'"row": {json.dumps(self._ROW)}', 1)
        marks = {
            "row": json.dumps(self._ROW),
            "message": json.dumps(reason.message),
            "number": json.dumps(self._NUMBER),
        }
        self._order = sorted(marks, key=lambda name: line.index(marks[name]))
        self._json: list[str] = []
        for name in self._order:
            before, line = line.split(marks[name], 1)
            self._json.append(before)
        self._json.append(line)

    @staticmethod
    def _why(to: str) -> str | None:
        """Why the number as written does not parse (None: it parses)."""
        from dncguard.errors import InvalidNumberError
        from dncguard.numbers import parse_number

        try:
            parse_number(to)
        except InvalidNumberError as e:
            return e.why
        return None

    def explain(self, fmt: str, tos: Sequence[str], indices: Sequence[int]) -> list[str | None]:
        """The junit failure texts or json lines of invalid rows (0-based ``indices`` of the file,
        numbers ``tos`` as written); None where ``check`` must say (see :meth:`resolve`)."""
        out: list[str | None] = []
        for to, index in zip(tos, indices, strict=True):
            why = self._why(to)
            if why is None:
                out.append(None)
            elif fmt == "junit":
                out.append(_cdata(self._junit + self._message_of(to, why)))
            else:
                out.append(self._json_line(to, why, index))
        return out

    def resolve(self, fmt: str, index: int) -> str:
        """:meth:`explain` of row ``index`` by ``check``."""
        decision = self.decision(index)
        if fmt == "junit":
            return _cdata(_failure_lines(decision.reasons))
        return _json_line(index + 1, decision)

    def _message_of(self, to: str, why: str) -> str:
        return self._message.replace(repr(self._TO), repr(to)).replace(self._WHY, why)

    def decision(self, index: int) -> Decision:
        """``check``'s decision of row ``index`` (0-based)."""
        assert self.calls is not None
        record = self.calls.slice(index, 1).to_pylist()[0]
        call = _io.call_from_record(record, path=self.path, row=index + 1, defaults=_io.Defaults())
        return self.guard.check(call)

    def _json_line(self, to: str, why: str, index: int) -> str:
        values = {
            "row": str(index + 1),
            "message": json.dumps(self._message_of(to, why)),
            "number": json.dumps(to),
        }
        parts = [self._json[0]]
        for k, name in enumerate(self._order):
            parts += [values[name], self._json[k + 1]]
        return "".join(parts)


def _failure_lines(reasons: Sequence[Reason]) -> str:
    return "\n".join(f"{r.code.value} ({r.jurisdiction}, {r.rule}): {r.message}" for r in reasons)


class _Lines:
    """Builds the output of one format for slices of decided rows (see :meth:`lines`)."""

    def __init__(self, fmt: str, calls: pa.Table, explainer: _Explainer, path: str) -> None:
        self.fmt, self.calls, self.explainer, self.path = fmt, calls, explainer, path
        n = calls.num_rows
        self.row_width = len(str(n))
        self.width = pc.max(pc.utf8_length(calls.column("to"))).as_py() or 0
        self.escape_to = fmt == "junit" and _needs_escaping(calls.column("to"))
        self.blocked = 0  # set before head() (junit) and tail() are asked for
        self.classname = _attr(os.path.splitext(os.path.basename(path))[0])

    def head(self) -> str:
        if self.fmt != "junit":
            return ""
        n = self.calls.num_rows
        counts = f'tests="{n}" failures="{self.blocked}" errors="0" skipped="0"'
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="{_attr(PROG + " check")}" {counts}>\n'
            f'  <testsuite name="{_attr(self.path)}" {counts}>\n'
        )

    def tail(self) -> str:
        n = self.calls.num_rows
        if self.fmt == "text":
            return f"{n} calls: {n - self.blocked} allowed, {self.blocked} blocked\n"
        if self.fmt == "junit":
            return "  </testsuite>\n</testsuites>\n"
        return ""

    def lines(self, piece: _Piece, lo: int, hi: int) -> pa.Array:
        """The output of rows ``lo .. hi`` of ``piece`` (indices within it), one string a call."""
        verdicts = piece.verdicts
        inverse = piece.inverse[lo:hi]
        take = pa.array(inverse)
        start = piece.start + lo
        calls = self.calls.slice(start, hi - lo)
        to = calls.column("to").combine_chunks()
        allowed_v = np.array([v.allowed for v in verdicts], bool)
        allowed = allowed_v[inverse]
        next_at = np.where(allowed, np.int64(_no_next()), piece.next_at[lo:hi])
        rows = pa.array(np.arange(start + 1, start + 1 + (hi - lo), dtype=np.int64)).cast(pa.string())
        if self.fmt == "text":
            return self._text(verdicts, take, to, allowed, rows, next_at, calls)
        within = (piece.invalid >= lo) & (piece.invalid < hi)
        invalid = piece.invalid[within] - lo
        texts = piece.explained.result() if piece.explained is not None else [None] * len(piece.invalid)
        explained = [
            text if text is not None else self.explainer.resolve(self.fmt, start + int(i))
            for i, text in zip(invalid, itertools.compress(texts, within), strict=True)
        ]
        if self.fmt == "junit":
            return self._junit(
                verdicts, take, to, pa.array(allowed), rows, next_at, calls, invalid, explained
            )
        return self._json(verdicts, take, piece.numbers[lo:hi], rows, next_at, calls, invalid, explained)

    def _text(
        self,
        verdicts: Sequence[Verdict],
        take: pa.Array,
        to: pa.Array,
        allowed: npt.NDArray[np.bool_],
        rows: pa.Array,
        next_at: npt.NDArray[np.int64],
        calls: pa.Table,
    ) -> pa.Array:
        head = pc.if_else(pa.array(allowed), "ALLOWED  row ", "BLOCKED  row ")
        # What follows the number as written: for a blocked call, the spaces that pad it to the
        # file's widest number and its verdict's reasons; built once per (verdict, padding) met.
        pad = np.where(allowed, 0, self.width - np.asarray(pc.utf8_length(to), np.int64))
        keys = pa.array(np.asarray(take, np.int64) * (self.width + 1) + pad).dictionary_encode()
        reasons: dict[int, str] = {}  # per verdict here: a cache hit compares Reason models
        suffixes = []
        for key in keys.dictionary.to_pylist():
            verdict, spaces = divmod(key, self.width + 1)
            v = verdicts[verdict]
            if v.allowed:
                suffixes.append("")
                continue
            if verdict not in reasons:
                reasons[verdict] = _reason_text_of(v.reasons)
            suffixes.append(" " * spaces + "  " + reasons[verdict])
        when = _next_texts(
            next_at,
            calls.column("at").combine_chunks(),
            json_style=False,
            before="  next allowed ",
            after="\n",
            none="\n",
        )
        return pc.binary_join_element_wise(
            head,
            pc.utf8_rpad(rows, width=self.row_width, padding=" "),
            "  ",
            to,
            pc.take(_strings(suffixes), keys.indices),
            when,
            "",
        )

    def _junit(
        self,
        verdicts: Sequence[Verdict],
        take: pa.Array,
        to: pa.Array,
        allowed: pa.Array,
        rows: pa.Array,
        next_at: npt.NDArray[np.int64],
        calls: pa.Table,
        invalid: npt.NDArray[np.intp],
        explained: Sequence[str],
    ) -> pa.Array:
        opening, failure, closing, next_label = [], [], [], []
        for v in verdicts:
            codes = [r.code.value for r in v.reasons]
            if v.allowed:
                opening.append('" time="0" />\n')
                failure.append("")
                closing.append("")
            else:
                opening.append('" time="0">\n      <failure message="')
                kind = codes[0] if codes else "blocked"
                failure.append(_attr(f" blocked: {', '.join(codes)}") + f'" type="{_attr(kind)}">')
                closing.append("</failure>\n    </testcase>\n")
            next_label.append("\nnext allowed at " if v.reasons else "next allowed at ")
        # The failure's opening and text: per verdict, and per row for the invalid numbers.
        head = [
            f + (_cdata(_failure_lines(v.reasons)) if not v.allowed else "")
            for f, v in zip(failure, verdicts, strict=True)
        ]
        head += [
            failure[int(inverse)] + text
            for inverse, text in zip(np.asarray(take)[invalid], explained, strict=True)
        ]
        to_attr = _attr_column(to) if self.escape_to else to
        when = _next_texts(next_at, calls.column("at").combine_chunks(), json_style=False)
        when = pc.fill_null(pc.binary_join_element_wise(pc.take(_strings(next_label), take), when, ""), "")
        return pc.binary_join_element_wise(
            f'    <testcase classname="{self.classname}" name="row ',
            rows,
            ": ",
            to_attr,
            pc.take(_strings(opening), take),
            pc.if_else(allowed, "", to_attr),
            pc.take(_strings(head), _extended(take, invalid, len(verdicts))),
            when,
            pc.take(_strings(closing), take),
            "",
        )

    def _json(
        self,
        verdicts: Sequence[Verdict],
        take: pa.Array,
        numbers: npt.NDArray[np.uint64],
        rows: pa.Array,
        next_at: npt.NDArray[np.int64],
        calls: pa.Table,
        invalid: npt.NDArray[np.intp],
        explained: Sequence[str],
    ) -> pa.Array:
        templates = [_json_template(v) for v in verdicts]
        order = templates[0][0]
        pieces = [_strings([t[1][k] for t in templates]) for k in range(len(order) + 1)]
        when = _next_texts(
            next_at, calls.column("at").combine_chunks(), json_style=True, before='"', after='"', none="null"
        )
        slots = {
            "row": rows,
            "next_allowed_at": when,
            "number": pc.binary_join_element_wise('"+1', pa.array(numbers).cast(pa.string()), '"', ""),
        }
        index = take
        if len(invalid):
            # An invalid number's whole line (its message names the number) is the first piece.
            mask = np.zeros(len(numbers), bool)
            mask[invalid] = True
            blank = pa.array(mask)
            slots = {name: pc.if_else(blank, "", values) for name, values in slots.items()}
            pieces = [pa.concat_arrays([pieces[0], _strings(explained)])] + [
                pa.concat_arrays([p, _strings([""] * len(explained))]) for p in pieces[1:]
            ]
            index = _extended(take, invalid, len(verdicts))
        parts: list[Any] = [pc.take(pieces[0], index)]
        for k, name in enumerate(order):
            parts += [slots[name], pc.take(pieces[k + 1], index)]
        return pc.binary_join_element_wise(*parts, "")


def _extended(take: pa.Array, rows: npt.NDArray[np.intp], base: int) -> pa.Array:
    """``take`` with ``rows`` pointing past the ``base`` per-verdict entries, to their own."""
    if not len(rows):
        return take
    index = np.array(take, np.int32)
    index[rows] = base + np.arange(len(rows), dtype=np.int32)
    return pa.array(index)


_ESCAPED = np.zeros(256, bool)
_ESCAPED[[ord(c) for c in '&<>"\r\n\t']] = True


def _needs_escaping(values: pa.ChunkedArray) -> bool:
    """Whether any value holds a character an XML attribute escapes (a scan of the bytes)."""
    for chunk in values.chunks:
        data = chunk.buffers()[2]
        if data is not None and _ESCAPED[np.frombuffer(data, np.uint8)].any():
            return True
    return False


def _no_next() -> int:
    from dncguard import bulk

    return int(bulk.NO_NEXT)


def _json_line(row: int, decision: Decision) -> str:
    return json.dumps({"row": row, **decision.model_dump(mode="json")}) + "\n"


_SLOTS = ("row", "next_allowed_at", "number")


@functools.lru_cache(maxsize=4096)
def _json_template(verdict: Verdict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A verdict's JSON line split around the per-row values: (slot names in order, the text
    before, between and after them), from :func:`_json_line` itself."""
    marks = {name: f"\x00{name}\x00" for name in _SLOTS}
    decision = Decision(
        allowed=verdict.allowed,
        reasons=verdict.reasons,
        exemptions=verdict.exemptions,
        number="",
        jurisdictions=verdict.jurisdictions,
    )
    record: dict[str, Any] = {"row": marks["row"], **decision.model_dump(mode="json")}
    record["next_allowed_at"], record["number"] = marks["next_allowed_at"], marks["number"]
    text = json.dumps(record) + "\n"
    quoted = {name: json.dumps(mark) for name, mark in marks.items()}
    order = tuple(sorted(_SLOTS, key=lambda name: text.index(quoted[name])))
    between: list[str] = []
    for name in order:
        before, text = text.split(quoted[name], 1)
        between.append(before)
    between.append(text)
    return order, tuple(between)


@functools.lru_cache(maxsize=4096)
def _reason_text_of(reasons: tuple[Reason, ...]) -> str:
    return "; ".join(f"{r.code.value} [{r.jurisdiction}, {r.rule}]" for r in reasons)


class _Sink:
    """Writes text, and Arrow string arrays as their UTF-8 bytes, to a text stream."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        buffer = getattr(out, "buffer", None)
        encoding = getattr(out, "encoding", None) or ""
        utf8 = False
        if encoding:
            try:
                utf8 = codecs.lookup(encoding).name == "utf-8"
            except LookupError:
                utf8 = False
        self.buffer = buffer if utf8 and os.linesep == "\n" else None

    def text(self, text: str) -> None:
        if text:
            self.out.write(text)

    def lines(self, lines: pa.Array) -> None:
        if len(lines) == 0:
            return
        assert lines.null_count == 0
        if pa.types.is_large_string(lines.type):
            width: type[np.integer[Any]] = np.int64
        else:
            width = np.int32
        _, offsets_buf, data = lines.buffers()
        offsets = np.frombuffer(
            offsets_buf, width, count=len(lines) + 1, offset=lines.offset * np.dtype(width).itemsize
        )
        view = memoryview(data)[int(offsets[0]) : int(offsets[-1])]
        if self.buffer is None:
            self.out.write(bytes(view).decode("utf-8"))
            return
        self.out.flush()
        self.buffer.write(view)
        self.buffer.flush()


def _check_table(
    args: argparse.Namespace,
    *,
    path: str,
    defaults: _io.Defaults,
    out: TextIO,
    read: _ReadBatches | None = None,
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
    decided_all = False
    try:
        start = 0
        for decided in bulk.decide_batches(guard, tables, columns=False, **bulk_defaults):
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
                    writer = _PieceWriter(explainer, reader.wait(), fmt=fmt, path=path, out=out)
                writer.write(pieces[writer.pieces_written :])
        decided_all = True
    except StaleRegistryError as e:
        raise _stale_error(guard, reader.wait(), path, e) from None
    finally:
        if explaining is not None:
            explaining.shutdown(wait=False, cancel_futures=not decided_all)
    batches = reader.wait()
    progress.done()
    if writer is None:
        writer = _PieceWriter(explainer, batches, fmt=fmt, path=path, out=out)
    blocked = _blocked(pieces)
    writer.finish(pieces, blocked)
    return blocked


class _PieceWriter:
    """Writes decided pieces in order, formatted on two threads."""

    def __init__(
        self, explainer: _Explainer, batches: Sequence[_io.Batch], *, fmt: str, path: str, out: TextIO
    ) -> None:
        calls = pa.concat_tables([b.calls for b in batches], promote_options="default")
        self.fmt, self.path, self.out = fmt, path, out
        self.calls = explainer.calls = calls
        self.builder = _Lines(fmt, calls, explainer, path)
        self.sink = _Sink(out)
        self.pieces_written = 0
        self.rows_written = 0
        self.progress = _Progress()
        self.started = False

    def _start(self, blocked: int) -> None:
        if not self.started:
            self.started = True
            self.builder.blocked = blocked
            self.sink.text(self.builder.head())

    def write(self, pieces: Sequence[_Piece], blocked: int = 0) -> None:
        if not pieces:
            return
        self._start(blocked)
        slices = [
            (p, lo, min(lo + _FORMAT_ROWS, len(p.inverse)))
            for p in pieces
            for lo in range(0, len(p.inverse), _FORMAT_ROWS)
        ]
        with ThreadPoolExecutor(2, thread_name_prefix="dncguard-format") as pool:
            pending: collections.deque[Future[pa.Array]] = collections.deque()
            for piece, lo, hi in slices:
                pending.append(pool.submit(self.builder.lines, piece, lo, hi))
                if len(pending) > 2:
                    self._write(pending.popleft().result())
            while pending:
                self._write(pending.popleft().result())
        self.pieces_written += len(pieces)

    def _write(self, lines: pa.Array) -> None:
        self.sink.lines(lines)
        self.rows_written += len(lines)
        self.progress.show(f"{self.path}: wrote {self.rows_written:,} calls")

    def finish(self, pieces: Sequence[_Piece], blocked: int) -> None:
        if self.calls.num_rows == 0:
            write = {"text": _write_text, "json": _write_json, "junit": _write_junit}[self.fmt]
            write(_Outcomes(), self.path, self.out)
            return
        self._start(blocked)
        self.write(pieces[self.pieces_written :], blocked)
        self.builder.blocked = blocked
        self.sink.text(self.builder.tail())
        self.out.flush()
        self.progress.done()


def _cmd_scrub(args: argparse.Namespace) -> int:
    defaults = _defaults(args)
    path = _existing(args.input, "IN")
    if not _io.is_table_file(_output(args.output, "OUT")):
        raise UsageError(f"{args.output}: OUT must be a .csv or .parquet file")
    if not _io.is_table_file(path):
        with _collector_paused():
            records = _read_records(path, defaults)
            flat = _flat_batches(records)
        guard = _guard(args)
        if flat is not None:  # decided in bulk, as a CSV file of the same calls is
            verdicts = _flat_verdicts(guard, flat, path=path)
        else:  # nested evidence that scrub's flat columns cannot hold: decided call by call
            outcomes = _decide_records(guard, records, path=path)
            verdicts = _decision_columns([outcomes.decisions[i] for i in range(len(outcomes.rows))])
        with _io.OutputWriter(args.output) as writer:
            writer.write(_with_verdicts(_records_table(path), verdicts))
        return EXIT_OK
    guard = _guard(args)
    reader = _TableReader(path, defaults, keep=False)
    try:
        with _io.OutputWriter(args.output) as writer:
            _scrub_table(guard, reader, writer, path=path)
    finally:
        reader.close()
    return EXIT_OK


def _scrub_table(guard: Guard, reader: _TableReader, writer: _io.OutputWriter, *, path: str) -> None:
    """``scrub`` of a CSV / Parquet file: its batches are read (a thread), decided (``bulk``'s
    threads) and written at the same time, a few batches apart (bounded memory); each output
    row is its input row as read plus the decision columns."""
    from dncguard import bulk

    progress = _Progress()
    batches = iter(reader)
    first = next(batches)
    left_out, bulk_defaults = _left_out(first)
    fed: collections.deque[_io.Batch] = collections.deque()  # read, not yet written whole

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
    raw = raw.drop_columns([c for c in _io.DECISION_COLUMNS if c in raw.column_names])
    return pa.table([*raw.columns, *verdicts.columns], names=raw.column_names + verdicts.column_names)


def _records_table(path: str) -> pa.Table:
    """A JSON call file's records as text columns (nested values as JSON), as a CSV reads."""

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) or value is None else json.dumps(value)

    records = [rec for _, rec in _io.read_records(path)]
    names = list(dict.fromkeys(k for rec in records for k in rec))
    return pa.table({n: pa.array([text(rec.get(n)) for rec in records], pa.string()) for n in names})


# --- lookup / info ----------------------------------------------------------------------------


def _open_registry(path: str, flag: str) -> Registry:
    from dncguard.registry import Registry

    return Registry.open(_existing(path, flag))


def _cmd_lookup(args: argparse.Namespace) -> int:
    from dncguard.errors import InvalidNumberError

    registry = _open_registry(args.registry, "--registry")
    results: list[dict[str, Any]] = []
    for number in args.numbers:
        try:
            listings = registry.lookup(number)
        except InvalidNumberError as e:
            results.append({"number": number, "valid": False, "error": e.why, "lists": []})
            continue
        lists = [{"layer": x.layer.name, "on": x.on.isoformat() if x.on else None} for x in listings]
        results.append({"number": number, "valid": True, "lists": lists})
    if args.format == "json":
        for r in results:
            print(json.dumps(r))
        return EXIT_OK
    width = max(len(n) for n in args.numbers)
    for r in results:
        if not r["valid"]:
            text = f"invalid number: {r['error']}"
        elif not r["lists"]:
            text = "not listed"
        else:
            text = ", ".join(x["layer"] + (f" (requested {x['on']})" if x["on"] else "") for x in r["lists"])
        print(f"{r['number'].ljust(width)}  {text}")
    return EXIT_OK


def _ranges(codes: Iterable[int]) -> str:
    """``201, 202, 203, 205`` -> ``201-203, 205``."""
    out: list[str] = []
    run: list[int] = []
    for code in sorted(codes):
        if run and code == run[-1] + 1:
            run.append(code)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [code]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out)


def _freshness() -> tuple[dict[str, int], int | None, tuple[str, ...]]:
    """What ``info`` warns about, all from ``dncguard.jurisdictions`` (law lives there).

    The days a national copy stays fresh, by country; the days after which a state list is
    reported old (``us_states.STATE_LIST_WARN_DAYS``, RULES section 6.2); and the US states that
    keep their own lists.
    """
    from dncguard import jurisdictions
    from dncguard.jurisdictions import us_states

    rules = jurisdictions.JURISDICTIONS
    national = {code: j.fresh_days for code, j in rules.items() if j.is_country and j.fresh_days}
    state_days: int | None = us_states.STATE_LIST_WARN_DAYS
    list_states = tuple(code for code, j in rules.items() if not j.is_country and "state" in j.lists)
    return national, state_days, list_states


def _layer_info(layer: Layer, today: dt.date) -> dict[str, Any]:
    return {
        "name": layer.name,
        "kind": layer.kind,
        "jurisdiction": layer.jurisdiction,
        "seller": layer.seller,
        "obtained": layer.obtained.isoformat() if layer.obtained else None,
        "published": layer.published.isoformat() if layer.published else None,
        "age_days": (today - layer.obtained).days if layer.obtained else None,
        "area_codes": len(layer.area_codes),
        "coverage": _ranges(layer.area_codes),
        "count": layer.count,
    }


def _cmd_info(args: argparse.Namespace) -> int:
    registry = _open_registry(args.index, "INDEX")
    today = dt.date.today()
    national_days, state_days, list_states = _freshness()
    layers = [_layer_info(layer, today) for layer in registry.layers]
    warnings: list[str] = []
    for layer in registry.layers:
        limit = national_days.get(layer.jurisdiction or "") if layer.kind == "national" else None
        if limit is not None:
            old = {code: on for code, on in layer.area_codes.items() if (today - on).days > limit}
            if old:
                warnings.append(
                    f"{layer.name}: {len(old)} area code(s) obtained more than {limit} days ago "
                    f"({_ranges(old)}; oldest {min(old.values()).isoformat()}): "
                    "calls to them are blocked as stale until you download them again"
                )
        elif (
            layer.kind == "state"
            and state_days is not None
            and layer.obtained
            and (today - layer.obtained).days > state_days
        ):
            warnings.append(
                f"{layer.name}: obtained {layer.obtained.isoformat()}, more than {state_days} days ago: "
                "download the current list"
            )
    loaded = {layer.jurisdiction for layer in registry.layers if layer.kind == "state"}
    missing = [s for s in list_states if s not in loaded]
    if missing:
        warnings.append(f"state lists not loaded: {', '.join(missing)}")
    size = os.path.getsize(args.index)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "index": args.index,
                    "id": registry.id,
                    "size": size,
                    "today": today.isoformat(),
                    "layers": layers,
                    "warnings": warnings,
                },
                indent=2,
            )
        )
        return EXIT_OK
    print(f"{args.index}: {registry.id}, {size:,} bytes, {len(layers)} layer(s), checked {today.isoformat()}")
    header = ("layer", "kind", "obtained", "age", "count", "coverage")
    rows = [
        (
            x["name"],
            x["kind"],
            x["obtained"] or "-",
            f"{x['age_days']}d" if x["age_days"] is not None else "-",
            f"{x['count']:,}",
            f"{x['area_codes']} area codes: {x['coverage']}" if x["area_codes"] else "-",
        )
        for x in layers
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    for w in warnings:
        print(f"warning: {w}")
    return EXIT_OK
