"""Free heap memory handed back to the system every few seconds of a long command (:class:`Trimmer`).

``dncguard check`` holds a bounded amount of memory however long its call file, but the C
allocator (glibc's ``malloc``, which numpy and Python's larger objects use) keeps the pages of
freed blocks it could reuse. Blocks of many sizes come and go a batch at a time, and the free
pages kept between the blocks in use grow slowly with the length of the run: measured on a
100-million-row file, the allocator's heap grew from 161 to 235 MiB while its blocks in use
stayed at 100-120 MiB, so the command's peak resident memory rose with the file (752 MiB
against 670 at 10 million rows). ``malloc_trim(0)`` gives the whole free pages back; called
every 2 seconds it kept the 100-million-row peak at 706 MiB for about 10 ms a call.

Where the C library has no ``malloc_trim`` (not glibc: macOS, Windows, musl), :class:`Trimmer`
does nothing.
"""

from __future__ import annotations

import ctypes
import sys
import time
from collections.abc import Callable
from typing import Final

EVERY_SECONDS: Final = 2.0
"""Seconds between two trims at most as often (a trim costs about 10 ms)."""


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, or None where the C library has none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        # The symbols the process has loaded, the C library's among them (no search for the
        # library's file, which would start ``ldconfig`` at every command's start).
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


_TRIM: Final = _malloc_trim()


class Trimmer:
    """Calls :meth:`due` as work goes on; the allocator's free pages are handed back when at
    least ``every`` seconds passed since the last time (the first call only starts the clock).

    ``trim``: what hands them back (default: glibc's ``malloc_trim(0)``; None: nothing).
    ``clock``: seconds, monotonic."""

    def __init__(
        self,
        every: float = EVERY_SECONDS,
        *,
        trim: Callable[[], object] | None = _TRIM,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not every >= 0:
            raise ValueError(f"every={every!r}: expected seconds, 0 or more")
        self.every, self._trim, self._clock = every, trim, clock
        self._last: float | None = None
        self.trims = 0
        """How many times the pages were handed back."""

    def due(self) -> None:
        """Hand the free pages back if ``every`` seconds passed since the last time."""
        if self._trim is None:
            return
        now = self._clock()
        if self._last is None:
            self._last = now
        elif now - self._last >= self.every:
            self._trim()
            self.trims += 1
            self._last = self._clock()
