"""New Mexico: NMSA 57-12-22(B)(5): no solicitation "received before 9:00 a.m. or after 9:00 p.m."."""

from __future__ import annotations

from harness import assert_window


def test_hours_9_to_9() -> None:
    assert_window("505-555-0123", "2026-03-16", "09:00", "21:00", zone="America/Denver")
