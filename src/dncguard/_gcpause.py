"""One pause of Python's cyclic garbage collector for the whole process, shared by every thread.

Recording a batch in the ledger or reading a call file makes and drops a few objects a call, none
of them in cycles, and each collection those allocations set off walks every young object the
process holds: a large share of the time for no garbage. :func:`collector_paused` turns the
collector off for a block. Blocks may overlap on several threads: the first to enter notes whether
the collector was on and turns it off, the last to leave turns it on again if it was; so a pause
never leaves the collector off, and never turns on a collector its caller had turned off.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pauses = 0  # blocks inside a pause now, on any thread
_was_enabled = False  # the collector's state when the first of them entered


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic collector off for the block (see the module's docstring)."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
