"""The pytest plugin (registered through the ``pytest11`` entry point): the ``doctor`` fixture.

    def test_my_model_samples_well(doctor):
        idata = fit_my_model()
        doctor(idata, model=my_model, ignore=["SMP301"])

``doctor`` is ``pymc_doctor.testing.assert_healthy``: the test fails with the diagnoses and findings.
"""

from __future__ import annotations

import pytest

from pymc_doctor.testing import assert_healthy


@pytest.fixture
def doctor():
    """Assert that a trace (with its model) or a model is healthy: ``doctor(idata, model=..., ignore=...)``."""
    return assert_healthy
