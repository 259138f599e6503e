"""Fix code as a user pastes it: in the user's name for the model, and runnable on the model it was written for."""

from __future__ import annotations

import numpy as np
import pymc as pm

import pymc_doctor as doctor


def _radon():
    """A regression on a plain covariate array with a Normal prior on its sigma: MOD101, MOD201, MOD304."""
    rng = np.random.default_rng(1)
    floor = rng.integers(0, 2, 50).astype(float)
    log_radon = 1 + 0.5 * floor + rng.normal(size=50)
    with pm.Model() as radon_model:
        a = pm.Normal("a", 0, 1)
        b = pm.Normal("b", 0, 1)
        sigma = pm.Normal("sigma", 0, 1)
        pm.Normal("y", a + b * floor, sigma, observed=log_radon)
    return radon_model, {"radon_model": radon_model, "floor": floor, "log_radon": log_radon}


def _with_blocks(report) -> list[str]:
    codes = [f.fix_code for f in report.findings] + [step.code for step in report.plan]
    return [code for code in codes if code and "with " in code]


def test_fix_code_names_the_model_as_the_namespace_does():
    model, namespace = _radon()
    report = doctor.lint(model, namespace={"_": model, **namespace})
    blocks = _with_blocks(report)
    assert len(blocks) >= 2, [f.code for f in report.findings]
    for code in blocks:
        assert "with radon_model:" in code and "with model:" not in code, code
    assert any("radon_model.debug()" in step.code for step in report.plan)


def test_check_reads_the_name_from_the_callers_namespace():
    radon_model, _ = _radon()
    report = doctor.check(model=radon_model)
    assert _with_blocks(report)
    assert all("with radon_model:" in code for code in _with_blocks(report))


def test_fix_code_says_model_when_the_name_is_unknown():
    model, namespace = _radon()
    report = doctor.lint(model, namespace={"floor": namespace["floor"]})
    assert _with_blocks(report)
    assert all("with model:" in code for code in _with_blocks(report))
    # and the name of one run does not leak into the next
    doctor.lint(model, namespace=namespace)
    assert all("with model:" in code for code in _with_blocks(doctor.lint(model, namespace={})))
