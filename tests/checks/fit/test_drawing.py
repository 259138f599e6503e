"""What the doctor computes from the model for the fit rules: a seeded subset of draws, within a clock
budget, told to the command's progress, never on the user's trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from pymc_doctor import compat, fitdata
from pymc_doctor.registry import CannotCheck
from tests.checks.fit.helpers import container


def _slow_compute(per_draw: float):
    """A stand-in for PyMC: ``per_draw`` seconds per posterior draw, after a 0.1 s compile on the first call."""
    calls = []

    def compute(posterior, part):
        calls.append(posterior["draw"].values)
        time.sleep((0.1 if part == 0 else 0) + per_draw * posterior.sizes["chain"] * posterior.sizes["draw"])
        return posterior

    return compute, calls


def test_the_draws_fit_in_the_budget_and_the_next_computation_is_refused():
    trace = compat.trace_view(container("poisson"))  # 2 chains of 1,000 draws
    compute, calls = _slow_compute(0.005)
    start = time.perf_counter()
    found, used, _ = fitdata._within_budget(trace, None, "draws", 2000, compute, 1.5, None)
    assert time.perf_counter() - start < 1.5
    first, second, _ = calls  # the compile, the time per draw, the rest of the budget
    assert first.size == fitdata.MIN_DRAWS // 2 and second.size > first.size
    taken = np.concatenate(calls)
    assert taken.size == len(set(taken)) < 1000  # thinned by the clock, each draw once
    assert list(used["draw"].values) == sorted(taken) and found.identical(used)
    assert fitdata._clock(trace, None)[0] > 0.5  # spent, on this trace and model
    refused = r"took \d\.\d s, all of the 0.5 s allowed \(raise the threshold draw_seconds"
    with pytest.raises(CannotCheck, match=refused):
        fitdata._within_budget(trace, None, "log-likelihood", 2000, compute, 0.5, None)


def test_a_quick_model_gets_every_draw_up_to_the_limit():
    trace = compat.trace_view(container("poisson"))
    compute, calls = _slow_compute(0.00001)
    _, used, _ = fitdata._within_budget(trace, None, "draws", 600, compute, 30.0, None)
    assert len(calls) == 2 and used.sizes["draw"] == 300  # the seeded subset of 300 draws per chain, in two calls
    assert list(used["draw"].values) == sorted(fitdata.subset_order(1000)[:300])


def test_subsets_are_seeded_and_nested():
    posterior = compat.trace_groups(container("poisson"))["posterior"]
    small, large = fitdata.thinned(posterior, 100), fitdata.thinned(posterior, 1000)
    assert small.sizes["draw"] == 50 and large.sizes["draw"] == 500
    assert set(small["draw"].values) < set(large["draw"].values)
    assert small.identical(fitdata.thinned(posterior, 100))
    assert np.diff(small["draw"].values).max() > 20  # not every 20th draw: a random subset


@pytest.mark.slow
def test_a_spent_budget_skips_the_rest_with_its_reason_and_progress_says_what_is_computed():
    trace = container("overdispersed", without=("posterior_predictive", "log_likelihood"))
    before = {name: data.copy(deep=True) for name, data in compat.trace_groups(trace).items()}
    told = []
    import pymc_doctor
    from tests.checks.fit.models import MODELS

    report = pymc_doctor.check(
        trace, model=MODELS["overdispersed"](), select=["FIT"], thresholds={"draw_seconds": 0.01}, progress=told.append
    )
    assert told == ["computing the posterior predictive draws from the model for the fit checks (at most 0 s)"]
    assert {f.code for f in report.findings} == {"FIT101"}  # on the first 20 draws, which always run
    skipped = {s.code: s.reason for s in report.checks_skipped}
    assert {"FIT201", "FIT202", "FIT301"} <= set(skipped)
    assert "the pointwise log-likelihood were not computed" in skipped["FIT201"]
    after = compat.trace_groups(trace)
    assert set(after) == set(before) and all(after[name].identical(before[name]) for name in before)


@pytest.mark.slow
def test_the_command_says_on_standard_error_that_it_computes_from_the_model(tmp_path):
    trace = tmp_path / "trace.nc"
    container("overdispersed", without=("posterior_predictive",)).to_netcdf(str(trace))
    script = tmp_path / "model.py"
    script.write_text("from tests.checks.fit.models import overdispersed\n\nmodel = overdispersed()\n")
    command = ["check", str(script), "--trace", str(trace), "--select", "FIT101", "--format", "json"]
    process = subprocess.run(
        [sys.executable, "-m", "pymc_doctor", *command],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert "  computing the posterior predictive draws from the model for the fit checks" in process.stderr
    report = json.loads(process.stdout)
    assert [f["code"] for f in report["findings"]] == ["FIT101"]


@pytest.mark.slow
def test_computed_groups_keep_the_labels_of_the_posterior_draws_they_come_from(monkeypatch):
    from tests.checks.fit.helpers import check
    from tests.checks.fit.models import MODELS

    monkeypatch.setattr(fitdata, "MAX_LIKELIHOOD_DRAWS", 400)  # a subset of 200 of each chain's 1,000 draws
    trace = container("overdispersed", without=("posterior_predictive", "log_likelihood"))
    data = fitdata.log_likelihood(compat.trace_view(trace), MODELS["overdispersed"]())
    labels = data["posterior"]["draw"].values
    assert list(data["log_likelihood"]["draw"].values) == list(labels) and labels.max() > 2 * labels.size
    report = check(trace, "overdispersed", select=["FIT301"])  # replicates and log-likelihood matched by label
    assert report.checks_run == ["FIT301"] and "INT001" not in {f.code for f in report.findings}
