"""The report's slices joined into buffers used again (``_lines._Buffers``) and written a step
at a time (``_report._write_in_steps``): the same bytes as fresh buffers and one write."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard._ledger import _chain
from dncguard.cli import _lines, _report

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


@pytest.mark.parametrize("size", [0, 1, 6, 7, 8, 13, 14, 15, 100])
def test_lines_written_in_steps_are_the_same_bytes(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """A slice's bytes written a few bytes a call (the step made small) land whole and in order,
    through a binary file and through a text stream's buffer."""
    monkeypatch.setattr(_report, "_WRITE_BYTES", 7)
    data = bytes(range(48, 48 + 75))[:size].decode()
    lines = pa.array([data[i : i + 5] for i in range(0, len(data), 5)] or [""], pa.large_string())
    target = io.BytesIO()
    _report._Sink(None, target).lines(lines)
    assert target.getvalue() == data.encode()
    text = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    text.write("head ")
    _report._Sink(text).lines(lines)
    text.flush()
    assert text.buffer.getvalue() == b"head " + data.encode()  # type: ignore[attr-defined]


def test_junit_written_in_place_in_steps_is_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Into a regular file written in place, every byte lands, in order, a step at a time."""
    monkeypatch.setattr(_report, "_WRITE_BYTES", 7)
    path = tmp_path / "out.xml"
    data = "".join(chr(0x41 + i % 26) + ("\u00e9" if i % 5 == 0 else "") for i in range(101)).encode()
    with open(path, "w", encoding="utf-8") as out:
        out.write("before\n")
        in_place = _report._InPlace.of(out)
        assert in_place is not None
        assert in_place.write(data) == len(data)
        in_place.finish(b"HEAD")  # written over the report's first bytes, where it began
    assert path.read_bytes() == b"before\n" + b"HEAD" + data[4:]
