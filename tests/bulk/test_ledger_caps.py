"""Frequency caps with a ledger in bulk: ``Guard.scrub`` counts the ledger's placed calls (one
query per batch, joined on number, seller and purpose) exactly as ``Guard.check`` counts them
call by call."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncguard import Call, Guard
from dncguard.facts import list_states
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.ledger import Ledger
from dncguard.registry import Registry

UTC = dt.UTC
OBTAINED = dt.date(2026, 3, 15)
# Florida, Oklahoma (three sales calls a day) and New York (no cap).
NUMBERS = ("3055550123", "5805550123", "3055550199", "2125550123")
SELLERS = ("acme", " ACME ", "Acme", "globex")
PURPOSES = ("sale", "informational")
NOON = dt.datetime(2026, 3, 16, 16, 0, tzinfo=UTC)  # noon in Miami and New York, 11:00 in Oklahoma


def _registry() -> Registry:
    national = Chunk(
        LayerKey.national("US"),
        Op.REPLACE,
        np.array([], np.uint64),
        coverage=dict.fromkeys((305, 580, 212), OBTAINED),
        obtained=OBTAINED,
    )
    # Every state list loaded (a missing one blocks), holding no number called here.
    states = [
        [Chunk(LayerKey.state(region), Op.REPLACE, np.array([9995550100], np.uint64), obtained=OBTAINED)]
        for region in sorted(list_states())
    ]
    return Registry.build([[national], *states])


REGISTRY = _registry()
PLAIN = Guard(REGISTRY)

calls_drawn = st.tuples(
    st.sampled_from(NUMBERS),
    st.sampled_from(SELLERS),
    st.sampled_from(PURPOSES),
    st.integers(-1500, 1500),  # minutes from NOON
    st.integers(0, 59),  # seconds
)


def _call(drawn: tuple[str, str, str, int, int]) -> Call:
    to, seller, purpose, minutes, seconds = drawn
    return Call(
        to=to, at=NOON + dt.timedelta(minutes=minutes, seconds=seconds), seller=seller, purpose=purpose
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(calls_drawn, st.booleans()), max_size=25),
    st.lists(calls_drawn, min_size=1, max_size=25),
)
def test_bulk_caps_count_the_ledger_as_check_does(
    placed: list[tuple[tuple[str, str, str, int, int], bool]], batch: list[tuple[str, str, str, int, int]]
) -> None:
    """Placed calls (and decisions recorded unplaced, which never count) of several numbers,
    sellers however written and purposes, around a batch of calls: row for row, ``scrub``'s
    decision equals ``check``'s, caps and ``next_allowed_at`` included."""
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "calls.ledger")
        try:
            for drawn, was_placed in placed:
                call = _call(drawn)
                ledger.record(call, PLAIN.check(call), placed=was_placed)
            guard = Guard(REGISTRY, ledger=ledger)
            calls = [_call(d) for d in batch]
            table = pa.table(
                {
                    "to": [c.to for c in calls],
                    "at": pa.array([c.at for c in calls], pa.timestamp("us", tz="UTC")),
                    "seller": [c.seller for c in calls],
                    "purpose": [c.purpose for c in calls],
                }
            )
            out = guard.scrub(table)
            want = [guard.check(c) for c in calls]
            assert out.column("reasons").to_pylist() == [[r.code.value for r in d.reasons] for d in want]
            assert out.column("next_allowed_at").to_pylist() == [d.next_allowed_at for d in want]
        finally:
            ledger.close()


def test_a_placed_call_counts_for_the_same_seller_however_written() -> None:
    """Three placed sales calls by " ACME  Co ", "acme co" and "Acme Co" in the day before: the
    fourth, by "acme co", is capped in Florida, in bulk as call by call; another seller's is not
    (inner runs of spaces count as one, as everywhere a seller is named)."""
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "calls.ledger")
        try:
            for minutes, seller in ((30, " ACME  Co "), (60, "acme co"), (90, "Acme Co")):
                call = Call(to=NUMBERS[0], at=NOON - dt.timedelta(minutes=minutes), seller=seller)
                ledger.record(call, PLAIN.check(call), placed=True)
            guard = Guard(REGISTRY, ledger=ledger)
            table = pa.table(
                {
                    "to": [NUMBERS[0], NUMBERS[0], NUMBERS[2]],
                    "at": pa.array([NOON] * 3, pa.timestamp("us", tz="UTC")),
                    "seller": ["acme co", "globex", "acme co"],
                }
            )
            out = guard.scrub(table)
            assert out.column("reasons").to_pylist() == [["frequency_cap"], [], []]
            assert (
                guard.check(Call(to=NUMBERS[0], at=NOON, seller="acme co")).reasons[0].code.value
                == "frequency_cap"
            )
            assert out.column("next_allowed_at").to_pylist()[0] == NOON - dt.timedelta(
                minutes=90
            ) + dt.timedelta(days=1, minutes=1)
        finally:
            ledger.close()
