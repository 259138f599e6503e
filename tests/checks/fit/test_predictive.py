"""Posterior predictive rules (FIT101 spread, FIT102 zeros, FIT103 mean) on seeded Poisson and Normal models."""

from __future__ import annotations

import ast

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import pymc_doctor
from pymc_doctor import compat, fitdata, fitstats
from pymc_doctor.remedies import fit as fixes
from tests.checks.fit.helpers import check, codes, container, groups
from tests.checks.fit.models import MODELS
from tests.support import findings_of, load


def test_overdispersed_counts_fire_spread_with_the_negative_binomial_fix():
    report = check(load("fit_overdispersed"), "overdispersed", select=["FIT1"])
    assert codes(report) == ["FIT101"]  # the zeros follow from the spread: no FIT102
    (finding,) = report.findings
    assert finding.evidence["statistics"]["sd"]["p"] < 0.01
    assert "overdispersion" in finding.title
    assert 'pm.NegativeBinomial("y", mu=rate, alpha=y_alpha' in finding.fix_code
    ast.parse(finding.fix_code)


def test_gross_outliers_fire_spread_with_the_student_t_fix():
    (finding,) = check(load("fit_outliers"), "outliers", select=["FIT1"]).findings
    assert finding.code == "FIT101" and "heavy tails" in finding.title
    assert finding.evidence["statistics"]["max"]["p"] < 0.01
    assert 'pm.StudentT("y", mu=mu, sigma=sigma, nu=y_nu' in finding.fix_code
    ast.parse(finding.fix_code)


def test_excess_zeros_fire_zeros_with_a_zero_inflated_fix():
    report = check(load("fit_zero_inflated"), "zero_inflated", select=["FIT1"])
    (finding,) = findings_of(report, "FIT102")
    assert finding.evidence["statistics"]["zeros"]["observed"] > 0.35
    assert finding.evidence["negative_binomial_zero_share"] < 0.25
    assert 'pm.ZeroInflatedPoisson("y", mu=rate, psi=y_psi' in finding.fix_code
    ast.parse(finding.fix_code)


@pytest.mark.parametrize("name", ["poisson", "regression"])
def test_well_specified_models_stay_silent(name):
    report = check(load(f"fit_{name}"), select=["FIT1"])
    assert report.findings == []
    assert {"FIT101", "FIT102", "FIT103"} <= set(report.checks_run)


def test_a_trace_alone_is_judged_and_the_fix_is_prose():
    report = check(load("fit_overdispersed"), select=["FIT1"])
    (finding,) = report.findings
    assert "NegativeBinomial" in finding.fix and finding.fix_code == ""


def test_data_the_model_did_not_see_fire_the_mean():
    """Replicates of the Poisson(4) fit against the overdispersed data (mean 5.5)."""
    trace = container("poisson", observed_data=groups("overdispersed")["observed_data"])
    (finding,) = findings_of(check(trace, select=["FIT103"]), "FIT103")
    assert finding.evidence["statistics"]["mean"]["p"] < 0.01
    assert "above" in finding.title
    ast.parse(finding.fix_code)


def test_without_replicates_or_model_the_rules_do_not_apply_and_say_why_when_asked():
    trace = container("poisson", without=("posterior_predictive",))
    unasked = pymc_doctor.check(trace)
    assert not {"FIT101", "FIT102", "FIT103"} & {*unasked.checks_run, *(s.code for s in unasked.checks_skipped)}
    report = check(trace, select=["FIT1"])
    assert report.findings == []
    reasons = {skipped.code: skipped.reason for skipped in report.checks_skipped}
    assert {"FIT101", "FIT102", "FIT103"} <= set(reasons)
    assert (
        reasons["FIT101"]
        == "the trace has no posterior_predictive and observed_data group, and no model was given to compute it"
    )


def test_mid_pvalues_read_ties_as_the_middle():
    replicated = np.array([[0, 1, 2], [0, 3, 5], [0, 2, 2], [0, 0, 9]])
    found = fitstats.predictive_pvalues(replicated, np.array([0, 2, 3]))
    assert found["min"]["p"] == 0.5  # every replicate's minimum is 0, as the data's
    assert found["max"]["p"] == 0.5  # 5 and 9 exceed 3, 2 and 2 do not
    assert found["zeros"]["p"] == pytest.approx(0.25 + 0.5 * 0.75)  # a third zeros: one replicate more, three equal
    assert "zeros" not in fitstats.predictive_pvalues(replicated + 0.5, np.array([0.5, 2.5, 3.5]))


@pytest.mark.parametrize(("mean", "variance"), [(5.0, 20.0), (3.0, 3.0), (2.0, 1.5)])
def test_negative_binomial_zero_share_matches_scipy(mean, variance):
    if variance > mean:
        alpha = mean**2 / (variance - mean)
        expected = stats.nbinom.pmf(0, alpha, alpha / (alpha + mean))
    else:
        expected = stats.poisson.pmf(0, mean)
    assert fitstats.negative_binomial_zeros(mean, variance) == pytest.approx(expected)


def test_fix_code_spells_any_name_safely():
    code = fixes.likelihood_code(
        "y\nimport os  #", "Binomial", "BetaBinomial", {"n": "trials", "p": None}, None, ("obs\n",)
    )
    tree = ast.parse(code)
    assert not any(isinstance(node, ast.Import) for node in ast.walk(tree))
    assert "beta=y_import_os_alpha * (1 - (p)) / (p)" in code


@pytest.mark.slow
def test_replicates_are_drawn_from_the_model_and_the_trace_is_left_as_it_was():
    trace = container("overdispersed", without=("posterior_predictive",))
    before = {name: data.copy(deep=True) for name, data in compat.trace_groups(trace).items()}
    report = check(trace, "overdispersed", select=["FIT1"])
    assert codes(report) == ["FIT101"]
    assert report.findings[0].evidence["drawn_by_doctor"] is True
    after = compat.trace_groups(trace)
    assert set(after) == set(before) and all(after[name].identical(before[name]) for name in before)


def test_the_draws_computed_on_shrink_as_the_observations_grow():
    model = MODELS["poisson"]()  # 120 observations
    assert fitdata.draw_limit(model, 500) == 500
    assert fitdata.draw_limit(model, 500, budget=12_000) == 100
    assert fitdata.draw_limit(model, 500, budget=120) == fitdata.MIN_DRAWS
    posterior = groups("poisson")["posterior"]
    assert fitdata.thinned(posterior, 100).sizes["draw"] == 50  # 2 chains of 1,000, every 20th


def test_a_group_that_spreads_wider_is_named_by_its_coordinate():
    report = check(load("fit_grouped"), "grouped", select=["FIT1"])
    (finding,) = report.findings
    assert finding.code == "FIT101"
    assert set(finding.evidence["groups"]) == {"county = B"}  # county A is Poisson; `visit` has 60 levels
    assert finding.evidence["groups"]["county = B"]["sd"]["p"] < 0.01 / 2
    assert "`county = B`: sd" in finding.message
    assert 'observed=observed, dims=("county", "visit"))' in finding.fix_code and "NegativeBinomial" in finding.fix


def test_groups_come_from_few_levelled_coordinates_with_enough_observations():
    observed = xr.DataArray(
        np.zeros((3, 25)), dims=("county", "visit"), coords={"county": ["A", "B", "B"], "visit": np.arange(25)}
    )
    labels = [label for label, _ in fitdata.groups_of(observed)]
    assert labels == ["county = A", "county = B"]  # `visit`: 25 levels, more than 20
    mask = dict(fitdata.groups_of(observed))["county = B"]
    assert mask.sum() == 50 and not mask[:25].any()
    few = xr.DataArray(np.zeros(8), dims="obs", coords={"obs": list("AAAAABBB")})
    assert [label for label, _ in fitdata.groups_of(few)] == ["obs = A"]  # B has 3 observations, under 5


def _with_zeros_in_county_a() -> object:
    """The grouped trace, its data in county A given 40% structural zeros (county B's left as sampled)."""
    observed = groups("grouped")["observed_data"].copy(deep=True)
    zeros = np.random.default_rng(7).random(observed["y"].sizes["visit"]) < 0.4
    observed["y"].loc[{"county": "A"}] = np.where(zeros, 0, observed["y"].sel(county="A").values)
    return container("grouped", observed_data=observed)


def test_a_group_with_excess_zeros_is_named_by_its_coordinate():
    (finding,) = findings_of(check(_with_zeros_in_county_a(), "grouped", select=["FIT102"]), "FIT102")
    assert set(finding.evidence["groups"]) == {"county = A"}  # B's zeros follow from its negative binomial spread
    assert finding.evidence["groups"]["county = A"]["zeros"]["p"] < 0.01 / 2
    assert "`county = A`: zeros" in finding.message
    assert 'pm.ZeroInflatedPoisson("y", mu=rate, psi=y_psi' in finding.fix_code
    ast.parse(finding.fix_code)


def test_groups_whose_zeros_overdispersion_explains_stay_silent():
    report = check(load("fit_grouped"), "grouped", select=["FIT102"])
    assert report.findings == [] and report.checks_run == ["FIT102"]
