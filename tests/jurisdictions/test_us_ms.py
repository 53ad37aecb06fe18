"""Mississippi: Miss. Code 77-3-723(1) ("8:00 a.m. and 8:00 p.m. Central Standard Time"; no Sundays).

The hours are read on Central Standard Time (UTC-6 all year) and on local time, and a call must
pass both: during daylight time that is 09:00-20:00 local. No holiday ban (the Commission's rule
was repealed in 2023).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from harness import NUMBER, _guard, assert_window, at, check, hours_ok

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
