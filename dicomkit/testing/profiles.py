"""Hypothesis profiles for dicomkit's property tests, chosen by ``DICOMKIT_HYPOTHESIS_PROFILE``.

``fast`` (the default) keeps CI short; ``thorough`` runs many more examples on demand. Public
and shipped (not in tests/) because the contract suite, which plugin authors run, honours the
same variable.
"""

from __future__ import annotations

import os

__all__ = ["PROFILE_ENV", "register_profiles"]

PROFILE_ENV = "DICOMKIT_HYPOTHESIS_PROFILE"


def register_profiles() -> str:
    """Register the ``fast`` and ``thorough`` profiles and load the one the environment asks for."""
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "fast",
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.register_profile(
        "thorough",
        max_examples=500,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    name = os.environ.get(PROFILE_ENV, "fast")
    settings.load_profile(name)
    return name
