"""Arrow helpers against the Arrow kernels they stand in for: ``_arrow.trimmed`` gives what
``utf8_trim_whitespace`` gives, whatever the text; ``_write.iso_utc`` writes what ``strftime`` writes,
whatever the instant."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given
from hypothesis import strategies as st

from dncguard._arrow import trimmed
from dncguard.cli._write import iso_utc

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


_US = 1_000_000
_instants = st.integers(-70_000_000_000 * _US, 300_000_000_000 * _US)  # years -249 to 11476
_near_now = st.integers(1_700_000_000 * _US, 1_900_000_000 * _US)


@given(
    st.lists(st.one_of(st.none(), _instants, _near_now), max_size=20),
    st.lists(st.one_of(st.none(), _near_now), max_size=8),
    st.integers(0, 40),
)
@example([], [1_773_669_600 * _US], 30)  # one repeated instant: each distinct second written once
@example([253_402_300_799 * _US, 253_402_300_800 * _US], [], 0)  # 9999-12-31T23:59:59, then year 10000
@example([-30_610_224_000 * _US, -30_610_224_001 * _US], [], 0)  # 1000-01-01T00:00:00, a second before
@example([-1], [], 0)  # a microsecond before the epoch
def test_iso_utc_writes_what_strftime_writes(
    values: list[int | None], pool: list[int | None], repeats: int
) -> None:
    if pool:
        values = values + [pool[i % len(pool)] for i in range(repeats)]
    arr = pa.array(values, pa.timestamp("us", tz="UTC"))
    seconds = pc.cast(arr, pa.timestamp("s", tz="UTC"), safe=False)
    want = pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ")
    assert iso_utc(arr).to_pylist() == want.to_pylist()
    assert (
        iso_utc(pa.chunked_array([arr.slice(0, 3), arr.slice(3)], arr.type)).to_pylist() == want.to_pylist()
    )
