"""Fix snippets are real code: they parse, and the cheap ones run against the installed PyMC."""

from __future__ import annotations

import ast
import importlib.util

import pytest
from pytensor.graph.basic import ancestors

from pymc_doctor import remedies
from pymc_doctor.compat import trace_view


def _tiny_model():
    import pymc as pm

    with pm.Model() as model:
        pm.Normal("x", mu=0, sigma=1, shape=2)
    return model


def _run(code: str):
    import pymc as pm

    namespace = {"pm": pm, "model": _tiny_model()}
    exec(code, namespace)
    return namespace["idata"]


@pytest.mark.parametrize(
    "sampler",
    [
        "pymc-nuts",
        pytest.param("nutpie", marks=pytest.mark.skipif(not importlib.util.find_spec("nutpie"), reason="no nutpie")),
        pytest.param("numpyro", marks=pytest.mark.skipif(not importlib.util.find_spec("numpyro"), reason="no numpyro")),
    ],
)
def test_max_treedepth_spelling_reaches_each_sampler(sampler):
    code = remedies.sample_call(sampler, draws=30, tune=30, chains=1, max_treedepth=2, target_accept=0.9)
    trace = trace_view(_run(code))
    assert trace.draws == 30
    assert trace.stat("tree_depth").max() <= 2
    expected = {"pymc-nuts": "pymc-nuts", "nutpie": "nutpie", "numpyro": "numpyro"}[sampler]
    assert trace.sampler == expected


def test_init_pins_pymc_nuts_and_runs():
    code = remedies.sample_call("nutpie", draws=20, tune=20, chains=1, init="jitter+adapt_full")
    assert 'nuts_sampler="nutpie"' not in code
    trace = trace_view(_run(code))
    assert trace.sampler == "pymc-nuts"


def test_noncentered_rewrite_builds_the_model():
    import pymc as pm

    code = remedies.noncentered_code("theta", "tau", "mu", ("school",))
    with pm.Model(coords={"school": ["a", "b", "c"]}) as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 5)
        exec(code, {"pm": pm, "mu": mu, "tau": tau})
    assert {v.name for v in model.free_RVs} == {"mu", "tau", "theta_offset"}
    assert model["theta"] in model.deterministics
    assert model.named_vars_to_dims["theta"] == ("school",)
    inputs = {v.name for v in ancestors([model["theta"]])}
    assert {"mu", "tau", "theta_offset"} <= inputs


def test_ordered_snippet_defines_a_working_transform():
    import pymc as pm

    namespace = {"pm": pm}
    exec(remedies.ordered_code("centers", 2, ("component",)), namespace)
    with pm.Model(coords={"component": ["a", "b"]}) as model:
        pm.Normal("centers", mu=0, sigma=10, dims="component", **namespace["ordered"])
    assert "centers_ordered__" in model.initial_point()


def test_every_spelling_parses_on_both_lines(monkeypatch):
    for major in (5, 6):
        monkeypatch.setattr(remedies, "pymc_major", lambda major=major: major)
        for sampler in ("pymc-nuts", "nutpie", "numpyro", "blackjax", None):
            code = remedies.sample_call(sampler, max_treedepth=12, target_accept=0.95, tune=2000)
            ast.parse(code)
            assert "max_tree" in code or "maxdepth" in code
