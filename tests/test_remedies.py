"""Fix snippets are real code: they parse, and the cheap ones run against the installed PyMC."""

from __future__ import annotations

import ast
import importlib.util

import pytest
from pytensor.graph.traversal import ancestors

from pymc_doctor import remedies
from pymc_doctor.compat import trace_view
from pymc_doctor.remedies import model as model_fixes
from pymc_doctor.remedies.modes import chain_means_code


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


@pytest.mark.slow  # live sampling
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


@pytest.mark.slow  # live sampling
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
    spelled = {}
    for major in (5, 6):
        monkeypatch.setattr(remedies.sampling, "pymc_major", lambda major=major: major)
        for sampler in ("pymc-nuts", "nutpie", "numpyro", "blackjax", None):
            code = remedies.sample_call(sampler, max_treedepth=12, target_accept=0.95, tune=2000)
            ast.parse(code)
            assert "max_tree" in code or "maxdepth" in code
            spelled[major, sampler] = code
    assert 'nuts_sampler_kwargs={"maxdepth": 12}' in spelled[5, "nutpie"]
    assert 'nuts={"max_treedepth": 12}' in spelled[6, "nutpie"]
    assert spelled[6, "pymc-nuts"].startswith('with model:\n    idata = pm.sample(nuts_sampler="pymc", ')
    assert "nuts_sampler" not in spelled[5, "pymc-nuts"]


def test_every_model_fix_parses_with_and_without_dims():
    for dims in ((), ("obs",), ("row", "obs")):
        snippets = [
            model_fixes.prior_code("b", "Normal", {"mu": "0", "sigma": "2.5"}, dims),
            model_fixes.likelihood_code("y", "Normal", {"mu": "a + b * x", "sigma": "s"}, "y_obs", dims),
            model_fixes.likelihood_code("y", "Normal", None, "y_obs", dims),
            model_fixes.data_container_code("x", 'df["x"].to_numpy()', dims),
            model_fixes.covariate_container_code("x", "x", dims, "x"),
            model_fixes.category_codes_code("school", 'df["school"]', dims),
            model_fixes.nullable_column_code("v", 'df["v"]', dims),
            model_fixes.new_coords_code([("beta", dims or ("beta_dim",), None if dims else {"beta_dim": 3})]) or "pass",
            model_fixes.zero_sum_code("effect", "1", dims, 4),
        ]
        for code in snippets:
            ast.parse(code)
    for code in (
        model_fixes.debug_code(verbose=True),
        model_fixes.debug_code(verbose=False),
        model_fixes.set_data_code("x"),
        model_fixes.drop_missing_code("y", 'pm.Normal("y", mu=a, sigma=s, observed=y[keep])'),
        model_fixes.drop_nonfinite_code("x"),
        model_fixes.standardize_code("income", 'df["income"]'),
        model_fixes.integer_counts_code("c", "counts"),
        model_fixes.coords_code("x", "obs", 5),
        model_fixes.factorize_code("county"),
        model_fixes.zero_based_code("county_idx"),
        model_fixes.per_observation_code("mu"),
        model_fixes.group_index_code("mu"),
        model_fixes.marginalize_code(["z"]),
        model_fixes.keep_one_code("a", ["b", "c"], "10"),
        model_fixes.prior_predictive_code('b = pm.Normal("b", mu=0, sigma=2)'),
        model_fixes.beta_likelihood_code("share", "a", "s", "shares"),
        model_fixes.lognormal_likelihood_code("weight", "mu", "s", "weights"),
    ):
        ast.parse(code)


def test_the_model_fixes_declare_what_they_say():
    import pymc as pm

    namespace = {"pm": pm}
    with pm.Model(coords={"obs": range(3)}) as model:
        exec(model_fixes.prior_code("b", "HalfNormal", {"sigma": "2"}, ("obs",)), namespace)
        exec(model_fixes.data_container_code("x", "[1.0, 2.0, 3.0]", ("obs",)), namespace)
        exec(model_fixes.zero_sum_code("effect", "1", (), 3), namespace)
    assert model.named_vars_to_dims == {"b": ("obs",), "x": ("obs",)}
    assert model["effect"].type.shape == (3,) and model["x"] in model.data_vars


HOSTILE_NAMES = [
    'theta\nran.append("injected")  #',
    'theta"); ran.append("injected"); ("',
    "theta\\",
    "theta school",
    "{ran.append('injected')}",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_fixes_with_a_hostile_name_declare_that_very_name_and_run_nothing_else(name):
    import pymc as pm

    ran: list[str] = []
    namespace = {"pm": pm, "ran": ran}
    dim = "d" + name
    with pm.Model(coords={dim: range(3)}) as model:
        tau = pm.HalfNormal("tau", 1)
        namespace["tau"] = tau
        exec(remedies.noncentered_code(name, "tau", None, (dim,)), namespace)
        exec(model_fixes.prior_code(name + "2", "Normal", {"mu": "0", "sigma": "1"}, (dim,)), namespace)
        exec(model_fixes.zero_sum_code(name + "3", "1", (), 3), namespace)
        exec(model_fixes.data_container_code(name + "4", "[1.0, 2.0, 3.0]", (dim,)), namespace)
    assert ran == []
    assert model[name] in model.deterministics and model.named_vars_to_dims[name] == (dim,)
    assert {name + "_offset", name + "2", name + "3"} <= {v.name for v in model.free_RVs}
    exec(chain_means_code(name), {"idata": type("Trace", (), {"posterior": {name: _Means()}})(), **namespace})
    assert ran == []


class _Means:
    def mean(self, dim):
        return dim


def test_noncentered_rewrite_keeps_the_shape_of_a_vector_without_dims():
    import pymc as pm

    code = remedies.noncentered_code("x", "pm.math.exp(v / 2)", None, (), (9,))
    with pm.Model() as model:
        v = pm.Normal("v", 0, 3)
        exec(code, {"pm": pm, "v": v})
    assert model["x_offset"].type.shape == (9,)
    assert model["x"].type.shape == (9,)
