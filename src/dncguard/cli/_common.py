"""What every command shares: exit codes, messages, the progress line, path checks and the
meaning of the flags shared by ``check`` and ``scrub`` (call defaults, the Guard's options).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import stat
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dncguard.cli._callfile import Defaults
from dncguard.cli._filetypes import at_out_of_range
from dncguard.errors import StaleRegistryError, UsageError
from dncguard.models import AT_RANGE_WORDS

if TYPE_CHECKING:
    from dncguard.guard import Guard
    from dncguard.registry import Registry

PROG = "dncguard"


EXIT_OK, EXIT_BLOCKED, EXIT_BAD_INPUT = 0, 1, 2


@contextlib.contextmanager
def _arrow_memory() -> Iterator[None]:
    """Arrow's buffers allocated with jemalloc while a command runs, where pyarrow has it and the
    user has not chosen an allocator (``ARROW_DEFAULT_MEMORY_POOL``); the previous default is
    restored after.

    ``check`` and ``scrub`` allocate and drop buffers of tens of megabytes per batch (columns,
    report lines). pyarrow's default allocator (mimalloc) hands such blocks back to the system
    when they are freed, so each new batch faults its pages in again: on the project's machine
    that doubled the system time of ``check --format jsonl`` (1.0 against 2.0-2.3 CPU seconds a
    million calls). jemalloc keeps them for reuse a moment (Arrow's decay), which keeps the
    command's memory as flat as before.
    """
    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without it (Windows): its default serves
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


KEEP_ARRAYS_VARIABLE = "DNCGUARD_KEEP_ARRAYS"


def _array_memory(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """numpy's large blocks kept for reuse while ``check`` or ``scrub`` runs (their memory then
    stays flat however long the file: see :mod:`dncguard._arraymem`); other commands as they are.
    ``DNCGUARD_KEEP_ARRAYS=0`` leaves numpy's own allocator in place (``1``, the default, or
    unset: kept); any other value stops the command."""
    from dncguard._arraymem import kept_blocks

    text = os.environ.get(KEEP_ARRAYS_VARIABLE, "").strip()
    if text not in ("", "0", "1"):
        raise UsageError(
            f"{KEEP_ARRAYS_VARIABLE}={text!r}: expected 0 (numpy's own allocator) or 1 (large arrays"
            " kept for reuse, the default)"
        )
    if not getattr(args, "keep_array_blocks", False) or text == "0":
        return contextlib.nullcontext()
    return kept_blocks()


def _describe(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {e.strerror or e}"
    if isinstance(e, StaleRegistryError):
        return f"{e} (--on-stale raise)"
    return str(e) or type(e).__name__


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(message: str) -> str:
    """``message`` with its control characters escaped (``\\r``, ``\\x1b``): a message quoting
    the input stays one line, and an escape sequence in a call file never reaches the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], message)


def _error(message: str) -> None:
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr)


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


def _existing(path: str, flag: str) -> str:
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file ({flag})")
    return path


def _call_file(path: str, flag: str) -> str:
    """An existing regular file to read calls from. A FIFO, a device or ``/dev/stdin`` is
    refused by name, never opened: a call file is read more than once (its header, then its
    rows; a bad row again to name it), and a second read of a pipe would wait forever."""
    _existing(path, flag)
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return path
    if stat.S_ISDIR(mode):
        raise UsageError(f"{path}: is a directory, not a call file ({flag})")
    what = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    raise UsageError(
        f"{path}: is not a regular file ({what}) ({flag}): a call file is read more than once; "
        "save the calls to a file and give that file"
    )


def _output(path: str, flag: str) -> str:
    """An output path whose directory exists (the file is written beside it, then renamed)."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"{path}: no such directory {directory} ({flag})")
    return path


# --- check / scrub ----------------------------------------------------------------------------


def _defaults(args: argparse.Namespace) -> Defaults:
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
        if at_out_of_range(at):
            raise UsageError(f"--at {args.at!r}: out of range: {AT_RANGE_WORDS}")
    if args.seller is not None and not args.seller.strip():
        raise UsageError("--seller: name the party on whose behalf the calls are made")
    return Defaults(at=at, seller=args.seller, purpose=args.purpose)


def _guard(args: argparse.Namespace) -> Guard:
    from dncguard.guard import Guard
    from dncguard.registry import Registry

    registry = Registry.open(_existing(args.registry, "--registry"))
    options: dict[str, Any] = {}
    if args.on_stale:
        options["on_stale"] = args.on_stale
    if args.ebr_anniversary:
        options["ebr_anniversary"] = args.ebr_anniversary
    if args.missing_state_lists:
        options["missing_state_lists"] = args.missing_state_lists
    if args.jurisdictions:  # in any case, as --state's REGION
        options["jurisdictions"] = tuple(
            j.strip().upper() for j in args.jurisdictions.split(",") if j.strip()
        )
    try:
        return Guard(registry, **options)
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from None


# --- lookup / info ----------------------------------------------------------------------------


def _index_path(args: argparse.Namespace) -> str:
    """The index of ``update`` / ``info``: the positional ``INDEX`` or ``--registry INDEX``
    (both: the same file, else a usage error)."""
    given = [p for p in (args.index, args.registry) if p is not None]
    if not given:
        raise UsageError("the index is required: give INDEX or --registry INDEX")
    if len(given) == 2 and os.path.abspath(given[0]) != os.path.abspath(given[1]):
        raise UsageError(f"two indexes given, {given[0]} (INDEX) and {given[1]} (--registry): give one")
    return str(given[0])


def _open_registry(path: str, flag: str) -> Registry:
    from dncguard.registry import Registry

    return Registry.open(_existing(path, flag))
