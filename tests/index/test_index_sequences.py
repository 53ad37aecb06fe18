"""The index holds exactly the numbers the updates leave, pushed into the corners: full downloads
and change lists in several pieces, a number repeated hundreds of times, deletions of numbers
never listed, numbers deleted and added again in one change list, dense blocks patched in
place, an area code emptied by its change list (covered and empty, never uncovered), the
smallest and largest numbers of the plan, saves and reopens between any two updates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry
from profiles import THOROUGH

US = LayerKey.national("US")
D0 = dt.date(2026, 1, 5)
NPAS = (200, 212, 999)
#: exchanges: the first of the plan, a dense one, the last
EXCHANGES = (200, 555, 999)


@st.composite
def numbers(draw: st.DrawFn) -> list[int]:
    """Numbers of NPAS, some of them dense (a block of thousands of lines: a bitmap) or repeated."""
    out: list[int] = []
    for _ in range(draw(st.integers(0, 3))):
        npa, nxx = draw(st.sampled_from(NPAS)), draw(st.sampled_from(EXCHANGES))
        base = npa * 10_000_000 + nxx * 10_000
        shape = draw(st.sampled_from(["few", "dense", "repeated", "edges"]))
        if shape == "few":
            out += [base + x for x in draw(st.lists(st.integers(0, 9_999), max_size=20))]
        elif shape == "dense":
            step, start = draw(st.sampled_from([1, 2, 3])), draw(st.integers(0, 2))
            out += range(base + start, base + 10_000, step)
        elif shape == "repeated":
            out += [base + draw(st.integers(0, 9_999))] * draw(st.sampled_from([2, 300, 5_000]))
        else:
            out += [base, base + 9_999]
    return out


def pieces(values: list[int], cuts: int) -> list[np.ndarray]:
    a = np.array(values, np.uint64)
    return np.array_split(a, cuts) if len(a) else [a]


@st.composite
def sequences(draw: st.DrawFn) -> list[tuple[str, list[int], list[bool], tuple[int, ...], int, bool]]:
    """(kind, numbers, adds, area codes, pieces, save and reopen after) per update."""
    steps = []
    covered: set[int] = set()
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["full", "changes"])) if covered else "full"
        codes = draw(st.sets(st.sampled_from(NPAS), min_size=1)) if kind == "full" else covered
        nums = [n for n in draw(numbers()) if n // 10_000_000 in codes]
        if kind == "changes" and draw(st.booleans()):
            nums += nums  # deleted and added again (or the reverse), or repeated
        adds = [draw(st.booleans()) for _ in nums] if kind == "changes" else []
        covered |= set(codes)
        steps.append((kind, nums, adds, tuple(sorted(codes)), draw(st.integers(1, 3)), draw(st.booleans())))
    return steps


@settings(max_examples=300 if THOROUGH else 15, deadline=None)
@given(sequences())
def test_updates_save_and_reopen_keep_exactly_the_expected_numbers(
    tmp_path_factory: pytest.TempPathFactory,
    steps: list[tuple[str, list[int], list[bool], tuple[int, ...], int, bool]],
) -> None:
    path = tmp_path_factory.mktemp("seq") / "r.dncg"
    registry = Registry()
    expected: set[int] = set()
    coverage: dict[int, dt.date] = {}
    for i, (kind, nums, adds, codes, cuts, reopen) in enumerate(steps):
        day = D0 + dt.timedelta(days=i)
        cover = dict.fromkeys(codes, day)
        if kind == "full":
            chunks = [Chunk(US, Op.REPLACE, part, coverage=cover) for part in pieces(nums, cuts)]
            expected = {n for n in expected if n // 10_000_000 not in codes} | set(nums)
        else:
            chunks = []
            # one chunk per run of records of one operation, in their order: the last record wins
            run: list[int] = []
            for n, add in zip(nums, adds, strict=True):
                (expected.add if add else expected.discard)(n)
            for j, (n, add) in enumerate(zip(nums, adds, strict=True)):
                run.append(n)
                if j + 1 == len(nums) or adds[j + 1] != add:
                    op = Op.ADD if add else Op.DELETE
                    chunks += [Chunk(US, op, part, coverage=cover) for part in pieces(run, cuts)]
                    run = []
            chunks = chunks or [Chunk(US, Op.ADD, np.zeros(0, np.uint64), coverage=cover)]
            never = codes[0] * 10_000_000 + 3_001_234  # exchange 300: never listed
            chunks.append(Chunk(US, Op.DELETE, np.array([never], np.uint64), coverage=cover))
        coverage.update(cover)
        registry = registry.update([chunks])
        if reopen:
            registry.save(path)
            registry = Registry.open(path)
        want = np.array(sorted(expected), np.uint64)
        (layer,) = registry.layers
        assert layer.count == len(want)
        assert dict(layer.area_codes) == coverage  # an area code emptied stays covered
        probe = np.concatenate([want, want + np.uint64(1), want - np.uint64(1)]) if len(want) else want
        mask = registry.membership(probe).astype(bool)
        assert mask.tolist() == [int(n) in expected for n in probe.tolist()]
    if steps[-1][5]:
        assert Registry.open(path).id == registry.id
    # the same numbers and dates, built at once: the same id (the same bytes)
    fresh = Registry.build(
        [[Chunk(US, Op.REPLACE, np.array(sorted(expected), np.uint64), coverage=coverage)]]
    )
    assert fresh.id == registry.id
