"""A number is not a time: pydantic's lax mode read ``at=1773669600`` (or ``"1773669600"``) as
seconds since 1970 and ``Guard.check`` decided that call, where ``Guard.scrub`` refuses an
integer ``at`` column. Both front ends refuse it naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dncguard
from dncguard.layers import Chunk, LayerKey, Op

D = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def guard() -> dncguard.Guard:
    registry = dncguard.Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    np.array([2125550101], np.uint64),
                    {212: D},
                    obtained=D,
                )
            ]
        ]
    )
    return dncguard.Guard(registry)


NUMBERS = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**45),
    st.floats(min_value=-1e12, max_value=1e15, allow_nan=False),
    st.integers(min_value=0, max_value=2**45).map(str),
    st.booleans(),
)


@given(value=NUMBERS)
def test_a_number_for_at_is_refused_naming_the_field(guard: dncguard.Guard, value: Any) -> None:
    call = {"to": "212-555-0101", "at": value, "seller": "acme"}
    with pytest.raises(dncguard.InvalidCallError, match="a number is not a time") as e:
        guard.check(call)
    assert e.value.field == "at"
    with pytest.raises(ValueError, match="a number is not a time"):
        dncguard.Call(**call)


@given(value=NUMBERS)
def test_a_number_in_attempts_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="in the list: a number is not a time"):
        dncguard.Call(to="212-555-0101", at="2026-03-16T14:00:00Z", seller="acme", attempts=[value])


def test_times_are_still_read(guard: dncguard.Guard) -> None:
    decision = guard.check({"to": "212-555-0101", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"})
    assert not decision.allowed


@pytest.mark.parametrize(
    "column", [pa.array([1773669600], pa.int64()), pa.array([1773669600.0]), pa.array(["1773669600"])]
)
def test_scrub_refuses_a_number_column_for_at_too(guard: dncguard.Guard, column: pa.Array) -> None:
    table = pa.table({"to": ["212-555-0101"], "at": column, "seller": ["acme"]})
    with pytest.raises(dncguard.CallColumnError) as e:
        guard.scrub(table)
    assert e.value.column == "at"
