"""Argument parsing: the ``dncguard`` parser, its subcommands, and :func:`main`."""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from collections.abc import Callable, Sequence
from typing import Any, get_args

import pyarrow as pa

from dncguard import __version__, ledger_cli
from dncguard.cli._build import _cmd_build, _cmd_update, add_history_flag
from dncguard.cli._check import _cmd_check
from dncguard.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    PROG,
    _array_memory,
    _arrow_memory,
    _describe,
    _error,
)
from dncguard.cli._info import _cmd_info, _cmd_lookup
from dncguard.cli._ledger import add_ledger_flag
from dncguard.cli._replay import add_parser as _add_replay
from dncguard.cli._report import FORMATS
from dncguard.cli._scrub import _cmd_scrub
from dncguard.errors import DncguardError
from dncguard.models import Purpose

# --- arguments --------------------------------------------------------------------------------


class _SourceAction(argparse.Action):
    """Collect every source flag, in command-line order, as ``(kind, value, options)`` in
    ``sources``; ``options`` collects the source options that follow it (:class:`_SourceOption`)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        items = list(getattr(namespace, self.dest, None) or [])
        items.append((self.const, values, {}))
        setattr(namespace, self.dest, items)


class _SourceOption(argparse.Action):
    """A source option (``--area-codes``, ``--published``, ``--number-column``): it qualifies
    the source flag just before it, which must be one of the kinds in ``const``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        kinds: tuple[str, ...] = self.const
        flags = ", ".join("--" + k.replace("_", "-") for k in kinds)
        items = getattr(namespace, "sources", None) or []
        if not items:
            parser.error(f"{option_string} qualifies the source flag before it: write it after {flags}")
        kind, spec, options = items[-1]
        if kind not in kinds:
            parser.error(
                f"{option_string} qualifies the source flag before it, which must be one of {flags}; "
                f"--{kind.replace('_', '-')} {spec} takes no {option_string}"
            )
        if self.dest in options:
            parser.error(f"{option_string} given twice for --{kind.replace('_', '-')} {spec}")
        options[self.dest] = values


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
    g = p.add_argument_group(
        "source options (each follows the source flag it qualifies, e.g. "
        "--ftc ftc.zip@2026-03-10 --area-codes 212,646)"
    )
    options = [
        (
            "--area-codes",
            ("ftc", "ftc_changes", "dncl"),
            "LIST",
            "the area codes the download covers, comma-separated (default: from member names such "
            "as 212.txt, else from the data)",
        ),
        ("--published", ("state",), "DATE", "the day the state issued its list, YYYY-MM-DD"),
        (
            "--number-column",
            ("state", "internal"),
            "NAME",
            "the phone-number column of a state or internal list (default: the column named like "
            "number, phone, telephone or tel)",
        ),
    ]
    for flag, kinds, metavar, text in options:
        g.add_argument(flag, action=_SourceOption, const=kinds, metavar=metavar, help=text)


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
        "--missing-state-lists",
        choices=("block", "allow"),
        help="a call a state's own list would govern, that list not loaded: block (default, with "
        "state_list_not_loaded) or allow",
    )
    g.add_argument(
        "--jurisdictions",
        metavar="LIST",
        help="comma-separated rule sets to apply, in any case, e.g. US,CA (default: all known)",
    )


def _add_index_args(p: argparse.ArgumentParser) -> None:
    """The index of ``update`` and ``info``: ``INDEX``, or ``--registry INDEX`` as every command
    that reads an index takes it (see ``_common._index_path``)."""
    p.add_argument("index", metavar="INDEX", nargs="?", help="the index file (or --registry INDEX)")
    p.add_argument("--registry", metavar="INDEX", help="the index file, as the other commands take it")


_CHECK_DESCRIPTION = """\
Decide every call in CALLS. Exit 0 if all are allowed, 1 if any is blocked, 2 on bad input
(a message names the file, the data row and the field). The report is written as the calls are
decided: a bad row far into a large file stops a text or jsonl report part way, so read the
exit code.

Fields (JSON keys, or CSV/Parquet columns by name): to, at (ISO 8601 with a UTC offset), seller,
caller, purpose, line, prerecorded, callee_region, callee_timezone, reassigned_on; evidence as
the flat columns last_purchase, last_inquiry, contract_on, contract_ends, consent_kind,
consent_on, consent_revoked_on, dnc_requested_on, last_donation, membership_on, membership_ends
(the call's seller's), or in JSON also as the lists relationships, consents and
dnc_requests. Other columns are ignored.

CSV and Parquet files are decided in bulk, and every call is explained from the answer for its
combination of facts (the same text a check of the call gives); JSON files, which may nest
evidence, are decided call by call.
"""


def _version() -> str:
    """``--version``: the version, then whether each optional C extension was built (without
    one, the work it does is done in Python: the same results, more slowly or in more memory)."""
    from dncguard import _arraymem
    from dncguard._ledger import _chain

    def said(built: bool) -> str:
        return "built" if built else "not built"

    return (
        f"{PROG} {__version__}\n"
        f"optional C extensions: ledger {said(_chain.COMPILED)}, array memory {said(_arraymem.available())}"
        " (built at install where a C compiler is found; the ledger's also needs OpenSSL's headers)"
    )


class _Version(argparse.Action):
    """``--version``, written as :func:`_version` gives it (argparse's own rewraps the text)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        sys.stdout.write(_version() + "\n")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Local, exact, explainable Do-Not-Call compliance for US and Canadian calls.",
        epilog="Exit codes: 0 ok / all calls allowed, 1 a call is blocked (check) or a national "
        "list is stale (info), 2 bad input.",
    )
    parser.add_argument(
        "--version", action=_Version, help="print the version and which optional C extensions are built"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("build", help="build an index from registry downloads")
    p.add_argument("out", metavar="OUT", help="the index file to write (atomically)")
    _add_source_flags(p)
    add_history_flag(p)
    p.set_defaults(run=_cmd_build)

    p = sub.add_parser("update", help="apply change lists and replacements to an index in place")
    _add_index_args(p)
    _add_source_flags(p)
    add_history_flag(p)
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
    add_ledger_flag(p)
    p.set_defaults(run=_cmd_check, keep_array_blocks=True)

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
    add_ledger_flag(p)
    p.set_defaults(run=_cmd_scrub, keep_array_blocks=True)

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

    p = sub.add_parser(
        "info",
        help="an index's lists, dates, coverage, counts and freshness",
        description="Show INDEX's lists, dates, coverage and counts, and warn about stale lists. "
        "Exit 1 when a national list is too old for an area code it covers (calls to it are "
        "blocked), so `dncguard info INDEX && dial` works; else 0.",
    )
    _add_index_args(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--on",
        metavar="DATE",
        help="judge freshness on this day (YYYY-MM-DD, e.g. the day of the calls) instead of today",
    )
    p.set_defaults(run=_cmd_info)

    ledger_cli.add_parser(sub)
    _add_replay(sub)
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
        with _arrow_memory(), _array_memory(args):
            return run(args)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, without a second error on exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (DncguardError, ValueError, OSError, zipfile.BadZipFile, pa.ArrowException) as e:
        _error(_describe(e))
        return EXIT_BAD_INPUT
    except RecursionError:  # input nested past Python's limit: bad input, never exit 1
        _error("input nested too deeply to read")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
