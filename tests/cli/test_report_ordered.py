"""The ``check`` report's slices are built on two threads and written in the order they were
handed over, by whichever thread's turn it is (``_report._Ordered``); once one fails, nothing
after it is written and its error reaches the caller."""

from __future__ import annotations

import random
import threading
import time

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard.cli._report import _Ordered


def _lines(number: int, delay: float) -> pa.Array:
    time.sleep(delay)
    return pa.array([f"slice {number}\n"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 0.004), min_size=1, max_size=24), st.integers(1, 4))
def test_slices_are_written_in_the_order_handed_over(delays: list[float], ahead: int) -> None:
    written: list[str] = []
    threads: set[str] = set()

    def write(lines: pa.Array) -> None:
        threads.add(threading.current_thread().name)
        written.extend(lines.to_pylist())

    ordered = _Ordered(_lines, write)
    for number, delay in enumerate(delays):
        ordered.wait(ahead)
        ordered.submit(number, delay)
    ordered.drain()
    ordered.close()
    assert written == [f"slice {n}\n" for n in range(len(delays))]
    assert threading.current_thread().name not in threads  # written by the formatting threads


def _feed(ordered: _Ordered, count: int) -> None:
    for number in range(count):
        ordered.submit(number)
    ordered.drain()


def test_nothing_after_a_slice_that_fails_to_build_is_written() -> None:
    written: list[str] = []

    def build(number: int) -> pa.Array:
        time.sleep(random.uniform(0, 0.002))
        if number == 5:
            raise ValueError("slice 5 cannot be built")
        return pa.array([str(number)])

    ordered = _Ordered(build, lambda lines: written.extend(lines.to_pylist()))
    with pytest.raises(ValueError, match="slice 5"):
        _feed(ordered, 20)
    ordered.close()
    assert written == [str(n) for n in range(5)]


def test_nothing_after_a_failed_write_is_written_and_the_error_reaches_the_caller() -> None:
    written: list[str] = []

    def write(lines: pa.Array) -> None:
        (text,) = lines.to_pylist()
        if text == "3":
            raise BrokenPipeError("the reader went away")
        written.append(text)

    ordered = _Ordered(lambda number: pa.array([str(number)]), write)
    with pytest.raises(BrokenPipeError):
        _feed(ordered, 20)
    ordered.close()
    assert written == ["0", "1", "2"]


def test_close_after_the_caller_s_error_writes_what_was_handed_over_and_keeps_that_error() -> None:
    """An error of the caller's (a stale registry met in a later batch): the slices already
    handed over are written, as they were when each piece was written before the next was
    decided, and the caller's error is the one raised."""
    written: list[str] = []
    ordered = _Ordered(lambda number: _lines(number, 0.002), lambda lines: written.extend(lines.to_pylist()))

    def decide() -> None:
        try:
            for number in range(3):
                ordered.submit(number)
            raise LookupError("the caller's")
        finally:
            ordered.close()

    with pytest.raises(LookupError, match="the caller's"):
        decide()
    assert written == [f"slice {n}\n" for n in range(3)]
