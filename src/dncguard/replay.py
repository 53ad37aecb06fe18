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

import itertools
from collections.abc import Iterable, Iterator
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

#: Entries read and grouped by registry version at a time: each version among them is rebuilt
#: once (newest first, each from the next newer), then its entries are decided one after another.
CHUNK: Final = 1 << 16


def _codes(decision: Decision) -> list[str]:
    return sorted({str(reason.code) for reason in decision.reasons})


def replay(guard: Guard, entries: Iterable[LedgerEntry]) -> pa.Table:
    """The entries whose answer changes when ``guard``'s rules decide them again against the
    registry version each was decided on (see the module docstring)."""
    from dncguard.guard import Guard

    registry: Any = guard.registry
    rows: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    it = iter(entries)
    while chunk := list(itertools.islice(it, CHUNK)):
        # per entry: None (unchanged), or (new decision or None, problem)
        outcome: list[tuple[Decision | None, str | None] | None] = [None] * len(chunk)
        wanted: dict[str, list[int]] = {}
        for pos, entry in enumerate(chunk):
            registry_id = getattr(entry.decision, "registry_id", None)
            if not isinstance(registry_id, str) or not registry_id:
                outcome[pos] = (None, NO_REGISTRY_ID)
            else:
                wanted.setdefault(registry_id, []).append(pos)
        for registry_id, past in _versions(registry, wanted):
            if past is None:
                for pos in wanted[registry_id]:
                    outcome[pos] = (None, NOT_IN_HISTORY)
                continue
            check = Guard(
                past,
                on_stale=guard.on_stale,
                ebr_anniversary=guard.ebr_anniversary,
                jurisdictions=guard.jurisdictions,
            ).check
            for pos in wanted[registry_id]:
                entry = chunk[pos]
                again = check(entry.call)
                if again.allowed != entry.decision.allowed or _codes(again) != _codes(entry.decision):
                    outcome[pos] = (again, None)
            del past, check
        for entry, result in zip(chunk, outcome, strict=True):
            if result is None:
                continue
            new, problem = result
            old = entry.decision
            registry_id = getattr(old, "registry_id", None)
            rows["seq"].append(entry.seq)
            rows["number"].append(old.number)
            rows["at"].append(entry.call.at)
            rows["registry_id"].append(registry_id if isinstance(registry_id, str) and registry_id else None)
            rows["old_allowed"].append(old.allowed)
            rows["new_allowed"].append(None if new is None else new.allowed)
            rows["old_reasons"].append(_codes(old))
            rows["new_reasons"].append(None if new is None else _codes(new))
            rows["problem"].append(problem)
    return pa.table(rows, schema=SCHEMA)


def _versions(registry: Any, ids: dict[str, list[int]]) -> Iterator[tuple[str, Any]]:
    """``(id, registry.as_of(id))`` for each id (``None``: not in the history kept)."""
    versions = getattr(registry, "_versions", None)
    if versions is not None:
        yield from versions(ids)
        return
    for registry_id in ids:  # a registry-like object: as_of one by one
        try:
            yield registry_id, registry.as_of(registry_id)
        except HistoryError:
            yield registry_id, None
