"""The bytes of a call file in flight (:class:`_Budget`): read from the file and not yet done
with, counted in the file's own bytes, and bounded.

``check`` reads a CSV file in blocks of bytes (:func:`._sizes.csv_block`) while the rows read
before are typed, decided and reported. Each stage used to bound what it held by a count of
items (Arrow's reader some 32 blocks ahead, a batch or two waiting to be typed and handed on,
bulk's tables, the report's slices), items whose sizes vary; the memory the command took then
depended on how many stages met their most at one moment, which a longer file meets more often.
A budget counts the bytes of the file between the moment a block is read and the moment its
rows are reported, across every stage at once: a block is read only once the budget admits it,
so the whole pipeline holds at most the rows of that many bytes, however long the file:

>>> budget = _Budget(100)
>>> budget.acquire(60), budget.acquire(40), budget.in_flight, budget.high_water
(True, True, 100, 100)
>>> budget.release(60)
>>> budget.acquire(50), budget.in_flight, budget.high_water, budget.over
(True, 90, 100, 0)

A block larger than the whole budget is admitted alone (nothing else in flight), and a block is
admitted over the budget where the pipeline would stall without it (``stalled``: its last stage
is waiting for rows that only more bytes can give, e.g. bulk's first tables): both are counted
in :attr:`_Budget.over`, so that the bound a run kept is known. :meth:`_Budget.close` wakes a
reader waiting for room, and refuses what it asks (a command stopped part way)."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable


class _Budget:
    """At most ``limit`` bytes of a call file in flight (see the module's description).

    :meth:`acquire` (the thread reading the file) waits for room; :meth:`release` gives bytes
    back at once; :meth:`charge` and :meth:`done` give them back by rows (the bytes of each
    batch of rows read, given back once the rows up to it are done with)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit={limit}: expected 1 byte or more")
        self.limit = limit
        self.in_flight = 0
        self.high_water = 0
        """The most bytes in flight at once."""
        self.over = 0
        """Blocks admitted past the limit (alone, or where the pipeline would stall without them)."""
        self.waits = 0
        """Times a reader waited for room."""
        self.starving = False
        """Whether the pipeline's last stage is waiting for rows (set by it: :meth:`starve`)."""
        self._closed = False
        self._rows = 0
        self._charged: collections.deque[tuple[int, int]] = collections.deque()
        self._room = threading.Condition(threading.Lock())

    def acquire(self, n: int, stalled: Callable[[], bool] | None = None) -> bool:
        """Take ``n`` bytes, waiting while they would pass the limit, unless nothing is in flight
        or ``stalled()`` says the pipeline cannot go on without them; False (nothing taken) once
        the budget is closed."""
        with self._room:
            waited = False
            while not self._closed and self.in_flight and self.in_flight + n > self.limit:
                if stalled is not None and stalled():
                    break
                waited = True
                self._room.wait()
            if self._closed:
                return False
            self.waits += waited
            if self.in_flight + n > self.limit:
                self.over += 1
            self.in_flight += n
            self.high_water = max(self.high_water, self.in_flight)
            return True

    def release(self, n: int) -> None:
        """Give ``n`` bytes back."""
        with self._room:
            self.in_flight -= n
            self._room.notify_all()

    def charge(self, rows: int, n: int) -> None:
        """Hold ``n`` bytes (already taken) until the ``rows`` rows read next are done with."""
        with self._room:
            self._rows += rows
            self._charged.append((self._rows, n))

    def done(self, rows: int) -> None:
        """Give back the bytes of the rows read, up to the first ``rows`` (all of them done with)."""
        with self._room:
            while self._charged and self._charged[0][0] <= rows:
                self.in_flight -= self._charged.popleft()[1]
            self._room.notify_all()

    def starve(self, starving: bool) -> None:
        """Say whether the pipeline's last stage is waiting for rows (then a reader waiting for
        room looks again at whether the pipeline is stalled)."""
        with self._room:
            self.starving = starving
            self._room.notify_all()

    def poke(self) -> None:
        """Wake a reader waiting for room to look again (what ``stalled`` reads has changed)."""
        with self._room:
            self._room.notify_all()

    def close(self) -> None:
        """Refuse every request from now on, and wake the reader waiting for room."""
        with self._room:
            self._closed = True
            self._room.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
