"""``--ledger PATH`` for ``check`` and ``scrub``: every decision recorded in the call ledger.

Each call's decision (with its provenance) is recorded as not placed (``placed=False``), a
decided batch at a time (one transaction a batch; a batch decided in bulk is recorded column by
column with ``Ledger.record_columns``, no Call object a row). The ledger is opened before
anything is decided, so a path that is not a ledger stops the command (exit 2) before
any output. ``scrub`` records on a thread of its own (:class:`Recorder` ``ahead``), in order,
while it writes the rows just decided and decides the next ones.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

import pyarrow.compute as pc

from dncguard._arraymem import in_thread
from dncguard.cli._batches import _batch_calls
from dncguard.cli._callfile import Batch
from dncguard.ledger import Ledger
from dncguard.models import Call, Decision

if TYPE_CHECKING:
    from dncguard.bulk import Decided

__all__ = ["Recorder", "add_ledger_flag", "recorder"]


def add_ledger_flag(p: argparse.ArgumentParser) -> None:
    """Add ``--ledger PATH`` to a command that decides calls."""
    p.add_argument(
        "--ledger",
        metavar="PATH",
        help="record every decision in the call ledger at PATH (created if missing) as not placed",
    )


class Recorder:
    """Records a command's decisions in a ledger, a decided batch at a time.

    ``ahead``: each batch is recorded on a thread of the recorder's own, in the order given,
    while the caller goes on (at most :data:`AHEAD` batches waiting: memory stays bounded). An
    error recording one is raised by the next call after it failed, and by :meth:`finish`, which
    the command calls before it commits its output (fail closed: an output is never written
    whole beside a ledger that failed); batches given after a failed one are not recorded."""

    AHEAD: Final = 2

    def __init__(self, ledger: Ledger, *, path: str, ahead: bool = False) -> None:
        self.ledger, self.path = ledger, path
        self.recorded = 0
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix="dncguard-ledger", initializer=in_thread
            )
            if ahead
            else None
        )
        self._pending: collections.deque[concurrent.futures.Future[None]] = collections.deque()
        self._failed = False

    def _run(self, work: Callable[[], None]) -> None:
        if self._pool is None:
            work()
            return
        while self._pending and (self._pending[0].done() or len(self._pending) >= self.AHEAD):
            self._take()

        def guarded() -> None:
            if not self._failed:  # after a failed batch, none is recorded
                try:
                    work()
                except BaseException:
                    self._failed = True
                    raise

        self._pending.append(self._pool.submit(guarded))

    def _take(self) -> None:
        """Wait for the oldest pending batch; raise its error."""
        self._pending.popleft().result()

    def calls(self, calls: Sequence[Call], decisions: Sequence[Decision]) -> None:
        """Record calls decided one by one (``Guard.check``)."""
        self._run(lambda: self._calls(calls, decisions))

    def _calls(self, calls: Sequence[Call], decisions: Sequence[Decision]) -> None:
        self.recorded += self.ledger.record_many(calls, decisions, placed=False)

    def decided(self, batch: Batch, start: int, decided: Decided) -> None:
        """Record rows ``start ..`` of a call file's ``batch``, decided in bulk as ``decided``:
        each row's call, and its whole decision as ``Guard.check`` gives it (``next_allowed_at``
        in the call's own UTC offset)."""
        self._run(lambda: self._decided(batch, start, decided))

    def _decided(self, batch: Batch, start: int, decided: Decided) -> None:
        n = decided.output.num_rows
        table = batch.calls.slice(start, n)
        if (
            "attempts" not in table.column_names
            or not pc.sum(pc.list_value_length(table["attempts"])).as_py()
        ):
            try:  # column by column (fast); input it cannot take is recorded call by call below
                self.recorded += self.ledger._record_decided(table, decided)
                return
            except ValueError:
                pass
        _, calls = _batch_calls(batch, path=self.path, indices=range(start, start + n))
        decisions = []
        for i, call in enumerate(calls):
            d = decided.decision(i)
            if d.next_allowed_at is not None:
                d = d.model_copy(update={"next_allowed_at": d.next_allowed_at.astimezone(call.at.tzinfo)})
            decisions.append(d)
        self._calls(calls, decisions)

    def finish(self) -> None:
        """Wait until every batch given is recorded; raise the first error met."""
        while self._pending:
            self._take()

    def close(self, *, quiet: bool = False) -> None:
        """Wait for the batches being recorded, then close the ledger. An error among them is
        raised unless ``quiet`` (the command is stopping on an error of its own, which wins)."""
        try:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            if quiet:
                self._pending.clear()
            self.finish()
        finally:
            self.ledger.close()


def recorder(args: argparse.Namespace, *, path: str, ahead: bool = False) -> Recorder | None:
    """The recorder of ``--ledger`` (None without it); ``ahead``: see :class:`Recorder`."""
    where = getattr(args, "ledger", None)
    if where is None:
        return None
    return Recorder(Ledger(where), path=path, ahead=ahead)
