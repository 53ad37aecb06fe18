"""How many Hypothesis examples a property runs, in one place.

``default`` (the README's test run) runs 200 examples per property. ``thorough`` (``.ci/run``,
``HYPOTHESIS_PROFILE=thorough``) runs 2,000 per property, and 10,000 for the invariants the
project promises above all (:func:`invariant`): the index holds exactly the distinct numbers put
in, bulk and single-call answers agree on every field, any spelling of a number parses to the
same number, ``as_of`` equals a rebuild from the data of that day. The split keeps the whole CI
run under 30 minutes on 2 cores.
"""

from __future__ import annotations

import os

from hypothesis import settings

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
THOROUGH_EXAMPLES = 2_000
INVARIANT_EXAMPLES = 10_000


def invariant() -> settings:
    """Settings for a key invariant: the profile's count, 10,000 in the thorough pass."""
    return settings(max_examples=INVARIANT_EXAMPLES) if THOROUGH else settings()
