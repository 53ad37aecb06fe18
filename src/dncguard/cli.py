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
import dataclasses
import datetime as dt
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO, get_args

import pyarrow as pa

from dncguard import _io
from dncguard.errors import DncguardError, StaleRegistryError
from dncguard.models import Call, Decision, Purpose

if TYPE_CHECKING:
    from dncguard.guard import Guard
    from dncguard.layers import Chunk, Layer
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

CSV and Parquet files are decided in bulk, then the text and junit formats explain each blocked
call; json explains every call, one check each.
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
    return f"wrote {path}: {layers or 'no layers'}"


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
    progress.show(f"opening {args.index} ...", force=True)
    registry = Registry.open(_existing(args.index, "INDEX")).update(sources)
    progress.show(f"writing {args.index} ...", force=True)
    registry.save(args.index)
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


def _decide_records(guard: Guard, records: _Records, *, path: str) -> _Outcomes:
    """Decide JSON records with ``check_many`` (they may carry nested evidence ``scrub`` cannot)."""
    decisions = _check_calls(guard, records.calls, records.rows, path=path)
    allowed = [d.allowed for d in decisions]
    return _Outcomes(records.rows, records.tos, allowed, dict(enumerate(decisions)))


def _read_table(path: str, defaults: _io.Defaults) -> list[_io.Batch]:
    """A CSV / Parquet call file, read and checked in full before anything is decided."""
    progress = _Progress()
    batches = []
    for batch in _io.read_table_batches(path, defaults=defaults):
        batches.append(batch)
        progress.show(f"{path}: read {batch.first_row + batch.calls.num_rows - 1:,} rows")
    return batches


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


def _verdicts(
    guard: Guard, batch: _io.Batch, *, path: str, bulk: bool = True
) -> tuple[pa.Table, dict[int, Decision]]:
    """Decide a batch: the scrub columns, and the full decisions already at hand (by batch index).

    With ``Guard.scrub`` (and ``bulk``) the batch is decided in bulk and no decision objects
    exist; otherwise each call is checked and every decision is returned.
    """
    scrub = getattr(guard, "scrub", None) if bulk else None
    if scrub is not None:
        try:
            out = scrub(batch.calls)
        except StaleRegistryError as e:
            # Name the file's first such row: the batch's calls, one by one, find it.
            rows, calls = _batch_calls(batch, path=path)
            _check_calls(guard, calls, rows, path=path)
            raise StaleRegistryError(f"{path}: {e}") from None
        columns = [
            out.column(name).cast(field.type)
            for name, field in zip(_io.DECISION_COLUMNS, _io.DECISION_SCHEMA, strict=True)
        ]
        return pa.table(columns, schema=_io.DECISION_SCHEMA), {}
    rows, calls = _batch_calls(batch, path=path)
    decisions = _check_calls(guard, calls, rows, path=path)
    return _decision_columns(decisions), dict(enumerate(decisions))


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


def _decide_table(
    guard: Guard, batches: Sequence[_io.Batch], *, path: str, explain_allowed: bool
) -> _Outcomes:
    """Decide CSV / Parquet batches in bulk; explain blocked calls (all: ``explain_allowed``) one by one."""
    progress = _Progress()
    outcomes = _Outcomes()
    for batch in batches:
        # Explaining every call takes a check per call anyway: bulk would only add work.
        verdicts, known = _verdicts(guard, batch, path=path, bulk=not explain_allowed)
        allowed: list[bool] = verdicts.column("allowed").to_pylist()
        wanted = [i for i, ok in enumerate(allowed) if (explain_allowed or not ok) and i not in known]
        if wanted:
            rows, calls = _batch_calls(batch, path=path, indices=wanted)
            known.update(zip(wanted, _check_calls(guard, calls, rows, path=path), strict=True))
        offset = len(outcomes.rows)
        outcomes.rows.extend(range(batch.first_row, batch.first_row + batch.calls.num_rows))
        outcomes.tos.extend(batch.calls.column("to").to_pylist())
        outcomes.allowed.extend(allowed)
        outcomes.decisions.update((offset + i, d) for i, d in known.items())
        progress.show(f"{path}: decided {len(outcomes.rows):,} calls")
    progress.done()
    return outcomes


def _cmd_check(args: argparse.Namespace) -> int:
    defaults = _defaults(args)
    path = _existing(args.calls, "CALLS")
    if _io.is_table_file(path):
        batches = _read_table(path, defaults)
        guard = _guard(args)
        outcomes = _decide_table(guard, batches, path=path, explain_allowed=args.format == "json")
    else:
        records = _read_records(path, defaults)
        outcomes = _decide_records(_guard(args), records, path=path)
    write = {"text": _write_text, "json": _write_json, "junit": _write_junit}[args.format]
    write(outcomes, path, sys.stdout)
    return EXIT_BLOCKED if outcomes.blocked else EXIT_OK


def _reason_text(decision: Decision) -> str:
    return "; ".join(f"{r.code.value} [{r.jurisdiction}, {r.rule}]" for r in decision.reasons)


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


def _cmd_scrub(args: argparse.Namespace) -> int:
    defaults = _defaults(args)
    path = _existing(args.input, "IN")
    if not _io.is_table_file(_output(args.output, "OUT")):
        raise UsageError(f"{args.output}: OUT must be a .csv or .parquet file")
    if not _io.is_table_file(path):
        # JSON may hold nested evidence that scrub's flat columns cannot: decide call by call.
        records = _read_records(path, defaults)
        outcomes = _decide_records(_guard(args), records, path=path)
        decisions = [outcomes.decisions[i] for i in range(len(outcomes.rows))]
        with _io.OutputWriter(args.output) as writer:
            writer.write(_with_verdicts(_records_table(path), _decision_columns(decisions)))
        return EXIT_OK
    guard = _guard(args)
    progress = _Progress()
    done = 0
    with _io.OutputWriter(args.output) as writer:
        for batch in _io.read_table_batches(path, defaults=defaults):
            verdicts, _ = _verdicts(guard, batch, path=path)
            writer.write(_with_verdicts(batch.raw, verdicts))
            done += batch.calls.num_rows
            progress.show(f"{path}: scrubbed {done:,} rows")
    progress.done()
    return EXIT_OK


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
                    "size": size,
                    "today": today.isoformat(),
                    "layers": layers,
                    "warnings": warnings,
                },
                indent=2,
            )
        )
        return EXIT_OK
    print(f"{args.index}: {size:,} bytes, {len(layers)} layer(s), checked {today.isoformat()}")
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
