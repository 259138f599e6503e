"""MOD101-MOD104: priors against the support their use requires; improper, wide and hard-bounded priors."""

from __future__ import annotations

import re

import numpy as np
import pymc as pm

from pymc_doctor import examples
from pymc_doctor.modelgraph import distribution_name, nice
from tests.checks.model.support import (
    RNG,
    N,
    X,
    Y,
    lint,
    normal_probability,
    normal_sigma,
    only,
    regression,
    report_of,
    run_in_model,
    silent,
)


def rescaled_rate():
    with pm.Model() as model:
        lam = pm.Normal("lam", 3, 1)
        pm.Exponential("wait", lam * 2, observed=np.abs(Y) + 0.1)
    return model


def shared_normal_scale():
    """A Normal prior on the scale of ten group effects, which no data observe; its draws are positive."""
    with pm.Model() as model:
        s = pm.Normal("s", 5, 1)
        effects = [pm.Normal(f"a_{g}", 0, s) for g in range(10)]
        pm.Normal("y", pm.math.stack(effects)[np.arange(N) % 10], 1, observed=Y)
    return model


def unobserved_normal_scale():
    """A Normal(0, 1) prior on the scale of a free variable: the prior draws fail, nothing gives a magnitude."""
    with pm.Model() as model:
        s = pm.Normal("s", 0, 1)
        pm.Normal("a", 0, s)
    return model


def probability_below_a_flat_prior():
    """A probability whose prior cannot be drawn: it is centered on a Flat prior."""
    with pm.Model() as model:
        center = pm.Flat("center")
        p = pm.Normal("p", center, 0.2)
        pm.Bernoulli("hit", p=p, observed=RNG.integers(0, 2, size=N))
    return model


def flat_priors():
    with pm.Model() as model:
        a = pm.Flat("a")
        b = pm.Normal("b", 0, 1e6)
        s = pm.HalfFlat("s")
        pm.Normal("y", a + b * X, s, observed=Y)
    return model


def uniform_slope():
    with pm.Model() as model:
        a = pm.Normal("a", 0, 5)
        b = pm.Uniform("b", -10, 10)
        p = pm.Uniform("p", 0, 1)
        s = pm.HalfNormal("s", 2)
        w = pm.Uniform("w", -1e8, 1e8)  # extremely wide: MOD103's
        pm.Normal("y", a + b * X + w, s, observed=Y)
        pm.Bernoulli("hit", p=p, observed=RNG.integers(0, 2, size=N))
    return model


# --- MOD101


def test_normal_prior_on_a_scale_is_found_from_its_use_and_sized_from_the_data():
    finding = only(report_of(normal_sigma), "MOD101")
    assert finding.severity == "error" and finding.variables == ("sigma",)
    assert "`sigma` of `y` (Normal), which must satisfy sigma > 0" in finding.message
    assert "the sd of the data of `y`" in finding.fix
    assert finding.fix_code == f'sigma = pm.HalfNormal("sigma", sigma={nice(float(np.std(Y)))})'
    assert distribution_name(run_in_model(finding.fix_code)["sigma"]) == "HalfNormal"


def test_a_rescaled_rate_gets_a_gamma_with_the_mean_of_the_prior_given():
    finding = only(report_of(rescaled_rate, select=("MOD101",)), "MOD101")
    assert finding.variables == ("lam",)
    mean = re.search(r"the mean of the prior you gave \(([\d.]+)\)", finding.fix)
    assert mean and 2.5 < float(mean.group(1)) < 3.5  # the median magnitude of Normal(3, 1)
    assert finding.fix_code == f'lam = pm.Gamma("lam", alpha=2, beta={nice(2 / float(mean.group(1)))})'
    assert distribution_name(run_in_model(finding.fix_code)["lam"]) == "Gamma"


def test_a_scale_no_data_observe_is_sized_from_its_prior_and_found_once():
    finding = only(report_of(shared_normal_scale, select=("MOD101",)), "MOD101")
    assert finding.variables == ("s",)
    assert finding.evidence["used_by"] == sorted(f"a_{g}" for g in range(10))
    assert "the magnitude of the prior you gave" in finding.fix
    sigma = float(re.fullmatch(r's = pm\.HalfNormal\("s", sigma=(.+)\)', finding.fix_code).group(1))
    assert 6.5 < sigma < 8.5  # the median of Normal(5, 1) over 0.674, the median of a HalfNormal(1)


def test_a_scale_whose_prior_cannot_be_drawn_gets_unit_scale():
    finding = only(report_of(unobserved_normal_scale, select=("MOD101",)), "MOD101")
    assert "unit scale" in finding.fix and finding.fix_code == 's = pm.HalfNormal("s", sigma=1)'


def test_positive_priors_are_not_flagged():
    assert silent(report_of(regression), "MOD101")
    assert silent(lint(examples.centered_eight()), "MOD101")
    assert silent(report_of(normal_probability), "MOD101")  # bounded by 1: a probability, MOD102's


# --- MOD102


def test_probability_with_a_normal_prior_gets_a_matching_beta():
    finding = only(report_of(normal_probability), "MOD102")
    assert finding.variables == ("p",)
    assert "a probability (PyMC checks n >= 0, 0 <= p <= 1)" in finding.message
    assert "allows values such as -0.1 and 1.1" in finding.message  # both sides of [0, 1]
    alpha, beta = map(float, re.fullmatch(r'p = pm\.Beta\("p", alpha=(.+), beta=(.+)\)', finding.fix_code).groups())
    assert 0.4 < alpha / (alpha + beta) < 0.6  # the mean of Normal(0.5, 0.2), clipped to [0, 1]
    assert distribution_name(run_in_model(finding.fix_code)["p"]) == "Beta"


def test_a_probability_whose_prior_cannot_be_drawn_gets_a_uniform_beta():
    finding = only(report_of(probability_below_a_flat_prior, select=("MOD102",)), "MOD102")
    assert finding.fix_code == 'p = pm.Beta("p", alpha=1, beta=1)'


def test_a_probability_through_a_link_is_not_flagged():
    assert silent(lint(examples.bioassay()), "MOD102")


# --- MOD103


def test_flat_and_extremely_wide_priors():
    found = {f.variables[0]: f for f in report_of(flat_priors, select=("MOD103",)).findings if f.code == "MOD103"}
    assert set(found) == {"a", "b", "s"}
    assert "improper Flat" in found["a"].message and found["a"].title == "Improper prior on `a`"
    assert "central 90%" in found["b"].message and found["b"].title == "Extremely wide prior on `b`"
    assert found["b"].evidence["width_90"] > 1e6
    assert found["s"].fix_code.startswith('s = pm.HalfNormal("s", sigma=')
    assert found["a"].fix_code.startswith('a = pm.Normal("a", mu=0, sigma=')
    for finding in found.values():
        run_in_model(finding.fix_code)


def test_the_width_threshold_is_a_parameter():
    report = lint(flat_priors(), thresholds={"max_width_ratio": 1e9})
    assert {f.variables[0] for f in report.findings if f.code == "MOD103"} == {"a", "s"}


def test_weakly_informative_priors_are_not_flagged():
    assert silent(report_of(regression), "MOD103")


# --- MOD104


def test_uniform_on_a_coefficient_but_not_on_a_probability_or_an_extremely_wide_one():
    report = report_of(uniform_slope, select=("MOD103", "MOD104"))
    finding = only(report, "MOD104")
    assert finding.variables == ("b",) and finding.evidence == {"lower": -10.0, "upper": 10.0}
    assert finding.fix_code == 'b = pm.Normal("b", mu=0, sigma=5)'
    run_in_model(finding.fix_code)
    assert "w" in {f.variables[0] for f in report.findings if f.code == "MOD103"}


def test_no_uniform_no_finding():
    assert silent(report_of(regression), "MOD104")
