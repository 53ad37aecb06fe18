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


# A number is not a date either: pydantic read 1773619200 (or "1773619200", or 1773619200.0)
# as 2026-03-16, the day that many seconds after 1970 begins, in every evidence date.
DAY_SECONDS = st.integers(min_value=0, max_value=2**33 // 86400).map(lambda d: d * 86400)
DATE_NUMBERS = st.one_of(DAY_SECONDS, DAY_SECONDS.map(str), DAY_SECONDS.map(float), NUMBERS)
EVIDENCE = st.sampled_from(
    [
        ("last_purchase", lambda v: {"last_purchase": v}),
        ("consent_on", lambda v: {"consent_on": v, "consent_kind": "written"}),
        ("dnc_requested_on", lambda v: {"dnc_requested_on": v}),
        ("reassigned_on", lambda v: {"reassigned_on": v}),
        (
            "relationships.0.on",
            lambda v: {"relationships": [{"kind": "purchase", "on": v, "seller": "acme"}]},
        ),
        (
            "consents.0.revoked_on",
            lambda v: {
                "consents": [{"kind": "written", "on": "2026-03-01", "seller": "acme", "revoked_on": v}]
            },
        ),
    ]
)


@given(value=DATE_NUMBERS, evidence=EVIDENCE)
def test_a_number_for_an_evidence_date_is_refused_naming_the_field(
    guard: dncguard.Guard, value: Any, evidence: Any
) -> None:
    field, fields = evidence
    call = {"to": "212-555-0101", "at": "2026-03-16T14:00:00-04:00", "seller": "acme", **fields(value)}
    with pytest.raises(dncguard.InvalidCallError, match="a number is not a date") as e:
        guard.check(call)
    assert e.value.field == field


def test_evidence_dates_are_still_read(guard: dncguard.Guard) -> None:
    call = {"to": "212-555-0101", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"}
    assert guard.check({**call, "last_purchase": "2026-03-01"}).allowed
    assert guard.check({**call, "last_purchase": dt.date(2026, 3, 1)}).allowed
    assert guard.check({**call, "last_purchase": "2026-03-01T09:00:00-05:00"}).allowed
