"""MOD501, MOD502: centered hierarchies, and parameters the data cannot tell apart."""

from __future__ import annotations

import numpy as np
import pymc as pm

from pymc_doctor import examples
from pymc_doctor.modelgraph import distribution_name
from tests.checks.model.support import (
    RNG,
    N,
    Y,
    lint,
    observed_shape,
    only,
    parses,
    regression,
    report_of,
    run_in_model,
    silent,
)

GROUP = RNG.integers(0, 4, size=N)


def two_intercepts():
    with pm.Model() as model:
        a = pm.Normal("a", 0, 10)
        b = pm.Normal("b", 0, 10)
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a + b, s, observed=Y)
    return model


def many_levels():
    with pm.Model() as model:
        parts = [pm.Normal(f"level_{i}", 0, 1) for i in range(5)]
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", sum(parts), s, observed=Y)
    return model


def effects_beside_intercept():
    with pm.Model(coords={"group": list("abcd")}) as model:
        a = pm.Normal("a", 0, 10)
        effect = pm.Normal("effect", 0, 10, dims="group")
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a + effect[GROUP], s, observed=Y)
    return model


def scaled_hierarchy():
    """Group effects on twice a free scale, and one at location 0."""
    with pm.Model(coords={"g": list("abc")}) as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 1)
        theta = pm.Normal("theta", mu=mu, sigma=tau * 2, dims="g")
        z = pm.Normal("z", 0, tau)
        pm.Normal("y", theta[np.arange(N) % 3] + z, 1, observed=Y)
    return model


# --- MOD501


def test_centered_hierarchy_with_the_rewrite_in_the_models_names():
    finding = only(lint(examples.centered_eight()), "MOD501")
    assert finding.variables == ("theta", "tau")
    assert finding.evidence == {"group": "theta", "scale": "tau", "location": "mu", "size": (8,)}
    code = finding.fix_code
    assert 'theta_offset = pm.Normal("theta_offset", mu=0, sigma=1, dims="school")' in code
    assert 'theta = pm.Deterministic("theta", mu + tau * theta_offset, dims="school")' in code
    with pm.Model(coords={"school": examples.SCHOOLS}) as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfCauchy("tau", 5)
        exec(code, {"pm": pm, "mu": mu, "tau": tau})
    assert model["theta"] in model.deterministics


def test_scales_spelled_as_expressions_and_a_location_of_zero():
    report = report_of(scaled_hierarchy, select=("MOD501",))
    found = {f.evidence["group"]: f for f in report.findings}
    assert set(found) == {"theta", "z"}
    assert found["theta"].evidence["scale"] == "(tau * 2)" and found["theta"].evidence["location"] == "mu"
    assert found["z"].evidence["location"] is None and "Normal(0, tau)" in found["z"].message
    parses(found["z"].fix_code)


def test_non_centered_and_flat_models_are_silent():
    assert silent(lint(examples.noncentered_eight()), "MOD501")
    assert silent(report_of(regression), "MOD501")


# --- MOD502


def test_two_intercepts_are_not_identified():
    finding = only(report_of(two_intercepts, select=("MOD502",)), "MOD502")
    assert finding.evidence["multiple_correlation"] > 0.99
    assert set(finding.variables) == {"a", "b"}
    assert "the data inform little more than `a + b`" in finding.message or "`b + a`" in finding.message
    assert finding.fix_code.startswith("# the likelihood cannot tell ")
    kept = finding.evidence["variable"]
    assert [rv.name for rv in run_in_model(finding.fix_code).free_RVs] == [kept]  # one intercept


def test_a_ridge_shared_by_many_intercepts():
    finding = only(report_of(many_levels, select=("MOD502",)), "MOD502")
    assert set(finding.variables) == {f"level_{i}" for i in range(5)}
    assert len(finding.evidence["partners"]) == 4
    assert "leaves the fit almost unchanged" in finding.message


def test_group_effects_beside_an_intercept_get_a_sum_to_zero_fix():
    finding = only(report_of(effects_beside_intercept, select=("MOD502",)), "MOD502")
    assert finding.fix_code.startswith('effect = pm.ZeroSumNormal("effect", sigma=')
    assert finding.fix_code.endswith('dims="group")')
    model = run_in_model(finding.fix_code, coords={"group": list("abcd")})
    assert distribution_name(model["effect"]) == "ZeroSumNormal"


def test_identified_models_are_silent_and_large_or_unevaluable_ones_skipped():
    assert silent(report_of(regression), "MOD502")
    skipped = {s.code: s.reason for s in lint(many_levels(), thresholds={"max_parameters": 3}).checks_skipped}
    assert skipped["MOD502"] == "6 scalar parameters exceed max_parameters=3"
    unevaluable = {s.code: s.reason for s in report_of(observed_shape).checks_skipped}
    assert unevaluable["MOD502"].startswith("the model cannot be evaluated at its initial point")
