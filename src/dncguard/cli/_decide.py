"""Deciding a call file's calls: per call (``check_many``) or in bulk (``decide_batches``),
and the rows named when the registry is too old.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from dncguard.cli._batches import _batch_calls, _Records
from dncguard.cli._callfile import Batch
from dncguard.cli._write import DECISION_SCHEMA
from dncguard.errors import StaleRegistryError
from dncguard.models import Call, Consulted, Decision, ReasonCode

if TYPE_CHECKING:
    from dncguard.bulk import Decided
    from dncguard.guard import Guard
    from dncguard.policy import Verdict

_T = TypeVar("_T")


class _ByIdentity(Generic[_T]):
    """``work(value)``, remembered per object (by identity, the object kept alive with it).

    Bulk answers each batch with its verdicts, one per distinct combination of facts (some
    thousand a batch), and hands the same verdict objects again from batch to batch; what the
    report derives from a verdict (is it an invalid number, its text) is the same each time. A
    verdict is a few pydantic models, whose hashing and comparing (a value-keyed cache) cost
    more than that work: here each is looked up by ``id`` and worked out once. At most
    ``bound`` objects are remembered (then forgotten all at once and remembered anew): a few
    batches' worth, so that what is held does not grow with the file (a verdict the cache of
    bulk has dropped is not kept alive here for long)."""

    def __init__(self, work: Callable[[Any], _T], bound: int = 1 << 12) -> None:
        self._work, self._bound = work, bound
        self._seen: dict[int, tuple[object, _T]] = {}
        self._lock = threading.Lock()

    def __call__(self, value: object) -> _T:
        hit = self._seen.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        result = self._work(value)
        with self._lock:
            if len(self._seen) >= self._bound:
                self._seen.clear()
            self._seen[id(value)] = (value, result)
        return result


class _Remembered(Generic[_T]):
    """``work(*key)`` per distinct (hashable) key, at most ``bound`` remembered (as above)."""

    def __init__(self, work: Callable[..., _T], bound: int = 1 << 12) -> None:
        self._work, self._bound = work, bound
        self._seen: dict[Hashable, _T] = {}
        self._lock = threading.Lock()

    def __call__(self, *key: Hashable) -> _T:
        try:
            return self._seen[key]
        except KeyError:
            pass
        result = self._work(*key)
        with self._lock:
            if len(self._seen) >= self._bound:
                self._seen.clear()
            self._seen[key] = result
        return result


def _check_calls(guard: Guard, calls: Sequence[Call], rows: Sequence[int], *, path: str) -> list[Decision]:
    try:
        return list(guard.check_many(calls))
    except StaleRegistryError:
        # Say which call needed the fresher copy: decide one by one up to it.
        for row, call in zip(rows, calls, strict=True):
            try:
                guard.check(call)
            except StaleRegistryError as e:
                raise StaleRegistryError(f"{path}, row {row}: {e}") from None
        raise


def _decide_records(guard: Guard, records: _Records, *, path: str) -> list[Decision]:
    """Decide JSON records with ``check_many`` (they may carry nested evidence ``scrub`` cannot)."""
    return _check_calls(guard, records.calls, records.rows, path=path)


def _verdict_columns(output: pa.RecordBatch) -> pa.Table:
    """The scrub columns of a bulk answer, as :data:`DECISION_SCHEMA` types them."""
    return pa.table([output.column(f.name).cast(f.type) for f in DECISION_SCHEMA], schema=DECISION_SCHEMA)


def _stale_error(
    guard: Guard, batches: Iterable[Batch], path: str, error: StaleRegistryError
) -> StaleRegistryError:
    """A stale registry met in bulk, with the file's first such row: the calls of ``batches``,
    one by one, raise naming it (else ``error``, naming the file, is returned to raise)."""
    for batch in batches:
        rows, calls = _batch_calls(batch, path=path)
        _check_calls(guard, calls, rows, path=path)
    return StaleRegistryError(f"{path}: {error}")


def _decision_columns(decisions: Sequence[Decision]) -> pa.Table:
    """The scrub columns (``allowed``, ``reason``, ``reasons``, ``next_allowed_at``) of decisions."""
    return pa.table(
        {
            "allowed": [d.allowed for d in decisions],
            "reason": [d.reasons[0].code.value if d.reasons else None for d in decisions],
            "reasons": [[r.code.value for r in d.reasons] for d in decisions],
            "next_allowed_at": [d.next_allowed_at for d in decisions],
        },
        schema=DECISION_SCHEMA,
    )


@dataclasses.dataclass(frozen=True)
class _Piece:
    """Rows ``start .. start + len(inverse)`` (0-based) of a table file, decided in bulk."""

    start: int
    verdicts: tuple[Verdict, ...]
    inverse: npt.NDArray[np.int32]
    next_at: npt.NDArray[np.int64]
    invalid: npt.NDArray[np.intp]
    """The rows (within the piece) whose number is invalid."""
    numbers: npt.NDArray[np.uint64]
    """The called numbers, as decided (0: invalid)."""
    calls: pa.Table | pa.RecordBatch
    """The rows as decided (``to`` as written, ``at`` as read, ...): what the report writes of
    the input, and what ``check`` is asked about a row the bulk answer cannot explain."""
    explained: Future[list[str | None]] | None = None
    """Their text (junit) or JSON object (json, jsonl), worked out while the rest is decided
    (None: ask check)."""
    registry_id: str = ""
    """The ``Registry.id`` the rows were decided on."""
    consulted: tuple[tuple[tuple[Consulted, ...], ...], npt.NDArray[np.intp]] = ((), np.zeros(0, np.intp))
    """The distinct ``consulted`` values of the rows, and each row's index into them (for the
    text report, the values it tallies and no index: see :meth:`of`)."""

    @classmethod
    def of(cls, start: int, decided: Decided, *, fmt: str | None = None) -> _Piece:
        """The piece of one answer of ``bulk.decide_batches``, starting at row ``start``, with
        what a report of format ``fmt`` reads of it (None: everything):

        * ``consulted``: each row's index into the distinct values (json, jsonl: each line
          shows its own); for the text summary, only the values of one row per distinct area
          code and seller (:meth:`~dncguard.bulk._provenance.ProvenanceRows.summary_values`:
          what the summary tallies, the oldest national copy and the sellers without a list,
          follows from those two alone), with no index per row; none for junit;
        * ``invalid``: the rows of invalid numbers, whose texts the other formats work out;
          text shows an invalid number as any blocked call (none worked out).
        """
        inverse = decided.inverse.astype(np.int32, copy=False)
        verdicts = decided.verdicts
        if fmt == "text":
            invalid: npt.NDArray[np.intp] = np.zeros(0, np.intp)
        else:
            bad = np.fromiter(map(_invalid, verdicts), bool, len(verdicts))
            invalid = np.flatnonzero(bad[inverse]) if bad.any() else np.zeros(0, np.intp)
        prov = decided.provenance
        registry_id = "" if prov is None else prov.provenance.registry_id
        rows = np.zeros(0, np.intp) if fmt == "text" else np.zeros(len(inverse), np.intp)
        if prov is None or fmt == "junit":
            distinct: tuple[tuple[tuple[Consulted, ...], ...], npt.NDArray[np.intp]] = (((),), rows)
        elif fmt == "text":
            distinct = (tuple(prov.summary_values()), rows)
        else:
            values, which = prov.distinct()
            distinct = (tuple(values), which)
        return cls(
            start,
            verdicts,
            inverse,
            decided.next_at,
            invalid,
            decided.numbers,
            decided.output,
            registry_id=registry_id,
            consulted=distinct,
        )


def _is_invalid(verdict: Verdict) -> bool:
    return any(r.code is _INVALID_NUMBER for r in verdict.reasons)


_INVALID_NUMBER = ReasonCode.INVALID_NUMBER
"""Looked up once: a member of an enum is a descriptor look-up each time (some thousands of
verdicts a batch)."""


_invalid = _ByIdentity(_is_invalid)
""":func:`_is_invalid`, remembered per verdict object."""
