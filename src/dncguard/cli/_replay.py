"""``dncguard replay``: re-decide a call ledger's entries with today's rules against the registry
version each was decided on, and list the entries whose answer changes."""

from __future__ import annotations

import argparse
import json
from typing import Any

from dncguard.cli._common import EXIT_BAD_INPUT, EXIT_OK, _error, _existing, _open_registry

__all__ = ["EXIT_CHANGED", "add_parser"]

EXIT_CHANGED = 1

_DESCRIPTION = """\
Decide every entry of the call ledger LEDGER again, with this version of dncguard's rules, against
the registry version the entry was decided on (kept in INDEX's history), and list the entries
whose answer changes: allowed <-> blocked, or a different set of reason codes, with both answers.

The ledger is verified first (as `dncguard ledger verify`): a ledger that does not verify is not
replayed. Frequency caps count the calls LEDGER recorded as placed before each entry.

Exit 0 when no answer changes, 1 when some do, 2 on bad input: a missing or unreadable file, a
ledger that does not verify, or entries that cannot be replayed (decided without a registry id,
or on a version older than the history INDEX keeps), which are listed too.
"""


def add_parser(subparsers: Any) -> None:
    """Add ``replay`` to the command line's subparsers."""
    p = subparsers.add_parser(
        "replay",
        help="re-decide a call ledger with today's rules; list the answers that change",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--registry", required=True, metavar="INDEX", help="the index file, with its history")
    p.add_argument("ledger", metavar="LEDGER", help="the call ledger (SQLite file)")
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: a line per changed entry (default); json: a JSON object per line",
    )
    p.set_defaults(run=_cmd_replay)


def _cmd_replay(args: argparse.Namespace) -> int:
    from dncguard.guard import Guard
    from dncguard.ledger import Ledger

    registry = _open_registry(args.registry, "--registry")
    with Ledger(_existing(args.ledger, "LEDGER"), create=False) as ledger:
        # a changed ledger's entries prove nothing: replay verifies the guard's ledger first and
        # refuses one that does not verify (CorruptLedgerError, exit 2) before any is read
        entries = 0

        def counted() -> Any:
            nonlocal entries
            for entry in ledger.entries():
                entries += 1
                yield entry

        # the ledger's placed calls count toward frequency caps, as when each entry was decided
        table = Guard(registry, ledger=ledger).replay(counted())
    rows = table.to_pylist()
    changed = [r for r in rows if r["problem"] is None]
    problems = [r for r in rows if r["problem"] is not None]
    for r in rows:
        if args.format == "json":
            out = dict(r)
            out["at"] = r["at"].isoformat() if r["at"] is not None else None
            print(json.dumps(out))
        elif r["problem"] is not None:
            print(f"{r['seq']}  {r['number']}  {_when(r)}  cannot replay: {r['problem']}")
        else:
            print(
                f"{r['seq']}  {r['number']}  {_when(r)}  {_answer(r['old_allowed'], r['old_reasons'])}"
                f" -> {_answer(r['new_allowed'], r['new_reasons'])}"
            )
    if args.format == "text":
        print(
            f"{entries:,} entries replayed: {len(changed):,} changed, {len(problems):,} could not be replayed"
        )
    if problems:
        first = problems[0]
        _error(
            f"{args.ledger}: {len(problems):,} entries cannot be replayed (first: entry {first['seq']}, "
            f"{first['problem']}); for a version older than the history kept, update the index with a "
            "longer keep_history"
        )
        return EXIT_BAD_INPUT
    return EXIT_CHANGED if changed else EXIT_OK


def _when(r: dict[str, Any]) -> str:
    return r["at"].isoformat() if r["at"] is not None else "-"


def _answer(allowed: bool, reasons: list[str]) -> str:
    return ("allowed" if allowed else "blocked") + (f" ({', '.join(reasons)})" if reasons else "")
