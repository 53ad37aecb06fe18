"""``dncguard ledger verify|head|export``: the call ledger from the command line.

``add_parser(subparsers)`` adds the ``ledger`` command to the command line's subparsers;
``run(args)`` runs it and returns the exit code: ``verify`` exits 0 when the ledger is intact,
1 when it was tampered with (the first bad entry is named), 2 on bad input (a missing file, a
file that is not a ledger, a malformed ``--anchor``).

>>> import argparse, contextlib, io, os, tempfile
>>> parser = argparse.ArgumentParser(prog="dncguard")
>>> add_parser(parser.add_subparsers(dest="command"))
>>> path = os.path.join(tempfile.mkdtemp(), "calls.ledger")
>>> Ledger(path).close()
>>> with contextlib.redirect_stdout(io.StringIO()) as out:
...     code = run(parser.parse_args(["ledger", "verify", path]))
>>> code, out.getvalue().strip()
(0, 'intact: 0 entries verified')
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
from typing import Any

from dncguard.errors import DncguardError
from dncguard.ledger import Ledger

__all__ = ["add_parser", "neutralise_formulas", "parse_anchor", "run"]

EXIT_OK = 0
EXIT_TAMPERED = 1
EXIT_BAD_INPUT = 2
PROG = "dncguard"

_DESCRIPTION = """\
The call ledger: a tamper-evident record of decisions and placed calls (one SQLite file).

  verify PATH [--anchor SEQ:DIGEST]   recompute every entry's digest; exit 0 intact, 1 tampered
                                      (the first bad entry is named), 2 bad input. With --anchor
                                      (a head kept elsewhere), also prove entry SEQ still has
                                      DIGEST and the ledger was not cut back before it.
  head PATH                           print the last entry as SEQ:DIGEST (keep it elsewhere as an
                                      anchor), then when it was recorded
  export PATH OUT [--since] [--until] write the entries to OUT.parquet or OUT.csv
"""


def add_parser(subparsers: Any) -> None:
    """Add ``ledger`` (with ``verify``, ``head``, ``export``) to an argparse subparsers object."""
    p = subparsers.add_parser(
        "ledger",
        help="verify, show the head of, or export a call ledger",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="ledger_command", metavar="LEDGER_COMMAND", required=True)

    v = sub.add_parser("verify", help="check the hash chain (exit 0 intact, 1 tampered, 2 bad input)")
    v.add_argument("path", metavar="PATH", help="the ledger file")
    v.add_argument(
        "--anchor",
        metavar="SEQ:DIGEST",
        help="a head kept elsewhere (as printed by `dncguard ledger head`): entry SEQ must still "
        "have DIGEST, and the ledger must still reach it",
    )

    h = sub.add_parser("head", help="print the last entry as SEQ:DIGEST")
    h.add_argument("path", metavar="PATH", help="the ledger file")

    e = sub.add_parser(
        "export",
        help="write the entries to a .parquet or .csv file",
        description="Write one row per entry (seq, recorded_at, placed, to, number, at, seller, "
        "purpose, allowed, reason, reasons, next_allowed_at, digest, previous, call, decision) to "
        "OUT, atomically. In CSV, reasons are joined by ';', times are ISO 8601 UTC, and a cell "
        "that a spreadsheet would read as a formula gets a leading apostrophe.",
    )
    e.add_argument("path", metavar="PATH", help="the ledger file")
    e.add_argument("out", metavar="OUT", help="OUT.parquet or OUT.csv")
    e.add_argument(
        "--since",
        metavar="DATE",
        help="entries recorded on or after DATE (YYYY-MM-DD, UTC; or an ISO datetime with offset)",
    )
    e.add_argument(
        "--until",
        metavar="DATE",
        help="entries recorded up to the end of DATE (YYYY-MM-DD, UTC; an ISO datetime with "
        "offset is exclusive)",
    )
    p.set_defaults(run=run)


class _BadInput(DncguardError, ValueError):
    """A command-line argument that cannot be used (exit 2)."""


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:DIGEST`` as printed by ``dncguard ledger head``.

    >>> parse_anchor("12:" + "ab" * 32)[0]
    12
    >>> parse_anchor("12:abc")
    Traceback (most recent call last):
    ...
    dncguard.ledger_cli._BadInput: --anchor '12:abc': expected SEQ:DIGEST, ...
    """
    m = re.fullmatch(r"\s*([0-9]+)\s*:\s*([0-9a-fA-F]{64})\s*", text)
    if m is None or int(m.group(1)) < 1:
        raise _BadInput(
            f"--anchor {text!r}: expected SEQ:DIGEST, a seq from 1 and the 64-hex-digit digest "
            "as printed by `dncguard ledger head`"
        )
    return int(m.group(1)), m.group(2).lower()


def _when(text: str | None, flag: str, *, end_of_day: bool) -> dt.datetime | None:
    if text is None:
        return None
    s = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            day = dt.datetime.combine(dt.date.fromisoformat(s), dt.time(), dt.UTC)
            return day + dt.timedelta(days=1) if end_of_day else day
        value = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise _BadInput(
            f"{flag} {text!r}: expected a date (YYYY-MM-DD, read in UTC) or an ISO datetime with "
            "a UTC offset, e.g. 2026-03-16T14:00:00-04:00"
        )
    return value


_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(value: str | None) -> str | None:
    """A CSV cell made safe for spreadsheets (OWASP "CSV injection"): a cell starting with
    ``= + - @``, a tab or a carriage return gets a leading apostrophe, unless it is a plain
    number such as ``+12125550143``.

    >>> neutralise_formulas("=HYPERLINK(1)"), neutralise_formulas("+12125550143")
    ("'=HYPERLINK(1)", '+12125550143')
    >>> neutralise_formulas("+1 212 555 0143"), neutralise_formulas("acme")
    ("'+1 212 555 0143", 'acme')
    """
    if value is None or not value.startswith(_FORMULA_START) or _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def _csv_batch(batch: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    columns, names = [], []
    for name, values in zip(batch.schema.names, batch.columns, strict=True):
        if pa.types.is_list(values.type):
            values = pc.binary_join(values, ";")
        elif pa.types.is_timestamp(values.type):
            values = pa.array(
                [None if t is None else t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for t in values.to_pylist()],
                pa.string(),
            )
        if pa.types.is_string(values.type):
            values = pa.array([neutralise_formulas(v) for v in values.to_pylist()], pa.string())
        columns.append(values)
        names.append(name)
    return pa.RecordBatch.from_arrays(columns, names=names)


def _export(ledger: Ledger, out: str, since: dt.datetime | None, until: dt.datetime | None) -> int:
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    suffix = os.path.splitext(out)[1].lower()
    if suffix not in (".parquet", ".csv"):
        raise _BadInput(f"{out}: OUT must end in .parquet or .csv")
    folder = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix=".dncguard-", suffix=suffix, dir=folder)
    os.close(fd)
    rows = 0
    writer: Any = None
    try:
        for batch in ledger.arrow_batches(since, until):
            rows += batch.num_rows
            if suffix == ".csv":
                batch = _csv_batch(batch)
                if writer is None:
                    writer = pa_csv.CSVWriter(tmp, batch.schema)
            elif writer is None:
                writer = pq.ParquetWriter(tmp, batch.schema)
            writer.write_batch(batch)
        if writer is None:  # no entries: the columns still
            empty = ledger.to_arrow(since, until)
            if suffix == ".csv":
                names = empty.schema.names
                empty = pa.table({n: pa.array([], pa.string()) for n in names})
                pa_csv.write_csv(empty, tmp)
            else:
                pq.write_table(empty, tmp)
        else:
            writer.close()
        os.replace(tmp, out)
    except BaseException:
        if writer is not None:
            writer.close()
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return rows


def run(args: argparse.Namespace) -> int:
    """Run ``dncguard ledger ...`` from parsed arguments; return the exit code."""
    try:
        return _run(args)
    except (DncguardError, ValueError, OSError) as e:
        message = f"{e.filename}: {e.strerror or e}" if isinstance(e, OSError) and e.filename else str(e)
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _run(args: argparse.Namespace) -> int:
    command = args.ledger_command
    anchor = parse_anchor(args.anchor) if command == "verify" and args.anchor is not None else None
    since = until = None
    if command == "export":
        since = _when(args.since, "--since", end_of_day=False)
        until = _when(args.until, "--until", end_of_day=True)
    with Ledger(args.path, create=False) as ledger:
        if command == "verify":
            report = ledger.verify(anchor=anchor)
            if report.ok:
                anchored = f"; entry {anchor[0]} has the anchored digest" if anchor else ""
                print(f"intact: {report.message}{anchored}")
                return EXIT_OK
            print(
                f"TAMPERED: {report.message} (first bad entry: {report.first_bad_seq}; "
                f"{report.entries} entries before it verified)"
            )
            return EXIT_TAMPERED
        if command == "head":
            head = ledger.head()
            if head is None:
                print("the ledger is empty")
            else:
                print(f"{head.seq}:{head.digest}")
                print(f"recorded_at {head.recorded_at.isoformat()}")
            return EXIT_OK
        rows = _export(ledger, args.out, since, until)
        print(f"{rows} entries written to {args.out}", file=sys.stderr)
        return EXIT_OK
