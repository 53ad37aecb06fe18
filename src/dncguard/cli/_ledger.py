"""``--ledger PATH`` for ``check`` and ``scrub``: every decision recorded in the call ledger.

Each call's decision (with its provenance) is recorded as not placed (``placed=False``), a
decided batch at a time (one transaction a batch; a batch decided in bulk is recorded column by
column with ``Ledger.record_columns``, no Call object a row). The ledger is opened before
anything is decided, so a path that is not a ledger stops the command (exit 2) before
any output.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow.compute as pc

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
    """Records a command's decisions in a ledger, a decided batch at a time."""

    def __init__(self, ledger: Ledger, *, path: str) -> None:
        self.ledger, self.path = ledger, path
        self.recorded = 0

    def calls(self, calls: Sequence[Call], decisions: Sequence[Decision]) -> None:
        """Record calls decided one by one (``Guard.check``)."""
        self.recorded += self.ledger.record_many(calls, decisions, placed=False)

    def decided(self, batch: Batch, start: int, decided: Decided) -> None:
        """Record rows ``start ..`` of a call file's ``batch``, decided in bulk as ``decided``:
        each row's call, and its whole decision as ``Guard.check`` gives it (``next_allowed_at``
        in the call's own UTC offset)."""
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
        self.calls(calls, decisions)

    def close(self) -> None:
        self.ledger.close()


def recorder(args: argparse.Namespace, *, path: str) -> Recorder | None:
    """The recorder of ``--ledger`` (None without it)."""
    where = getattr(args, "ledger", None)
    if where is None:
        return None
    return Recorder(Ledger(where), path=path)
