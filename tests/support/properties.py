"""Hypothesis settings for the property tests in the fast suite.

Each property runs a bounded number of examples so the fast suite stays fast (a few seconds
for all of them); ``SAFE_PIP_PROPERTY_EXAMPLES=N`` runs N examples each for a deeper search
(``docs/testing.md``). No deadline per example: the machine is shared and a slow example is
not a failure; size limits of the generated input keep each example small instead.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_EXAMPLES = int(os.environ.get("SAFE_PIP_PROPERTY_EXAMPLES", "0") or 0)


def examples(fast: int) -> settings:
    """Settings for a property that runs ``fast`` examples in the fast suite."""
    return settings(
        max_examples=_EXAMPLES or fast,
        deadline=None,
        # the suite's autouse fixtures (tmp dirs for caches and logs) are not per example
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


FAST = examples(200)
