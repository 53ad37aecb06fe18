"""The C join's pieces of decimals and whole lines (what ``check``'s report is built with),
against their Arrow twin, and the input it refuses."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard._ledger import _chain

_LINE = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n"), max_size=6)


@st.composite
def _pieces(draw: st.DrawFn, n: int) -> list[object]:
    """Decimals, whole lines (at most one piece), texts taken from a table encoded once, and the
    kinds around them (text, the seq, an array sliced at an offset), ``n`` values each."""
    pieces: list[object] = []
    whole = False
    for kind in draw(
        st.lists(st.sampled_from(["text", "seq", "array", "decimal", "whole", "texts"]), max_size=8)
    ):
        if kind == "text":
            pieces.append(draw(_LINE))
        elif kind == "seq":
            pieces.append(None)
        elif kind == "array":
            skip = draw(st.integers(0, 3))
            values = draw(st.lists(_LINE, min_size=n, max_size=n))
            pieces.append(pa.array(["x"] * skip + values, pa.string()).slice(skip))
        elif kind == "decimal":
            values = draw(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 20), min_size=n, max_size=n))
            pieces.append(_chain.Decimals(np.array(values, np.uint64)))
        elif kind == "texts":
            texts = _chain.Texts(draw(st.lists(_LINE, min_size=1, max_size=4)))
            index = draw(st.lists(st.integers(0, len(texts) - 1), min_size=n, max_size=n))
            pieces.append(_chain.Taken(texts, index))
        elif not whole:
            whole = True
            texts_list = draw(st.lists(_LINE, max_size=4))
            index = draw(st.lists(st.integers(-1, len(texts_list) - 1), min_size=n, max_size=n))
            pieces.append(_chain.Whole(texts_list, index))
    return pieces


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(0, 6), first_seq=st.integers(0, 10**15))
def test_decimals_and_whole_lines_in_c_give_the_arrow_twin(
    data: st.DataObject, n: int, first_seq: int
) -> None:
    """Every line is the others' pieces, or (a whole line) that text alone, in C exactly as the
    Arrow twin writes it; the twin's decimals are Python's and its whole lines the table's."""
    pieces = data.draw(_pieces(n))
    want, want_ends = _chain.python_join(pieces, n, first_seq)
    lines = want.split(b"\n")[:-1] if n else []
    assert len(lines) == n
    assert np.frombuffer(want_ends, np.int64).tolist() == [0, *np.cumsum([len(x) + 1 for x in lines])]
    for piece in pieces:
        if isinstance(piece, _chain.Whole):
            for i, k in enumerate(piece.index.tolist()):
                if k >= 0:
                    assert lines[i] == piece.texts[k].encode()
        if isinstance(piece, _chain.Decimals):
            assert piece.arrow().to_pylist() == [str(int(v)) for v in piece.values]
    if not _chain.COMPILED:
        return
    got = _chain.join(pieces, n, first_seq)
    assert got is not None
    assert got == (want, want_ends)


def test_whole_lines_out_of_their_texts_are_refused_by_either_join() -> None:
    with pytest.raises(ValueError, match="outside its texts"):
        _chain.Whole(["a"], [1])
    with pytest.raises(ValueError, match="outside its texts"):
        _chain.Whole(["a"], [-2])
    with pytest.raises(ValueError, match="at most one"):
        _chain.python_join([_chain.Whole(["a"], [0]), _chain.Whole(["b"], [-1])], 1, 1)
    if _chain.COMPILED:
        with pytest.raises(ValueError, match="at most one"):
            _chain.join([_chain.Whole(["a"], [0]), _chain.Whole(["b"], [-1])], 1, 1)


def test_the_c_join_refuses_decimals_and_whole_lines_that_do_not_hold() -> None:
    """Buffers of the wrong length, indices outside the table (below -1 or past it), two pieces
    of whole lines: ValueError, never a read outside a buffer."""
    if not _chain.COMPILED:
        pytest.skip("the optional C chain (dncguard._ledger._chainc) was not built here")
    from dncguard._ledger import _chainc

    i64 = lambda *v: np.array(v, np.int64)  # noqa: E731
    ends, texts = i64(0, 1, 3), b"abc"
    assert _chainc.join([b"[", (5, np.array([0, 10**19], np.uint64)), b"]"], 2, 1)[0] == (
        b"[0]\n[10000000000000000000]\n"
    )
    assert _chainc.join([b"[", None, (6, ends, texts, i64(1, -1)), b"]"], 2, 7)[0] == b"bc\n[8]\n"
    bad_pieces: list[tuple[object, type[Exception], str]] = [
        ((5, np.array([1], np.uint64)), ValueError, "values"),  # one value for two lines
        ((5, b"\x00" * 17), ValueError, "values"),
        ((5,), TypeError, "piece"),
        ((6, ends, texts, i64(2, 0)), ValueError, "outside its texts"),  # index == number of texts
        ((6, ends, texts, i64(-2, 0)), ValueError, "outside its texts"),  # below -1
        ((6, ends, texts, i64(0)), ValueError, "index"),  # one index for two lines
        ((6, i64(0, 1, 9), texts, i64(1, 1)), ValueError, "outside its texts"),  # past the data
        ((6, i64(0, 2, 1), texts, i64(1, 1)), ValueError, "outside its texts"),  # backwards
        ((6, np.zeros(0, np.int64), b"", i64(-1, -1)), ValueError, "at least one"),
        ((6, b"\x00" * 9, texts, i64(0, 0)), ValueError, "int64"),
        ((6, ends, texts), TypeError, "piece"),
    ]
    for piece, error, message in bad_pieces:
        with pytest.raises(error, match=message):
            _chainc.join([b"[", piece, b"]"], 2, 1)
    with pytest.raises(ValueError, match="at most one"):
        _chainc.join([(6, ends, texts, i64(0, 0)), (6, ends, texts, i64(-1, -1))], 2, 1)
    # Where a line is whole, the other pieces are not read for it: a bad index there is never met.
    assert _chainc.join([(2, ends, texts, i64(99, 0)), (6, ends, texts, i64(1, -1))], 2, 1)[0] == b"bc\na\n"


@settings(max_examples=100, deadline=None)
@given(data=st.data(), n=st.integers(0, 6), first_seq=st.integers(0, 10**15))
def test_the_c_join_into_buffers_it_is_given_writes_the_same_bytes(
    data: st.DataObject, n: int, first_seq: int
) -> None:
    """With ``allocate`` (Arrow's memory pool, as ``check`` gives it), the lines and their ends
    are the bytes the join returns without it, in the buffers allocate made."""
    if not _chain.COMPILED:
        pytest.skip("the optional C chain (dncguard._ledger._chainc) was not built here")
    pieces = data.draw(_pieces(n))
    want = _chain.join(pieces, n, first_seq)
    sizes: list[int] = []

    def allocate(size: int) -> pa.Buffer:
        sizes.append(size)
        return pa.allocate_buffer(size)

    got = _chain.join(pieces, n, first_seq, allocate)
    assert want is not None
    assert got is not None
    payload, ends = got
    assert isinstance(payload, pa.Buffer)
    assert isinstance(ends, pa.Buffer)
    assert (payload.to_pybytes(), ends.to_pybytes()) == want
    assert sizes == [len(want[0]), 8 * (n + 1)]


def test_the_c_join_refuses_a_buffer_it_cannot_write_or_shorter_than_asked() -> None:
    if not _chain.COMPILED:
        pytest.skip("the optional C chain (dncguard._ledger._chainc) was not built here")
    from dncguard._ledger import _chainc

    pieces = [b"abc", None]
    with pytest.raises(ValueError, match="shorter than asked"):
        _chainc.join(pieces, 2, 1, lambda size: bytearray(max(size - 1, 0)))
    with pytest.raises(BufferError):  # read-only
        _chainc.join(pieces, 2, 1, lambda size: bytes(size))
    with pytest.raises(ZeroDivisionError):  # allocate's own error
        _chainc.join(pieces, 2, 1, lambda size: 1 // 0)
    # A longer buffer is written from its start; the ends say where the lines end.
    payload, ends = _chainc.join(pieces, 2, 1, lambda size: bytearray(size + 3))
    assert np.frombuffer(bytes(ends[:24]), np.int64).tolist() == [0, 5, 10]
    assert bytes(payload[:10]) == b"abc1\nabc2\n"
