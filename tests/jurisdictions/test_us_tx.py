"""Texas: Tex. Bus. & Com. Code 301.051 (vendor tables): 09:00-21:00, Sunday from noon."""

from __future__ import annotations

from harness import NUMBER, assert_window


def test_hours() -> None:
    assert_window(NUMBER["US-TX"], "2026-03-16", "09:00", "21:00")
    assert_window(NUMBER["US-TX"], "2026-03-22", "12:00", "21:00")
