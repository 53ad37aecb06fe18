"""Replay: re-decide recorded calls with today's rules against the registry of their day.

Each ledger entry holds a call and the decision made on it; the decision records the
:attr:`~dncguard.Registry.id` of the registry version it was made on. :func:`replay` decides the
call again with a :class:`~dncguard.Guard` of the same options over
``registry.as_of(that id)`` (the same data, today's rules) and returns the entries whose answer
changed: allowed <-> blocked, or a different set of reason codes. An entry that cannot be replayed
(no registry id recorded, or a version older than the history kept) is returned too, with
``problem`` saying why and no new answer: never silently counted as unchanged.

The result is a ``pyarrow`` table, one row per entry, in ledger order, with the columns of
:data:`SCHEMA`.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from dncguard.errors import HistoryError

if TYPE_CHECKING:
    from dncguard.guard import Guard
    from dncguard.ledger import LedgerEntry
    from dncguard.models import Decision

__all__ = ["NOT_IN_HISTORY", "NO_REGISTRY_ID", "SCHEMA", "replay"]

#: ``problem`` of an entry whose decision records no registry id (decided before ids were kept).
NO_REGISTRY_ID: Final = "no registry id recorded"
#: ``problem`` of an entry whose registry version the history no longer (or never) held.
NOT_IN_HISTORY: Final = "registry version not in the history kept"

SCHEMA: Final = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("number", pa.string()),
        pa.field("at", pa.timestamp("us", tz="UTC")),
        pa.field("registry_id", pa.string()),
        pa.field("old_allowed", pa.bool_()),
        pa.field("new_allowed", pa.bool_()),
        pa.field("old_reasons", pa.list_(pa.string())),
        pa.field("new_reasons", pa.list_(pa.string())),
        pa.field("problem", pa.string()),
    ]
)

_GUARDS_KEPT: Final = 2  # past versions materialised at a time (each may hold a whole index)


def _codes(decision: Decision) -> list[str]:
    return sorted({str(reason.code) for reason in decision.reasons})


def replay(guard: Guard, entries: Iterable[LedgerEntry]) -> pa.Table:
    """The entries whose answer changes when ``guard``'s rules decide them again against the
    registry version each was decided on (see the module docstring)."""
    from dncguard.guard import Guard

    registry: Any = guard.registry
    guards: collections.OrderedDict[str, Guard | str] = collections.OrderedDict()
    rows: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}

    def past_guard(registry_id: str) -> Guard | str:
        found = guards.get(registry_id)
        if found is not None:
            guards.move_to_end(registry_id)
            return found
        try:
            past: Guard | str = Guard(
                registry.as_of(registry_id),
                on_stale=guard.on_stale,
                ebr_anniversary=guard.ebr_anniversary,
                jurisdictions=guard.jurisdictions,
            )
        except HistoryError:
            past = NOT_IN_HISTORY
        guards[registry_id] = past
        while len([g for g in guards.values() if not isinstance(g, str)]) > _GUARDS_KEPT:
            oldest = next(k for k, g in guards.items() if not isinstance(g, str))
            del guards[oldest]
        return past

    for entry in entries:
        old = entry.decision
        registry_id = getattr(old, "registry_id", None)
        new: Decision | None = None
        if not isinstance(registry_id, str) or not registry_id:
            problem: str | None = NO_REGISTRY_ID
            registry_id = None
        else:
            past = past_guard(registry_id)
            if isinstance(past, str):
                problem = past
            else:
                new = past.check(entry.call)
                if new.allowed == old.allowed and _codes(new) == _codes(old):
                    continue
                problem = None
        rows["seq"].append(entry.seq)
        rows["number"].append(old.number)
        rows["at"].append(entry.call.at)
        rows["registry_id"].append(registry_id)
        rows["old_allowed"].append(old.allowed)
        rows["new_allowed"].append(None if new is None else new.allowed)
        rows["old_reasons"].append(_codes(old))
        rows["new_reasons"].append(None if new is None else _codes(new))
        rows["problem"].append(problem)
    return pa.table(rows, schema=SCHEMA)
