"""The allocator's free pages handed back every few seconds of a long command (dncguard._memtrim)."""

from __future__ import annotations

import itertools
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dncguard import _memtrim
from dncguard._memtrim import Trimmer


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _counting() -> tuple[list[int], Trimmer, _Clock]:
    calls: list[int] = []
    clock = _Clock()
    return calls, Trimmer(2.0, trim=lambda: calls.append(1), clock=clock), clock


def test_the_first_call_starts_the_clock_and_trims_nothing() -> None:
    calls, trimmer, _ = _counting()
    trimmer.due()
    assert calls == []
    assert trimmer.trims == 0


def test_a_trim_once_the_interval_passed_not_before() -> None:
    calls, trimmer, clock = _counting()
    trimmer.due()
    clock.now += 1.999
    trimmer.due()
    assert calls == []
    clock.now += 0.001
    trimmer.due()
    assert calls == [1]
    assert trimmer.trims == 1
    trimmer.due()  # the interval starts again from the trim
    assert trimmer.trims == 1
    clock.now += 2.0
    trimmer.due()
    assert trimmer.trims == 2


@given(st.lists(st.floats(min_value=0.0, max_value=5.0, allow_nan=False), max_size=60))
def test_trims_never_closer_than_the_interval(steps: list[float]) -> None:
    """However the work's pieces are spaced, two trims are at least ``every`` seconds apart and
    a trim happens whenever a piece ends ``every`` seconds or more after the last one."""
    clock = _Clock()
    at: list[float] = []
    trimmer = Trimmer(2.0, trim=lambda: at.append(clock.now), clock=clock)
    trimmer.due()
    last = clock.now
    for step in steps:
        clock.now += step
        before = trimmer.trims
        trimmer.due()
        assert (trimmer.trims == before + 1) == (clock.now - last >= 2.0)
        if trimmer.trims > before:
            last = clock.now
    assert all(b - a >= 2.0 for a, b in itertools.pairwise(at))


def test_without_a_trim_function_nothing_happens() -> None:
    trimmer = Trimmer(0.0, trim=None)
    trimmer.due()
    trimmer.due()
    assert trimmer.trims == 0


def test_a_negative_or_nan_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="every=-1"):
        Trimmer(-1)
    with pytest.raises(ValueError, match="every=nan"):
        Trimmer(float("nan"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_the_c_library_trim_runs_where_there_is_one() -> None:
    """On Linux with glibc the real ``malloc_trim`` is found and can be called; elsewhere (musl)
    the trimmer is a no-op rather than an error."""
    trimmer = Trimmer(0.0)
    trimmer.due()
    trimmer.due()
    assert trimmer.trims == (0 if _memtrim._TRIM is None else 1)
