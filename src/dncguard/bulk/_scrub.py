"""Deciding batches: read, parse, place, group, decide, broadcast (:func:`_scrub_batch`), and the
entry points ``scrub``, ``scrub_batches`` and ``decide_batches``.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from dncguard._arraymem import in_thread
from dncguard._provenance import provenance as _provenance_of
from dncguard.bulk._caps import _capped_next_allowed
from dncguard.bulk._columns import _check_defaults, _read
from dncguard.bulk._engine import _Engine, _engine, _threads
from dncguard.bulk._evidence_keys import _evidence_keys
from dncguard.bulk._next_allowed import _lagged, _next_allowed
from dncguard.bulk._output import _append, _decision_columns, decision_schema
from dncguard.bulk._place import NO_NEXT
from dncguard.bulk._provenance import ProvenanceRows, append_provenance, provenance_schema
from dncguard.bulk._steps import _clock_rows, _look_up, _place_rows, _raise_if_stale, _registry_facts
from dncguard.bulk._tuning import DEFAULT, Tuning, resolve
from dncguard.bulk._verdicts import _combine, _group_verdicts
from dncguard.errors import ArgumentTypeError, CallColumnError
from dncguard.models import Decision, ReasonCode
from dncguard.numbers import format_e164
from dncguard.policy import Verdict, invalid_call_number

if TYPE_CHECKING:
    from dncguard.guard import Guard

_BATCH_ROWS: Final = 1 << 20
"""Rows per unit of work unless ``Tuning.batch_rows`` says otherwise: large enough to amortise
numpy calls, small enough to bound memory."""


def _batch_rows(tuning: Tuning) -> int:
    return _BATCH_ROWS if tuning.batch_rows is None else tuning.batch_rows


_TAKES: Final = (
    "a pyarrow Table, RecordBatch, RecordBatchReader or Dataset, or an object that exports an Arrow"
    " stream or array (__arrow_c_stream__, __arrow_c_array__: a Polars DataFrame, a DuckDB result)"
)


def _is_dataset(data: Any) -> bool:
    import pyarrow.dataset as pa_ds

    return isinstance(data, pa_ds.Dataset)


def _reader(data: Any) -> pa.RecordBatchReader | None:
    """``data`` as a stream of record batches, read lazily (None: not a stream)."""
    if isinstance(data, pa.RecordBatchReader):
        return data
    if _is_dataset(data):
        return data.scanner().to_reader()
    if hasattr(data, "__arrow_c_stream__") and not isinstance(data, pa.Table | pa.RecordBatch):
        try:
            return pa.RecordBatchReader.from_stream(data)
        except (TypeError, ValueError, pa.ArrowException) as e:
            raise ArgumentTypeError(
                f"scrub() takes {_TAKES}; {type(data).__name__}'s Arrow stream: {e}"
            ) from None
    return None


def as_arrow(data: Any) -> pa.Table | pa.RecordBatch:
    """``data`` as a pyarrow Table or RecordBatch: as it is when it is one, else read from the
    Arrow stream or array it exports (the whole of it)."""
    if isinstance(data, pa.Table | pa.RecordBatch):
        return data
    reader = _reader(data)
    if reader is not None:
        return reader.read_all()
    if hasattr(data, "__arrow_c_array__"):
        try:
            return pa.record_batch(data)
        except (TypeError, ValueError, pa.ArrowException) as e:
            raise ArgumentTypeError(
                f"scrub() takes {_TAKES}; {type(data).__name__}'s Arrow array: {e}"
            ) from None
    raise ArgumentTypeError(f"scrub() takes {_TAKES}, not {type(data).__name__}")


def _stream(batches: Any) -> Iterator[pa.RecordBatch | pa.Table]:
    """The batches of ``scrub_batches``' input: an iterable of batches or tables (or of objects
    exporting Arrow data), or one object that is itself a stream (read batch by batch, never
    materialised whole)."""
    if isinstance(batches, pa.Table | pa.RecordBatch):
        yield batches
        return
    reader = _reader(batches)
    if reader is not None:
        yield from reader
        return
    if hasattr(batches, "__arrow_c_array__"):
        yield as_arrow(batches)
        return
    for batch in batches:
        yield batch if isinstance(batch, pa.Table | pa.RecordBatch) else as_arrow(batch)


def _batches(data: pa.Table | pa.RecordBatch, batch_rows: int) -> list[pa.RecordBatch]:
    """Units of work of about ``batch_rows`` rows: large chunks split, runs of small ones joined."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if not isinstance(data, pa.Table):
        raise ArgumentTypeError(f"scrub() takes {_TAKES}, not {type(data).__name__}")
    out: list[pa.RecordBatch] = []
    run: list[pa.RecordBatch] = []
    size = 0
    for batch in data.to_batches(max_chunksize=batch_rows):
        if size + batch.num_rows > batch_rows and run:
            out.append(coalesce(run))
            run, size = [], 0
        run.append(batch)
        size += batch.num_rows
    if run:
        out.append(coalesce(run))
    return out or [pa.RecordBatch.from_pylist([], schema=data.schema)]


def coalesce(batches: Sequence[pa.RecordBatch]) -> pa.RecordBatch:
    """One record batch holding ``batches`` (of one schema) in order; no copy for a single one."""
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _decision(
    verdict: Verdict, when: dt.datetime | None, number: str, registry_id: str = "", consulted: Any = ()
) -> Decision:
    return Decision(
        allowed=verdict.allowed,
        reasons=verdict.reasons,
        exemptions=verdict.exemptions,
        next_allowed_at=when,
        number=number,
        jurisdictions=verdict.jurisdictions,
        registry_id=registry_id,
        consulted=consulted,
    )


@dataclass(frozen=True)
class Decided:
    """One decided batch: its output, and the per-group answers behind it (for explaining rows).

    ``output``: the input columns plus the decision columns (what ``scrub_batches`` yields).
    ``verdicts``: the policy's answer for each distinct combination of facts; ``inverse[i]`` is
    the one of row ``i``. Invalid numbers share one verdict with a generic message.
    ``next_at``: ``next_allowed_at`` per row in UTC microseconds (:data:`NO_NEXT`: none).
    ``numbers``: the called number per row as ``numbers.parse_numbers`` reads it (0: invalid).
    ``provenance``: what each row's ``registry_id`` and ``consulted`` follow from
    (:meth:`provenance_columns`; None only for a batch built without it).
    """

    output: pa.RecordBatch
    verdicts: tuple[Verdict, ...]
    inverse: npt.NDArray[np.intp]
    next_at: npt.NDArray[np.int64]
    numbers: npt.NDArray[np.uint64]
    provenance: ProvenanceRows | None = None
    sellers: tuple[str, ...] = ()
    """The distinct sellers of the batch, as written (for a summary that names sellers)."""
    to: pa.Array | None = None
    """The called numbers as text, row by row (the ``to`` column's, or the ``to=`` default's)."""

    def provenance_columns(self) -> list[pa.Array]:
        """The ``registry_id`` and ``consulted`` columns of this batch's rows."""
        assert self.provenance is not None
        return self.provenance.columns()

    def decision(self, row: int) -> Decision:
        """Row ``row``'s whole decision, as ``Guard.check`` gives it for the row's call: every
        reason (an invalid number's message names it and says why), every exemption, the
        jurisdictions, the number, and ``next_allowed_at`` (in UTC)."""
        verdict = self.verdicts[int(self.inverse[row])]
        number = int(self.numbers[row])
        prov = self.provenance
        registry_id = "" if prov is None else prov.provenance.registry_id
        if any(r.code is ReasonCode.INVALID_NUMBER for r in verdict.reasons):
            numbers = self.output.column("to") if self.to is None else self.to
            to = str(numbers[row].as_py())
            return _decision(invalid_call_number(to), None, to, registry_id)
        micros = int(self.next_at[row])
        when = None if micros == NO_NEXT else _EPOCH + dt.timedelta(microseconds=micros)
        consulted = () if prov is None else prov.row(row)
        return _decision(verdict, when, format_e164(number), registry_id, consulted)


def _scrub_batch(
    engine: _Engine,
    batch: pa.RecordBatch,
    defaults: Mapping[str, Any],
    parse_threads: int | None = None,
    with_columns: bool = True,
    with_provenance: bool = False,
    first_row: int = 1,
    tuning: Tuning = DEFAULT,
) -> Decided:
    """Decide one batch. ``parse_threads``: for ``parse_numbers`` (1 when batches already run
    on every thread; None: its own choice). ``with_columns``: append the decision columns;
    ``with_provenance``: and the provenance columns after them. ``first_row``: the number of the
    batch's first row in the whole input (counted from 1), for errors. ``tuning``: how the
    work is divided (:class:`~dncguard.bulk.Tuning`)."""
    try:
        rows = _read(batch, defaults)
    except CallColumnError as e:
        if e.row is None:
            raise
        # rows are counted from 1 over the whole input, as on the command line
        raise CallColumnError(e.detail, column=e.column, row=first_row + e.row, path=e.path) from None
    lookup = _look_up(engine, rows, parse_threads)
    placement = _place_rows(engine, rows, lookup)
    clock = _clock_rows(rows, placement, tuning.clocks)
    registry = _registry_facts(engine, rows, lookup, placement, clock)
    evidence = _evidence_keys(engine, rows, lookup, placement, clock, registry)
    combinations = _combine(engine, rows, lookup, placement, registry, evidence)
    groups = _group_verdicts(
        engine, rows, placement, clock, registry, evidence, combinations, tuning.verdict_cache
    )
    verdicts = [g.verdict for g in groups]
    _raise_if_stale(engine, verdicts, combinations.inverse, lookup.npa, first_row)
    # Step 9: next_allowed_at, then the output columns.
    numbers, npa, masks = lookup.numbers, lookup.npa, lookup.masks
    places, place_inv, inverse = placement.places, placement.place_inv, combinations.inverse
    today, minutes = clock.today, clock.minutes
    lagged = _lagged(engine, rows, lookup, placement, clock, registry, evidence, inverse, groups)
    next_at = _next_allowed(engine, rows, inverse, groups, places, place_inv, today, minutes, lagged)
    if combinations.recent_cols:
        _capped_next_allowed(engine, rows, inverse, groups, places, place_inv, next_at, lagged.of_row)
    prov = ProvenanceRows(
        _provenance_of(engine.context),
        npa,
        masks,
        rows.seller.codes,
        rows.seller.values,
        rows.region.codes,
        rows.region.values,
        (engine.value_ids("seller", rows.seller.values), engine.value_ids("region", rows.region.values)),
        engine.consulted,
    )
    output = _append(batch, _decision_columns(verdicts, inverse, next_at)) if with_columns else batch
    if with_columns and with_provenance:
        output = append_provenance(output, prov)
    sellers = tuple(rows.seller.values)
    return Decided(output, tuple(verdicts), inverse, next_at, numbers, prov, sellers, rows.to)


def scrub(
    guard: Guard,
    data: Any,
    *,
    threads: int | None = None,
    provenance: bool = False,
    tuning: Tuning | None = None,
    **defaults: Any,
) -> pa.Table | pa.RecordBatch:
    """Decide every row of ``data``: its columns plus ``allowed``, ``reason``, ``reasons``,
    ``next_allowed_at`` (and with ``provenance=True`` also ``registry_id`` and ``consulted``,
    each row's :class:`~dncguard.Decision` fields of those names). Returns the same kind it was
    given for a pyarrow Table or RecordBatch; for anything else that holds Arrow data (a
    RecordBatchReader, a pyarrow Dataset, or any object exporting ``__arrow_c_stream__`` or
    ``__arrow_c_array__``, such as a Polars DataFrame or a DuckDB result), a pyarrow Table
    (``polars.from_arrow`` turns it back).

    ``defaults`` give values for missing columns (and null cells), e.g. ``seller="acme"``.
    ``threads``: batches decided at once (default: up to 2). ``tuning``: how the work is
    divided (:class:`~dncguard.bulk.Tuning`: batch size, clocks, verdict cache); it never
    changes an answer. Raises ``ValueError`` naming the column and the first bad row (counted
    from 1) for invalid input.
    """
    _check_defaults(defaults)
    if not isinstance(data, pa.Table | pa.RecordBatch):
        arrow = as_arrow(data)
        data = pa.Table.from_batches([arrow]) if isinstance(arrow, pa.RecordBatch) else arrow
    batches = _batches(data, _batch_rows(resolve(tuning)))
    out = list(
        scrub_batches(guard, batches, threads=threads, provenance=provenance, tuning=tuning, **defaults)
    )
    if isinstance(data, pa.RecordBatch):
        if len(out) == 1:
            return out[0]
        return pa.Table.from_batches(out).combine_chunks().to_batches()[0]
    schema = decision_schema(data.schema)
    return pa.Table.from_batches(out, schema=provenance_schema(schema) if provenance else schema)


def scrub_batches(
    guard: Guard,
    batches: Iterable[pa.RecordBatch] | Any,
    *,
    threads: int | None = None,
    provenance: bool = False,
    tuning: Tuning | None = None,
    **defaults: Any,
) -> Iterator[pa.RecordBatch]:
    """Decide a stream of record batches, yielding one output batch per input batch, in order.

    ``batches``: an iterable of record batches or tables, or one object that is a stream of
    them (a ``pyarrow.RecordBatchReader``, a pyarrow Dataset, or any object exporting
    ``__arrow_c_stream__``: a Polars DataFrame or LazyFrame result, a DuckDB relation), read
    batch by batch. Memory stays bounded: at most ``threads`` batches are in flight (plus one
    waiting), so a stream of any length can be scrubbed batch by batch. Batches larger than
    about a million rows (``tuning.batch_rows``) are decided in slices. Error rows count from 1
    over the whole stream.
    """
    decided = decide_batches(
        guard, batches, threads=threads, provenance=provenance, tuning=tuning, **defaults
    )
    return (d.output for d in decided)


def decide_batches(
    guard: Guard,
    batches: Iterable[pa.RecordBatch] | Any,
    *,
    threads: int | None = None,
    columns: bool = True,
    provenance: bool = False,
    tuning: Tuning | None = None,
    **defaults: Any,
) -> Iterator[Decided]:
    """:func:`scrub_batches`, yielding each output with its per-group verdicts (:class:`Decided`).

    One output per input batch, except that batches over about a million rows are decided (and
    yielded) in slices of that size. ``columns=False``: each ``output`` is its input batch as
    given, without the decision columns (for callers that read the verdicts instead).
    ``provenance=True``: the provenance columns follow the decision columns. ``tuning``: as
    for :func:`scrub`.
    """
    _check_defaults(defaults)
    tune = resolve(tuning)
    batch_rows = _batch_rows(tune)
    engine = _engine(guard)
    n_threads = _threads(threads)

    def split() -> Iterator[pa.RecordBatch]:
        for batch in _stream(batches):
            if isinstance(batch, pa.Table):
                yield from _batches(batch, batch_rows)
            elif batch.num_rows > batch_rows:
                for start in range(0, batch.num_rows, batch_rows):
                    yield batch.slice(start, batch_rows)
            else:
                yield batch

    def pieces() -> Iterator[tuple[int, pa.RecordBatch]]:
        first = 1  # each piece's first row in the whole stream, counted from 1
        for batch in split():
            yield first, batch
            first += batch.num_rows

    stream = pieces()
    head = list(itertools.islice(stream, 2))
    if n_threads == 1 or len(head) < 2:  # one batch: no threads to start (but parsing may)
        for first, batch in itertools.chain(head, stream):
            yield _scrub_batch(
                engine, batch, defaults, 1 if n_threads == 1 else None, columns, provenance, first, tune
            )
        return
    with ThreadPoolExecutor(n_threads, thread_name_prefix="dncguard-scrub", initializer=in_thread) as pool:
        pending: collections.deque[Future[Decided]] = collections.deque()
        for first, batch in itertools.chain(head, stream):
            # Batches on every thread: each parses on its own (no threads within threads).
            pending.append(
                pool.submit(_scrub_batch, engine, batch, defaults, 1, columns, provenance, first, tune)
            )
            if len(pending) > n_threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
