"""The typing of a call file's columns takes short cuts in the common case (no blank cell, every
date plain ``YYYY-MM-DD``, every value in range): each gives what the full path gives."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dncguard._arrow import DATE_TIME_TEXT
from dncguard.cli import _tablefile
from dncguard.errors import CallColumnError
from dncguard.models import AT_RANGE
from strategies import cell_texts


def _blank_as_null_in_full(values: pa.Array) -> pa.Array:
    blank = pc.or_(pc.utf8_is_space(values), pc.equal(pc.binary_length(values), 0))
    return pc.if_else(blank, pa.scalar(None, values.type), values)


def _dates_in_full(values: pa.Array) -> pa.Array | str:
    """The dates of the column as the typing read them before its short cuts, or the error."""
    values = _blank_as_null_in_full(values)
    trimmed = pc.utf8_trim_whitespace(values)
    is_datetime = pc.match_substring_regex(trimmed, DATE_TIME_TEXT)  # a whole date-time
    try:
        dates = pc.if_else(is_datetime, pc.utf8_slice_codeunits(trimmed, 0, 10), trimmed).cast(pa.date32())
    except pa.ArrowInvalid:
        return "not a date"
    if pc.any(pc.less(dates, pa.scalar(dt.date(1, 1, 1), pa.date32()))).as_py():
        return "out of range"
    return dates


@given(st.lists(cell_texts(), max_size=12), st.integers(0, 3))
def test_blank_cells_are_absent_as_the_kernels_say(cells: list[str | None], offset: int) -> None:
    values = pa.array(["x"] * offset + cells, pa.string()).slice(offset)
    assert _tablefile._blank_as_null(values).equals(_blank_as_null_in_full(values))


@given(st.lists(cell_texts(), min_size=1, max_size=12))
def test_a_date_column_reads_as_the_full_path_reads_it(cells: list[str | None]) -> None:
    values = pa.array(cells, pa.string())
    expected = _dates_in_full(values)
    if isinstance(expected, str):
        with pytest.raises(CallColumnError) as error:
            _tablefile._parse_date(values, path="calls.csv", first_row=1, column="last_purchase")
        assert ("out of range" in str(error.value)) == (expected == "out of range")
    else:
        got = _tablefile._parse_date(values, path="calls.csv", first_row=1, column="last_purchase")
        assert got.equals(expected)


@given(st.lists(st.one_of(st.none(), st.booleans()), max_size=12))
def test_first_true_is_the_first_true_value(mask: list[bool | None]) -> None:
    expected = next((i for i, v in enumerate(mask) if v), None)
    assert _tablefile._first_true(pa.array(mask, pa.bool_())) == expected


_LOW_US, _HIGH_US = (pa.scalar(bound, pa.timestamp("us", tz="UTC")).value for bound in AT_RANGE)


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(_LOW_US - 2, _LOW_US + 2),
            st.integers(_HIGH_US - 2, _HIGH_US + 2),
            st.integers(_LOW_US - 10**15, _HIGH_US + 10**15),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_an_instant_is_refused_exactly_when_it_is_out_of_range(micros: list[int | None]) -> None:
    """The range of ``at`` is checked on the least and greatest instants as stored (microseconds),
    with the bounds as Arrow compares them: the first row outside is named, and none inside is."""
    values = pa.array(micros, pa.timestamp("us", tz="UTC"))
    low, high = (pa.scalar(bound, values.type) for bound in AT_RANGE)
    outside = pc.fill_null(pc.or_(pc.less(values, low), pc.greater(values, high)), False).to_pylist()
    text = pa.array([str(m) for m in micros], pa.string())
    if any(outside):
        with pytest.raises(CallColumnError) as error:
            _tablefile._check_range(values, *AT_RANGE, path="c.csv", first_row=1, column="at", text=text)
        assert error.value.row == 1 + outside.index(True)
    else:
        _tablefile._check_range(values, *AT_RANGE, path="c.csv", first_row=1, column="at", text=text)
