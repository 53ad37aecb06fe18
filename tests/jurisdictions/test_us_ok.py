"""Oklahoma: 08:00-20:00 local (vendor tables), in every zone of 580, Kenton's Mountain time too."""

from __future__ import annotations

from harness import NUMBER, assert_window


def test_area_code_580_includes_kentons_mountain_time() -> None:
    # 09:00 Central is 08:00 in Kenton, the first minute it allows; 20:00 Central is the last.
    assert_window(NUMBER["US-OK"], "2026-03-16", "09:00", "20:00", zone="America/Chicago")
