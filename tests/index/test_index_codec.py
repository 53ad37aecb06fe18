"""Block containers and the layer index: every container round-trips and answers like a set."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard.index import BlockIndex, _codec

PREFIXES = [200200, 200201, 212555, 212556, 416555, 999999]


@st.composite
def number_sets(draw: st.DrawFn) -> np.ndarray:
    """Sets of numbers in a few blocks, each sparse, clustered, dense or full (all containers)."""
    blocks = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PREFIXES),
                st.one_of(
                    st.sampled_from([1, 2, 17, 300, 1500, 2600, 6000, 9999, 10000]), st.integers(0, 10000)
                ),
                st.integers(0, 2**32 - 1),
                st.sampled_from(["uniform", "run", "edges"]),
            ),
            max_size=4,
        )
    )
    parts = []
    for prefix, n, seed, shape in blocks:
        rng = np.random.default_rng(seed)
        if shape == "uniform":
            lines = rng.choice(10_000, n, replace=False)
        elif shape == "run":  # a run of consecutive lines overflows the bucket counts of a sparse block
            start = int(rng.integers(0, 10_001 - n))
            lines = np.arange(start, start + n)
        else:
            lines = np.concatenate([np.arange(min(n, 40)), np.arange(10_000 - min(n, 40), 10_000)])
        parts.append(prefix * 10_000 + lines.astype(np.int64))
    if not parts:
        return np.zeros(0, np.uint64)
    return np.unique(np.concatenate(parts)).astype(np.uint64)


def queries_for(numbers: np.ndarray) -> np.ndarray:
    near = np.concatenate([numbers, numbers + np.uint64(1), numbers - np.uint64(1)])
    edges = np.array(
        [0, 1, 1_999_999_999, 2_000_000_000, 9_999_999_999, 10_000_000_000, 2**63, 2**64 - 1]
        + [p * 10_000 + x for p in PREFIXES for x in (0, 1, 7, 8, 4999, 9998, 9999)],
        dtype=np.uint64,
    )
    return np.concatenate([near, edges])


def examples(fast: int) -> settings:
    """``fast`` examples in the default (quick) profile; the profile's own count otherwise."""
    current = settings().max_examples
    return settings(max_examples=fast if current <= 200 else current)


@examples(80)
@given(number_sets())
def test_blocks_round_trip_and_answer_like_a_set(numbers: np.ndarray) -> None:
    ix = BlockIndex.from_numbers(numbers)
    assert ix.count == len(numbers)
    assert np.array_equal(ix.numbers(), numbers)
    q = queries_for(numbers)
    expected = np.isin(q, numbers)  # fine at this size; the index itself never uses isin
    assert np.array_equal(ix.contains(q), expected)
    sample = np.concatenate([q[:: max(1, len(q) // 300)], q[-8:]])  # the Python path, on a sample
    assert [ix.contains_one(int(x)) for x in sample] == np.isin(sample, numbers).tolist()


@examples(80)
@given(number_sets(), number_sets(), number_sets(), st.sets(st.sampled_from([200, 212, 416, 999])))
def test_edit_equals_a_fresh_build(
    old: np.ndarray, adds: np.ndarray, dels: np.ndarray, clear: set[int]
) -> None:
    dels = np.setdiff1d(dels, adds).astype(np.uint64)
    ix = BlockIndex.from_numbers(old)
    edited = ix.edit(clear_npas=sorted(clear), adds=adds, dels=dels)
    keep = old[~np.isin(old // np.uint64(10_000_000), np.array(sorted(clear), dtype=np.uint64))]
    expected = np.union1d(np.setdiff1d(keep, dels), adds).astype(np.uint64)
    fresh = BlockIndex.from_numbers(expected)
    assert np.array_equal(edited.numbers(), expected)
    # canonical layout: an edited index is byte for byte the index built from scratch
    assert np.array_equal(edited.data, fresh.data)
    assert np.array_equal(edited.directory, fresh.directory)
    assert np.array_equal(edited.pages, fresh.pages)
    assert np.array_equal(ix.numbers(), old)  # the original is untouched


def test_each_container_type_is_chosen_where_it_is_smallest() -> None:
    rng = np.random.default_rng(7)
    sparse = 212_555 * 10_000 + np.sort(rng.choice(10_000, 3, replace=False))
    medium = 212_556 * 10_000 + np.sort(rng.choice(10_000, 1200, replace=False))
    dense = 212_557 * 10_000 + np.sort(rng.choice(10_000, 6000, replace=False))
    enc = _codec.encode(np.concatenate([sparse, medium, dense]).astype(np.uint64))
    kinds = (enc.entries & np.uint64(3)).tolist()
    assert kinds == [_codec.ARRAY, _codec.PACKED, _codec.BITMAP]
    sizes = _codec.container_sizes(enc.entries)
    assert sizes.tolist()[0] == 8
    assert sizes[2] == _codec.BITMAP_BYTES
    assert sizes.sum() == len(enc.data)
    # 1200 lines packed: within 1.5x of log2 C(10000, 1200) bits
    from math import comb, log2

    assert sizes[1] * 8 <= 1.5 * log2(comb(10_000, 1200))


def test_a_bucket_overflow_falls_back_to_a_smaller_bucket() -> None:
    lines = np.concatenate([np.arange(100, 140), [5000, 9000]])  # 40 consecutive lines, sparse elsewhere
    numbers = (212_555 * 10_000 + lines).astype(np.uint64)
    ix = BlockIndex.from_numbers(numbers)
    assert np.array_equal(ix.numbers(), numbers)
    assert ix.contains(numbers).all()


def test_dates_of_numbers() -> None:
    numbers = np.array([2125550001, 2125550002, 2125550003], dtype=np.uint64)
    dated = numbers[[0, 2]]
    days = np.array(["2026-01-02", "2026-03-04"], "datetime64[D]").view(np.int64)
    ix = BlockIndex.from_numbers(numbers, dated, days)
    got = ix.dates_of(np.array([2125550001, 2125550002, 2125550003, 2125550004], dtype=np.uint64))
    assert got.astype(str).tolist() == ["2026-01-02", "NaT", "2026-03-04", "NaT"]
    assert str(ix.date_one(2125550003)) == "2026-03-04"
    assert ix.date_one(2125550002) is None


def test_every_container_kind_answers_the_same() -> None:
    """Blocks from one line to nearly full get each container kind (array, packed, bitmap) by
    their own density, without tuning the codec: every number reads back, nothing else is in."""
    rng = np.random.default_rng(3)
    parts = [
        212_550 * 10_000 + np.sort(rng.choice(10_000, k, replace=False))
        for k in (1, 3, 4, 5, 40, 400, 900, 1500, 3000, 9000)
    ]
    numbers = np.concatenate([(part + b * 10_000) for b, part in enumerate(parts)]).astype(np.uint64)
    ix = BlockIndex.from_numbers(numbers)
    assert np.array_equal(ix.numbers(), numbers)
    kinds = set((ix.directory[ix.directory != 0] & np.uint64(3)).tolist())
    assert kinds == {_codec.ARRAY, _codec.PACKED, _codec.BITMAP}
    probes = np.concatenate([numbers, numbers + np.uint64(1)])
    assert np.array_equal(ix.contains(probes), np.isin(probes, numbers))


def test_a_dense_block_edited_in_place_matches_a_fresh_build() -> None:
    rng = np.random.default_rng(11)
    lines = np.sort(rng.choice(10_000, 6000, replace=False))
    numbers = (212_555 * 10_000 + lines).astype(np.uint64)
    ix = BlockIndex.from_numbers(numbers)
    absent = np.setdiff1d(np.arange(10_000), lines)[:10]
    adds = (212_555 * 10_000 + absent).astype(np.uint64)
    dels = numbers[::600]
    edited = ix.edit(adds=np.sort(np.concatenate([adds, adds])), dels=dels)  # repeated: counts once
    expected = np.union1d(np.setdiff1d(numbers, dels), adds).astype(np.uint64)
    fresh = BlockIndex.from_numbers(expected)
    assert edited.count == len(expected) == 6000
    assert np.array_equal(edited.data, fresh.data)
    assert np.array_equal(edited.directory, fresh.directory)
    assert (edited.directory[edited.directory != 0] & np.uint64(3)).tolist() == [_codec.BITMAP]


@pytest.mark.parametrize("sizes", [(1, 2), (3, 4), (4, 16), (1, 40), (2, 3, 4, 17)])
def test_small_arrays_answer_like_a_set(sizes: tuple[int, ...]) -> None:
    """Arrays of up to 4 lines are probed as the 16-bit lanes of one word, longer ones (runs of
    consecutive lines, which overflow a packed block's bucket counts) by binary search: both
    next to each other, with line 0, line 9999 and misses on every side."""
    rng = np.random.default_rng(sum(sizes))
    parts = []
    for k, prefix in enumerate(PREFIXES):
        n = sizes[k % len(sizes)]
        if n <= 4:
            lines = rng.choice(np.arange(1, 9999), n, replace=False)
            lines[0] = 0 if k % 3 == 0 else 9999 if k % 3 == 1 else lines[0]
        else:
            start = 0 if k % 3 == 0 else 10_000 - n if k % 3 == 1 else int(rng.integers(1, 9000))
            lines = np.arange(start, start + n)
        parts.append(prefix * 10_000 + np.unique(lines).astype(np.int64))
    numbers = np.unique(np.concatenate(parts)).astype(np.uint64)
    ix = BlockIndex.from_numbers(numbers)
    assert set((ix.blocks()[1] & np.uint64(3)).tolist()) == {_codec.ARRAY}
    every = np.array([p * 10_000 + x for p in PREFIXES for x in range(10_000)], np.uint64)
    q = np.concatenate([queries_for(numbers), every])
    assert np.array_equal(ix.contains(q), np.isin(q, numbers))
