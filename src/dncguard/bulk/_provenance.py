"""The provenance columns ``scrub(..., provenance=True)`` appends: ``registry_id`` and ``consulted``.

Each row's ``consulted`` is :meth:`dncguard._provenance.Provenance.for_mask` of its area code,
``callee_region``, seller and layer bits (the one derivation ``Guard.check`` uses too), asked once
per distinct combination and gathered to the rows by Arrow's ``take``. Nothing here runs unless
provenance is asked for (``Decided.decision`` asks for one row).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from dncguard._provenance import Provenance
from dncguard.bulk._grouping import factorize
from dncguard.models import Consulted

__all__ = ["CONSULTED_TYPE", "PROVENANCE_FIELDS", "ProvenanceRows"]

CONSULTED_TYPE: Final = pa.list_(
    pa.struct(
        [
            pa.field("layer", pa.string(), nullable=False),
            pa.field("jurisdiction", pa.string(), nullable=False),
            pa.field("obtained", pa.date32()),
            pa.field("listed", pa.bool_()),
        ]
    )
)
PROVENANCE_FIELDS: Final = (
    pa.field("registry_id", pa.string(), nullable=False),
    pa.field("consulted", CONSULTED_TYPE, nullable=False),
)
"""The columns ``scrub(..., provenance=True)`` appends after the decision columns."""
PROVENANCE_NAMES: Final = frozenset(f.name for f in PROVENANCE_FIELDS)


@dataclass(frozen=True)
class ProvenanceRows:
    """What a batch's provenance is computed from, kept by reference (no cost until asked)."""

    provenance: Provenance
    npa: npt.NDArray[np.intp]
    masks: npt.NDArray[np.uint64]
    seller_codes: npt.NDArray[Any]
    sellers: Sequence[Any]
    region_codes: npt.NDArray[Any]
    regions: Sequence[Any]
    value_ids: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None
    """The engine's numbers of ``sellers`` and ``regions`` (``_Engine.value_ids``): the same in
    every batch, unlike the codes, whose order depends on the batch."""
    memo: MutableMapping[bytes, tuple[Consulted, ...]] | None = None
    """``consulted`` by (area code, layer bits, seller and region numbers), kept by the engine
    across batches (None: none kept)."""

    def row(self, i: int) -> tuple[Consulted, ...]:
        """Row ``i``'s ``consulted``."""
        return self.provenance.for_mask(
            int(self.npa[i]),
            self.regions[int(self.region_codes[i])],
            str(self.sellers[int(self.seller_codes[i])]),
            int(self.masks[i]),
        )

    def distinct(self) -> tuple[list[tuple[Consulted, ...]], npt.NDArray[np.intp]]:
        """The distinct ``consulted`` values of the rows, and each row's index into them."""
        n = len(self.npa)
        if not n:
            return [], np.zeros(0, np.intp)
        masks = self.masks.astype(np.uint64, copy=False)
        if int(masks.max()) < 1 << 63:  # factorize takes non-negative int64 keys
            inverse, first = factorize(
                [
                    self.npa,
                    masks.astype(np.int64),
                    np.asarray(self.seller_codes, np.int64),
                    np.asarray(self.region_codes, np.int64),
                ]
            )
        else:
            keys = np.stack(
                [
                    self.npa.astype(np.uint64),
                    masks,
                    np.asarray(self.seller_codes, np.uint64),
                    np.asarray(self.region_codes, np.uint64),
                ],
                axis=1,
            )
            _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        return self._rows(np.asarray(first, np.intp)), np.asarray(inverse, np.intp).reshape(-1)

    def summary_values(self) -> list[tuple[Consulted, ...]]:
        """The ``consulted`` values of one row per distinct area code and seller: not every
        distinct value of the rows, but every national list they consulted with its
        ``obtained`` (which follows from the area code) and every seller's internal list,
        loaded or not (which follows from the seller); the rest of a row's value, whether each
        list holds the number and which state lists ``callee_region`` adds, follows from its
        layer bits and region. What ``check``'s text summary tallies, at the cost of grouping
        the rows by two keys instead of four."""
        n = len(self.npa)
        if not n:
            return []
        keys = [self.npa]
        if len(self.sellers) > 1:
            keys.append(np.asarray(self.seller_codes, np.int64))
        _, first = factorize(keys)
        return self._rows(np.asarray(first, np.intp))

    def _rows(self, first: npt.NDArray[np.intp]) -> list[tuple[Consulted, ...]]:
        """``consulted`` of rows ``first``, found in the engine's memo when an earlier batch
        had a row of the same area code, layer bits, seller and region."""
        memo, ids = self.memo, self.value_ids
        if memo is None or ids is None:
            return [self.row(r) for r in first.tolist()]
        if len(memo) > _MEMO:
            memo.clear()
        keys = np.stack(
            [
                self.npa[first].astype(np.int64),
                self.masks[first].astype(np.uint64).view(np.int64),
                ids[0][np.asarray(self.seller_codes)[first]],
                ids[1][np.asarray(self.region_codes)[first]],
            ],
            axis=1,
        )
        out = []
        for key, r in zip(_as_bytes(keys), first.tolist(), strict=True):
            found = memo.get(key)
            if found is None:
                found = memo[key] = self.row(r)
            out.append(found)
        return out

    def columns(self) -> list[pa.Array]:
        """The ``registry_id`` and ``consulted`` columns of every row."""
        n = len(self.npa)
        values, inverse = self.distinct()
        dumped = [[c.model_dump() for c in v] for v in values]
        consulted = pa.array(dumped, CONSULTED_TYPE).take(pa.array(inverse, pa.int32()))
        registry_id = pa.array([self.provenance.registry_id], pa.string()).take(
            pa.array(np.zeros(n, np.int32))
        )
        return [registry_id, consulted]


_MEMO: Final = 1 << 16
"""``consulted`` values an engine keeps across batches before it starts afresh."""


def _as_bytes(table: npt.NDArray[np.int64]) -> list[bytes]:
    """Each row of an ``int64`` table as bytes (a dictionary key)."""
    rows = np.ascontiguousarray(table).view(np.dtype((np.void, 8 * table.shape[1]))).ravel().tolist()
    return cast(list[bytes], rows)


def append_provenance(batch: pa.RecordBatch, rows: ProvenanceRows) -> pa.RecordBatch:
    """``batch`` (less any provenance columns it had: a re-scrub replaces them) + provenance."""
    keep = [i for i, f in enumerate(batch.schema) if f.name not in PROVENANCE_NAMES]
    fields = [batch.schema.field(i) for i in keep] + list(PROVENANCE_FIELDS)
    arrays = [batch.column(i) for i in keep] + rows.columns()
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, metadata=batch.schema.metadata))


def provenance_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with the provenance columns at the end (replacing any of the same name)."""
    kept = [f for f in schema if f.name not in PROVENANCE_NAMES]
    return pa.schema([*kept, *PROVENANCE_FIELDS], metadata=schema.metadata)
