"""DX301 a coefficient only its vague prior holds, and DX302 priors that fight the model or the data."""

from __future__ import annotations

import numpy as np
import pytest

import pymc_doctor
from pymc_doctor import examples
from pymc_doctor.diagnoses import diagnose, priors
from pymc_doctor.subject import Subject
from tests.diagnoses.common import checked, diagnosed, only


def _lint(sigma_mu: float):
    """A model whose scale has a Normal prior; at mean 0 it starts at sigma = 0, where y's density is -inf."""
    import pymc as pm

    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 10)
        sigma = pm.Normal("sigma", sigma_mu, 1)
        pm.Normal("y", mu, sigma, observed=np.array([1.0, 2.0, 3.0]))
    return model, pymc_doctor.check(model)


def test_a_scale_prior_that_allows_negative_values_explains_the_failed_start():
    model, report = _lint(0.0)
    result = diagnose(report.findings, Subject(model=model))
    found = only(result, "DX302")
    assert set(found.findings) == {"MOD101", "MOD201"}
    assert found.variables == ("sigma",) and found.confidence == "high"
    positive = [step for step in result.plan if step.lasting]
    assert len(positive) == 1 and positive[0].action == {"kind": "positive_prior", "variable": "sigma"}
    assert 'sigma = pm.HalfNormal("sigma"' in positive[0].code
    assert [step.code for step in result.plan] == [positive[0].code, "model.debug()"]
    # a model finding's own fix is a fix of the cause: it stays, behind the line that names the diagnosis
    prior = next(f for f in result.findings if f.code == "MOD101")
    assert prior.fix.startswith("Explained by DX302") and 'pm.HalfNormal("sigma"' in prior.fix_code


def test_a_prior_that_allows_negative_values_but_starts_well_stands_alone():
    model, report = _lint(5.0)
    codes = {f.code for f in report.findings}
    assert "MOD101" in codes and "MOD201" not in codes
    assert diagnose(report.findings, Subject(model=model)).diagnoses == []


def test_a_posterior_the_data_shrink_is_not_held_by_its_prior():
    # the bioassay's `beta` is the nearest: 0.85 prior sds from the prior's center, with a third of its sd
    trace = checked("short_run").trace
    positions = {p["label"]: p for p in priors.measures.prior_positions(trace, examples.bioassay(), ["beta"])}
    assert 0.5 < positions["beta"]["shift"] < priors.TAIL_SHIFT
    assert "DX301" not in [d.code for d in diagnosed("short_run", model=examples.bioassay()).diagnoses]


@pytest.mark.slow
def test_separation_under_a_vague_prior_is_diagnosed():
    import pymc as pm

    from pymc_doctor.quiet import quiet

    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(-1, 0.5, 20), rng.normal(1, 0.5, 20)])
    with pm.Model() as model:
        intercept = pm.Normal("intercept", 0, 10)
        slope = pm.Normal("slope", 0, 10)
        pm.Bernoulli("y", logit_p=intercept + slope * x, observed=(x > 0).astype(int))  # x separates y
    with quiet("pymc"), model:
        idata = pm.sample(
            draws=300, tune=300, chains=2, cores=1, random_seed=1, progressbar=False, compute_convergence_checks=False
        )
    report = pymc_doctor.check(idata)
    subject = Subject(trace=report.trace, model=model)
    # DX303 claims these findings first, having found the separating predictor in the data; DX301 is the
    # cause left where the data show none, so its detector and writer are read here on their own
    assert "DX303" in [d.code for d in diagnose(report.findings, subject).diagnoses]
    found = priors.vague_prior(priors.find_vague_prior(report.findings, subject), subject)
    assert found.variables == ("slope",)
    (tail,) = found.evidence["in_prior_tail"]
    assert tail["shift"] >= priors.TAIL_SHIFT and tail["sd_ratio"] >= priors.PRIOR_SD_SHARE
    (step,) = found.steps
    assert step.lasting and step.action["kind"] == "prior" and step.action["variable"] == "slope"
    assert step.code == 'slope = pm.Normal("slope", mu=0, sigma=2.5)'


def test_a_location_the_data_inform_a_little_is_not_held_by_its_prior():
    # the eight schools' `mu`: most of its prior's spread, but less than a prior sd from its center
    report = checked("centered_eight")
    model = examples.centered_eight()
    (mu,) = priors.measures.prior_positions(report.trace, model, ["mu"])
    assert mu["sd_ratio"] >= priors.PRIOR_SD_SHARE and 0.5 < mu["shift"] < priors.TAIL_SHIFT
    assert any(f.variables[:1] == ("mu",) for f in report.findings if f.code == "SMP201")
    assert priors.find_vague_prior(report.findings, Subject(trace=report.trace, model=model)) is None
