"""MOD601, MOD602: the prior predictive against the data's range and sign."""

from __future__ import annotations

import pymc as pm
import pytest

from tests.checks.model.support import (
    RNG,
    N,
    X,
    Y,
    normal_sigma,
    only,
    parses,
    regression,
    report_of,
    run_in_model,
    silent,
)

WEIGHTS = RNG.gamma(5, 2, size=N)
SHARES = RNG.uniform(0.1, 0.9, size=N)


def wide_regression():
    with pm.Model() as model:
        a = pm.Normal("a", 0, 1000)
        b = pm.Normal("b", 0, 1000)
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a + b * X, s, observed=Y)
    return model


def wide_scale():
    with pm.Model() as model:
        s = pm.HalfNormal("s", 1000)
        pm.Normal("y", 0, s, observed=Y)
    return model


def far_from_data():
    big = RNG.normal(5000, 100, size=N)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 1)
        s = pm.HalfNormal("s", 1)
        pm.Normal("big", mu, s, observed=big)
    return model


def negative_weights():
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        s = pm.HalfNormal("s", 5)
        pm.Normal("weight", mu, s, observed=WEIGHTS)
    return model, {"weights": WEIGHTS}


def shares_of_any_sign(likelihood):
    with pm.Model() as model:
        a = pm.Normal("a", 0, 1)
        likelihood("share", a, 1, observed=SHARES)
    return model, {"shares": SHARES}


# --- MOD601


def test_prior_predictive_far_wider_than_the_data():
    finding = only(report_of(wide_regression, select=("MOD601",)), "MOD601")
    culprit = finding.evidence["culprit"]
    assert culprit in ("a", "b") and finding.variables == ("y", culprit)
    assert f"The prior of `{culprit}` drives most of it." in finding.message
    prior, rest = finding.fix_code.split("\n", 1)
    assert prior.startswith(f'{culprit} = pm.Normal("{culprit}", mu=0, sigma=')
    assert rest == "with model:\n    prior = pm.sample_prior_predictive(random_seed=1)"
    run_in_model(prior)
    assert finding.plots[0].kind == "prior_predictive" and finding.plots[0].variables == ("y",)


def test_a_wide_scale_gets_a_narrower_half_normal():
    finding = only(report_of(wide_scale, select=("MOD601",)), "MOD601")
    assert finding.evidence["culprit"] == "s"
    assert finding.fix_code.startswith('s = pm.HalfNormal("s", sigma=')
    parses(finding.fix_code)


def test_prior_predictive_that_excludes_the_data():
    finding = only(report_of(far_from_data, select=("MOD601",)), "MOD601")
    assert finding.evidence["share_outside"] == 1.0 and finding.evidence["culprit"] == "mu"
    assert "The prior of `mu` sets where the data should be." in finding.message
    assert finding.fix_code.startswith('mu = pm.Normal("mu", mu=5000, sigma=')


def test_prior_predictive_is_skipped_with_a_reason_when_it_cannot_be_drawn():
    skipped = {s.code: s.reason for s in report_of(normal_sigma).checks_skipped}
    assert skipped["MOD601"].startswith("the prior predictive cannot be drawn (") and "scale < 0" in skipped["MOD601"]


def test_priors_at_the_datas_scale_are_silent():
    assert silent(report_of(regression), "MOD601")


# --- MOD602


def custom_positive_likelihood():
    """A likelihood whose density allows only positive values, but whose draws are of either sign."""

    def logp(value, scale):
        return pm.logp(pm.Exponential.dist(scale=scale), value)

    def random(scale, rng=None, size=None):
        return rng.normal(0, scale, size=size)

    with pm.Model() as model:
        scale = pm.HalfNormal("scale", 10)
        pm.CustomDist("weight", scale, logp=logp, random=random, observed=WEIGHTS)
    return model


def test_draws_outside_the_likelihoods_own_support_are_impossible():
    finding = only(report_of(custom_positive_likelihood, select=("MOD602",)), "MOD602")
    assert finding.evidence["impossible_share"] > 0.3 and finding.evidence["data"] == "never negative"
    assert "its density excludes them" in finding.message and "(positive)" in finding.fix


def test_a_normal_regression_on_positive_data_is_not_called_impossible():
    # its likelihood allows negative values: the data never showing them proves nothing
    assert silent(report_of(negative_weights, select=("MOD602",)), "MOD602")


@pytest.mark.parametrize("likelihood", [pm.Normal, pm.Logistic])
def test_proportions_under_a_likelihood_on_the_real_line_are_silent(likelihood):
    assert silent(report_of(shares_of_any_sign, likelihood, select=("MOD602",)), "MOD602")


def test_data_of_both_signs_are_silent():
    assert silent(report_of(regression), "MOD602")
