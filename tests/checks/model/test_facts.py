"""What the model rules read: facts about a model, computed family by family with PyMC's own answers, and
the model left as it was."""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest

from pymc_doctor import examples
from pymc_doctor.modelgraph import PRIOR_DRAWS, PRIOR_SEED, PRIOR_VALUES, ModelFacts, compile_function, describe
from pymc_doctor.modelgraph.compile import _shared_variables
from tests.checks.model.support import N, Y, lint, normal_sigma


def many_scalars():
    """Hierarchical intercepts as forty named scalars, beside priors of the kinds families hold."""
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 2)
        effects = [pm.Normal(f"a_{g}", mu, tau) for g in range(40)]
        for g in range(2):
            pm.Exponential(f"rate_{g}", g + 1)  # a parameter computed from a constant (1 / lam)
            pm.Uniform(f"u_{g}", -1, g + 2)  # a bounded transform of its own
            pm.Gamma(f"gamma_{g}", mu=g + 2, sigma=1)
            pm.StudentT(f"t_{g}", nu=3 + g, mu=mu, sigma=tau)
            pm.TruncatedNormal(f"tn_{g}", mu, tau, lower=-1 - g, upper=2)
            pm.Rice(f"rice_{g}", 1, 1 + g)  # SciPy draws these in blocks: one call per draw
            pm.Wald(f"wald_{g}", mu=1, lam=2 + g)
        pm.Poisson("k", 3)
        beta = pm.Normal("beta", mu, 1, shape=3)  # outside families, reading one
        pm.Deterministic("spread", tau * beta)
        pm.Normal("y", pm.math.stack(effects)[np.arange(N) % 40] + beta[0], 1, observed=Y)
    return model


def _prior_predictive(model, draws: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm.sample_prior_predictive(
            draws=draws,
            model=model,
            random_seed=PRIOR_SEED,
            return_inferencedata=False,
            compile_kwargs={"mode": "FAST_COMPILE"},
        )


@pytest.mark.slow  # PyMC's own prior predictive, drawn live
def test_family_evaluation_gives_pymcs_start_log_densities_and_draws():
    model = many_scalars()
    facts = ModelFacts(model)
    assert max(len(family.members) for family in facts.families) == 40
    # Computed apart from their constants, values may differ from PyMC's in the last bit (float64)
    # or the last float32 bit of a parameter (the rates' 1 / lam, folded in one graph, not the other).
    expected = model.initial_point()
    assert list(facts.initial_point) == list(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(facts.initial_point[name], value, rtol=1e-12, err_msg=name)
    point = facts.initial_point
    logps = compile_function(model.value_vars, model.logp(vars=facts.terms, sum=False))(**point)
    for term, value, reference in zip(facts.terms, facts.start_logps, logps, strict=True):
        np.testing.assert_allclose(value, reference, rtol=1e-5, err_msg=term.name)
    starts = compile_function(model.value_vars, model.replace_rvs_by_values(facts.free))(**point)
    for rv, reference in zip(facts.free, starts, strict=True):
        np.testing.assert_allclose(facts.start_values[rv.name], reference, rtol=1e-12, err_msg=rv.name)
    draws = _prior_predictive(model, facts.prior_draws)
    assert set(facts.prior) == set(draws)
    for name, reference in draws.items():  # the same generators, seeded alike: the same draws
        np.testing.assert_allclose(facts.prior[name], reference, rtol=1e-12, err_msg=name)


def test_sums_of_many_terms_evaluate():
    # PyTensor's rewrites merge these sums into one addition of 40 terms, which its Python
    # implementation (NumPy's ufuncs) cannot take: the start and the prior predictive failed.
    with pm.Model() as model:
        xs = [pm.Normal(f"x_{i}", 0, 1) for i in range(40)]
        pm.Normal("y", pm.math.stack(xs).sum(), 10, observed=Y)
        pm.Normal("z", sum(xs), 10, observed=Y)
    facts = ModelFacts(model)
    assert facts.start_error is None and all(np.isfinite(logp).all() for logp in facts.start_logps)
    assert set(facts.prior) == {*(f"x_{i}" for i in range(40)), "y", "z"} and facts.prior_error is None


def test_a_shape_that_cannot_be_evaluated_leaves_the_others():
    with pm.Model() as model:
        n = pm.Normal("n", -5, 0.1)
        a = pm.Normal("a", 0, 1, shape=3)
        negative_length = pt.cast(n, "int64")  # -5 at the start: no array has that length
        pm.Deterministic("bad", pt.zeros(negative_length))
        pm.Deterministic("good", a * n)
        pm.Normal("ok", mu=a.sum() * n, sigma=1)
        pm.Normal("broken", mu=pt.zeros(negative_length).sum() + pt.zeros(negative_length), sigma=1)
    facts = ModelFacts(model)
    assert facts.shapes == {"n": (), "a": (3,), "good": (3,), "ok": ()}
    assert facts.param_shapes["broken"] is None
    assert facts.param_shapes["ok"] == [(), ()]


@pytest.mark.slow  # PyMC's own prior predictive, drawn live
def test_large_variables_take_the_first_of_the_prior_draws():
    size = 50_000
    with pm.Model() as model:
        z = pm.Normal("z", 0, 1, shape=size)
        pm.Normal("y", z, 1, observed=np.zeros(size))
    facts = ModelFacts(model)
    assert facts.prior_draws == PRIOR_VALUES // size < PRIOR_DRAWS
    draws = _prior_predictive(model, PRIOR_DRAWS)
    for name in ("z", "y"):
        np.testing.assert_array_equal(facts.prior[name], draws[name][: facts.prior_draws], err_msg=name)


def test_imputed_data_keep_their_own_shape():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pm.Model(coords={"obs": range(5), "row": range(2)}) as model:
            pm.Normal("y", pm.Normal("mu"), 1, observed=np.array([[1.0, np.nan, 2.0, 3.0]] * 2), dims=("row", "obs"))
    facts = ModelFacts(model)
    assert facts.imputed_shapes == {"y": (2, 4)} and facts.shapes["y"] == (2, 5)


def test_describe_lists_variables_kinds_and_parents():
    summary = describe(examples.centered_eight())
    theta = next(v for v in summary["variables"] if v["name"] == "theta")
    assert theta == {
        "name": "theta",
        "kind": "free",
        "distribution": "Normal",
        "dims": ["school"],
        "shape": [8],
        "parents": ["mu", "tau"],
    }
    assert summary["free"] == ["mu", "tau", "theta"] and summary["coords"] == {"school": 8}


# --- leaves the model alone


def _state(model):
    shared = {}
    for var in _shared_variables(model):
        value = var.get_value(borrow=False)
        shared[id(var)] = repr(value.bit_generator.state) if hasattr(value, "bit_generator") else np.asarray(value)
    return {
        "names": list(model.named_vars),
        "ids": [id(v) for v in model.named_vars.values()],
        "values": {name: id(v) for name, v in model.rvs_to_values.items()},
        "transforms": dict(model.rvs_to_transforms),
        "coords": {k: tuple(v) if v is not None else None for k, v in model.coords.items()},
        "shared": shared,
        "numpy": repr(np.random.get_state()),
    }


def _same(before, after):
    assert before.keys() == after.keys()
    for key in before:
        if key == "shared":
            assert before[key].keys() == after[key].keys()
            for var, value in before[key].items():
                np.testing.assert_array_equal(np.asarray(value), np.asarray(after[key][var]))
        else:
            assert before[key] == after[key], key


@pytest.mark.parametrize("builder", [examples.centered_eight, normal_sigma])
def test_lint_leaves_the_model_and_random_state_unchanged(builder):
    model = builder()
    np.random.seed(7)
    before = _state(model)
    report = lint(model)
    assert report.findings  # the checks ran through the model
    _same(before, _state(model))


def test_the_state_comparison_sees_a_changed_generator():
    model = normal_sigma()
    before = _state(model)
    rng = next(var for var in _shared_variables(model) if hasattr(var.get_value(), "bit_generator"))
    rng.get_value(borrow=True).random()
    with pytest.raises(AssertionError):
        _same(before, _state(model))
