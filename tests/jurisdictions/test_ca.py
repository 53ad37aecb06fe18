"""Canada: UTR Part III calling hours, 09:00-21:30 Monday-Friday, 10:00-18:00 Saturday and Sunday."""

from __future__ import annotations

from harness import NUMBER, assert_window


def test_hours() -> None:
    assert_window(NUMBER["CA"], "2026-03-16", "09:00", "21:30")
    assert_window(NUMBER["CA"], "2026-03-21", "10:00", "18:00")
    assert_window(NUMBER["CA"], "2026-03-22", "10:00", "18:00")
