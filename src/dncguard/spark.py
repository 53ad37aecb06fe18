"""The distributed engine: ``Guard.scrub`` over a PySpark DataFrame, one Arrow batch at a time.

Each executor opens the registry index from a path once per Python worker process (memory-mapped,
so workers on one machine share the page cache) and scrubs the Arrow record batches Spark hands
it through ``DataFrame.mapInArrow``. Rows never pass through Python one by one, and the result
is the input DataFrame plus the decision columns ``allowed``, ``reason``, ``reasons`` and
``next_allowed_at``, with the same answer ``Guard.check`` gives for each row.

PySpark is an optional extra (``pip install 'dncguard[spark]'``, Java 17+) and is imported only
when :func:`scrub_dataframe` is called. The index file must be readable at the same path on the
driver (which checks it and the options before the job starts) and on every executor: a shared or
replicated file system, or a copy at the same local path on each node.

Example (a sketch; see the README)::

    from dncguard.spark import scrub_dataframe
    calls = spark.read.parquet("calls.parquet")      # to, at, seller, ... (docs/calls.md)
    out = scrub_dataframe(calls, "/shared/registry.dncg", defaults={"purpose": "sale"})
    out.filter("allowed").write.parquet("callable.parquet")
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pyspark.sql import DataFrame

    from dncguard.guard import Guard

__all__ = ["decision_struct_fields", "scrub_dataframe", "worker_guard"]

_GUARDS: dict[tuple[Any, ...], Guard] = {}
_LOCK = threading.Lock()


def worker_guard(registry_path: str, *, verify: bool = True, **options: Any) -> Guard:
    """The process-wide :class:`~dncguard.Guard` over the index at ``registry_path``.

    Opened once per process and per (path, file identity, options): a Spark Python worker serves
    many tasks, and re-opening (and re-verifying) the index per batch would waste its time. A file
    replaced at the same path (an atomic ``update``) has a new identity and is opened afresh.
    """
    from dncguard.guard import Guard
    from dncguard.registry import Registry

    st = os.stat(registry_path)
    key = (
        os.fspath(registry_path),
        st.st_ino,
        st.st_mtime_ns,
        st.st_size,
        verify,
        tuple(sorted((k, repr(v)) for k, v in options.items())),
    )
    with _LOCK:
        guard = _GUARDS.get(key)
        if guard is None:
            registry = Registry.open(registry_path, verify=verify)
            guard = Guard(registry, **options)
            # A replaced file's old guard (and its mapping) is let go.
            for old in [k for k in _GUARDS if k[0] == key[0] and k[-2:] == key[-2:]]:
                del _GUARDS[old]
            _GUARDS[key] = guard
        return guard


def _joined(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Consecutive batches joined into batches of about ``rows`` rows (memory stays bounded)."""
    from dncguard.bulk import coalesce

    run: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        run.append(batch)
        size += batch.num_rows
        if size >= rows:
            yield coalesce(run)
            run, size = [], 0
    if run:
        yield coalesce(run)


def decision_struct_fields() -> list[Any]:
    """The Spark ``StructField``s of the decision columns (imports pyspark)."""
    from pyspark.sql.types import ArrayType, BooleanType, StringType, StructField, TimestampType

    return [
        StructField("allowed", BooleanType(), nullable=False),
        StructField("reason", StringType(), nullable=True),
        StructField("reasons", ArrayType(StringType(), containsNull=False), nullable=False),
        StructField("next_allowed_at", TimestampType(), nullable=True),
    ]


def scrub_dataframe(
    df: DataFrame,
    registry_path: str | os.PathLike[str],
    *,
    defaults: Mapping[str, Any] | None = None,
    verify: bool = True,
    batch_rows: int = 262_144,
    **options: Any,
) -> DataFrame:
    """Scrub a Spark DataFrame of calls: the same rows plus the decision columns.

    ``registry_path``: an index saved by ``Registry.save``, at this path on every executor.
    ``defaults``: column defaults, as the keywords of ``Guard.scrub`` (e.g. ``{"seller": "acme"}``).
    ``verify``: check the index's checksums when a worker first opens it.
    ``batch_rows``: Spark's Arrow batches are joined up to this many rows before scrubbing.
    ``options``: the policy options of ``Guard`` (``on_stale``, ``ebr_anniversary``,
    ``jurisdictions``).

    The call is lazy, like any DataFrame transformation. Options are checked here on the driver
    so a typo fails at once, not in the middle of a job; the index is opened on the executors.
    """
    from pyspark.sql.types import StructType

    from dncguard.bulk import DECISION_FIELDS
    from dncguard.bulk._columns import _check_defaults

    path = os.fspath(registry_path)
    column_defaults = dict(defaults or {})
    _check_defaults(column_defaults)
    if not os.path.exists(path):
        raise FileNotFoundError(f"registry index {path!r} not found (it must exist on every executor)")
    worker_guard(path, verify=verify, **options)  # fail fast on the driver: bad options, bad file

    decision_names = {f.name for f in DECISION_FIELDS}
    kept = [f for f in df.schema.fields if f.name not in decision_names]
    schema = StructType([*kept, *decision_struct_fields()])
    if len(kept) != len(df.schema.fields):
        df = df.select(*[f.name for f in kept])

    def scrub_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from dncguard.bulk import scrub_batches

        guard = worker_guard(path, verify=verify, **options)
        # One Python worker per core: no threads of its own. Spark's Arrow batches are small
        # (10,000 rows by default); joining them amortises the per-batch work.
        yield from scrub_batches(guard, _joined(batches, batch_rows), threads=1, **column_defaults)

    return df.mapInArrow(scrub_partition, schema)
