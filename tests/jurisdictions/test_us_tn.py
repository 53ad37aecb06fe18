"""Tennessee: Tenn. Code 65-4-401: an "existing customer" includes one with a prior relationship
"within the prior twelve (12) months".
"""

from __future__ import annotations

from harness import listed_ok


def test_relationship_within_twelve_months() -> None:
    evidence = {"relationships": [{"kind": "purchase", "on": "2025-03-16"}]}
    assert listed_ok("US-TN", "2026-03-15", **evidence)
    assert not listed_ok("US-TN", "2026-03-16", **evidence)
