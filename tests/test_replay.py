"""Replay: ledger entries decided again with today's rules against their registry version."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dncguard
import dncguard.replay
from dncguard._flatcall import flat_row
from dncguard.cli import main
from dncguard.errors import HistoryError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.ledger import Ledger
from dncguard.registry import Registry
from dncguard.replay import CAPS_NOT_COUNTED, NO_REGISTRY_ID, NOT_IN_HISTORY, Tuning, replay
from strategies import HISTORY_POOL, any_calls, calls, decisions, registry_histories

US = LayerKey.national("US")
D = dt.date(2026, 3, 1)
CALL = {"to": "212-555-0100", "at": "2026-03-04T15:00:00-05:00", "seller": "acme"}


def _registries() -> tuple[Registry, Registry]:
    cover = {212: D, 305: D}
    r1 = Registry.build([[Chunk(US, Op.REPLACE, np.array([2125550100], dtype=np.uint64), coverage=cover)]])
    later = {212: D + dt.timedelta(days=2)}
    r2 = r1.update([[Chunk(US, Op.DELETE, np.array([2125550100], dtype=np.uint64), coverage=later)]])
    return r1, r2


def _entry(seq: int, decision: Any, registry_id: str | None, call: dict[str, str] = CALL) -> Any:
    """A ledger entry whose decision records ``registry_id`` (None: recorded before decisions
    carried one)."""
    d = decision.model_copy(update={"registry_id": registry_id or ""})
    return SimpleNamespace(seq=seq, call=dncguard.Call.model_validate(call), decision=d)


def test_replay_lists_changed_answers_and_entries_it_cannot_replay() -> None:
    r1, r2 = _registries()
    guard = dncguard.Guard(r2)
    right = dncguard.Guard(r1).check(CALL)  # blocked: listed on that version
    assert not right.allowed
    wrong = right.model_copy(update={"allowed": True, "reasons": ()})  # as a past bug decided it
    entries = [
        _entry(1, right, r1.id),  # the same answer today: not listed
        _entry(2, wrong, r1.id),  # today's rules block it on r1's data
        _entry(3, right, None),  # decided before registry ids were recorded
        _entry(4, right, "dncg:" + "0" * 32),  # a version the history does not hold
        _entry(5, wrong, r2.id),  # on r2 the number is not listed: allowed, unchanged
    ]
    table = guard.replay(entries)
    rows = table.to_pylist()
    assert [r["seq"] for r in rows] == [2, 3, 4]
    assert rows[0]["old_allowed"] is True
    assert rows[0]["new_allowed"] is False
    assert rows[0]["old_reasons"] == []
    assert rows[0]["new_reasons"] == sorted({str(x.code) for x in right.reasons})
    assert rows[0]["problem"] is None
    assert rows[0]["registry_id"] == r1.id
    assert rows[1]["problem"] == NO_REGISTRY_ID
    assert rows[1]["new_allowed"] is None
    assert rows[2]["problem"] == NOT_IN_HISTORY


def _ledger(tmp_path: pathlib.Path, name: str, decision: dncguard.Decision) -> pathlib.Path:
    path = tmp_path / name
    with Ledger(path) as ledger:
        ledger.record(CALL, decision, placed=True)
    return path


def test_cli_replay_exit_codes(tmp_path: pathlib.Path, capsys: Any) -> None:
    r1, r2 = _registries()
    index = tmp_path / "r.dncg"
    r2.save(index)
    right = dncguard.Guard(r1).check(CALL)
    assert right.registry_id == r1.id  # each decision records the version it was made on
    # decided on r1 and still decided so on r1's data: nothing changed
    assert main(["replay", "--registry", str(index), str(_ledger(tmp_path, "calls.ledger", right))]) == 0
    assert "1 entries replayed: 0 changed" in capsys.readouterr().out
    # a decision that records no registry id cannot be replayed: bad input, named
    anonymous = right.model_copy(update={"registry_id": ""})
    assert main(["replay", "--registry", str(index), str(_ledger(tmp_path, "old.ledger", anonymous))]) == 2
    out, err = capsys.readouterr()
    assert "cannot replay: no registry id recorded" in out
    assert "old.ledger: 1 entries cannot be replayed" in err
    # a past bug allowed it: today's rules on r1's data block it
    wrong = right.model_copy(update={"allowed": True, "reasons": ()})
    path = _ledger(tmp_path, "wrong.ledger", wrong)
    assert main(["replay", "--registry", str(index), str(path), "--format", "json"]) == 1
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (row["seq"], row["old_allowed"], row["new_allowed"]) == (1, True, False)
    assert main(["replay", "--registry", str(index), str(tmp_path / "missing.ledger")]) == 2


def test_replay_over_many_versions_in_any_order_answers_as_each_version() -> None:
    """Entries are grouped by version a chunk at a time and each version is derived from the
    next newer one: the answers are those of ``as_of(id)`` and ``check``, entry by entry, in
    ledger order."""
    numbers = [2125550100 + i for i in range(6)]
    registry = Registry.build(
        [[Chunk(US, Op.REPLACE, np.array(numbers[:3], dtype=np.uint64), coverage={212: D, 305: D})]]
    )
    versions = [registry]
    for day in range(1, 6):
        cover = {212: D + dt.timedelta(days=day)}
        op = Op.ADD if day % 2 else Op.DELETE
        change = np.array([numbers[day], numbers[(day + 2) % 6]], dtype=np.uint64)
        registry = registry.update([[Chunk(US, op, np.sort(change), coverage=cover)]])
        versions.append(registry)
    rng = np.random.default_rng(7)
    entries = []
    for seq in range(1, 61):
        version = versions[int(rng.integers(0, len(versions)))]
        call = {**CALL, "to": str(numbers[int(rng.integers(0, 6))])}
        decided = dncguard.Guard(version).check(call)
        if rng.integers(0, 2):  # as a past bug decided it
            decided = decided.model_copy(update={"allowed": not decided.allowed, "reasons": ()})
        entries.append(_entry(seq, decided, version.id, call))
    expected = []
    for e in entries:
        again = dncguard.Guard(registry.as_of(e.decision.registry_id)).check(e.call)
        codes = sorted({str(r.code) for r in again.reasons})
        if again.allowed != e.decision.allowed or codes != sorted({str(r.code) for r in e.decision.reasons}):
            expected.append((e.seq, again.allowed, codes))
    assert expected  # the test exercises changed answers
    rows = dncguard.Guard(registry).replay(entries).to_pylist()
    assert [(r["seq"], r["new_allowed"], r["new_reasons"]) for r in rows] == expected
    for chunk in (1, 7, 1 << 16):
        rows = replay(dncguard.Guard(registry), entries, tuning=Tuning(chunk=chunk)).to_pylist()
        assert [(r["seq"], r["new_allowed"], r["new_reasons"]) for r in rows] == expected


def _reference(registry: Registry, entries: list[Any]) -> list[tuple[Any, ...]]:
    """Replay by its definition: each entry's call decided by ``check`` on ``as_of`` its version."""
    out = []
    for e in entries:
        rid = e.decision.registry_id
        old = (e.decision.allowed, sorted({str(r.code) for r in e.decision.reasons}))
        if not rid:
            out.append((e.seq, None, None, NO_REGISTRY_ID))
            continue
        try:
            past = registry.as_of(rid)
        except HistoryError:
            out.append((e.seq, None, None, NOT_IN_HISTORY))
            continue
        again = dncguard.Guard(past).check(e.call)
        new = (again.allowed, sorted({str(r.code) for r in again.reasons}))
        if again.allowed and "frequency_cap" in old[1]:  # no ledger: the caps' calls not counted
            out.append((e.seq, None, None, CAPS_NOT_COUNTED))
        elif new != old:
            out.append((e.seq, *new, None))
    return out


def _rows(table: Any) -> list[tuple[Any, ...]]:
    return [(r["seq"], r["new_allowed"], r["new_reasons"], r["problem"]) for r in table.to_pylist()]


@settings(max_examples=40 if settings().max_examples <= 200 else 300, deadline=None)
@given(registry_histories(), st.data())
def test_bulk_replay_answers_as_check_on_each_entrys_version(
    updates: list[list[tuple[dt.date, list[Chunk]]]], data: st.DataObject
) -> None:
    """Deciding each version's entries together with ``Guard.scrub`` (calls whose evidence the
    flat columns cannot hold by ``check``), a chunk at a time with versions carried between
    chunks, lists exactly the entries ``check`` on ``as_of`` each entry's version does."""
    registry = Registry()
    ids = []
    for update in updates:
        registry = registry.update([chunks for _, chunks in update])
        ids.append(registry.id)
    ids += ["", "dncg:" + "0" * 32]
    entries = []
    for seq in range(1, data.draw(st.integers(1, 30)) + 1):
        call: Any = data.draw(st.one_of(calls(), any_calls()))
        if data.draw(st.booleans()):
            call = call.model_copy(update={"to": str(data.draw(st.sampled_from(HISTORY_POOL)))})
        decision: Any = data.draw(decisions())
        decision = decision.model_copy(update={"registry_id": data.draw(st.sampled_from(ids))})
        entries.append(SimpleNamespace(seq=seq, call=call, decision=decision))
    expected = _reference(registry, entries)
    guard = dncguard.Guard(registry)
    assert _rows(replay(guard, entries)) == expected
    for chunk, fold in ((1, 0), (3, 1 << 16), (1 << 16, 0)):
        tuning = Tuning(chunk=chunk, bulk_from=1, fold=fold)
        assert _rows(replay(guard, entries, tuning=tuning)) == expected
        assert _rows(replay(guard, entries, bulk=False, tuning=tuning)) == expected


def test_calls_the_flat_columns_cannot_hold_are_decided_by_check() -> None:
    """Evidence of another seller, a second consent, a consent for another number: ``check``."""
    r1, r2 = _registries()
    other = {**CALL, "relationships": [{"kind": "purchase", "on": "2026-02-01", "seller": "other"}]}
    two = {
        **CALL,
        "consents": [{"kind": "written", "on": "2026-02-01"}, {"kind": "verbal", "on": "2026-02-02"}],
    }
    entries = [_entry(i, dncguard.Guard(r1).check(c), r1.id, c) for i, c in enumerate((CALL, other, two), 1)]
    for e in entries[1:]:
        assert flat_row(e.call) is None
    assert flat_row(entries[0].call) is not None
    assert replay(dncguard.Guard(r2), entries, tuning=Tuning(bulk_from=1)).num_rows == 0


def test_replay_decides_with_every_option_of_the_guard() -> None:
    """A guard that does not block for a missing state list replays with that option too: a
    Florida call it allowed is not reported as changed."""
    r1, r2 = _registries()
    florida = {**CALL, "to": "305-555-0100"}
    lenient = dncguard.Guard(r1, missing_state_lists="allow").check(florida)
    assert lenient.allowed
    assert not dncguard.Guard(r1).check(florida).allowed  # the default blocks it
    entries = [_entry(1, lenient, r1.id, florida)]
    assert dncguard.Guard(r2, missing_state_lists="allow").replay(entries).num_rows == 0


def test_a_stale_registry_raises_as_check_does_on_the_bulk_path_too() -> None:
    """With ``on_stale="raise"`` replay raises check's error for the call (not a table row's)."""
    r1, r2 = _registries()
    late = {**CALL, "at": "2026-09-04T15:00:00-04:00"}
    entry = _entry(1, dncguard.Guard(r1).check(late), r1.id, late)
    strict = dncguard.Guard(r2, on_stale="raise")
    with pytest.raises(dncguard.StaleRegistryError) as expected:
        dncguard.Guard(r1, on_stale="raise").check(late)
    with pytest.raises(dncguard.StaleRegistryError) as e:
        replay(strict, [entry], tuning=Tuning(bulk_from=1))
    assert str(e.value) == str(expected.value)


# Up to 12 calls an example, each flattened three ways: 600 in the thorough pass (2,000 took
# two minutes of CI alone).
@settings(max_examples=60 if settings().max_examples <= 200 else 600, deadline=None)
@given(st.lists(st.one_of(calls(), any_calls()), max_size=12))
def test_replay_flattens_calls_as_flat_row_does(drawn: list[Any]) -> None:
    """Replay reads a call without evidence column by column: the same table ``flat_row`` and
    ``flat_table`` make (every column, type and value), the same calls left to ``check``."""
    from dncguard._flatcall import flat_table
    from dncguard.replay import _flatten

    table, fit, unfit = _flatten(drawn)
    rows = [flat_row(call) for call in drawn]
    assert unfit == [i for i, row in enumerate(rows) if row is None]
    assert sorted(fit) == [i for i, row in enumerate(rows) if row is not None]
    if not fit:
        assert table is None
        return
    assert table is not None
    expected = flat_table([rows[i] for i in fit])
    at = table.column("at")
    if pa.types.is_timestamp(at.type):  # one offset for all: the same instants, in that offset
        texts = expected.column("at").to_pylist()
        assert {text[-6:] for text in texts} == {at.type.tz}
        assert at.cast(pa.timestamp("us", tz="UTC")) == expected.column("at").cast(
            pa.timestamp("us", tz="UTC")
        )
        table = table.set_column(table.schema.get_field_index("at"), "at", expected.column("at"))
    assert table.schema == expected.schema
    assert table.to_pylist() == expected.to_pylist()
