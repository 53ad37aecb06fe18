"""Test settings shared by every test module.

Hypothesis profiles: ``default`` keeps the README's test run fast; ``thorough`` (selected by
``.ci/run`` with ``HYPOTHESIS_PROFILE=thorough``) runs at least 10,000 examples per property.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
