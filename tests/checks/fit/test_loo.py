"""PSIS-LOO rules (FIT201 Pareto k̂, FIT202 p_loo) on seeded Normal regressions and Poisson models."""

from __future__ import annotations

import ast
import warnings

import numpy as np
import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor import compat, examples, fitdata
from pymc_doctor.checks.fit.loo import observation_labels
from tests.checks.fit.helpers import check, container
from tests.checks.fit.models import OUTLIERS
from tests.support import findings_of, load


def test_outliers_get_high_pareto_k_named_by_their_coordinates():
    report = check(load("fit_outliers"), "outliers", select=["FIT201"])
    (finding,) = report.findings
    assert sorted(finding.variables) == sorted(f"y[{i}]" for i in OUTLIERS)
    assert {o["coords"] for o in finding.evidence["observations"]} == {f"obs_id = {i}" for i in OUTLIERS}
    assert all(o["k"] > 0.7 for o in finding.evidence["observations"])
    assert "obs_id = 7" in finding.message
    assert 'pm.StudentT("y", mu=mu, sigma=sigma, nu=y_nu, observed=observed, dims="obs_id")' in finding.fix_code
    ast.parse(finding.fix_code)


def test_the_threshold_chooses_the_observations_and_k_above_1_is_an_error():
    (finding,) = check(load("fit_outliers"), select=["FIT201"], max_pareto_k=0.9).findings
    assert finding.variables == ("y[7]", "y[23]")  # worst first: k̂ 1.19 and 1.09; y[41] has 0.80
    assert finding.severity == "error" and finding.fix_code == ""
    assert check(load("fit_outliers"), select=["FIT201"], max_pareto_k=1.5).findings == []


def test_the_numbers_are_arviz_own():
    (finding,) = findings_of(check(load("fit_outliers"), select=["FIT201"]), "FIT201")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = compat.arviz_stats().loo(load("fit_outliers"), pointwise=True)
    k = np.asarray(reference["pareto_k"] if compat.arviz_major() < 1 else reference.pareto_k)
    assert sorted(o["k"] for o in finding.evidence["observations"]) == pytest.approx(np.sort(k[k > 0.7]), abs=1e-3)
    elpd = reference["elpd_loo"] if compat.arviz_major() < 1 else reference.elpd
    assert finding.evidence["elpd_loo"] == pytest.approx(elpd, abs=1e-3)


@pytest.mark.parametrize("name", ["outliers", "overdispersed"])
def test_misspecified_models_have_more_effective_parameters_than_parameters(name):
    (finding,) = check(load(f"fit_{name}"), name, select=["FIT202"]).findings
    assert finding.severity == "warning"
    assert finding.evidence["p_loo"] > finding.evidence["parameters"]
    assert finding.evidence["parameters"] == {"outliers": 3, "overdispersed": 1}[name]


def test_a_p_loo_a_fraction_of_a_parameter_above_the_count_is_noise_not_misspecification():
    # A well-specified regression whose p_loo lands just above its count (as 3.05 of 3 parameters can): here
    # the count is scaled so that p_loo exceeds it by 0.3 of a parameter.
    results = fitdata.loo(compat.trace_view(load("fit_regression")), None)
    ratio = (sum(r["p_loo"] for r in results) - 0.3) / 3
    assert check(load("fit_regression"), select=["FIT202"], max_ploo_ratio=ratio).findings == []
    (finding,) = check(load("fit_regression"), select=["FIT202"], max_ploo_ratio=ratio, min_ploo_excess=0.0).findings
    assert finding.evidence["p_loo"] - ratio * finding.evidence["parameters"] == pytest.approx(0.3, abs=1e-3)


@pytest.mark.parametrize("name", ["regression", "poisson"])
def test_well_specified_models_stay_silent(name):
    report = check(load(f"fit_{name}"), name, select=["FIT2"])
    assert report.findings == [] and set(report.checks_run) == {"FIT201", "FIT202"}


def test_without_log_likelihood_or_model_the_rules_do_not_apply_and_say_why_when_asked():
    trace = container("outliers", without=("log_likelihood",))
    unasked = pymc_doctor.check(trace)
    assert not {"FIT201", "FIT202"} & {*unasked.checks_run, *(s.code for s in unasked.checks_skipped)}
    reasons = {s.code: s.reason for s in check(trace, select=["FIT2"]).checks_skipped}
    assert reasons["FIT201"] == "the trace has no log_likelihood group, and no model was given to compute it"


def test_observations_are_labelled_by_every_coordinate():
    k = xr.DataArray(np.zeros((2, 2)), dims=("county", "year"), coords={"county": ["A", "B"]}, name="y")
    assert observation_labels(k, "y") == [
        ("y[A, 0]", "county = A, year = 0"),
        ("y[A, 1]", "county = A, year = 1"),
        ("y[B, 0]", "county = B, year = 0"),
        ("y[B, 1]", "county = B, year = 1"),
    ]


@pytest.mark.slow
def test_a_nutpie_trace_gets_its_log_likelihood_from_the_model():
    trace = load("nutpie_eight")
    before = set(compat.trace_groups(trace))
    view = compat.trace_view(trace)
    (result,) = fitdata.loo(view, examples.centered_eight())
    assert result["drawn"] and result["pareto_k"].sizes == {"school": 8}
    report = pymc_doctor.check(trace, model=examples.centered_eight(), select=["FIT2"])
    assert set(report.checks_run) == {"FIT201", "FIT202"}
    assert set(compat.trace_groups(trace)) == before
    assert np.isfinite(result["pareto_k"].values).all() and np.isfinite(result["elpd"])
