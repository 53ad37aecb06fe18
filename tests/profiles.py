"""How many Hypothesis examples a property runs, in one place.

``default`` (the README's test run) runs 200 examples per property. ``thorough`` (``.ci/run``,
``HYPOTHESIS_PROFILE=thorough``) runs 2,000 per property, and 10,000 for the invariants marked
with :func:`invariant`: bulk and single-call answers agree on every field
(``tests/bulk/test_bulk.py``), any spelling of a number parses to the same number
(``tests/numbers/test_numbers.py``). Properties whose single example builds and saves whole indexes
state their own bounded counts next to them (the index holds exactly the distinct numbers put in:
1,000 and 300 in ``tests/index/test_index_duplicates.py``; ``as_of`` equals a rebuild: 300 in
``tests/test_history.py``). The split keeps the whole CI run under 30 minutes on 2 cores.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import settings

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
THOROUGH_EXAMPLES = 2_000
INVARIANT_EXAMPLES = 10_000


def invariant(**changes: Any) -> settings:
    """Settings for a key invariant: the profile's count, 10,000 in the thorough pass; other
    settings (``deadline``, ``suppress_health_check``) as keyword arguments."""
    examples = INVARIANT_EXAMPLES if THOROUGH else settings().max_examples
    return settings(max_examples=examples, **changes)
