"""Each model check fires on a real model built to trigger it, stays silent on a correct one, and its fix parses."""

from __future__ import annotations

import ast
import warnings
from functools import cache

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import pytest

import pymc_doctor
from pymc_doctor import examples
from pymc_doctor.modelgraph import nice
from pymc_doctor.registry import all_rules
from pymc_doctor.runner import run_checks
from pymc_doctor.subject import Subject
from tests.support import findings_of

MODEL_CODES = [r.code for r in all_rules() if r.category == "model" and r.needs == ("model",)]
RNG = np.random.default_rng(20261125)
N = 40
X = RNG.normal(size=N)
Y = 1 + 2 * X + RNG.normal(size=N)
GROUP = RNG.integers(0, 4, size=N)


def lint(model, namespace=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pymc_doctor.lint(model, namespace=namespace or {})


def only(report, code):
    found = findings_of(report, code)
    assert len(found) == 1, f"{code}: {[f.title for f in report.findings]}"
    return found[0]


def parses(code: str) -> None:
    assert code.strip()
    ast.parse(code)


# --- models, each with one mistake ------------------------------------------------------------


def normal_sigma():
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        sigma = pm.Normal("sigma", 0, 1)
        pm.Normal("y", mu, sigma, observed=Y)
    return model


def rescaled_rate():
    with pm.Model() as model:
        lam = pm.Normal("lam", 3, 1)
        pm.Exponential("wait", lam * 2, observed=np.abs(Y) + 0.1)
    return model


def normal_probability():
    with pm.Model() as model:
        p = pm.Normal("p", 0.5, 0.2)
        pm.Binomial("k", n=10, p=p, observed=RNG.binomial(10, 0.3, size=N))
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
        pm.Normal("y", a + b * X, s, observed=Y)
        pm.Bernoulli("hit", p=p, observed=RNG.integers(0, 2, size=N))
    return model


def negative_count():
    with pm.Model() as model:
        lam = pm.Exponential("lam", 1)
        pm.Poisson("c", lam, observed=np.array([1, -2, 3, 0]))
    return model


def filtered_frame():
    frame = pd.DataFrame({"x": X, "y": Y, "school": pd.Categorical(RNG.choice([10, 20, 30], size=N))})
    frame = frame[frame.x > -1.0]
    with pm.Model(coords={"obs": range(len(frame))}) as model:
        x = pm.Data("x", frame["x"], dims="obs")
        school = pm.Data("school", frame["school"], dims="obs")
        a = pm.Normal("a", 0, 5, shape=3)
        b = pm.Normal("b", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Normal("y", a[school] + b * x, s, observed=frame["y"], dims="obs")
    return model, {"frame": frame}


def missing_observed():
    y_missing = Y.copy()
    y_missing[[3, 7]] = np.nan
    with pm.Model() as model:
        a = pm.Normal("a", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Normal("y", a, s, observed=y_missing)
    return model, {"y_missing": y_missing}


def numpy_covariate_with_nan():
    x_nan = X.copy()
    x_nan[4] = np.nan
    with pm.Model() as model:
        a = pm.Normal("a", 0, 5)
        b = pm.Normal("b", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Normal("y", a + b * x_nan, s, observed=Y)
    return model, {"x_nan": x_nan}


def income_in_dollars():
    income = RNG.normal(50_000, 10_000, size=N)
    with pm.Model() as model:
        mu = pm.Normal("mu", 50_000, 10_000)
        s = pm.HalfNormal("s", 10_000)
        pm.Normal("income", mu, s, observed=income)
    return model, {"income": income}


def fractional_counts(container: bool):
    counts = np.array([1.5, 2.7, 3.0, 4.0])
    with pm.Model() as model:
        lam = pm.Exponential("lam", 1)
        pm.Poisson("c", lam, observed=pm.Data("counts", counts) if container else counts)
    return model, {"counts": counts}


def dims_disagree():
    with pm.Model(coords={"obs": range(4)}) as model:
        pm.Data("x", np.arange(5.0), dims="obs")
        mu = pm.Normal("mu", shape=5)
        pm.Deterministic("double", mu * 2, dims="obs")
    return model


def observed_shape():
    with pm.Model() as model:
        mu = pm.Normal("mu", shape=3)
        pm.Normal("y", mu=mu, sigma=1, observed=np.zeros(4))
    return model


def one_based_index():
    county_idx = np.tile([1, 2, 3], N // 3 + 1)[:N]
    with pm.Model() as model:
        a = pm.Normal("a", 0, 1, shape=3)
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a[county_idx], s, observed=Y)
    return model, {"county_idx": county_idx}


def outer_broadcast():
    with pm.Model() as model:
        a = pm.Normal("a", 0, 1, shape=N)
        b = pm.Normal("b", 0, 1)
        s = pm.HalfNormal("s", 1)
        mu = pm.Deterministic("mu", a[:, None] + b * X)
        pm.Normal("y", mu.mean(axis=0), s, observed=Y)
    return model


def discrete_membership():
    with pm.Model() as model:
        z = pm.Bernoulli("z", 0.5, shape=N)
        mu = pm.Normal("mu", 0, 5, shape=2)
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", mu[z], s, observed=Y)
    return model


def two_intercepts():
    with pm.Model() as model:
        a = pm.Normal("a", 0, 10)
        b = pm.Normal("b", 0, 10)
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a + b, s, observed=Y)
    return model


def effects_beside_intercept():
    with pm.Model(coords={"group": list("abcd")}) as model:
        a = pm.Normal("a", 0, 10)
        effect = pm.Normal("effect", 0, 10, dims="group")
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a + effect[GROUP], s, observed=Y)
    return model


def regression():
    with pm.Model() as model:
        a = pm.Normal("a", 0, 5)
        b = pm.Normal("b", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Normal("y", a + b * X, s, observed=Y)
    return model


def wide_regression():
    with pm.Model() as model:
        a = pm.Normal("a", 0, 1000)
        b = pm.Normal("b", 0, 1000)
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a + b * X, s, observed=Y)
    return model


def far_from_data():
    big = RNG.normal(5000, 100, size=N)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 1)
        s = pm.HalfNormal("s", 1)
        pm.Normal("big", mu, s, observed=big)
    return model


def negative_weights():
    weights = RNG.gamma(5, 2, size=N)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        s = pm.HalfNormal("s", 5)
        pm.Normal("weight", mu, s, observed=weights)
    return model, {"weights": weights}


@cache
def report_of(name: str, *args):
    """The lint report of the model ``name(*args)`` builds (each model is linted once per session)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyMC's own ImputationWarning: the doctor reports it
        built = globals()[name](*args)
    model, namespace = built if isinstance(built, tuple) else (built, {})
    return lint(model, namespace)


# --- silent on correct models ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bioassay", "noncentered_eight"])
def test_correct_models_are_silent(name):
    report = lint(examples.EXAMPLES[name](), {})
    assert report.findings == []
    assert report.checks_skipped == []
    assert set(report.checks_run) == set(MODEL_CODES)


def test_regression_is_silent_without_namespace():
    report = lint(regression(), None)
    assert report.findings == [] or {f.code for f in report.findings} == {"MOD304"}  # x is a plain array


def test_lint_runs_only_model_rules_and_reports_the_model():
    report = lint(examples.bioassay())
    assert all(code.startswith("MOD") for code in report.checks_run)
    assert report.context["model"]["free"] == ["alpha", "beta"]
    assert report.context["model"]["coords"] == {"dose_group": 4}


def unusual_models():
    with pm.Model() as censored:
        mu = pm.Normal("mu")
        s = pm.HalfNormal("s")
        pm.Censored("yc", pm.Normal.dist(mu, s), lower=-1, upper=1, observed=np.clip(Y, -1, 1))
    with pm.Model() as mixture:
        w = pm.Dirichlet("w", np.ones(2))
        mus = pm.Normal("mus", [-1, 1], 1, shape=2)
        pm.NormalMixture("ym", w=w, mu=mus, sigma=1, observed=Y)
    with pm.Model() as multivariate:
        chol, _, _ = pm.LKJCholeskyCov("chol", n=2, eta=2, sd_dist=pm.Exponential.dist(1), compute_corr=True)
        pm.MvNormal("mv", mu=np.zeros(2), chol=chol, observed=RNG.normal(size=(N, 2)))
    with pm.Model() as random_walk:
        s = pm.HalfNormal("s")
        pm.GaussianRandomWalk("walk", sigma=s, init_dist=pm.Normal.dist(), shape=20)
    with pm.Model() as potential:
        a = pm.Normal("a")
        pm.Potential("penalty", -(a**2))
        pm.Normal("y", a, 1, observed=Y)
    with pm.Model() as ordered:
        cut = pm.Normal("cut", 0, 1, transform=pm.distributions.transforms.ordered, initval=[-1, 0, 1], shape=3)
        pm.OrderedLogistic("rating", eta=0, cutpoints=cut, observed=RNG.integers(0, 4, size=N))
    with pm.Model() as zero_inflated:
        psi = pm.Beta("psi", 1, 1)
        pm.ZeroInflatedPoisson("count", psi=psi, mu=3, observed=RNG.poisson(3, size=N))
    return {
        "censored": censored,
        "mixture": mixture,
        "multivariate": multivariate,
        "random_walk": random_walk,
        "potential": potential,
        "ordered": ordered,
        "zero_inflated": zero_inflated,
    }


def test_unusual_correct_models_neither_crash_nor_alarm():
    for name, model in unusual_models().items():
        report = lint(model)
        assert "INT001" not in {f.code for f in report.findings}, name
        assert not report.has_errors and not report.by_severity("warning"), (name, report.findings)


# --- leaves the model alone -----------------------------------------------------------------------


def _state(model):
    from pymc_doctor.modelgraph import _shared_variables

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


@pytest.mark.parametrize("builder", [examples.centered_eight, wide_regression, normal_sigma])
def test_lint_leaves_the_model_and_random_state_unchanged(builder):
    model = builder()
    np.random.seed(7)
    before = _state(model)
    lint(model)
    _same(before, _state(model))


# --- MOD101 / MOD102: priors against the support their use requires -------------------------------


def test_normal_prior_on_a_scale_is_found_from_its_use():
    finding = only(report_of("normal_sigma"), "MOD101")
    assert finding.severity == "error"
    assert finding.variables == ("sigma",)
    assert "`sigma` of `y` (Normal)" in finding.message and "sigma > 0" in finding.message
    data_sd = float(np.std(Y))
    assert finding.fix_code == f'sigma = pm.HalfNormal("sigma", sigma={nice(data_sd)})'
    with pm.Model():
        exec(finding.fix_code, {"pm": pm})


def test_a_rescaled_rate_is_found_through_the_arithmetic():
    finding = only(report_of("rescaled_rate"), "MOD101")
    assert finding.variables == ("lam",)
    assert "Gamma" in finding.fix_code
    parses(finding.fix_code)


def test_positive_priors_are_not_flagged():
    assert findings_of(report_of("regression"), "MOD101") == []
    assert findings_of(lint(examples.centered_eight()), "MOD101") == []


def test_probability_with_a_normal_prior():
    finding = only(report_of("normal_probability"), "MOD102")
    assert finding.variables == ("p",)
    assert "0 <= p <= 1" in finding.message
    assert finding.fix_code.startswith('p = pm.Beta("p", alpha=')
    with pm.Model():
        exec(finding.fix_code, {"pm": pm})
    assert findings_of(report_of("normal_probability"), "MOD101") == []
    assert findings_of(lint(examples.bioassay()), "MOD102") == []


# --- MOD103 / MOD104: improper, wide and hard-bounded priors --------------------------------------


def test_flat_and_extremely_wide_priors():
    found = {f.variables[0]: f for f in findings_of(report_of("flat_priors"), "MOD103")}
    assert set(found) == {"a", "b", "s"}
    assert "improper Flat" in found["a"].message and "HalfNormal" in found["s"].fix_code
    assert "central 90%" in found["b"].message
    for finding in found.values():
        parses(finding.fix_code)
    assert findings_of(report_of("regression"), "MOD103") == []


def test_uniform_on_a_coefficient_but_not_on_a_probability():
    finding = only(report_of("uniform_slope"), "MOD104")
    assert finding.variables == ("b",)
    assert finding.fix_code == 'b = pm.Normal("b", mu=0, sigma=5)'


# --- MOD201: starting point ------------------------------------------------------------------------


def test_initial_point_names_the_term_and_the_reason():
    finding = only(report_of("normal_sigma"), "MOD201")
    assert finding.severity == "error" and finding.variables == ("y",)
    assert "`sigma > 0`" in finding.message and "sigma = 0" in finding.message
    negative = only(report_of("negative_count"), "MOD201")
    assert "observed values -2" in negative.message and "outside the support" in negative.message
    nan = only(report_of("numpy_covariate_with_nan"), "MOD201")
    assert "`mu` is nan" in nan.message


def test_jittered_starts_outside_the_prior_support_warn():
    finding = only(report_of("normal_probability"), "MOD201")
    assert finding.severity == "warning"
    assert finding.evidence["jittered_failures"] >= 4


def test_unevaluable_model_is_reported_not_crashed():
    report = report_of("observed_shape")
    finding = only(report, "MOD201")
    assert "Incompatible Elemwise input shapes" in finding.message
    assert "INT001" not in {f.code for f in report.findings}


# --- MOD301-MOD307: data ---------------------------------------------------------------------------


def test_dataframe_with_a_filtered_index():
    finding = only(report_of("filtered_frame"), "MOD301")
    assert finding.severity == "warning"
    assert set(finding.variables) == {"x", "school", "y"}
    assert "is not 0.." in finding.message
    assert 'x = pm.Data("x", frame["x"].to_numpy(), dims="obs")' in finding.fix_code
    parses(finding.fix_code)


def test_dataframe_passed_as_it_is_is_a_note_and_to_numpy_with_the_index_is_silent():
    frame = pd.DataFrame({"y": Y})
    code = 'pm.Normal("y", mu, sigma, observed=frame["y"])'
    with pm.Model(coords={"obs": frame.index}) as model:
        mu = pm.Normal("mu", 0, 5)
        sigma = pm.HalfNormal("sigma", 2)
        pm.Normal("y", mu, sigma, observed=frame["y"], dims="obs")
    finding = only(lint(model, {"frame": frame, "In": [code]}), "MOD301")  # an IPython session's cells
    assert finding.severity == "info"
    assert 'observed=frame["y"].to_numpy(), dims="obs"' in finding.fix_code
    fixed = code.replace('frame["y"]', 'frame["y"].to_numpy()')
    assert findings_of(lint(model, {"frame": frame, "In": [fixed]}), "MOD301") == []


def test_dataframe_is_found_among_the_callers_variables():
    model, namespace = filtered_frame()
    frame = namespace["frame"]  # a local of the caller, as in a notebook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = pymc_doctor.check(model, select=["MOD301"])
    assert only(report, "MOD301").evidence["source"] == "frame" and len(frame) < N
    without = run_checks(Subject(model=model), select=["MOD301"])
    assert [s.code for s in without.checks_skipped] == ["MOD301"]


def test_categorical_values_are_not_codes():
    finding = only(report_of("filtered_frame"), "MOD302")
    assert "category values (10, 20, 30)" in finding.message
    assert ".cat.codes.to_numpy()" in finding.fix_code
    # the same column used as an index runs past the three groups
    assert only(report_of("filtered_frame"), "MOD403").evidence["max"] == 30


def test_missing_observed_values_are_imputed():
    finding = only(report_of("missing_observed"), "MOD303")
    assert finding.evidence == {"missing": 2, "observed": N - 2}
    assert "keep = ~np.isnan(y_missing)" in finding.fix_code
    assert findings_of(report_of("regression"), "MOD303") == []


def test_covariates_as_constants():
    model = regression()
    finding = only(lint(model, {"X": X}), "MOD304")
    assert finding.variables == ("X",)
    assert 'X_data = pm.Data("X", X)' in finding.fix_code
    parses(finding.fix_code)
    assert findings_of(lint(examples.bioassay()), "MOD304") == []  # dose is a data container


def test_observed_scale_far_from_unit():
    finding = only(report_of("income_in_dollars"), "MOD305")
    assert "income_std = (income - income_mean) / income_sd" in finding.fix_code
    assert findings_of(report_of("regression"), "MOD305") == []


def test_nan_in_a_covariate():
    finding = only(report_of("numpy_covariate_with_nan"), "MOD306")
    assert finding.variables == ("x_nan",) and finding.evidence["positions"] == [4]
    assert findings_of(report_of("regression"), "MOD306") == []


@pytest.mark.parametrize("container", [False, True], ids=["numpy", "pm.Data"])
def test_fractional_counts_are_truncated(container):
    finding = only(report_of("fractional_counts", container), "MOD307")
    assert finding.evidence["examples"] == [1.5, 2.7]
    assert "1.5 becomes 1" in finding.message
    assert 'np.rint(counts).astype("int64")' in finding.fix_code
    assert findings_of(lint(examples.bioassay()), "MOD307") == []


# --- MOD401-MOD406: shapes and dims ------------------------------------------------------------------


def test_dims_longer_than_their_coordinates():
    found = {f.variables[0]: f for f in findings_of(report_of("dims_disagree"), "MOD401")}
    assert set(found) == {"x", "double"}
    assert "length 5 along `obs`, which has 4 coordinates" in found["double"].message
    parses(found["x"].fix_code)


def test_variables_without_dims():
    finding = only(report_of("dims_disagree"), "MOD402")
    assert finding.variables == ("mu",)
    assert findings_of(lint(examples.centered_eight()), "MOD402") == []


def test_one_based_index():
    finding = only(report_of("one_based_index"), "MOD403")
    assert "looks 1-based" in finding.message
    assert finding.fix_code.startswith("county_idx - 1")
    assert findings_of(lint(examples.bioassay()), "MOD403") == []


def test_outer_broadcast_blows_up_a_deterministic():
    finding = only(report_of("outer_broadcast"), "MOD404")
    assert finding.evidence["shape"] == [N, N]
    assert findings_of(report_of("regression"), "MOD404") == []


def test_discrete_free_variable():
    finding = only(report_of("discrete_membership"), "MOD405")
    assert finding.variables == ("z",)
    assert 'pmx.marginalize(model, ["z"])' in finding.fix_code
    assert "INT001" not in {f.code for f in report_of("discrete_membership").findings}


def test_observed_shape_mismatch():
    finding = only(report_of("observed_shape"), "MOD406")
    assert finding.evidence == {"shape": [4], "parameters": {"mu": [3]}}


# --- MOD501 / MOD502: parameterization -----------------------------------------------------------------


def test_centered_hierarchy_with_the_rewrite_in_the_models_names():
    finding = only(lint(examples.centered_eight()), "MOD501")
    assert finding.variables == ("theta", "tau")
    code = finding.fix_code
    assert 'theta_offset = pm.Normal("theta_offset", mu=0, sigma=1, dims="school")' in code
    assert 'theta = pm.Deterministic("theta", mu + tau * theta_offset, dims="school")' in code
    with pm.Model(coords={"school": examples.SCHOOLS}):
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfCauchy("tau", 5)
        exec(code, {"pm": pm, "mu": mu, "tau": tau})


def test_two_intercepts_are_not_identified():
    finding = only(report_of("two_intercepts"), "MOD502")
    assert finding.evidence["multiple_correlation"] > 0.99
    assert "`a + b`" in finding.message or "`b + a`" in finding.message
    parses(finding.fix_code)


def test_a_ridge_shared_by_many_intercepts():
    with pm.Model() as model:
        parts = [pm.Normal(f"level_{i}", 0, 1) for i in range(5)]
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", sum(parts), s, observed=Y)
    finding = only(lint(model), "MOD502")
    assert set(finding.variables) == {f"level_{i}" for i in range(5)}
    assert len(finding.evidence["partners"]) == 4


def test_group_effects_beside_an_intercept_get_a_sum_to_zero_fix():
    finding = only(report_of("effects_beside_intercept"), "MOD502")
    assert finding.fix_code.startswith('effect = pm.ZeroSumNormal("effect", sigma=')
    assert 'dims="group"' in finding.fix_code
    assert findings_of(report_of("regression"), "MOD502") == []


# --- MOD601 / MOD602: prior predictive ---------------------------------------------------------------


def test_prior_predictive_far_wider_than_the_data():
    finding = only(report_of("wide_regression"), "MOD601")
    assert finding.evidence["culprit"] in ("a", "b")
    assert finding.fix_code.startswith(f"{finding.evidence['culprit']} = pm.Normal(")
    parses(finding.fix_code)


def test_prior_predictive_that_excludes_the_data():
    finding = only(report_of("far_from_data"), "MOD601")
    assert finding.evidence["share_outside"] == 1.0
    assert finding.fix_code.startswith('mu = pm.Normal("mu", mu=5000')


def test_prior_predictive_of_impossible_sign():
    finding = only(report_of("negative_weights"), "MOD602")
    assert finding.evidence["impossible_share"] > 0.3
    assert finding.fix_code.startswith('pm.LogNormal("weight", mu=mu, sigma=s, observed=weights)')
    assert findings_of(report_of("regression"), "MOD602") == []


def test_prior_predictive_is_skipped_with_a_reason_when_it_cannot_be_drawn():
    skipped = {s.code: s.reason for s in report_of("normal_sigma").checks_skipped}
    assert "scale < 0" in skipped["MOD601"]


# --- many scalars: evaluated family by family, with PyMC's own answers ----------------------------


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


def test_family_evaluation_gives_pymcs_start_log_densities_and_draws():
    from pymc_doctor.modelgraph import PRIOR_SEED, ModelFacts, compile_function

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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draws = pm.sample_prior_predictive(
            draws=facts.prior_draws,
            model=model,
            random_seed=PRIOR_SEED,
            return_inferencedata=False,
            compile_kwargs={"mode": "FAST_COMPILE"},
        )
    assert set(facts.prior) == set(draws)
    for name, reference in draws.items():  # the same generators, seeded alike: the same draws
        np.testing.assert_allclose(facts.prior[name], reference, rtol=1e-12, err_msg=name)


def test_a_normal_scale_shared_by_many_scalars_is_found_once():
    with pm.Model() as model:
        s = pm.Normal("s", 0, 1)
        effects = [pm.Normal(f"a_{g}", 0, s) for g in range(30)]
        pm.Normal("y", pm.math.stack(effects)[np.arange(N) % 30], 1, observed=Y)
    finding = only(lint(model), "MOD101")
    assert finding.variables == ("s",)
    assert finding.evidence["used_by"] == sorted(f"a_{g}" for g in range(30))


def test_an_invalid_prior_among_many_scalars_is_named():
    with pm.Model() as model:
        xs = [pm.Normal(f"x_{i}", 0, 1) for i in range(40)]
        pm.Normal("bad", 0, -1)
        pm.Normal("y", pm.math.stack(xs).mean(), 1, observed=Y)
    report = lint(model)
    finding = only(report, "MOD201")
    assert finding.variables == ("bad",) and finding.severity == "error"
    assert "`sigma > 0`" in finding.message
    assert "scale < 0" in {s.code: s.reason for s in report.checks_skipped}["MOD601"]


def test_sums_of_many_terms_evaluate():
    # PyTensor's rewrites merge these sums into one addition of 40 terms, which its Python
    # implementation (NumPy's ufuncs) cannot take: the start and the prior predictive failed.
    with pm.Model() as model:
        xs = [pm.Normal(f"x_{i}", 0, 1) for i in range(40)]
        pm.Normal("y", pm.math.stack(xs).sum(), 10, observed=Y)
        pm.Normal("z", sum(xs), 10, observed=Y)
    report = lint(model)
    assert "MOD201" not in {f.code for f in report.findings}
    assert [s.code for s in report.checks_skipped] == ["MOD502"] or report.checks_skipped == []
    assert "INT001" not in {f.code for f in report.findings}


def test_a_shape_that_cannot_be_evaluated_leaves_the_others():
    from pymc_doctor.modelgraph import ModelFacts

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


def test_large_variables_take_the_first_of_the_prior_draws():
    from pymc_doctor.modelgraph import PRIOR_DRAWS, PRIOR_SEED, PRIOR_VALUES, ModelFacts

    size = 50_000
    with pm.Model() as model:
        z = pm.Normal("z", 0, 1, shape=size)
        pm.Normal("y", z, 1, observed=np.zeros(size))
    facts = ModelFacts(model)
    assert facts.prior_draws == PRIOR_VALUES // size < PRIOR_DRAWS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draws = pm.sample_prior_predictive(
            draws=PRIOR_DRAWS,
            model=model,
            random_seed=PRIOR_SEED,
            return_inferencedata=False,
            compile_kwargs={"mode": "FAST_COMPILE"},
        )
    for name in ("z", "y"):
        np.testing.assert_array_equal(facts.prior[name], draws[name][: facts.prior_draws], err_msg=name)


# --- after sampling: the model and its trace together --------------------------------------------------


def test_divergences_point_to_the_centered_variable_in_the_graph():
    from tests.support import load

    report = pymc_doctor.check(load("centered_eight"), model=examples.centered_eight(), namespace={})
    divergences = only(report, "SMP101")
    assert "In the model, `theta` ~ Normal(mu, tau)" in divergences.message
    assert 'theta = pm.Deterministic("theta", mu + tau * theta_offset, dims="school")' in divergences.fix_code
    assert only(report, "MOD501").variables == ("theta", "tau")
    assert {"SMP101", "MOD501"} <= set(report.checks_run)
    low_ess = findings_of(report, "SMP203")
    assert all(label.split("[")[0] in ("mu", "tau", "theta") for f in low_ess for label in f.variables)


def test_a_model_without_a_centered_child_rules_the_rewrite_out():
    from tests.support import load

    report = pymc_doctor.check(load("centered_eight"), model=examples.noncentered_eight(), select=["SMP101"])
    divergences = only(report, "SMP101")
    assert "centered" not in divergences.message
    assert "theta_offset" not in divergences.fix_code


def test_check_takes_a_model_positionally_and_keeps_traces_working():
    from tests.support import load

    assert all(code.startswith("MOD") for code in pymc_doctor.check(examples.bioassay(), namespace={}).checks_run)
    trace_only = pymc_doctor.check(load("bioassay"))
    assert all(code.startswith("SMP") for code in trace_only.checks_run) and trace_only.checks_skipped == []
    with pytest.raises(TypeError):
        pymc_doctor.check()
    with pytest.raises(TypeError):
        pymc_doctor.lint(load("bioassay"))
