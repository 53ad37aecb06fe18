"""record_many's encoder remembers templates and lists it has made (by value, and by the identity of
objects it holds alive): whatever it remembers, every entry is written exactly as ``record``
writes it alone. Calls and decisions here are equal by value but distinct objects (as a dialer
validates calls and ``Guard.check`` decides them, one by one), shared objects (as ``model_copy``
shares them), and near-identical ones differing in one field only."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import random
import sqlite3
import tempfile
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncguard.ledger import Ledger, canonical_entry
from dncguard.models import (
    Call,
    Consulted,
    Decision,
    Exemption,
    ExemptionCode,
    Reason,
    ReasonCode,
    Relationship,
)
from strategies import any_calls, aware_datetimes

UTC = dt.UTC
BATCH = 80
"""Entries per record_many call: more than the few (64) it writes one by one, so the batch is
built column by column with its remembered parts."""


@st.composite
def _decisions(draw: st.DrawFn) -> Decision:
    """A decision like Guard.check's: reasons, exemptions, lists consulted, a registry id."""
    consulted = st.builds(
        Consulted,
        layer=st.sampled_from(["us-ftc", "us-fl", "internal:acme"]),
        jurisdiction=st.sampled_from(["US", "US-FL", "CA"]),
        obtained=st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
        listed=st.none() | st.booleans(),
    )
    reason = st.builds(
        Reason,
        code=st.sampled_from(list(ReasonCode)),
        jurisdiction=st.sampled_from(["US", "US-FL", "CA-ON"]),
        rule=st.sampled_from(["16 CFR 310.4(b)(1)(iii)(B)", "Fla. Stat. 501.059"]),
        message=st.text(max_size=8),
    )
    exemption = st.builds(
        Exemption,
        code=st.sampled_from(list(ExemptionCode)),
        jurisdiction=st.sampled_from(["US", "US-FL"]),
        rule=st.just("16 CFR 310.2(o)"),
    )
    return Decision(
        allowed=draw(st.booleans()),
        reasons=tuple(draw(st.lists(reason, min_size=1, max_size=3))),
        exemptions=tuple(draw(st.lists(exemption, max_size=2))),
        next_allowed_at=draw(st.none() | aware_datetimes()),
        number="+12125550143",
        jurisdictions=tuple(draw(st.lists(st.sampled_from(["US", "US-FL", "CA"]), max_size=2))),
        registry_id=draw(st.sampled_from(["", "dncg:" + "ab" * 16])),
        consulted=tuple(draw(st.lists(consulted, min_size=1, max_size=3))),
    )


def _one_field_changed(decision: Decision, which: int) -> Decision:
    """``decision`` with one field changed (``which`` says which), all else equal."""
    r0, c0 = decision.reasons[0], decision.consulted[0]
    obtained = dt.date(2026, 11, 20) if c0.obtained is None else c0.obtained + dt.timedelta(days=1)
    zone = dt.timezone(dt.timedelta(hours=5, minutes=30))
    changes: list[dict[str, Any]] = [
        {"reasons": (r0.model_copy(update={"message": r0.message + "x"}), *decision.reasons[1:])},
        {"consulted": (c0.model_copy(update={"obtained": obtained}), *decision.consulted[1:])},
        {"consulted": (c0.model_copy(update={"listed": not c0.listed}), *decision.consulted[1:])},
        {
            "consulted": (
                c0.model_copy(update={"jurisdiction": c0.jurisdiction + "-X"}),
                *decision.consulted[1:],
            )
        },
        {"reasons": (r0.model_copy(update={"jurisdiction": r0.jurisdiction + "-X"}), *decision.reasons[1:])},
        {"jurisdictions": (*decision.jurisdictions, "US-TX")},
        {"registry_id": decision.registry_id + "0"},
        {
            "next_allowed_at": (
                dt.datetime(2026, 12, 2, 9, tzinfo=UTC)
                if decision.next_allowed_at is None
                else decision.next_allowed_at.astimezone(zone)  # the same instant, another offset
            )
        },
        {"consulted": (*decision.consulted, c0)},  # one more list: the same model again
        {"reasons": decision.reasons[:1]},
    ]
    return decision.model_copy(update=changes[which % len(changes)])


def _call_changed(call: Call, which: int) -> Call:
    """``call`` with one template or list field changed (``which`` says which)."""
    on = dt.date(2026, 6, 1)
    changes: list[dict[str, Any]] = [
        {"seller": call.seller + "x"},
        {"relationships": (*call.relationships, Relationship(kind="purchase", on=on))},
        {"relationships": (Relationship(kind="purchase", on=on + dt.timedelta(days=1)),)},
        {"attempts": (call.at.astimezone(dt.timezone(dt.timedelta(hours=-4))),)},
        {"attempts": (call.at.astimezone(UTC),)},
        {"callee_region": "US-FL" if call.callee_region != "US-FL" else "US-GA"},
    ]
    return call.model_copy(update=changes[which % len(changes)])


def _copy(model: Any, how: int) -> Any:
    """The same value as ``model``: itself, a copy sharing its inner objects, new tuples of the
    same inner objects (as Guard.check makes them), or every object new (validated afresh)."""
    if how == 0:
        return model
    if how == 1:
        return model.model_copy()
    if how == 2:
        update = {k: tuple(list(v)) for k, v in model.__dict__.items() if isinstance(v, tuple)}
        return model.model_copy(update=update)
    return type(model).model_validate(model.model_dump())


def _lines(ledger: Ledger) -> list[bytes]:
    db = sqlite3.connect(ledger.path)
    try:
        out = []
        for (payload,) in db.execute("SELECT payload FROM pages ORDER BY first_seq"):
            out.extend(payload.split(b"\n")[:-1])
        return out
    finally:
        db.close()


def _zeroed(line: bytes) -> bytes:
    """An entry's bytes with its seq and recorded_us set to 0 (entries of two ledgers compared)."""
    entry = json.loads(line)
    return line.replace(b",%d,%d," % (entry[2], entry[3]), b",0,0,", 1)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base_call=any_calls(),
    base_decision=_decisions(),
    seed=st.integers(0, 2**32 - 1),
    placed=st.booleans(),
)
def test_remembered_parts_are_never_another_values(
    tmp_path: pathlib.Path, base_call: Call, base_decision: Decision, seed: int, placed: bool
) -> None:
    """Batches mixing near-identical calls and decisions (one field apart), each entry's objects
    the variant itself, a copy, or equal-but-distinct objects; a second batch after the first's
    objects are gone (their memory reused): every entry is the documented canonical encoding,
    and the bytes ``record`` writes for the same call and decision one by one."""
    rng = random.Random(seed)
    calls = [base_call] + [_call_changed(base_call, k) for k in range(6)]
    decisions = [base_decision] + [_one_field_changed(base_decision, k) for k in range(10)]
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))

    def batch() -> list[tuple[Call, Decision]]:
        pairs = []
        for i in range(BATCH):
            call = _copy(rng.choice(calls), rng.randrange(4))
            call = call.model_copy(
                update={"to": f"212555{i % 100:04d}", "at": call.at + dt.timedelta(seconds=i)}
            )
            pairs.append((call, _copy(rng.choice(decisions), rng.randrange(4))))
        return pairs

    recorded: list[tuple[Call, Decision]] = []
    with Ledger(folder / "many") as many:
        for _ in range(2):
            pairs = batch()
            many.record_many([c for c, _ in pairs], [d for _, d in pairs], placed=placed)
            # kept as copies only: the batch's own objects die (freed at once, no cycles), their
            # memory free for the next batch's
            recorded += [(c.model_copy(deep=True), d.model_copy(deep=True)) for c, d in pairs]
            del pairs

        lines = _lines(many)
        assert many.verify().ok
    assert len(lines) == len(recorded)
    for seq, (line, (call, decision)) in enumerate(zip(lines, recorded, strict=True), 1):
        recorded_us = json.loads(line)[3]
        assert line == canonical_entry(call, decision, seq=seq, recorded_us=recorded_us, placed=placed), seq
    # record, one entry at a time (durable: a few of them), writes the same bytes.
    picks = sorted(rng.sample(range(len(recorded)), 6))
    with Ledger(folder / "one") as one:
        for i in picks:
            one.record(*recorded[i], placed=placed)
        ones = _lines(one)
    assert len(ones) == len(picks)
    for i, line in zip(picks, ones, strict=True):
        assert _zeroed(lines[i]) == _zeroed(line), i


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from([0, 1, 2**40, 2**62 - 1]), st.integers(-2, 2)),
        min_size=1,
        max_size=40,
    )
)
def test_rows_are_grouped_exactly(rows: list[tuple[int, int, int]]) -> None:
    """Rows of integer columns (packed side by side where they fit in 63 bits, a negative
    column alone): the same group exactly when equal, groups numbered in the order they first
    appear, each group's first row its representative."""
    import numpy as np

    from dncguard._ledger._encode import _grouped

    columns = [np.array(column, np.int64) for column in zip(*rows, strict=True)]
    groups, firsts = _grouped(columns, len(rows))
    seen: dict[tuple[int, int, int], int] = {}
    for i, row in enumerate(rows):
        seen.setdefault(row, i)
    expected = {row: number for number, row in enumerate(seen)}
    assert groups.tolist() == [expected[row] for row in rows]
    assert firsts.tolist() == list(seen.values())


def test_models_are_coded_by_value() -> None:
    """Equal models (distinct objects or the same one) share a code; models one field apart
    do not; in a later batch too (found by identity then), and after the kept codes start
    again."""
    from dncguard._ledger._encode import ModelCodes

    a = Reason(code=ReasonCode.NATIONAL_REGISTRY, jurisdiction="US", rule="r", message="m")
    twin = Reason.model_validate(a.model_dump())
    other = a.model_copy(update={"message": "n"})
    c = Consulted(layer="us-ftc", jurisdiction="US", obtained=None, listed=None)
    later = c.model_copy(update={"obtained": dt.date(2026, 11, 20)})
    model_codes = ModelCodes()
    batch = [a, twin, other, a, c, later, Consulted.model_validate(c.model_dump())]
    for _ in range(2):  # the second time from what it kept
        codes = model_codes(batch).tolist()
        assert codes[0] == codes[1] == codes[3]
        assert codes[4] == codes[6]
        assert len({codes[0], codes[2], codes[4], codes[5]}) == 4
    # Past its limit it starts again: a new object whose id an old one had is not mistaken.
    model_codes.LIMIT = 3  # type: ignore[misc]
    fresh = [Reason.model_validate(a.model_dump()) for _ in range(5)]
    codes = model_codes([*fresh, other]).tolist()
    assert len(set(codes[:5])) == 1
    assert codes[5] != codes[0]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base_call=any_calls(),
    base_decision=_decisions(),
    seed=st.integers(0, 2**32 - 1),
    placed=st.booleans(),
    block=st.sampled_from([1, 3, 7, 64]),
)
def test_fields_read_block_by_block_are_the_whole_chunks(
    tmp_path: pathlib.Path,
    monkeypatch: Any,
    base_call: Call,
    base_decision: Decision,
    seed: int,
    placed: bool,
    block: int,
) -> None:
    """record_many reads the entries' fields a few thousand at a time (``_BLOCK``); with blocks
    of a few entries, so that equal values fall in different blocks and an entry one field
    apart sits anywhere, every entry is still the documented canonical encoding."""
    from dncguard._ledger import _encode

    monkeypatch.setattr(_encode, "_BLOCK", block)
    rng = random.Random(seed)
    calls = [base_call] + [_call_changed(base_call, k) for k in range(6)]
    decisions = [base_decision] + [_one_field_changed(base_decision, k) for k in range(10)]
    pairs = []
    for i in range(BATCH):
        call = _copy(rng.choice(calls), rng.randrange(4))
        call = call.model_copy(update={"to": f"212555{i % 100:04d}", "at": call.at + dt.timedelta(seconds=i)})
        pairs.append((call, _copy(rng.choice(decisions), rng.randrange(4))))
    with Ledger(pathlib.Path(tempfile.mkdtemp(dir=tmp_path)) / "many") as many:
        many.record_many([c for c, _ in pairs], [d for _, d in pairs], placed=placed)
        lines = _lines(many)
    assert len(lines) == len(pairs)
    for seq, (line, (call, decision)) in enumerate(zip(lines, pairs, strict=True), 1):
        recorded_us = json.loads(line)[3]
        assert line == canonical_entry(call, decision, seq=seq, recorded_us=recorded_us, placed=placed), seq


def test_one_entry_apart_past_the_first_block(tmp_path: pathlib.Path) -> None:
    """A chunk of more entries than one block (``_BLOCK``) of equal but distinct calls and
    decisions, one of them one field apart in the last block, another one call field apart:
    each of those two is recorded with its own values, the others all alike."""
    from dncguard._ledger import _encode

    n = 2 * _encode._BLOCK + 5
    at = dt.datetime(2026, 12, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    consulted = Consulted(layer="us-ftc", jurisdiction="US", obtained=dt.date(2026, 11, 20), listed=True)
    reason = Reason(code=ReasonCode.NATIONAL_REGISTRY, jurisdiction="US", rule="r", message="m")
    calls = [
        Call.model_validate(
            {"to": f"212555{i % 10_000:04d}", "at": at + dt.timedelta(seconds=i), "seller": "acme"}
        )
        for i in range(n)
    ]
    decisions = [
        Decision.model_validate(
            {
                "allowed": False,
                "number": f"+1212555{i % 10_000:04d}",
                "reasons": (reason,),
                "consulted": (consulted,),
                "registry_id": "dncg:" + "ab" * 16,
            }
        )
        for i in range(n)
    ]
    odd_decision, odd_call = n - 2, _encode._BLOCK + 1
    decisions[odd_decision] = decisions[odd_decision].model_copy(
        update={"consulted": (consulted.model_copy(update={"listed": False}),)}
    )
    calls[odd_call] = calls[odd_call].model_copy(update={"callee_region": "US-FL"})
    with Ledger(tmp_path / "many") as many:
        many.record_many(calls, decisions)
        lines = _lines(many)
    templates = [json.loads(line)[0] for line in lines]
    assert len(set(templates)) == 3
    assert templates[odd_decision] != templates[0] != templates[odd_call] != templates[odd_decision]
    for i in (0, _encode._BLOCK - 1, _encode._BLOCK, odd_call, odd_decision, n - 1):
        recorded_us = json.loads(lines[i])[3]
        assert lines[i] == canonical_entry(
            calls[i], decisions[i], seq=i + 1, recorded_us=recorded_us, placed=False
        )
