"""The reliability suite's Hypothesis profile and shared fixtures.

The profile is registered here and applied with ``@FUZZ`` on the property
tests only; it is not loaded globally. ``VELSTACK_FUZZ_EXAMPLES`` raises the
example count for a longer local run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "velstack-reliability",
    max_examples=int(os.environ.get("VELSTACK_FUZZ_EXAMPLES", "200")),
    deadline=None,
    # anyio_backend (function scoped) is the same for every example: that is fine.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)
FUZZ = settings.get_profile("velstack-reliability")
