"""Argument parsing: the ``dncguard`` parser, its subcommands, and :func:`main`."""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from collections.abc import Callable, Sequence
from typing import Any, get_args

from dncguard.cli._build import _cmd_build, _cmd_update
from dncguard.cli._check import _cmd_check
from dncguard.cli._common import EXIT_BAD_INPUT, EXIT_OK, PROG, _describe, _error
from dncguard.cli._info import _cmd_info, _cmd_lookup
from dncguard.cli._report import FORMATS
from dncguard.cli._scrub import _cmd_scrub
from dncguard.errors import DncguardError
from dncguard.models import Purpose

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
        choices=FORMATS,
        default="text",
        help="text: the blocked calls, a legend of citations and a summary (default); json: a JSON "
        "array, an object per call with its row and full decision; jsonl: the same objects, one a "
        "line; junit: JUnit XML, a blocked call is a failed test case",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="list every call, the allowed ones with the exemption that allowed them (text, junit)",
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
