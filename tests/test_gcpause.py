"""The process's one pause of the cyclic collector (dncguard._gcpause), used by the ledger's
writes and the command line's reading: overlapping pauses on several threads hold the collector
off until the last ends, then leave it as it was before the first."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from dncguard import Guard, Ledger, Registry
from dncguard._gcpause import collector_paused
from dncguard.models import Call


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_overlapping_pauses_hold_until_the_last_ends(collector: None) -> None:
    gc.enable()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second block is still inside its pause
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off(collector: None) -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_pauses_on_many_threads_leave_the_collector_on(collector: None) -> None:
    gc.enable()
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        for _ in range(200):
            with collector_paused():
                pass

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.isenabled()


def test_an_error_inside_the_pause_restores_the_collector(collector: None) -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


@pytest.mark.parametrize("enabled", [True, False])
def test_record_many_leaves_the_collector_as_it_found_it(collector: None, tmp_path, enabled: bool) -> None:
    guard = Guard(Registry())
    calls = [Call(to="+12025550123", seller="acme", at="2026-03-02T15:00:00-05:00")] * 3
    decisions = [guard.check(c) for c in calls]
    if enabled:
        gc.enable()
    else:
        gc.disable()
    with Ledger(tmp_path / "calls.ledger") as ledger:
        ledger.record_many(calls, decisions, placed=True)
    assert gc.isenabled() is enabled
