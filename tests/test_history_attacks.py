"""Attacks on time travel and proof: ``as_of`` against a rebuild from only the data of that day,
with sources given out of date order, the same day twice, and days at every edge; replay of
entries whose answers hang on more than the registry."""

from __future__ import annotations

import datetime as dt
import pathlib
import tempfile
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncguard.errors import DncguardError, HistoryError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry
from dncguard.replay import Tuning
from strategies import HISTORY_POOL

US = LayerKey.national("US")
TX = LayerKey.state("US-TX")
ACME = LayerKey.internal("acme")
D0 = dt.date(2026, 1, 1)
QUERIES = [*HISTORY_POOL, 2125559999, 3055559999]


@st.composite
def shuffled_histories(draw: st.DrawFn) -> list[list[tuple[dt.date, list[Chunk]]]]:
    """Updates whose sources come at any date (not in date order across updates or layers), some
    the same day as another, over a small pool of numbers so that numbers come and go."""
    updates = []
    for _ in range(draw(st.integers(1, 6))):
        update = []
        for _ in range(draw(st.integers(1, 2))):
            day = D0 + dt.timedelta(days=draw(st.integers(0, 12)))
            kind = draw(
                st.sampled_from(["ftc", "ftc-changes", "ftc-mixed", "state", "internal", "internal-changes"])
            )
            pool = list(HISTORY_POOL)
            picked = np.array(draw(st.lists(st.sampled_from(pool), max_size=6)), dtype=np.uint64)
            if kind == "ftc-mixed":  # one source, two downloads of different days (Chunk API)
                later = day + dt.timedelta(days=draw(st.integers(1, 4)))
                chunks = [
                    Chunk(US, Op.REPLACE, picked[picked // 10**7 == 212], coverage={212: day}),
                    Chunk(US, Op.REPLACE, picked[picked // 10**7 == 305], coverage={305: later}),
                ]
                day = later
            elif kind in ("ftc", "ftc-changes"):
                npas = draw(st.sampled_from([(212,), (305,), (212, 305)]))
                picked = picked[np.isin(picked // 10**7, npas)]
                op = Op.REPLACE if kind == "ftc" else draw(st.sampled_from([Op.ADD, Op.DELETE]))
                chunks = [Chunk(US, op, picked, coverage=dict.fromkeys(npas, day))]
            elif kind == "state":
                chunks = [Chunk(TX, Op.REPLACE, picked, obtained=day)]
            else:
                op = Op.REPLACE if kind == "internal" else draw(st.sampled_from([Op.ADD, Op.DELETE]))
                dates = None
                if op is not Op.DELETE and draw(st.booleans()):
                    back = draw(st.lists(st.integers(0, 20), min_size=len(picked), max_size=len(picked)))
                    dates = np.array(
                        [(day - dt.timedelta(days=b)).isoformat() for b in back], "datetime64[D]"
                    )
                chunks = [Chunk(ACME, op, picked, dates=dates, obtained=day)]
            update.append((day, chunks))
        updates.append(update)
    return updates


def _day(chunk: Chunk) -> dt.date:
    day = chunk.obtained or max(chunk.coverage.values())
    assert day is not None
    return day


def _answers(registry: Registry) -> list[Any]:
    q = np.array(QUERIES, dtype=np.uint64)
    dates = [registry.request_dates(q, i).tolist() for i in range(len(registry.layers))]
    return [registry.layers, [registry.lookup(n) for n in QUERIES], registry.membership(q).tolist(), dates]


@settings(
    max_examples=200 if settings().max_examples <= 200 else 2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(shuffled_histories(), st.integers(-1, 16), st.one_of(st.none(), st.integers(0, 8)))
def test_as_of_a_day_is_the_rebuild_from_that_days_data_whatever_the_order_applied(
    updates: list[list[tuple[dt.date, list[Chunk]]]], offset: int, keep_days: int | None
) -> None:
    """``keep_days``: the history kept (pruned from its oldest end), else the default."""
    keep = {} if keep_days is None else {"keep_history": dt.timedelta(days=keep_days)}
    registry = Registry()
    applied: list[list[tuple[dt.date, list[Chunk]]]] = []
    versions = []
    for update in updates:
        try:
            registry = registry.update([chunks for _, chunks in update], **keep)
        except DncguardError:
            continue  # refused as a whole (older than the data held, a change list alone)
        applied.append(update)
        versions.append(registry)
    if not applied:
        return
    for version in versions:  # each version by its id: exactly that version, whatever the dates
        try:
            by_id = registry.as_of(version.id)
        except HistoryError:
            assert keep  # pruned
            continue
        assert _answers(by_id) == _answers(version)
        assert by_id.id == version.id
    day = D0 + dt.timedelta(days=offset)
    with tempfile.TemporaryDirectory() as tmp:
        registry.save(pathlib.Path(tmp) / "r.dncg")
        opened = Registry.open(pathlib.Path(tmp) / "r.dncg")
        try:
            past = registry.as_of(day)
        except HistoryError:
            with pytest.raises(HistoryError):
                opened.as_of(day, tuning=Tuning(eager=0))
            return  # refused with a named error: never a wrong answer
        # the same from the saved file, every past layer computed when first asked
        assert _answers(opened.as_of(day, tuning=Tuning(eager=0))) == _answers(past)
    # the same updates in the same order, each with only its sources obtained on or before the day
    expected = Registry()
    try:
        for update in applied:
            # each chunk by its own date (one source may hold downloads of several days)
            if sources := [kept for _, chunks in update if (kept := [c for c in chunks if _day(c) <= day])]:
                expected = expected.update(sources)
    except DncguardError as e:
        pytest.fail(f"as_of({day}) answered, but the data of that day does not build: {e}")
    assert _answers(past) == _answers(expected), day
    assert past.id == expected.id
    assert _decided(past, day) == _decided(expected, day)


def _decided(registry: Registry, day: dt.date) -> list[Any]:
    """``check`` and ``scrub(provenance=True)`` of a few calls on the day after ``day``: the
    answers and what they say they were decided on."""
    import pyarrow as pa

    import dncguard

    at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(15), dt.timezone(dt.timedelta(hours=-5)))
    calls = [
        {"to": str(n), "at": at.isoformat(), "seller": seller}
        for n in (*HISTORY_POOL[::2], 2125559999, 3055559999)
        for seller in ("acme", " ACME", "zed")
    ]
    guard = dncguard.Guard(registry)
    checked = [guard.check(c).model_dump(mode="json") for c in calls]
    table = guard.scrub(pa.table({k: [c[k] for c in calls] for k in ("to", "at", "seller")}), provenance=True)
    return [checked, table.drop_columns(["to", "at", "seller"]).to_pylist()]


def _nums(*numbers: int) -> np.ndarray:  # type: ignore[type-arg]
    return np.array(numbers, dtype=np.uint64)


@pytest.mark.parametrize("saved", [False, True])
def test_a_day_covered_only_by_a_change_list_older_than_its_full_download_is_refused(
    saved: bool, tmp_path: Any
) -> None:
    """A change list (1 March) and the full download that backs it (2 March) in one build: on
    1 March no data covered area code 212 (a change list alone cannot be built), so ``as_of``
    that day must not answer with 212 covered by the change list's one number (it allowed every
    other 212 number, naming the national list as consulted)."""
    import dncguard

    d1, d2 = dt.date(2026, 3, 1), dt.date(2026, 3, 2)
    changes = [Chunk(US, Op.ADD, _nums(2125550100), coverage={212: d1})]
    full = [Chunk(US, Op.REPLACE, _nums(2125550100, 2125550101), coverage={212: d2})]
    registry = Registry.build([changes, full])
    if saved:
        registry.save(tmp_path / "r.dncg")
        registry = Registry.open(tmp_path / "r.dncg")
    with pytest.raises(DncguardError):
        Registry.build([changes])  # the data of 1 March alone
    with pytest.raises(HistoryError, match="212 of us-ftc were covered on that day only by a change list"):
        registry.as_of(d1)
    past = registry.as_of(d2)
    call = {"to": "212-555-0101", "at": "2026-03-02T15:00:00-05:00", "seller": "acme"}
    assert not dncguard.Guard(past).check(call).allowed
    assert registry.as_of(registry.id).id == registry.id


FL = LayerKey.state("US-FL")


def _capped_ledger(tmp_path: Any, *, guard_has_ledger: bool) -> tuple[Registry, Any]:
    """Four sales calls by one seller to one Florida number within a few hours, each placed:
    Florida allows three in 24 hours."""
    import dncguard
    from dncguard.ledger import Ledger

    d = dt.date(2026, 3, 1)
    registry = Registry.build(
        [
            [Chunk(US, Op.REPLACE, _nums(3055550100), coverage={305: d})],
            [Chunk(FL, Op.REPLACE, _nums(3055550101), obtained=d)],
        ]
    )
    ledger = Ledger(tmp_path / "calls.ledger")
    guard = dncguard.Guard(registry, ledger=ledger if guard_has_ledger else None)
    for hour in range(4):
        seller = ("acme", " ACME ", "Acme", "acme")[hour]  # one seller however written
        call = {"to": "305-555-0177", "at": f"2026-03-04T{10 + hour}:00:00-05:00", "seller": seller}
        ledger.record(call, guard.check(call), placed=True)
    return registry, ledger


@pytest.mark.parametrize("bulk_from", [1, 512])
def test_replay_counts_the_placed_calls_recorded_before_each_entry(tmp_path: Any, bulk_from: int) -> None:
    """A call a frequency cap blocked was listed by replay as now allowed (the replay's guard
    counted no placed call), and a call over the cap that was allowed would never be found."""
    import dncguard
    from dncguard.replay import CAPS_NOT_COUNTED, Tuning, replay

    registry, ledger = _capped_ledger(tmp_path, guard_has_ledger=True)
    entries = list(ledger.entries())
    assert [e.decision.allowed for e in entries] == [True, True, True, False]
    same = replay(dncguard.Guard(registry, ledger=ledger), entries, tuning=Tuning(bulk_from=bulk_from))
    assert same.num_rows == 0
    # without the ledger the cap cannot be counted: said so, never "now allowed"
    rows = replay(dncguard.Guard(registry), entries, tuning=Tuning(bulk_from=bulk_from)).to_pylist()
    assert [(r["seq"], r["new_allowed"], r["problem"]) for r in rows] == [(4, None, CAPS_NOT_COUNTED)]


def test_replay_finds_a_call_over_the_cap_that_was_decided_without_the_ledger(tmp_path: Any) -> None:
    import dncguard

    registry, ledger = _capped_ledger(tmp_path, guard_has_ledger=False)
    rows = dncguard.Guard(registry, ledger=ledger).replay(ledger.entries()).to_pylist()
    assert [(r["seq"], r["old_allowed"], r["new_allowed"], r["new_reasons"]) for r in rows] == [
        (4, True, False, ["frequency_cap"])
    ]


def test_replay_command_counts_the_ledgers_placed_calls(tmp_path: Any, capsys: Any) -> None:
    from dncguard.cli import main

    registry, ledger = _capped_ledger(tmp_path, guard_has_ledger=True)
    registry.save(tmp_path / "r.dncg")
    ledger.close()
    assert main(["replay", "--registry", str(tmp_path / "r.dncg"), str(tmp_path / "calls.ledger")]) == 0
    assert "0 changed, 0 could not be replayed" in capsys.readouterr().out


def test_replay_command_refuses_a_ledger_that_does_not_verify(tmp_path: Any, capsys: Any) -> None:
    """A placed call removed from what the caps count (the triggers dropped with the sqlite3
    shell) made the capped call replay as newly allowed; a changed ledger proves nothing."""
    import sqlite3

    from dncguard.cli import main

    registry, ledger = _capped_ledger(tmp_path, guard_has_ledger=True)
    registry.save(tmp_path / "r.dncg")
    ledger.close()
    db = sqlite3.connect(tmp_path / "calls.ledger", isolation_level=None)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DELETE FROM placed WHERE seq = 1")
    db.close()
    code = main(["replay", "--registry", str(tmp_path / "r.dncg"), str(tmp_path / "calls.ledger")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "does not verify" in err
    assert "calls.ledger" in err
    assert "allowed" not in out


def test_a_day_inside_one_sources_span_of_dates_is_refused() -> None:
    """One source (built with the Chunk API) holding a 10 March download of 212 and a 20 March
    download of 305: its history step is dated 20 March, so ``as_of(12 March)`` undid the 212
    data of 10 March too and allowed a number it lists."""
    import dncguard

    d0, d1, d2 = dt.date(2026, 3, 1), dt.date(2026, 3, 10), dt.date(2026, 3, 20)
    registry = Registry.build([[Chunk(US, Op.REPLACE, _nums(2125550100), coverage={212: d0, 305: d0})]])
    mixed = [
        Chunk(US, Op.REPLACE, _nums(2125550100, 2125550101), coverage={212: d1}),
        Chunk(US, Op.REPLACE, _nums(3055550100), coverage={305: d2}),
    ]
    registry = registry.update([mixed])
    with pytest.raises(HistoryError, match="data obtained from 2026-03-10 to 2026-03-20"):
        registry.as_of(dt.date(2026, 3, 12))
    call = {"to": "212-555-0101", "at": "2026-03-09T15:00:00-04:00", "seller": "acme"}
    assert dncguard.Guard(registry.as_of(dt.date(2026, 3, 9))).check(call).allowed  # before it: fine
    assert registry.as_of(d2).id == registry.id


def test_a_change_list_pruned_from_the_history_does_not_reopen_its_day() -> None:
    """The change list of 1 March dropped by ``keep_history`` while the full download of 5 March
    that backs it (same update) is kept: ``as_of(1 March)`` rewound to the change list alone."""
    d1, d5 = dt.date(2026, 3, 1), dt.date(2026, 3, 5)
    changes = [Chunk(US, Op.ADD, _nums(2125550100), coverage={212: d1})]
    full = [Chunk(US, Op.REPLACE, _nums(2125550100, 2125550101), coverage={212: d5})]
    registry = Registry().update([changes, full], keep_history=dt.timedelta(days=2))
    assert [c.obtained for c in registry.history] == [d5]
    with pytest.raises(HistoryError):
        registry.as_of(d1)
    assert registry.as_of(d5).lookup(2125550101)


@settings(
    max_examples=60 if settings().max_examples <= 200 else 600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(shuffled_histories(), st.data())
def test_an_honest_ledger_replays_with_no_change(
    updates: list[list[tuple[dt.date, list[Chunk]]]], data: st.DataObject
) -> None:
    """Calls decided on each version as it was current (a guard with the ledger, some placed,
    into a state with a frequency cap too), recorded, then replayed against the last version:
    the same rules on the same data, so no answer changes and every entry is replayable."""
    import dncguard
    from dncguard.ledger import Ledger
    from dncguard.replay import Tuning as ReplayTuning
    from dncguard.replay import replay

    registry = Registry()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(pathlib.Path(tmp) / "calls.ledger")
        for update in updates:
            try:
                registry = registry.update([chunks for _, chunks in update])
            except DncguardError:
                continue
            guard = dncguard.Guard(registry, ledger=ledger)
            day = max(on for on, _ in update)
            for _ in range(data.draw(st.integers(1, 4))):
                n = data.draw(st.sampled_from([*HISTORY_POOL, 3055559999]))
                hour = data.draw(st.integers(9, 18))
                call = {
                    "to": str(n),
                    "at": f"{day + dt.timedelta(days=data.draw(st.integers(0, 2)))}T{hour:02d}:00:00-05:00",
                    "seller": data.draw(st.sampled_from(["acme", " ACME", "zed"])),
                }
                ledger.record(call, guard.check(call), placed=data.draw(st.booleans()))
        entries = list(ledger.entries())
        if not entries:
            return
        guard = dncguard.Guard(registry, ledger=ledger)
        for tuning in (ReplayTuning(), ReplayTuning(chunk=2, bulk_from=1, fold=0)):
            rows = replay(guard, entries, tuning=tuning).to_pylist()
            assert rows == [], rows
        ledger.close()


@pytest.mark.parametrize("zone", ["Etc/GMT-14", "Etc/GMT+12"])
def test_an_undated_list_is_dated_the_earlier_of_the_local_and_utc_day(zone: str) -> None:
    """An internal list has no obtained date: its change is dated the day it is applied. The local
    date alone put it a day after the UTC day east of UTC (14:00 UTC is tomorrow in Kiribati), so
    ``as_of`` that UTC day left out a list loaded on it."""
    import os
    import subprocess
    import sys

    script = (
        "import datetime as dt, numpy as np\n"
        "from dncguard.layers import Chunk, LayerKey, Op\n"
        "from dncguard.registry import Registry\n"
        "acme = Chunk(LayerKey.internal('acme'), Op.REPLACE, np.array([2125550100], np.uint64))\n"
        "r = Registry.build([[acme]])\n"
        "print(r.history[0].obtained.isoformat(), dt.date.today().isoformat(),"
        " dt.datetime.now(dt.UTC).date().isoformat())\n"
    )
    env = {**os.environ, "TZ": zone}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    step, local, utc = (dt.date.fromisoformat(x) for x in out.stdout.split())
    assert step == min(local, utc)


def _tampered(tmp_path: Any) -> tuple[Registry, Any]:
    """The capped ledger with its first placed call removed from what the caps count (the
    triggers dropped with the sqlite3 shell), reopened."""
    import sqlite3

    from dncguard.ledger import Ledger

    registry, ledger = _capped_ledger(tmp_path, guard_has_ledger=True)
    ledger.close()
    db = sqlite3.connect(tmp_path / "calls.ledger", isolation_level=None)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DELETE FROM placed WHERE seq = 1")
    db.close()
    return registry, Ledger(tmp_path / "calls.ledger", create=False)


@pytest.mark.parametrize(("given", "guard_ledger"), [("entries", True), ("ledger", True), ("ledger", False)])
def test_guard_replay_refuses_a_ledger_that_does_not_verify(
    tmp_path: Any, given: str, guard_ledger: bool
) -> None:
    """``dncguard replay`` refused a changed ledger, ``Guard.replay`` replayed it: the capped
    fourth call came back as newly allowed. The guard's ledger and a ledger given are verified
    first, with the command line's error."""
    import dncguard

    registry, ledger = _tampered(tmp_path)
    guard = dncguard.Guard(registry, ledger=ledger if guard_ledger else None)
    with pytest.raises(dncguard.CorruptLedgerError, match=r"calls.ledger: the ledger does not verify"):
        guard.replay(ledger.entries() if given == "entries" else ledger)
    # verify=False: the caller's choice, documented
    rows = guard.replay(ledger.entries(), verify=False).to_pylist()
    assert [r["seq"] for r in rows] == [4]  # the capped call, now allowed or caps not counted


def test_guard_replay_of_a_ledger_replays_its_entries(tmp_path: Any) -> None:
    import dncguard

    registry, ledger = _capped_ledger(tmp_path, guard_has_ledger=True)
    assert dncguard.Guard(registry, ledger=ledger).replay(ledger).num_rows == 0
