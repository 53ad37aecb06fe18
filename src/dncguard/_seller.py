"""One seller however its name is written: ``normalize_seller``.

A seller's name is compared after trimming outer spaces, collapsing every inner run of
whitespace to one space, Unicode Unicode case-folding (compared as canonically equivalent text: composed
and decomposed accents are one letter), in calls, internal
lists and evidence alike: ``"Acme"``, ``" acme "``, ``"ACME"`` and ``"Acme  Corp"`` /
``"acme corp"`` are the same seller, and so are ``"STRASSE"`` and ``"straße"`` (case-folding
maps ``ß`` to ``ss``). Inner whitespace is collapsed because a doubled space is as invisible in a
CRM export as a trailing one; punctuation and letters are kept as written (``"Acme Inc."`` and
``"Acme"`` are two sellers).

>>> normalize_seller("  Acme  ")
'acme'
>>> normalize_seller("ACME\\t Corp") == normalize_seller("acme corp")
True
>>> normalize_seller("STRASSE") == normalize_seller("Straße")
True
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["normalize_seller"]


@functools.lru_cache(maxsize=1 << 14)
def normalize_seller(name: str) -> str:
    """``name`` trimmed, inner whitespace runs collapsed to one space, case-folded, NFC-composed.

    Cached: a call's seller costs a dictionary lookup once seen.
    """
    collapsed = " ".join(name.split())
    if collapsed.isascii():
        return collapsed.casefold()
    # Unicode's canonical caseless match: decomposed before folding, composed after.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", collapsed).casefold())
