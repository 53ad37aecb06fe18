"""Missouri: Mo. Rev. Stat. 407.1095(3)(b): "a business contact within the past one hundred eighty days".

A day count: a purchase or inquiry on day D takes a call outside the Missouri list through day
D + 179; on day D + 180 it no longer does (six calendar months would be 181-184 days).
"""

from __future__ import annotations

import pytest
from harness import listed_ok

from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import Days


def test_the_window_is_180_days() -> None:
    mo = JURISDICTIONS["US-MO"]
    assert mo.ebr is not None
    assert (mo.ebr.purchase, mo.ebr.inquiry) == (Days(180), Days(180))
    assert "407.1095(3)(b)" in mo.ebr.rule


@pytest.mark.parametrize("kind", ["purchase", "inquiry"])
@pytest.mark.parametrize(
    ("on", "last", "first_day_after"),
    [("2026-01-01", "2026-06-29", "2026-06-30"), ("2025-09-01", "2026-02-27", "2026-02-28")],
)
def test_last_day_of_the_window_and_the_day_after(
    kind: str, on: str, last: str, first_day_after: str
) -> None:
    evidence = {"relationships": [{"kind": kind, "on": on}]}
    assert listed_ok("US-MO", last, **evidence)
    assert not listed_ok("US-MO", first_day_after, **evidence)
    assert not listed_ok("US-MO", last)  # listed, no relationship
