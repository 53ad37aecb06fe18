"""Washington: RCW 19.158.040(2) (08:00-20:00) and RCW 80.36.390(1)(a) (a purchase within 12 months)."""

from __future__ import annotations

from harness import assert_window

from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import Months

WA = "206-555-0123"


def test_hours_8_to_8() -> None:
    assert_window(WA, "2026-03-16", "08:00", "20:00", zone="America/Los_Angeles")


def test_purchase_window_12_months() -> None:
    wa = JURISDICTIONS["US-WA"]
    assert wa.ebr is not None
    assert wa.ebr.purchase == Months(12)
    assert "80.36.390(1)(a)" in wa.ebr.rule
