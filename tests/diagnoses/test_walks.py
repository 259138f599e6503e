"""DX104: a latent random walk with a sampled step scale, and its innovations form."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import pymc_doctor
from pymc_doctor.diagnoses import diagnose
from pymc_doctor.finding import Finding
from pymc_doctor.subject import Subject


def _symptom(code: str, label: str, severity: str = "warning") -> Finding:
    return Finding(code, severity, "sampling", "t", "m", variables=(label,))


def volatility_model(*, cumsum: bool = False, sampled_scale: bool = True, steps: int = 40) -> pm.Model:
    """A small stochastic-volatility model: a latent log-volatility walk drives the returns' scale."""
    returns = np.random.default_rng(0).standard_t(4, steps) * 0.02
    with pm.Model(coords={"time": range(steps)}) as model:
        step_scale = pm.Exponential("step_scale", 10.0) if sampled_scale else 0.1
        if cumsum:
            shocks = pm.Normal("shocks", 0.0, step_scale, dims="time")
            volatility = pm.Deterministic("volatility", shocks.cumsum(), dims="time")
        else:
            volatility = pm.GaussianRandomWalk(
                "volatility", sigma=step_scale, init_dist=pm.Normal.dist(0, 1), dims="time"
            )
        pm.StudentT("returns", nu=4, sigma=pm.math.exp(volatility), observed=returns, dims="time")
    return model


def test_a_slow_random_walk_is_diagnosed_with_its_innovations_form_in_the_users_names():
    model = volatility_model()
    findings = [_symptom("SMP201", "volatility[3]"), _symptom("SMP203", "step_scale")]
    result = diagnose(findings, Subject(model=model))
    (walk,) = [d for d in result.diagnoses if d.code == "DX104"]
    assert walk.variables == ("volatility", "step_scale")
    assert set(walk.findings) == {"SMP201", "SMP203"} and walk.confidence == "high"
    (step,) = walk.steps
    assert step.lasting and "pt.cumsum(volatility_innovations, axis=-1)" in step.code
    # The fix builds: pasted in place of the walk, it gives a walk of the same shape.
    with pm.Model(coords={"time": range(40)}) as fixed:
        step_scale = pm.Exponential("step_scale", 10.0)
        exec(step.code, {"pm": pm, **locals()})
    assert fixed["volatility"].eval().shape == (40,)
    assert {rv.name for rv in fixed.free_RVs} == {"step_scale", "volatility_innovations"}


def test_a_cumulative_sum_of_innovations_gets_them_non_centered():
    model = volatility_model(cumsum=True)
    result = diagnose([_symptom("SMP201", "volatility[0]")], Subject(model=model))
    (walk,) = [d for d in result.diagnoses if d.code == "DX104"]
    (step,) = walk.steps
    assert step.action == {"kind": "noncentered", "group": "shocks", "scale": "step_scale", "location": None}
    assert walk.confidence == "medium"


@pytest.mark.parametrize(
    ("model", "findings"),
    [
        (volatility_model(), [_symptom("SMP201", "volatility[3]", severity="info")]),  # R-hat within its noise
        (volatility_model(), [_symptom("SMP201", "returns_other")]),  # trouble elsewhere
        (volatility_model(sampled_scale=False), [_symptom("SMP201", "volatility[3]")]),  # a fixed step scale
        (None, [_symptom("SMP201", "volatility[3]")]),  # no model
    ],
    ids=["noise", "elsewhere", "fixed scale", "no model"],
)
def test_no_walk_diagnosis_without_a_slow_walk_with_a_sampled_scale(model, findings):
    result = diagnose(findings, Subject(model=model))
    assert "DX104" not in [d.code for d in result.diagnoses]


@pytest.mark.slow
def test_a_sampled_volatility_model_gets_the_innovations_form():
    model = volatility_model(steps=100)
    with model:
        idata = pm.sample(
            draws=300, tune=300, chains=4, random_seed=3, progressbar=False, compute_convergence_checks=False
        )
    report = pymc_doctor.check(idata, model=model)
    codes = [d.code for d in report.diagnoses]
    assert "DX104" in codes, [(f.code, f.severity, f.variables[:2]) for f in report.findings]
    assert any("pt.cumsum(volatility_innovations" in step.code for step in report.plan)
