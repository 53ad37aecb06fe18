"""One seller however it is written: seller names compare trimmed and case-folded.

``"Acme"``, ``" acme "`` and ``"ACME"`` are one seller, in calls, internal lists and evidence
alike (a misspelt seller is then the only way two names differ).

>>> normalize_seller("  ACME ") == normalize_seller("acme")
True
>>> normalize_seller("Straße")
'strasse'
"""

from __future__ import annotations

__all__ = ["normalize_seller"]


def normalize_seller(seller: str) -> str:
    """``seller`` trimmed of outer spaces and Unicode case-folded: the key sellers compare by."""
    return seller.strip().casefold()
