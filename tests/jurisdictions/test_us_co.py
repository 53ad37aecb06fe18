"""Colorado: C.R.S. 6-1-903(7)(a) (the relationship) and the 30-day inquiry exemption.

A relationship rests on "an application, purchase, ongoing contractual agreement, or commercial
transaction" (the 18-month window); an inquiry is a separate exemption of 30 days, ended early by
a do-not-call request. An application recorded as an inquiry gets the 30 days (fail closed).
"""

from __future__ import annotations

from harness import listed_ok

from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import Days, Months


def test_windows() -> None:
    co = JURISDICTIONS["US-CO"]
    assert co.ebr is not None
    assert (co.ebr.purchase, co.ebr.inquiry) == (Months(18), Days(30))
    assert "6-1-903(7)(a)" in co.ebr.rule


def test_purchase_18_months() -> None:
    evidence = {"relationships": [{"kind": "purchase", "on": "2024-09-16"}]}
    assert listed_ok("US-CO", "2026-03-15", **evidence)
    assert not listed_ok("US-CO", "2026-03-16", **evidence)


def test_inquiry_30_days() -> None:
    evidence = {"relationships": [{"kind": "inquiry", "on": "2026-03-01"}]}
    assert listed_ok("US-CO", "2026-03-30", **evidence)
    assert not listed_ok("US-CO", "2026-03-31", **evidence)


def test_a_stop_request_ends_the_inquiry_exemption_early() -> None:
    evidence = {
        "relationships": [{"kind": "inquiry", "on": "2026-03-01"}],
        "dnc_requests": [{"on": "2026-03-05"}],
    }
    assert listed_ok("US-CO", "2026-03-04", **evidence)
    assert not listed_ok("US-CO", "2026-03-05", **evidence)
