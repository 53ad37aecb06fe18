"""Frequency caps (RULES §6.18): Florida 501.616(6)(b), Oklahoma and Maryland allow three sales
calls to one number on one subject in 24 hours (the 1,440 minutes before the call's start, the
first of them included). ``Call.attempts`` are the earlier calls counted; the fourth call is
blocked with ``frequency_cap``, and ``next_allowed_at`` is when the oldest counted call leaves
the window. Asserted in ``check`` and in ``scrub`` of the same call.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from harness import NUMBER, _guard, at, check, codes

FL = NUMBER["US-FL"]
NOON = dt.datetime.fromisoformat(at("2026-03-16", "12:00", "America/New_York"))


def before(*minutes: int) -> list[dt.datetime]:
    return [NOON - dt.timedelta(minutes=m) for m in minutes]


def both(to: str, when: dt.datetime, attempts: list[dt.datetime], **fields: Any) -> Any:
    d = check(to, when.isoformat(), attempts=attempts, **fields)
    guard = _guard(when.date() - dt.timedelta(days=1))
    row = {
        "to": to,
        "at": when,
        "seller": "acme",
        "purpose": fields.get("purpose", "sale"),
        "attempts": attempts,
    }
    table = pa.Table.from_pylist([row]).cast(
        pa.schema(
            [
                ("to", pa.string()),
                ("at", pa.timestamp("us", tz="UTC")),
                ("seller", pa.string()),
                ("purpose", pa.string()),
                ("attempts", pa.list_(pa.timestamp("us", tz="UTC"))),
            ]
        )
    )
    out = guard.scrub(table)
    assert out.column("reasons").to_pylist()[0] == [r.code.value for r in d.reasons]
    got = out.column("next_allowed_at").to_pylist()[0]
    want = d.next_allowed_at
    assert (got is None and want is None) or got == want.astimezone(dt.UTC)
    return d


def test_the_fourth_call_in_24_hours_is_blocked() -> None:
    d = both(FL, NOON, before(60, 120, 180))
    assert [(r.code.value, r.jurisdiction) for r in d.reasons] == [("frequency_cap", "US-FL")]
    assert d.reasons[0].rule == "Fla. Stat. 501.616(6)(b)"
    assert both(FL, NOON, before(60, 120)).allowed  # the third call


def test_exactly_24_hours_before_counts_and_a_minute_more_does_not() -> None:
    assert "frequency_cap" in codes(both(FL, NOON, before(1, 2, 1440)))
    assert both(FL, NOON, before(1, 2, 1441)).allowed


def test_next_allowed_at_is_when_the_oldest_counted_call_leaves_the_window() -> None:
    d = both(FL, NOON, before(30, 60, 100, 3000))
    # Counted: 100, 60 and 30 minutes before (10:20, 11:00, 11:30); the first is counted until
    # 10:20 tomorrow, its window's first instant: free from the next minute.
    assert d.next_allowed_at == NOON - dt.timedelta(minutes=100) + dt.timedelta(days=1, minutes=1)


def test_next_allowed_at_also_meets_the_calling_hours() -> None:
    late = NOON.replace(hour=19, minute=50)
    # The oldest was at 20:00 yesterday: free at 20:01 today, after Florida's 20:00 end of calls.
    d = both(FL, late, [late - dt.timedelta(minutes=m) for m in (1, 2, 1430)])
    assert d.next_allowed_at == dt.datetime.fromisoformat(at("2026-03-17", "08:00", "America/New_York"))
    d = both(FL, late, [late - dt.timedelta(minutes=m) for m in (1, 2, 1435)])  # 19:55 yesterday
    assert d.next_allowed_at == late.replace(minute=56)


@pytest.mark.parametrize("purpose", ["informational", "survey", "political"])
def test_exempt_purposes_are_outside_the_cap(purpose: str) -> None:
    assert "frequency_cap" not in codes(both(FL, NOON, before(1, 2, 3), purpose=purpose))


def test_a_state_without_a_cap() -> None:
    assert both(NUMBER["US"], NOON, before(1, 2, 3, 4)).allowed


def test_oklahoma_and_maryland_caps() -> None:
    ok = dt.datetime.fromisoformat(at("2026-03-16", "12:00", "America/Chicago"))
    d = check(NUMBER["US-OK"], ok.isoformat(), attempts=[ok - dt.timedelta(minutes=m) for m in (1, 2, 3)])
    assert ("frequency_cap", "US-OK") in [(r.code.value, r.jurisdiction) for r in d.reasons]
    d = check(NUMBER["US"], NOON.isoformat(), callee_region="US-MD", attempts=before(1, 2, 3))
    assert ("frequency_cap", "US-MD") in [(r.code.value, r.jurisdiction) for r in d.reasons]


def test_the_ledger_placed_calls_count_with_attempts(tmp_path: Any) -> None:
    from dncguard import Call, Guard
    from dncguard.ledger import Ledger

    base = _guard(NOON.date() - dt.timedelta(days=1))
    ledger = Ledger(tmp_path / "calls.ledger")
    guard = Guard(base.registry, ledger=ledger)
    for m in (30, 60):
        earlier = Call(to=FL, at=NOON - dt.timedelta(minutes=m), seller="acme")
        ledger.record(earlier, guard.check(earlier), placed=True)
    other = Call(to=FL, at=NOON - dt.timedelta(minutes=20), seller="acme", purpose="informational")
    ledger.record(other, guard.check(other), placed=True)  # another purpose: not counted
    unplaced = Call(to=FL, at=NOON - dt.timedelta(minutes=10), seller="acme")
    ledger.record(unplaced, guard.check(unplaced), placed=False)  # a decision only: not counted
    call = {"to": FL, "at": NOON.isoformat(), "seller": "acme"}
    assert guard.check(call).allowed  # two placed calls: this is the third
    d = guard.check({**call, "attempts": before(90)})
    assert [r.code.value for r in d.reasons] == ["frequency_cap"]
    assert d.next_allowed_at == NOON - dt.timedelta(minutes=90) + dt.timedelta(days=1, minutes=1)
    table = pa.table(
        {
            "to": [FL, FL],
            "at": pa.array([NOON, NOON], pa.timestamp("us", tz="UTC")),
            "seller": ["acme", "acme"],
            "attempts": pa.array([[], before(90)], pa.list_(pa.timestamp("us", tz="UTC"))),
        }
    )
    out = guard.scrub(table)
    assert out.column("reasons").to_pylist() == [[], ["frequency_cap"]]
    assert out.column("next_allowed_at").to_pylist()[1] == d.next_allowed_at
    assert base.check({**call, "attempts": before(90)}).allowed  # without the ledger: attempts only


def test_check_reads_the_ledger_once_per_call(tmp_path: Any) -> None:
    """One query of the placed calls per check, also for a call over a cap whose
    next_allowed_at counts them again: both answers come from one read of the ledger."""
    from dncguard import Call, Guard
    from dncguard.ledger import Ledger

    ledger = Ledger(tmp_path / "calls.ledger")
    guard = Guard(_guard(NOON.date() - dt.timedelta(days=1)).registry, ledger=ledger)
    for m in (30, 60, 90):
        earlier = Call(to=FL, at=NOON - dt.timedelta(minutes=m), seller="acme")
        ledger.record(earlier, guard.check(earlier), placed=True)
    statements: list[str] = []
    ledger._db.set_trace_callback(statements.append)
    d = guard.check({"to": FL, "at": NOON.isoformat(), "seller": "acme"})
    ledger._db.set_trace_callback(None)
    assert [r.code.value for r in d.reasons] == ["frequency_cap"]
    assert d.next_allowed_at == NOON - dt.timedelta(minutes=90) + dt.timedelta(days=1, minutes=1)
    assert len([s for s in statements if "FROM placed" in s]) == 1


def test_the_ledger_option_is_validated() -> None:
    from dncguard import Guard

    with pytest.raises(ValueError, match=r"ledger=.calls\.ledger.: expected a dncguard\.Ledger or None"):
        Guard(_guard(NOON.date()).registry, ledger="calls.ledger")
