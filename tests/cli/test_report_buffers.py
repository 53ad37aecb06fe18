"""The report's slices joined into buffers used again (``_lines._Buffers``) and written a step
at a time (``_report._write_in_steps``): the same bytes as fresh buffers and one write."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard._ledger import _chain
from dncguard.cli import _lines

_LINE = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n"), max_size=40)


@st.composite
def _slice(draw: st.DrawFn) -> tuple[list[object], int, int]:
    """The pieces of one slice of a report (texts, the seq, an array, decimals, texts taken from
    a table), its row count and first seq."""
    n = draw(st.integers(0, 30))
    table = _chain.Texts(draw(st.lists(_LINE, min_size=1, max_size=4)))
    pieces: list[object] = [
        draw(_LINE),
        None,
        pa.array(draw(st.lists(_LINE, min_size=n, max_size=n)), pa.string()),
        _chain.Decimals(
            np.array(draw(st.lists(st.integers(0, 2**64 - 1), min_size=n, max_size=n)), np.uint64)
        ),
        _chain.Taken(table, draw(st.lists(st.integers(0, len(table) - 1), min_size=n, max_size=n))),
    ]
    return pieces, n, draw(st.integers(1, 10**12))


@settings(max_examples=150, deadline=None)
@given(
    slices=st.lists(_slice(), min_size=1, max_size=12),
    ahead=st.integers(0, 4),
    kept=st.integers(0, 3),
)
def test_slices_joined_into_buffers_used_again_are_the_twin_s_bytes(
    slices: list[tuple[list[object], int, int]], ahead: int, kept: int
) -> None:
    """Each slice joined through one pool, up to ``ahead`` of them held (in flight, not yet
    written) while the next are joined, is byte for byte what the Arrow twin joins, and still
    is when it is written: a buffer is not lent again before it is given back."""
    buffers = _lines._Buffers(kept)
    held: list[tuple[pa.Array, bytes]] = []
    written: list[bytes] = []

    def write_oldest() -> None:
        lines, want = held.pop(0)
        got = b"".join(s.encode() for s in lines.to_pylist())
        assert got == want
        written.append(got)
        buffers.release(lines)

    for pieces, n, first_seq in slices:
        lines = _lines._joined(pieces, n, first_seq, buffers)
        want, _ = _chain.python_join(pieces, n, first_seq)
        held.append((lines, want))
        if len(held) > ahead:
            write_oldest()
    while held:
        write_oldest()
    assert written == [_chain.python_join(p, n, s)[0] for p, n, s in slices]


def test_a_buffer_is_lent_once_until_given_back() -> None:
    buffers = _lines._Buffers(4)
    first = buffers.allocate(1000)
    second = buffers.allocate(1000)
    assert first.address != second.address
    lines = pa.Array.from_buffers(pa.large_string(), 0, [None, first, second])
    buffers.release(lines)
    again = {buffers.allocate(1000).address, buffers.allocate(1000).address}
    assert again == {first.address, second.address}
    assert buffers.allocate(1000).address not in again  # both lent out again: a new one


def test_the_buffers_kept_are_bounded() -> None:
    buffers = _lines._Buffers(2)
    lent = [buffers.allocate(1000) for _ in range(6)]
    for ends, data in zip(lent[::2], lent[1::2], strict=True):
        buffers.release(pa.Array.from_buffers(pa.large_string(), 0, [None, ends, data]))
    assert len(buffers._free) == 2
    assert not buffers._lent
