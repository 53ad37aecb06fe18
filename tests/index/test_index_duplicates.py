"""Never lose a listed number: the index holds exactly the distinct numbers put in, whatever the
repetition, order or block density (a block denser than an encoding piece, one number repeated
more times than a piece holds, the same list many times over)."""

from __future__ import annotations

import datetime as dt
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard.index import PIECE, BlockIndex, _codec, encode_pieces, unique_sorted
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

D1 = dt.date(2026, 3, 10)
PREFIXES = [212555, 212556, 305555, 416555]


def examples(fast: int, thorough: int) -> settings:
    """``fast`` examples in the default profile, ``thorough`` in the thorough pass (each example
    builds arrays of up to a few hundred thousand numbers: 10,000 would take too long)."""
    return settings(max_examples=fast if settings().max_examples <= 200 else thorough)


def decoded(enc: _codec.Encoded) -> np.ndarray:
    return _codec.decode(enc.entries, enc.prefixes, np.concatenate([enc.data, np.zeros(8, np.uint8)]))


@st.composite
def repeated_numbers(draw: st.DrawFn) -> np.ndarray:
    """Numbers in a few blocks, each block sparse to full, each number repeated 1 to many times,
    the whole list possibly repeated, in sorted or shuffled order."""
    parts = []
    for prefix in draw(st.lists(st.sampled_from(PREFIXES), max_size=4)):
        n = draw(st.sampled_from([1, 3, 50, 2000, 9999, 10_000]))
        seed = draw(st.integers(0, 2**32 - 1))
        lines = np.random.default_rng(seed).choice(10_000, n, replace=False)
        reps = draw(st.sampled_from([1, 2, 5, 40]))
        parts.append(np.repeat(prefix * 10_000 + lines.astype(np.int64), reps))
    if draw(st.booleans()):  # one number repeated heavily
        parts.append(np.full(draw(st.sampled_from([3, 1000, 70_000])), 2125550143))
    a = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    a = np.tile(a, draw(st.sampled_from([1, 3])))
    return a.astype(np.uint64)


@examples(60, 1000)
@given(repeated_numbers(), st.sampled_from([1, 2, 7, 1000, 9999, 10_000, 10_001, 65_536, PIECE]))
def test_encoded_pieces_hold_exactly_the_distinct_numbers(numbers: np.ndarray, piece: int) -> None:
    numbers = np.sort(numbers)
    expected = np.unique(numbers)  # slow on ints (PERF-NOTES), fine at this size
    enc = encode_pieces(numbers, piece=piece)
    assert decoded(enc).tolist() == expected.tolist()
    assert np.all(np.diff(enc.prefixes.astype(np.int64)) > 0), "one directory entry per block"
    # tiny pieces loop in Python per piece: keep them for short lists
    step = piece if len(numbers) < 2000 else max(piece, 997)
    assert unique_sorted(numbers.copy(), piece=step).tolist() == expected.tolist()


@examples(30, 300)
@given(repeated_numbers(), st.sampled_from(["national", "state", "internal"]))
def test_a_built_layer_holds_exactly_the_distinct_numbers(numbers: np.ndarray, kind: str) -> None:
    rng = np.random.default_rng(len(numbers))
    shuffled = numbers[rng.permutation(len(numbers))]
    key = {
        "national": LayerKey.national("US"),
        "state": LayerKey.state("US-TX"),
        "internal": LayerKey.internal("acme"),
    }[kind]
    npas = {int(n) // 10_000_000 for n in numbers.tolist()} or {212}
    coverage = dict.fromkeys(npas, D1) if kind == "national" else {}
    half = len(shuffled) // 2
    chunks = [
        Chunk(key, Op.REPLACE, shuffled[:half], coverage=coverage, obtained=D1),
        Chunk(key, Op.REPLACE, shuffled[half:], coverage=coverage, obtained=D1),
    ]
    registry = Registry.build([chunks])
    expected = np.unique(numbers)
    assert registry.layers[0].count == len(expected)
    assert registry._indexes[0].numbers().tolist() == expected.tolist()
    assert bool(registry.membership(expected).all())


def test_a_number_repeated_more_times_than_a_piece_is_kept() -> None:
    """The reproduction: 2125550143 listed 262,144 times, then one more number."""
    numbers = np.array([2125550143] * PIECE + [2125550199], dtype=np.uint64)
    registry = Registry.build(
        [[Chunk(LayerKey.national("US"), Op.REPLACE, numbers, coverage={212: D1}, obtained=D1)]]
    )
    assert registry.layers[0].count == 2
    assert [x.layer.name for x in registry.lookup("2125550143")] == ["us-ftc"]
    assert [x.layer.name for x in registry.lookup("2125550199")] == ["us-ftc"]


def test_a_file_of_one_number_repeated_builds_through_the_ftc_reader(tmp_path: pathlib.Path) -> None:
    import dncguard

    path = tmp_path / "d.txt"
    path.write_text("2125550143\n" * PIECE + "2125550199\n")
    registry = dncguard.Registry.build([dncguard.sources.ftc(path, obtained=D1)])
    assert registry.layers[0].count == 2
    assert registry.lookup("2125550143") != ()


def test_an_exchange_repeated_thirty_times_keeps_every_number() -> None:
    lines = np.arange(10_000, dtype=np.uint64) + np.uint64(2125550000)
    numbers = np.tile(lines, 30)
    ix = BlockIndex.from_numbers(unique_sorted(np.sort(numbers)))
    assert ix.count == 10_000
    assert bool(ix.contains(lines).all())
    enc = encode_pieces(np.sort(numbers), piece=1000)
    assert decoded(enc).tolist() == lines.tolist()


def test_a_change_list_repeating_additions_keeps_every_number() -> None:
    lines = np.arange(0, 10_000, 3, dtype=np.uint64) + np.uint64(2125550000)
    base = Registry.build(
        [[Chunk(LayerKey.national("US"), Op.REPLACE, lines[:10], coverage={212: D1}, obtained=D1)]]
    )
    adds = np.tile(lines, 100)
    updated = base.update(
        [[Chunk(LayerKey.national("US"), Op.ADD, adds, coverage={212: D1 + dt.timedelta(days=1)})]]
    )
    assert updated.layers[0].count == len(lines)
    assert bool(updated.membership(lines).all())


@pytest.mark.slow
def test_full_blocks_repeated_keep_every_number() -> None:
    """Every line of 40 blocks (full-block density), the list repeated 8 times and shuffled."""
    prefixes = np.array([212555 + k for k in range(20)] + [416200 + 7 * k for k in range(20)], np.uint64)
    full = (prefixes[:, None] * np.uint64(10_000) + np.arange(10_000, dtype=np.uint64)[None, :]).ravel()
    numbers = np.tile(full, 8)
    numbers = numbers[np.random.default_rng(7).permutation(len(numbers))]
    for key, coverage in (
        (LayerKey.national("US"), {212: D1, 416: D1}),
        (LayerKey.state("US-TX"), {}),
    ):
        registry = Registry.build([[Chunk(key, Op.REPLACE, numbers, coverage=coverage, obtained=D1)]])
        assert registry.layers[0].count == len(full)
        assert bool(registry.membership(full).all())
    for piece in (1, 9_999, 10_000, 10_001, 123_457, PIECE):
        assert decoded(encode_pieces(np.sort(numbers), piece=piece)).tolist() == np.sort(full).tolist()


def test_an_internal_entry_listed_twice_keeps_one_entry_and_the_binding_date() -> None:
    """Duplicates in an internal list: one entry; an undated duplicate wins (applies always, no
    consent postdates it), else the LATER request date: a consent given between two requests is
    ended by the second, so for every call on or after the later request (every call made today)
    the later date is the one that blocks (RULES 6.5); the earlier one would let that consent
    through."""
    acme = LayerKey.internal("acme")
    n = np.array([2125550143, 2125550143, 2125550144, 2125550144, 2125550144], dtype=np.uint64)
    dates = np.array(["2026-01-05", "2026-02-01", "2026-01-05", "NaT", "2026-02-01"], "datetime64[D]")
    registry = Registry.build([[Chunk(acme, Op.REPLACE, n, dates=dates)]])
    assert registry.layers[0].count == 2
    assert [x.on for x in registry.lookup(2125550143)] == [dt.date(2026, 2, 1)]
    assert [x.on for x in registry.lookup(2125550144)] == [None]
