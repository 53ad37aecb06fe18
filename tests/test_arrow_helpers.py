"""``_arrow.trimmed``: the same values as Arrow's ``utf8_trim_whitespace``, whatever the text."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given
from hypothesis import strategies as st

from dncguard._arrow import trimmed

_SPACES = " \t\n\r\v\f\x1c\x1f\u0085\u00a0\u2003\u3000"
_values = st.lists(
    st.one_of(
        st.none(),
        st.text(alphabet=st.sampled_from("2026-03-16T14:00Z+" + _SPACES + "é"), max_size=12),
        st.text(max_size=6),
    ),
    max_size=30,
)


@given(_values, st.integers(0, 5), st.integers(0, 5))
@example(["2026-03-16T14:00:00Z", " 2026", "x\u00a0"], 0, 0)
@example([None, "", "a"], 1, 0)
def test_trimmed_equals_utf8_trim_whitespace(values: list[str | None], lo: int, cut: int) -> None:
    arr = pa.array(values, pa.string())
    # Sliced arrays too: their offsets start past the buffer's first value.
    arr = arr.slice(min(lo, len(arr)), max(len(arr) - lo - cut, 0))
    assert trimmed(arr).to_pylist() == pc.utf8_trim_whitespace(arr).to_pylist()


def test_clean_text_is_returned_without_a_copy() -> None:
    arr = pa.array(["2026-03-16T14:00:00-04:00", None, "2026-03-17T09:00:00Z"])
    assert trimmed(arr) is arr
    assert trimmed(pa.array([" 2026-03-16T14:00:00Z"])).to_pylist() == ["2026-03-16T14:00:00Z"]


def test_every_ascii_character_arrow_trims_is_trimmed() -> None:
    # Arrow trims more ASCII than " \t\n\v\f\r" (also \x1c-\x1f): each character alone, at
    # either end of a value.
    for code in range(128):
        c = chr(code)
        arr = pa.array([f"{c}2026", f"2026{c}", "2026"])
        assert trimmed(arr).to_pylist() == pc.utf8_trim_whitespace(arr).to_pylist(), repr(c)
