"""Indiana: Ind. Code 24-4.7-1-1: outside the article only a call at the person's express request or
"in connection with an existing debt or contract for which payment or performance has not been
completed". No relationship window: a purchase does not take a call off the Indiana list.
"""

from __future__ import annotations

from harness import listed_ok


def test_a_purchase_does_not_exempt() -> None:
    assert not listed_ok("US-IN", "2026-03-16", relationships=[{"kind": "purchase", "on": "2026-03-15"}])


def test_a_contract_not_yet_performed_exempts_until_it_ends() -> None:
    open_contract = {"relationships": [{"kind": "contract", "on": "2025-01-01"}]}
    assert listed_ok("US-IN", "2026-03-16", **open_contract)
    ended = {"relationships": [{"kind": "contract", "on": "2025-01-01", "ends": "2026-03-10"}]}
    assert listed_ok("US-IN", "2026-03-09", **ended)
    assert not listed_ok("US-IN", "2026-03-10", **ended)
