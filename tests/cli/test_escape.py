"""Escaping a column of the input for a report: the whole column, or any slice of it, comes out
as the per-string escape would write each value."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from dncguard.cli._escape import (
    _TERMINAL_BYTES,
    _TERMINAL_UNSAFE,
    _XML_BYTES,
    _XML_UNSAFE,
    _safe_column,
    _terminal_text,
    _xml_text,
)

# Mostly printable text (a phone number as written), sometimes a character a terminal obeys or
# XML cannot hold, sometimes other non-ASCII text.
_CHARS = st.one_of(
    st.sampled_from("0123456789 +-().ext"),
    st.sampled_from("\x00\x01\x09\x0a\x0b\x0d\x1b\x7f\x85\x9f\u2028\u202e\u2066\ufffe\uffff"),
    st.characters(codec="utf-8"),
)


@given(
    texts=st.lists(st.one_of(st.none(), st.text(_CHARS, max_size=12)), max_size=12),
    lo=st.integers(0, 12),
    n=st.integers(0, 12),
    large=st.booleans(),
)
def test_a_slice_is_escaped_as_each_of_its_values(
    texts: list[str | None], lo: int, n: int, large: bool
) -> None:
    """The scan that decides whether a column needs escaping reads the slice's own bytes: a
    clean slice of a column holding an escape elsewhere stays as it is, an unsafe value inside
    is escaped."""
    values = pa.array(texts, pa.large_string() if large else pa.string()).slice(lo, n)
    chosen = texts[lo : lo + n]
    for pattern, starts, escape in (
        (_TERMINAL_UNSAFE, _TERMINAL_BYTES, _terminal_text),
        (_XML_UNSAFE, _XML_BYTES, _xml_text),
    ):
        got = _safe_column(values, pattern, starts).to_pylist()
        assert got == [None if t is None else escape(t) for t in chosen]
