"""numpy's large array blocks kept for reuse while ``check`` and ``scrub`` run (:func:`kept_blocks`).

Deciding a batch makes and drops many numpy arrays of a batch's length (hundreds of kilobytes to
a few megabytes, their lengths varying with the batch). With the C library's allocator (glibc's
``malloc``) those come from its heap, between the smaller blocks that live longer, and the heap
fragments: on the project's machine, ``check --format jsonl`` of a 100-million-row file ended
with 110 MiB of free but unusable heap against 72 MiB at 10 million rows, and its peak resident
memory rose with the file (744 against 669 MiB). Handing each such block back to the system
instead (glibc's ``M_MMAP_THRESHOLD``) stops the growth but faults every page in again for the
next batch: three times the system time.

So, while a command runs, numpy's array data of at least 256 KiB is put in memory maps of its
own, and a freed one is kept for a later array that fits it (up to eight times shorter: its
pages are there already), which then finds its pages in memory. What is kept is what the last
:data:`dncguard._caches.ARRAY_BLOCKS_WAIT` seconds of work freed, at most
:data:`dncguard._caches.ARRAY_BLOCKS_KEPT` bytes (the oldest handed back first): it follows the
speed of the work, not the length of the file. The heap then holds only small blocks and stays
flat, and so does the command's memory. A new map is faulted in whole by one call (Linux's
``MAP_POPULATE``), cheaper than a fault a page.

It is done by the optional C extension ``dncguard._arraymemc`` (numpy's allocator interface, numpy
1.22 and later); where it was not built, numpy's default allocator serves and nothing else
changes, and so where ``DNCGUARD_KEEP_ARRAYS=0`` is set (``dncguard.cli._common``). numpy's
allocator is a per-context setting, so a thread the command starts sets it too
(:func:`in_thread`, the initializer of dncguard's thread pools); a library user's own threads
and arrays are never touched: outside a command, :func:`in_thread` does nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from dncguard._caches import ARRAY_BLOCKS_KEPT, ARRAY_BLOCKS_WAIT


def _extension() -> ModuleType | None:
    try:
        from dncguard import _arraymemc
    except ImportError:
        return None
    return _arraymemc


_C = _extension()
_lock = threading.Lock()
_active = 0  # commands running with kept blocks (in-process callers may nest them)


def available() -> bool:
    """Whether the extension was built (else :func:`kept_blocks` changes nothing)."""
    return _C is not None


def in_thread() -> None:
    """In a thread started while a command keeps blocks: its arrays use the kept blocks too.
    Anywhere else: nothing."""
    if _C is not None and _active:
        with contextlib.suppress(ImportError):
            _C.set_handler(_C.HANDLER)


@contextlib.contextmanager
def kept_blocks() -> Iterator[None]:
    """numpy's large blocks kept for reuse in this thread, and in the threads :func:`in_thread`
    is called in, for the block; numpy's previous allocator is set back after, and the kept
    blocks are handed back to the system once no command needs them."""
    global _active
    if _C is None:
        yield
        return
    try:
        previous: Any = _C.set_handler(_C.HANDLER)
    except ImportError:  # a numpy without the allocator interface
        yield
        return
    with _lock:
        if not _active:
            _C.configure(ARRAY_BLOCKS_KEPT, ARRAY_BLOCKS_WAIT)
        _active += 1
    try:
        yield
    finally:
        _C.set_handler(previous)
        with _lock:
            _active -= 1
            if not _active:  # blocks freed from now on are unmapped, the kept ones too
                _C.configure(0, 0.0)
                _C.release()


def stats() -> dict[str, float]:
    """The extension's counters (maps made, blocks reused, blocks unmapped when kept too long
    or when the kept were full, bytes kept, the bound and the wait); empty without it."""
    return {} if _C is None else dict(_C.stats())
