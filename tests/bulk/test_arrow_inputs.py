"""``Guard.scrub`` takes any Arrow data as it is: Polars and DuckDB results, pyarrow readers and
datasets, objects exporting ``__arrow_c_stream__`` / ``__arrow_c_array__``; ``scrub_batches``
streams a stream without reading it whole."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pa_ds
import pytest

from dncguard import CallColumnError, Guard
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

OBTAINED = dt.date(2026, 3, 10)
AT = dt.datetime(2026, 3, 16, 18, tzinfo=dt.UTC)
GUARD = Guard(
    Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    np.array([2125550199], np.uint64),
                    coverage={212: OBTAINED},
                    obtained=OBTAINED,
                )
            ]
        ]
    )
)
ROWS = {
    "to": ["212-555-0199", "212-555-0100", "212-555-0199"],
    "at": [AT, AT, AT],
    "seller": ["acme", "acme", "acme"],
    "last_purchase": [None, None, dt.date(2025, 12, 1)],
    "notes": ["a", "b", "c"],
}
WANT = [False, True, True]
TABLE = pa.table(ROWS)


class _Stream:
    """Only the Arrow PyCapsule stream protocol, as a third-party library exports it."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.exported = 0

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        self.exported += 1
        return self.table.__arrow_c_stream__(requested_schema)


class _Array:
    def __init__(self, batch: pa.RecordBatch) -> None:
        self.batch = batch

    def __arrow_c_array__(self, requested_schema: Any = None) -> Any:
        return self.batch.__arrow_c_array__(requested_schema)


@pytest.mark.parametrize(
    "make",
    [
        lambda: _Stream(TABLE),
        lambda: _Array(TABLE.to_batches()[0]),
        lambda: TABLE.to_reader(),
        lambda: pa_ds.dataset(TABLE),
    ],
    ids=["c-stream", "c-array", "reader", "dataset"],
)
def test_scrub_takes_arrow_data(make: Any) -> None:
    out = GUARD.scrub(make())
    assert isinstance(out, pa.Table)
    assert out.column("allowed").to_pylist() == WANT
    assert out.column("notes").to_pylist() == ["a", "b", "c"]
    batches = list(GUARD.scrub_batches(make()))
    assert [v for b in batches for v in b.column("allowed").to_pylist()] == WANT


def test_scrub_batches_reads_a_stream_batch_by_batch() -> None:
    """The stream is not read whole before the first answer."""
    pulled: list[int] = []

    def gen() -> Any:
        for i, batch in enumerate(TABLE.to_batches(max_chunksize=1)):
            pulled.append(i)
            yield batch

    reader = pa.RecordBatchReader.from_batches(TABLE.schema, gen())
    out = GUARD.scrub_batches(reader, threads=1)
    first = next(out)
    assert first.column("allowed").to_pylist() == [False]
    assert len(pulled) <= 2
    assert [b.column("allowed")[0].as_py() for b in out] == WANT[1:]


def test_something_that_is_not_arrow_data_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="Polars DataFrame"):
        GUARD.scrub([{"to": "212-555-0199"}])


def test_polars() -> None:
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(ROWS).with_columns(pl.col("seller").cast(pl.Categorical))
    out = GUARD.scrub(frame)
    assert out.column("allowed").to_pylist() == WANT
    assert pl.from_arrow(out)["allowed"].to_list() == WANT
    batches = list(GUARD.scrub_batches(frame))
    assert [v for b in batches for v in b.column("allowed").to_pylist()] == WANT
    bad = frame.rename({"last_purchase": "last_purchased"})
    with pytest.raises(CallColumnError, match="did you mean 'last_purchase'"):
        GUARD.scrub(bad)


def test_duckdb() -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    rel = con.sql(
        """
        select * from (values
            ('212-555-0199', TIMESTAMPTZ '2026-03-16 18:00:00+00', 'acme', NULL::DATE, 'a'),
            ('212-555-0100', TIMESTAMPTZ '2026-03-16 18:00:00+00', 'acme', NULL::DATE, 'b'),
            ('212-555-0199', TIMESTAMPTZ '2026-03-16 18:00:00+00', 'acme', DATE '2025-12-01', 'c')
        ) as t("to", "at", seller, last_purchase, notes)
        """
    )
    out = GUARD.scrub(rel)
    assert out.column("allowed").to_pylist() == WANT
    batches = list(GUARD.scrub_batches(con.sql("select * from rel")))
    assert [v for b in batches for v in b.column("allowed").to_pylist()] == WANT
