"""Test settings shared by every test module.

Hypothesis profiles: ``default`` keeps the README's test run fast; ``thorough`` (selected by
``.ci/run`` with ``HYPOTHESIS_PROFILE=thorough``) runs 2,000 examples per property and 10,000 for
the key invariants (``tests/profiles.py`` says which and why).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from profiles import THOROUGH_EXAMPLES

settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=THOROUGH_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
