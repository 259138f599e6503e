"""Traces sampled here and now, by every sampler installed, are checked as fully as PyMC's own.

These sample in the test (a few seconds each) so that a change in a sampler's output format on either
PyMC line shows up here, not in a user's report.
"""

from __future__ import annotations

import importlib.util

import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor import examples
from pymc_doctor.compat import trace_view
from pymc_doctor.quiet import quiet
from pymc_doctor.remedies import pymc_major
from tests.support import findings_of

# Live sampling with each backend: end-to-end.
pytestmark = pytest.mark.slow

NUTS_CHECKS = {"SMP101", "SMP102", "SMP103", "SMP104"}


def _needs(module: str):
    return pytest.mark.skipif(not importlib.util.find_spec(module), reason=f"{module} is not installed")


def _sample_centered_eight(sampler: str):
    import pymc as pm

    with quiet("pymc"), examples.centered_eight():
        return pm.sample(draws=300, tune=300, chains=4, random_seed=7, nuts_sampler=sampler, progressbar=False)


@pytest.mark.parametrize(
    "sampler",
    ["pymc", pytest.param("nutpie", marks=_needs("nutpie")), pytest.param("numpyro", marks=_needs("numpyro"))],
)
def test_centered_eight_from_each_sampler_is_fully_checked(sampler):
    idata = _sample_centered_eight(sampler)
    if pymc_major() >= 6:
        assert isinstance(idata, xr.DataTree)
    trace = trace_view(idata)
    assert trace.sampler == {"pymc": "pymc-nuts"}.get(sampler, sampler)
    report = pymc_doctor.check(idata)
    assert set(report.checks_run) >= NUTS_CHECKS
    assert report.checks_skipped == []
    (divergences,) = findings_of(report, "SMP101")
    assert divergences.evidence["divergences"] == int(trace.stat("diverging").sum()) > 0


def test_smc_is_recognized_and_checked_for_what_applies():
    import pymc as pm

    with quiet("pymc"):
        idata = pm.sample_smc(draws=200, chains=2, random_seed=7, progressbar=False, model=examples.bioassay())
    assert trace_view(idata).sampler == "smc"
    report = pymc_doctor.check(idata)
    skipped = {s.code: s.reason for s in report.checks_skipped}
    assert set(skipped) >= NUTS_CHECKS
    assert skipped["SMP303"] == "SMC has no warm-up phase"
    assert {"SMP201", "SMP203", "SMP301"} <= set(report.checks_run)


def test_compound_step_is_recognized():
    import pymc as pm

    with quiet("pymc"), pm.Model():
        pm.Normal("x", 0, 1)
        pm.Normal("y", 0, 1)
        steps = [pm.NUTS([pm.modelcontext(None)["x"]]), pm.Metropolis([pm.modelcontext(None)["y"]])]
        idata = pm.sample(draws=100, tune=100, chains=2, step=steps, random_seed=7, progressbar=False)
    trace = trace_view(idata)
    assert trace.sampler == "compound"
    assert trace.is_nuts
    report = pymc_doctor.check(idata)
    assert "SMP101" in report.checks_run
