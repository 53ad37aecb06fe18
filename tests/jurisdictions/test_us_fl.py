"""Florida: Fla. Stat. 501.616(6)(a) (SB 1120, 2021): not "before 8 a.m. or after 8 p.m."."""

from __future__ import annotations

from harness import NUMBER, assert_window

from dncguard.jurisdictions import JURISDICTIONS


def test_hours_8_to_8_every_day() -> None:
    assert_window(NUMBER["US-FL"], "2026-03-16", "08:00", "20:00")
    assert_window(NUMBER["US-FL"], "2026-03-22", "08:00", "20:00")
    assert "501.616(6)(a)" in JURISDICTIONS["US-FL"].hours_rule
