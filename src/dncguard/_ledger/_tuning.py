"""How the ledger divides its work (:class:`Tuning`): never what it records."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Final

from dncguard._ledger._format import PAGE_ENTRIES
from dncguard._tuning import check_whole, resolve_tuning
from dncguard.errors import ArgumentError

__all__ = ["CHUNK", "COLUMN_CHUNK", "DEFAULT", "MMAP", "Tuning", "resolve"]

CHUNK: Final = 64 * PAGE_ENTRIES
"""Entries ``record_many`` builds, hashes and writes at a time (whole pages)."""
COLUMN_CHUNK: Final = 128 * PAGE_ENTRIES
"""Rows of a table ``record_columns`` builds into entries at a time (whole pages; building the
next, on a second thread, overlaps hashing and writing this one). A chunk's fixed work (its
distinct templates found, its pieces made, a hand-over between threads) is paid once a chunk:
a scrub's decided batch (some 60,000 rows) recorded as one chunk of 65,536 took about 0.2 s of
CPU less a million entries than as four of 16,384 (1.06 s against 1.29, the ledger's whole
work), and a table that fits one chunk is built on the caller's thread (no second thread to
start and wait for). It costs memory: at a million rows, the peak resident memory of
``scrub --ledger`` was 451 MB against 427, of ``check --ledger`` (whose batches of 262,144 rows
are four chunks, two at a time in hand) 522-559 MB against 487-502; neither grows with the
rows."""
MMAP: Final = (1 << 40) if sys.maxsize > 1 << 32 else 1 << 28
"""Bytes of the file SQLite reads through a memory map (``PRAGMA mmap_size``).

A ledger of ten million entries is some 3 GB, and the index of placed calls that
``Guard(ledger=...)`` searches before every call is spread over the whole of it (its pages are
added as entries are). A page outside the map is read with a system call that copies its 64 KiB
into SQLite's cache (a small one: 2 MB); inside it, it is read in place from the operating
system's page cache. Measured on a 45 MB ledger (600,000 placed calls), one ``placed_calls``
query took a median 15 us mapped against 26 us with no map. A map costs address space, not
memory: only the pages read are resident, and the system may drop them. So on a 64-bit system
the whole file is mapped (SQLite caps the map at its compile-time ``SQLITE_MAX_MMAP_SIZE``:
2 GiB in the SQLite of the Python this was measured with, 3.40.1, more where it was built with
more); on a 32-bit one, whose address space is scarce, 256 MiB."""


@dataclass(frozen=True)
class Tuning:
    """How a :class:`~dncguard.ledger.Ledger` divides its work (the ``tuning=`` keyword of
    ``Ledger``, ``record_many`` and ``record_columns``). Every setting records the same entries,
    pages and digests: these trade speed for memory, and let tests reach every path with small
    batches.

    ``chunk_entries``: entries built, hashed and written at a time by ``record_many`` and
    ``record_columns``, a whole number of pages (a multiple of ``PAGE_ENTRIES``, 512); None, the
    default: 32,768 for ``record_many``, 65,536 for ``record_columns`` (whose next chunk is
    built on a second thread while this one is hashed). A batch of many chunks is still one
    transaction: all of it or none. ``mmap_bytes``: how much of the file SQLite reads through a
    memory map, taken when the ledger is opened (default: all of it on a 64-bit system, up to
    SQLite's own cap; 256 MiB on a 32-bit one; 0: none, every page read with a system call).

    >>> Tuning(chunk_entries=1000)
    Traceback (most recent call last):
    ...
    dncguard.errors.ArgumentError: Tuning(chunk_entries=1000): expected a whole number of pages, ...
    >>> Tuning(mmap_bytes=-1)
    Traceback (most recent call last):
    ...
    dncguard.errors.ArgumentError: Tuning(mmap_bytes=-1): expected a whole number, at least 0
    """

    chunk_entries: int | None = None
    mmap_bytes: int = MMAP

    def __post_init__(self) -> None:
        if self.chunk_entries is not None:
            check_whole(self, "chunk_entries", least=PAGE_ENTRIES)
            if self.chunk_entries % PAGE_ENTRIES:
                raise ArgumentError(
                    f"Tuning(chunk_entries={self.chunk_entries!r}): expected a whole number of pages,"
                    f" a multiple of {PAGE_ENTRIES}"
                )
        check_whole(self, "mmap_bytes", least=0)


DEFAULT: Final = Tuning()


def resolve(tuning: object, default: Tuning = DEFAULT) -> Tuning:
    """``tuning`` as given to the ledger: a :class:`Tuning`, or None for ``default``."""
    return resolve_tuning(tuning, default, "dncguard.ledger.Tuning")
