"""The decision columns ``scrub`` appends, and building them from per-group answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard.bulk._place import _NO_ROW
from dncguard.policy import Verdict

DECISION_FIELDS: Final = (
    pa.field("allowed", pa.bool_(), nullable=False),
    pa.field("reason", pa.string()),
    pa.field("reasons", pa.list_(pa.string()), nullable=False),
    pa.field("next_allowed_at", pa.timestamp("us", tz="UTC")),
)
"""The columns ``scrub`` appends to its input, in this order."""


REPLACED_COLUMNS: Final = frozenset(f.name for f in DECISION_FIELDS) | {"registry_id", "consulted"}
"""The input columns ``scrub`` drops: its decision columns, and the provenance ones (which it
writes only with ``provenance=True``): a re-scrub's output never carries the earlier decisions'
``registry_id`` and ``consulted`` beside the new decisions."""


def decision_schema(schema: pa.Schema) -> pa.Schema:
    """The schema of ``scrub``'s output for an input of ``schema``: input + decision columns
    (input columns of those names, or of the provenance columns', dropped).

    >>> decision_schema(pa.schema([("to", pa.string())])).names
    ['to', 'allowed', 'reason', 'reasons', 'next_allowed_at']
    """
    kept = [f for f in schema if f.name not in REPLACED_COLUMNS]
    return pa.schema([*kept, *DECISION_FIELDS], metadata=schema.metadata)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _append(batch: pa.RecordBatch, columns: Sequence[pa.Array]) -> pa.RecordBatch:
    if not batch.num_rows:
        # Built afresh: an empty batch imported through Arrow's C interface may carry an offset
        # that Arrow's own validation refuses (a sliced string_view column, pyarrow 26).
        schema = decision_schema(batch.schema)
        return pa.RecordBatch.from_arrays([pa.nulls(0, f.type) for f in schema], schema=schema)
    keep = [i for i, f in enumerate(batch.schema) if f.name not in REPLACED_COLUMNS]
    arrays = [batch.column(i) for i in keep] + list(columns)
    return pa.RecordBatch.from_arrays(arrays, schema=decision_schema(batch.schema))


def _decision_columns(
    verdicts: Sequence[Verdict], inverse: npt.NDArray[np.intp], next_at: npt.NDArray[np.int64]
) -> list[pa.Array]:
    """The four decision columns: per-group answers gathered to the rows by Arrow's ``take``."""
    codes = [[r.code.value for r in v.reasons] for v in verdicts]
    rows = pa.array(inverse.astype(np.int32, copy=False), pa.int32())
    return [
        _bools(np.array([v.allowed for v in verdicts], bool)[inverse]),
        pc.take(pa.array([c[0] if c else None for c in codes], pa.string()), rows),
        pc.take(pa.array(codes, pa.list_(pa.string())), rows),
        pa.array(next_at, pa.int64(), mask=next_at == _NO_ROW).cast(pa.timestamp("us", tz="UTC")),
    ]


def _bools(values: npt.NDArray[np.bool_]) -> pa.Array:
    """A numpy bool array as an Arrow one, bit-packed directly (``pa.array`` is slow for this)."""
    bitmap = np.packbits(values, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bitmap)])


def _strings(index: npt.NDArray[np.intp], values: Sequence[str]) -> pa.Array:
    """``values[index[i]]`` for each ``i`` as an Arrow string array (null where ``index`` < 0)."""
    positions = pa.array(index.astype(np.int32), pa.int32(), mask=index < 0)
    return pc.take(pa.array(values, pa.string()), positions)
