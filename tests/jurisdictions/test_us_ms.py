"""Mississippi: Miss. Code 77-3-723(1) ("8:00 a.m. and 8:00 p.m. Central Standard Time"; no Sundays).

The hours are read on Central Standard Time (UTC-6 all year) and on local time, and a call must
pass both: during daylight time that is 09:00-20:00 local. No holiday ban (the Commission's rule
was repealed in 2023).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from harness import NUMBER, _guard, assert_window, at, check, hours_ok

from dncguard import Decision, bulk
from dncguard.jurisdictions import JURISDICTIONS

MS = NUMBER["US-MS"]


def test_the_hours_are_also_read_on_central_standard_time() -> None:
    ms = JURISDICTIONS["US-MS"]
    assert ms.hours_clock == "Etc/GMT+6"  # POSIX sign: UTC-6
    assert "77-3-723" in ms.hours_rule
    assert "77-3-723" in ms.hours_clock_rule


def test_winter_hours_8_to_8() -> None:
    assert_window(MS, "2026-01-12", "08:00", "20:00")  # CST = local time


def test_daylight_time_hours_9_to_8_local() -> None:
    assert_window(MS, "2026-07-01", "09:00", "20:00")


def test_next_allowed_at_is_nine_local_during_daylight_time() -> None:
    d = check(MS, at("2026-07-01", "08:30", "America/Chicago"))
    assert {r.code.value for r in d.reasons} == {"calling_hours"}
    assert [r.jurisdiction for r in d.reasons] == ["US-MS"]
    assert d.next_allowed_at == dt.datetime.fromisoformat(at("2026-07-01", "09:00", "America/Chicago"))


def test_scrub_reads_the_fixed_clock_too() -> None:
    times = [
        at("2026-07-01", hhmm, "America/Chicago") for hhmm in ("08:30", "08:59", "09:00", "20:00", "20:01")
    ]
    guard = _guard(dt.date(2026, 6, 30))
    table = pa.table(
        {"to": [MS] * len(times), "at": [dt.datetime.fromisoformat(t) for t in times], "seller": ["acme"] * 5}
    )
    out = guard.scrub(table)
    assert out.column("allowed").to_pylist() == [False, False, True, True, False]
    want = [check(MS, t).next_allowed_at for t in times]
    got = out.column("next_allowed_at").to_pylist()
    assert [g and g.astimezone(dt.UTC) for g in got] == [w and w.astimezone(dt.UTC) for w in want]


def test_no_calls_on_sunday_and_no_holiday_ban() -> None:
    assert not hours_ok(MS, "2026-01-11", "12:00")
    assert hours_ok(MS, "2026-12-25", "12:00")  # Christmas, a Friday


def test_citations() -> None:
    ms = JURISDICTIONS["US-MS"]
    assert ms.ebr is not None
    assert "77-3-705" in ms.ebr.rule
    assert "77-3-703" not in ms.ebr.rule + ms.hours_rule + ms.list_rule


# --- Miss. Code 79-11-524: paid fund-raisers call 09:00-21:00 Monday-Saturday, no Sunday -------------

SALES_RULE = "Miss. Code 77-3-723(1)"
FUND_RAISERS_RULE = "Miss. Code 79-11-524"
CHICAGO = "America/Chicago"

# (day, local time, caller, purpose, line, the US-MS calling_hours citation or None, next allowed)
# 2026-01-12 is a Monday in winter (Central Standard Time is local time); 2026-07-06 a Monday in
# daylight time (77-3-723 read on CST already refuses a start before 09:00 local).
MS_CASES = (
    ("2026-01-12", "08:30", "seller", "sale", "unknown", None, None),
    (
        "2026-01-12",
        "08:30",
        "telemarketer",
        "donation",
        "unknown",
        FUND_RAISERS_RULE,
        ("2026-01-12", "09:00"),
    ),
    (
        "2026-01-12",
        "08:59",
        "telemarketer",
        "donation",
        "residential",
        FUND_RAISERS_RULE,
        ("2026-01-12", "09:00"),
    ),
    ("2026-01-12", "09:00", "telemarketer", "donation", "unknown", None, None),
    ("2026-01-12", "20:00", "telemarketer", "donation", "unknown", None, None),
    ("2026-01-12", "20:30", "telemarketer", "donation", "unknown", SALES_RULE, ("2026-01-13", "09:00")),
    (
        "2026-01-12",
        "21:00:30",
        "telemarketer",
        "donation",
        "unknown",
        f"{SALES_RULE}; {FUND_RAISERS_RULE}",
        ("2026-01-13", "09:00"),
    ),
    (
        "2026-01-11",
        "12:00",
        "telemarketer",
        "donation",
        "unknown",
        f"{SALES_RULE}; {FUND_RAISERS_RULE}",
        ("2026-01-12", "09:00"),
    ),
    ("2026-01-11", "12:00", "seller", "sale", "unknown", SALES_RULE, ("2026-01-12", "08:00")),
    (
        "2026-01-10",
        "08:30",
        "telemarketer",
        "donation",
        "wireless",
        FUND_RAISERS_RULE,
        ("2026-01-10", "09:00"),
    ),
    # A charity's own staff paid by commission are professional fund-raisers (79-11-501); a call
    # does not say how its caller is paid: bound (fail closed).
    ("2026-01-12", "08:30", "charity", "donation", "unknown", FUND_RAISERS_RULE, ("2026-01-12", "09:00")),
    ("2026-01-12", "20:30", "charity", "donation", "unknown", SALES_RULE, ("2026-01-13", "09:00")),
    # A charity's sales call is a sales call: 77-3-723 alone.
    ("2026-01-12", "08:30", "charity", "sale", "unknown", None, None),
    # A seller's own donation call: not a charity calling for itself, bound (fail closed).
    ("2026-01-12", "08:30", "seller", "donation", "unknown", FUND_RAISERS_RULE, ("2026-01-12", "09:00")),
    # "to a residential telephone number": a business line is outside 79-11-524, not 77-3-723.
    ("2026-01-12", "08:30", "telemarketer", "donation", "business", None, None),
    ("2026-01-12", "20:30", "telemarketer", "donation", "business", SALES_RULE, ("2026-01-13", "08:00")),
    (
        "2026-07-06",
        "08:59",
        "telemarketer",
        "donation",
        "unknown",
        f"{SALES_RULE}; {FUND_RAISERS_RULE}",
        ("2026-07-06", "09:00"),
    ),
)


def _ms_call(day: str, hhmm: str, caller: str, purpose: str, line: str) -> dict[str, object]:
    return {
        "to": MS,
        "at": at(day, hhmm, CHICAGO),
        "seller": "acme",
        "caller": caller,
        "purpose": purpose,
        "line": line,
    }


def _ms_rule(d: Decision) -> str | None:
    found = [r.rule for r in d.reasons if r.code.value == "calling_hours" and r.jurisdiction == "US-MS"]
    assert len(found) <= 1, d.reasons  # one reason per (code, jurisdiction), citing what failed
    return found[0] if found else None


def test_fund_raisers_window_check() -> None:
    for day, hhmm, caller, purpose, line, rule, nxt in MS_CASES:
        d = check(MS, at(day, hhmm, CHICAGO), caller=caller, purpose=purpose, line=line)
        case = (day, hhmm, caller, purpose, line)
        assert _ms_rule(d) == rule, (case, d.reasons)
        if rule is None:
            assert "calling_hours" not in {r.code.value for r in d.reasons}, (case, d.reasons)
            assert d.allowed, case
            assert d.next_allowed_at is None, case
        else:
            assert not d.allowed, case
            assert d.next_allowed_at == dt.datetime.fromisoformat(at(*nxt, CHICAGO)), (
                case,
                d.next_allowed_at,
            )
            # the earliest minute: the same call passes then, and not a minute before
            just_before = d.next_allowed_at - dt.timedelta(minutes=1)
            again = {**_ms_call(day, hhmm, caller, purpose, line), "at": d.next_allowed_at.isoformat()}
            before = {**again, "at": just_before.isoformat()}
            guard = _guard(dt.date.fromisoformat(day) - dt.timedelta(days=1))
            assert guard.check(again).allowed, case
            if just_before > dt.datetime.fromisoformat(at(day, hhmm, CHICAGO)):
                assert not guard.check(before).allowed, case


def test_fund_raisers_window_message_names_the_statute_and_its_hours() -> None:
    d = check(MS, at("2026-01-12", "08:30", CHICAGO), caller="telemarketer", purpose="donation")
    (reason,) = d.reasons
    assert "79-11-524" in reason.message
    assert "09:00-21:00 Monday-Saturday" in reason.message


def test_fund_raisers_window_scrub_agrees_with_check() -> None:
    guard = _guard(dt.date(2026, 1, 9))
    winter = [case for case in MS_CASES if case[0] < "2026-07"]
    calls = [_ms_call(day, hhmm, c, p, line) for day, hhmm, c, p, line, _, _ in winter]
    utc = [dt.datetime.fromisoformat(str(c["at"])).astimezone(dt.UTC) for c in calls]
    table = pa.table(
        {
            "to": [c["to"] for c in calls],
            "at": utc,
            "seller": [c["seller"] for c in calls],
            "caller": [c["caller"] for c in calls],
            "purpose": [c["purpose"] for c in calls],
            "line": [c["line"] for c in calls],
        }
    )
    for clocks in ("rows", "tables"):
        decided = list(bulk.decide_batches(guard, [table], tuning=bulk.Tuning(clocks=clocks)))
        got = [d.decision(i) for d in decided for i in range(d.output.num_rows)]
        want = [guard.check({**c, "at": u.isoformat()}) for c, u in zip(calls, utc, strict=True)]
        assert got == want, clocks
        out = guard.scrub(table, tuning=bulk.Tuning(clocks=clocks))
        assert out.column("allowed").to_pylist() == [rule is None for *_, rule, _ in winter]
        nxt = out.column("next_allowed_at").to_pylist()
        assert [n and n.astimezone(dt.UTC) for n in nxt] == [
            w.next_allowed_at and w.next_allowed_at.astimezone(dt.UTC) for w in want
        ]


def test_fund_raisers_window_is_recorded_once_with_its_source() -> None:
    from dncguard.jurisdictions.call_rules import CALLER_HOURS

    window = CALLER_HOURS["US-MS fund-raisers"]
    assert window.jurisdiction == "US-MS"
    assert window.rule == FUND_RAISERS_RULE
    # "charity" too: its staff paid by commission are professional fund-raisers (79-11-501)
    assert window.callers == {"telemarketer", "seller", "charity"}
    assert window.lines == {"residential", "wireless", "unknown"}  # not "business"
    assert window.basis.primary
    assert window.basis.url
    assert window.basis.row == "hours"
