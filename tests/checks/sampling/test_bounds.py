"""SMP402: posterior mass piled against a hard bound of the prior's support."""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm

import pymc_doctor
from tests.checks.sampling.helpers import trace
from tests.support import findings_of

RNG = np.random.default_rng(20261202)
DATA = RNG.normal(0, 30, size=50)  # sd 30: a Uniform(0, 10) scale cannot reach it


def uniform_scale_model():
    with pm.Model() as model:
        sigma = pm.Uniform("sigma", 0, 10)
        share = pm.Beta("share", 2, 2)
        pm.Normal("y", 0, sigma, observed=DATA)
        pm.Bernoulli("hit", p=share, observed=RNG.integers(0, 2, size=50))
    return model


def report_for(sigma: np.ndarray, share: np.ndarray):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pymc_doctor.check(
            trace({"sigma": sigma, "share": share}), model=uniform_scale_model(), namespace={}, select=["SMP402"]
        )


def test_a_scale_piled_against_its_uniform_upper_bound():
    sigma = 10 - np.abs(RNG.normal(0, 0.2, size=(4, 200)))
    report = report_for(sigma, RNG.beta(20, 20, size=(4, 200)))
    (found,) = findings_of(report, "SMP402")
    assert found.variables == ("sigma",) and found.evidence["bound"] == 10.0 and found.evidence["share"] > 0.9
    assert "upper bound" in found.title
    # a prior without the bound, at the data's scale
    assert found.fix_code.startswith('sigma = pm.HalfNormal("sigma", sigma=3')
    with pm.Model():
        exec(found.fix_code, {"pm": pm})


def test_a_beta_piled_against_one():
    report = report_for(RNG.normal(5, 0.5, size=(4, 200)), 1 - RNG.beta(1, 200, size=(4, 200)))
    (found,) = findings_of(report, "SMP402")
    assert found.variables == ("share",) and found.evidence["bound"] == 1.0 and found.fix_code == ""


def test_a_posterior_in_the_middle_of_its_uniform_prior_is_silent():
    report = report_for(RNG.normal(5, 0.5, size=(4, 200)), RNG.beta(20, 20, size=(4, 200)))
    assert "SMP402" in report.checks_run and findings_of(report, "SMP402") == []
