"""The positive-prior rewrite: a Normal prior on a scale becomes a HalfNormal, on a copy of the model."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import pymc_doctor
from pymc_doctor.treatment.rewrite import CannotApply, apply, positive_prior


def _normal_on_a_scale() -> pm.Model:
    rng = np.random.default_rng(7)
    with pm.Model(coords={"obs": range(40)}) as model:
        mu = pm.Normal("mu", 0, 5)
        sigma = pm.Normal("sigma", 0, 2.5)
        pm.Normal("y", mu, sigma, observed=rng.normal(1.0, 2.0, 40), dims="obs")
    return model


def _kinds(model: pm.Model) -> dict[str, str]:
    return {rv.name: type(rv.owner.op).__name__ for rv in model.free_RVs}


def test_a_normal_scale_becomes_a_halfnormal_with_the_same_sigma_and_the_users_model_stays():
    model = _normal_on_a_scale()
    rewritten, options = apply(model, {"kind": "positive_prior", "variable": "sigma"}, None)
    assert options == {}
    assert _kinds(rewritten) == {"mu": "NormalRV", "sigma": "HalfNormalRV"}
    assert rewritten.rvs_to_transforms[rewritten["sigma"]].name == "log"
    assert rewritten.rvs_to_values[rewritten["sigma"]].name == "sigma_log__"
    # sigma = 2.5 read from the graph: the start is at the HalfNormal's own scale, and the density is finite
    point = rewritten.initial_point()
    np.testing.assert_allclose(np.exp(point["sigma_log__"]), 2.5)
    assert np.isfinite(rewritten.compile_logp()(point))
    draws = pm.draw(rewritten["sigma"], 2000, random_seed=1)
    assert draws.min() > 0 and abs(draws.std() - 2.5 * np.sqrt(1 - 2 / np.pi)) < 0.1
    # the user's model is untouched: same variables, same distributions, and its start still fails
    assert _kinds(model) == {"mu": "NormalRV", "sigma": "NormalRV"}
    assert model.rvs_to_transforms[model["sigma"]] is None
    assert not np.isfinite(model.compile_logp()(model.initial_point()))


def test_a_vector_scale_keeps_its_dims_and_its_size():
    with pm.Model(coords={"group": ["a", "b", "c"]}) as model:
        scales = pm.Normal("scales", 0, 1, dims="group")
        pm.Normal("y", 0, scales, observed=np.ones(3))
        pm.Normal("sized", 0, 1, size=4)
    rewritten = positive_prior(model, "scales")
    assert tuple(rewritten.named_vars_to_dims["scales"]) == ("group",)
    assert rewritten.initial_point()["scales_log__"].shape == (3,)
    sized = positive_prior(model, "sized")
    assert pm.draw(sized["sized"], random_seed=2).shape == (4,)


def test_what_is_not_a_free_normal_is_refused_with_a_reason():
    with pm.Model() as model:
        scale = pm.Gamma("scale", 2, 1)
        nu = pm.Exponential("nu", 1)
        pm.StudentT("y", nu=nu, sigma=scale, observed=np.ones(3))
    with pytest.raises(CannotApply, match="`scale` is not Normal"):
        positive_prior(model, "scale")
    with pytest.raises(CannotApply, match="not a free variable"):
        positive_prior(model, "y")
    with pytest.raises(CannotApply, match="not a free variable"):
        positive_prior(model, "nothing")


def test_the_prior_conflict_plan_carries_the_positive_prior_step():
    model = _normal_on_a_scale()
    with model:
        idata = pm.sample(draws=100, tune=100, chains=2, cores=1, random_seed=3, progressbar=False)
    report = pymc_doctor.check(idata, model=model)
    assert "MOD101" in {f.code for f in report.findings}
    actions = [step.action for step in report.plan if step.action and step.action["kind"] == "positive_prior"]
    assert actions == [{"kind": "positive_prior", "variable": "sigma"}]


@pytest.mark.slow
def test_treat_swaps_the_normal_scale_prior_and_reports_the_step():
    model = _normal_on_a_scale()
    with model:
        idata = pm.sample(draws=200, tune=200, chains=2, cores=1, random_seed=3, progressbar=False)
    report = pymc_doctor.treat(model, idata, budget=300)
    steps = report.treatment.steps
    swap = [step for step in steps if "positive values" in step.description]
    assert swap and not swap[0].error
    assert "DX302" in swap[0].before["diagnoses"] and swap[0].after["diagnoses"] == []
    assert swap[0].cured and report.treatment.outcome == "cured"
    assert _kinds(model) == {"mu": "NormalRV", "sigma": "NormalRV"}
    assert "treatment" in report.to_dict()
