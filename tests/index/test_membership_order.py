"""Registry.membership probes large query arrays in increasing order: answers stay in input order."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from dncguard.index import sort_queries
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

DAY = dt.date(2026, 3, 10)


def build(rng: np.random.Generator) -> tuple[Registry, list[np.ndarray]]:
    national = np.unique(rng.integers(2_000_000_000, 9_999_999_999, 20_000)).astype(np.uint64)
    state = np.unique(national[rng.integers(0, len(national), 300)] // np.uint64(10) * np.uint64(10))
    internal = np.unique(rng.integers(2_000_000_000, 9_999_999_999, 500)).astype(np.uint64)
    npas = sorted({int(n) // 10**7 for n in national})
    registry = Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    national,
                    coverage=dict.fromkeys(npas, DAY),
                    obtained=DAY,
                )
            ],
            [Chunk(LayerKey.state("US-TX"), Op.REPLACE, state, obtained=DAY)],
            [Chunk(LayerKey.internal("acme"), Op.REPLACE, internal)],
        ]
    )
    return registry, [national, state, internal]


#: ``Registry.membership`` sorts a query array of 32,768 (``1 << 15``) numbers or more before
#: probing: the sizes on either side of that threshold, and well past it, reach both paths.
SIZES = [1, 5, (1 << 15) - 1, 1 << 15, 47_019]


@pytest.mark.parametrize("seed", [0, 1])
def test_membership_answers_in_input_order(seed: int) -> None:
    """Unsorted, duplicated and out-of-range queries (0, below 2e9, 10**10 and more, 2**64 - 1):
    the same answers, in the same order, whether the queries are sorted first or not."""
    rng = np.random.default_rng(seed)
    registry, layers = build(rng)
    listed = np.concatenate(layers)
    queries = np.concatenate(
        [
            listed[rng.integers(0, len(listed), 40_000)],  # hits, many of them repeated
            listed[rng.integers(0, len(listed), 5_000)] + np.uint64(1),
            rng.integers(0, 2**63, 1_998).astype(np.uint64),
            np.array([0, 1, 1_999_999_999, 10**10, 10**10 + 1, 2**63, 2**64 - 1] * 3, np.uint64),
        ]
    )
    assert len(queries) == SIZES[-1]
    queries = queries[rng.permutation(len(queries))]
    expected = np.zeros(len(queries), np.uint64)
    for i, numbers in enumerate(layers):
        expected |= np.isin(queries, numbers).astype(np.uint64) << np.uint64(i)
    for size in SIZES:
        assert np.array_equal(registry.membership(queries[:size]), expected[:size]), size
        assert np.array_equal(registry.membership(queries[-size:]), expected[-size:]), size
    assert np.array_equal(registry.membership(queries.reshape(3, -1)), expected.reshape(3, -1))


def test_sort_queries() -> None:
    rng = np.random.default_rng(1)
    q = np.concatenate(
        [rng.integers(0, 2**64 - 1, 1000, dtype=np.uint64), np.array([7, 7, 2**64 - 1], np.uint64)]
    )
    s, order = sort_queries(q)
    assert np.array_equal(s, np.sort(np.minimum(q, np.uint64(10**10))))
    assert np.array_equal(np.minimum(q, np.uint64(10**10))[order], s)
    assert np.array_equal(np.sort(order), np.arange(len(q)))
    empty, none = sort_queries(np.zeros(0, np.uint64))
    assert len(empty) == 0
    assert len(none) == 0
