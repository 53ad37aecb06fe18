"""numpy's large blocks kept for reuse while ``check`` and ``scrub`` run (``dncguard._arraymem``).

The allocator hands numpy the memory of every array a command makes: a block given twice, a
block too short, or a reused block not zeroed for ``np.zeros`` would corrupt decisions silently.
These tests drive it through numpy's own operations (make, zero, grow, shrink, drop, in any order
and from several threads at once), with a small bound so that kept blocks are evicted often.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard import _arraymem
from dncguard._caches import ARRAY_BLOCKS_KEPT, ARRAY_BLOCKS_WAIT

C = pytest.importorskip("dncguard._arraymemc", reason="the optional extension was not built")

handler_name = np._core.multiarray.get_handler_name

KiB = 1024
# Lengths around the allocator's edges: the heap's blocks, the first map, a map's granule.
LENGTHS = st.one_of(
    st.integers(0, 300 * KiB),
    st.sampled_from([C.BIG - 64 - 1, C.BIG - 64, C.BIG, C.GRAN * 5 - 64, C.GRAN * 5 - 63]),
    st.integers(300 * KiB, 2 * KiB * KiB),
)


def _pattern(n: int, seed: int) -> np.ndarray:
    """``n`` bytes that differ from one seed to the next and along the array (period 251)."""
    return np.resize((np.arange(251, dtype=np.uint8) + np.uint8(seed % 256)), n)


def _fill(a: np.ndarray, seed: int) -> None:
    a[:] = _pattern(len(a), seed)


def _intact(a: np.ndarray, seed: int) -> bool:
    return bool(np.array_equal(a, _pattern(len(a), seed)))


def test_the_handler_is_set_for_the_block_and_set_back_after() -> None:
    before = handler_name()
    with _arraymem.kept_blocks():
        assert handler_name() == "dncguard_kept_maps"
        assert C.stats()["cap"] == ARRAY_BLOCKS_KEPT
        assert C.stats()["decay"] == ARRAY_BLOCKS_WAIT
        with _arraymem.kept_blocks():  # an in-process command inside another
            assert handler_name() == "dncguard_kept_maps"
        assert handler_name() == "dncguard_kept_maps"
        assert C.stats()["cap"] == ARRAY_BLOCKS_KEPT  # still needed by the outer one
    assert handler_name() == before
    # Once no command runs, nothing is kept: blocks freed later are handed back.
    assert C.stats()["kept"] == 0
    assert C.stats()["cap"] == 0


def test_only_the_threads_a_command_starts_take_part() -> None:
    names: dict[str, str] = {}

    def plain() -> None:
        names["plain"] = handler_name()

    def joined() -> None:
        _arraymem.in_thread()
        names["joined"] = handler_name()

    def outside() -> None:
        _arraymem.in_thread()  # no command running: nothing changes
        names["outside"] = handler_name()

    t = threading.Thread(target=outside)
    t.start()
    t.join()
    with _arraymem.kept_blocks():
        for f in (plain, joined):
            t = threading.Thread(target=f)
            t.start()
            t.join()
    assert names == {
        "plain": "default_allocator",
        "joined": "dncguard_kept_maps",
        "outside": "default_allocator",
    }


def test_without_the_extension_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_arraymem, "_C", None)
    before = handler_name()
    with _arraymem.kept_blocks():
        assert handler_name() == before
        _arraymem.in_thread()
        assert handler_name() == before
    assert _arraymem.stats() == {}


def test_a_freed_block_is_reused_and_zeroed_again() -> None:
    with _arraymem.kept_blocks():
        first = C.stats()
        a = np.full(400 * KiB, 0xAB, np.uint8)
        del a
        b = np.zeros(400 * KiB, np.uint8)  # the same length: the dirty block, zeroed
        assert not b.any()
        after = C.stats()
        assert after["reused"] == first["reused"] + 1
        assert after["maps"] == first["maps"] + 1
        c = np.empty(450 * KiB, np.uint8)  # a little longer: the kept blocks are too short
        c[:] = 7
        assert (c == 7).all()
        del b, c


def test_a_block_kept_longer_than_its_wait_is_handed_back() -> None:
    with _arraymem.kept_blocks():
        C.configure(64 * KiB * KiB, 0.05)
        a = np.empty(400 * KiB, np.uint8)
        del a
        kept = C.stats()["kept"]
        assert kept >= 400 * KiB
        time.sleep(0.1)
        unmapped = C.stats()["unmapped"]
        b = np.empty(900 * KiB, np.uint8)  # another length: a new map; freeing it drops the old
        del b
        after = C.stats()
        assert after["unmapped"] == unmapped + 1
        assert 900 * KiB <= after["kept"] < kept + 900 * KiB
        C.configure(2 * C.GRAN * 5, 60.0)  # a bound: the oldest go first to make room
        for n in (300 * KiB, 310 * KiB, 320 * KiB):
            x = np.empty(n, np.uint8)
            del x
            assert C.stats()["kept"] <= 2 * C.GRAN * 5


@settings(deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["empty", "zeros", "grow", "shrink", "drop"]), LENGTHS, st.integers(0, 255)
        ),
        min_size=1,
        max_size=30,
    ),
    kept=st.sampled_from([0, C.GRAN * 5, 2 * KiB * KiB, 32 * KiB * KiB]),
)
def test_arrays_keep_their_contents_whatever_the_order(ops: list[tuple[str, int, int]], kept: int) -> None:
    """Arrays made, zeroed, grown, shrunk and dropped in any order, with a bound small enough
    to evict: every live array keeps exactly what was written to it."""
    with _arraymem.kept_blocks():
        C.configure(kept, 1.0)
        live: list[tuple[np.ndarray, int]] = []
        for op, n, seed in ops:
            if op == "empty":
                a = np.empty(n, np.uint8)
                _fill(a, seed)
                live.append((a, seed))
            elif op == "zeros":
                a = np.zeros(n, np.uint8)
                assert not a.any()
                _fill(a, seed)
                live.append((a, seed))
            elif live and op in ("grow", "shrink"):
                a, s = live.pop(seed % len(live))
                old = len(a)
                new = old + n if op == "grow" else old * seed // 256
                a.resize(new, refcheck=False)  # numpy's realloc
                keep = min(old, new)
                assert _intact(a[:keep], s)
                _fill(a, seed)
                live.append((a, seed))
            elif live:
                live.pop(seed % len(live))
            assert C.stats()["kept"] <= kept
        for a, s in live:
            assert _intact(a, s)


def test_threads_at_once_keep_their_arrays_apart() -> None:
    failures: list[str] = []

    def work(seed: int) -> None:
        _arraymem.in_thread()
        rng = np.random.default_rng(seed)
        held: list[tuple[np.ndarray, int]] = []
        for i in range(400):
            n = int(rng.integers(200 * KiB, 2 * KiB * KiB))
            a = np.zeros(n, np.uint8) if i % 3 == 0 else np.empty(n, np.uint8)
            if i % 3 == 0 and a.any():
                failures.append(f"thread {seed}: a reused block was not zeroed")
            _fill(a, seed + i)
            held.append((a, seed + i))
            if len(held) > 4:
                b, s = held.pop(int(rng.integers(len(held))))
                if not _intact(b, s):
                    failures.append(f"thread {seed}: an array changed under it")

    with _arraymem.kept_blocks():
        C.configure(8 * KiB * KiB, 1.0)  # small: threads evict each other's blocks
        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
