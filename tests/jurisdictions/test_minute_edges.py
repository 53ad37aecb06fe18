"""A window's last minute is the instant it ends: a call that starts within it is after it.

The federal rule allows calls "between 8:00 a.m. and 9:00 p.m." (16 CFR 310.4(c)): 21:00:00
may start, 21:00:30 is after 9 p.m. Hours are kept at minute resolution, so a start within a
minute must pass that minute and the next (docs/defaults.md#calling-hours). ``Guard.check`` and
``Guard.scrub`` answer alike, and ``next_allowed_at`` is never before the call.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from harness import NUMBER, _guard, at, check, hours_ok

US, CA, MS, TX = NUMBER["US"], NUMBER["CA"], NUMBER["US-MS"], NUMBER["US-TX"]


@pytest.mark.parametrize(
    ("to", "day", "hhmmss", "ok"),
    [
        (US, "2026-07-01", "21:00:00", True),
        (US, "2026-07-01", "21:00:30", False),  # after 9 p.m.: allowed before the fix
        (US, "2026-07-01", "21:00:59.999", False),
        (US, "2026-07-01", "20:59:59.999", True),
        (US, "2026-07-01", "07:59:59.999", False),
        (US, "2026-07-01", "08:00:00.001", True),
        (CA, "2026-07-01", "21:30:30", False),  # Canada, a Wednesday: 09:00-21:30
        (CA, "2026-07-04", "18:00:01", False),  # a Saturday: 10:00-18:00
        (TX, "2026-07-05", "11:59:59", False),  # Texas, a Sunday: from noon
        (TX, "2026-07-05", "12:00:01", True),
        (MS, "2026-01-12", "20:00:30", False),  # Mississippi in winter (CST = local)
        (MS, "2026-07-01", "20:00:30", False),  # in summer, local time ends it
    ],
)
def test_a_start_within_the_last_minute_is_refused(to: str, day: str, hhmmss: str, ok: bool) -> None:
    assert hours_ok(to, day, hhmmss) is ok


def test_next_allowed_at_is_never_before_the_call() -> None:
    when = at("2026-07-01", "21:00:30", "America/New_York")
    decision = check(US, when)
    assert decision.next_allowed_at == dt.datetime.fromisoformat(
        at("2026-07-02", "08:00", "America/New_York")
    )


def test_scrub_agrees() -> None:
    cases = [
        (US, at("2026-07-01", hhmm, "America/New_York"))
        for hhmm in ("21:00:00", "21:00:30", "20:59:59", "07:59:59", "08:00:01")
    ] + [
        (MS, at("2026-07-01", "20:00:30", "America/Chicago")),
        (CA, at("2026-07-01", "21:30:01", "America/Toronto")),
    ]
    guard = _guard(dt.date(2026, 6, 30))
    table = pa.table(
        {
            "to": [to for to, _ in cases],
            "at": [dt.datetime.fromisoformat(t) for _, t in cases],
            "seller": ["acme"] * len(cases),
        }
    )
    out = guard.scrub(table)
    want = [check(to, t) for to, t in cases]
    assert out.column("allowed").to_pylist() == [True, False, True, False, True, False, False]
    assert out.column("allowed").to_pylist() == [d.allowed for d in want]
    got = out.column("next_allowed_at").to_pylist()
    assert [g and g.astimezone(dt.UTC) for g in got] == [
        d.next_allowed_at and d.next_allowed_at.astimezone(dt.UTC) for d in want
    ]


def test_a_between_rule_refuses_a_start_within_its_last_minute_too() -> None:
    # 201 CMR 12.02(2) refuses "between the hours of 8:00 P.M. to 8:00 A.M.": 08:01-19:59 at
    # minute resolution; 19:59:30 is refused too (the closed side, docs/defaults.md).
    ma = "617-555-0123"
    assert hours_ok(ma, "2026-03-16", "19:59:00", zone="America/New_York")
    assert not hours_ok(ma, "2026-03-16", "19:59:30", zone="America/New_York")
