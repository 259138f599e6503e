"""MOD601, MOD602: the prior predictive against the data's range and sign."""

from __future__ import annotations

import pymc as pm

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


def test_prior_predictive_of_impossible_sign():
    finding = only(report_of(negative_weights, select=("MOD602",)), "MOD602")
    assert finding.evidence["impossible_share"] > 0.3 and finding.evidence["data"] == "never negative"
    assert finding.fix_code.startswith('pm.LogNormal("weight", mu=mu, sigma=s, observed=weights)')
    run_in_model('mu = pm.Normal("mu", 0, 5)\ns = pm.HalfNormal("s", 5)\n' + finding.fix_code, weights=WEIGHTS)


def test_proportions_get_a_beta_with_a_logit_link():
    finding = only(report_of(shares_of_any_sign, pm.Normal, select=("MOD602",)), "MOD602")
    assert finding.evidence["data"] == "proportions in [0, 1]"
    assert finding.fix_code.startswith('pm.Beta("share", mu=pm.math.invlogit(a), sigma=1, observed=shares)')
    run_in_model('a = pm.Normal("a", 0, 1)\n' + finding.fix_code, shares=SHARES)


def test_other_likelihoods_get_advice_without_code():
    finding = only(report_of(shares_of_any_sign, pm.Logistic, select=("MOD602",)), "MOD602")
    assert finding.fix_code == "" and "(Beta)" in finding.fix


def test_data_of_both_signs_are_silent():
    assert silent(report_of(regression), "MOD602")
