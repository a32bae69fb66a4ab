"""Settings for every test run from the repository root: tests/, module doctests and README."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Timing varies on shared CI machines; speed is measured in benchmarks/, not here.
settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
