"""Massachusetts: 201 CMR 12.02(2): no unsolicited sales call "between the hours of 8:00 P.M. to 8:00 A.M.".

"Between" includes its ends, so 20:00 and 08:00 themselves are refused (fail closed).
"""

from __future__ import annotations

from harness import assert_window

from dncguard.jurisdictions import JURISDICTIONS

MA = "617-555-0123"


def test_hours_exclude_8pm_and_8am_themselves() -> None:
    assert_window(MA, "2026-03-16", "08:01", "19:59", zone="America/New_York")
    assert_window(MA, "2026-03-22", "08:01", "19:59", zone="America/New_York")
    assert "201 CMR 12.02(2)" in JURISDICTIONS["US-MA"].hours_rule
