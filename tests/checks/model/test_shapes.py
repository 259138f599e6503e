"""MOD401-MOD406: dims against coordinates, missing dims, indices, broadcasting, discrete free variables,
parameter shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm

from pymc_doctor import examples
from tests.checks.model.support import (
    N,
    X,
    Y,
    lint,
    observed_shape,
    only,
    parses,
    regression,
    report_of,
    silent,
)


def dims_disagree():
    with pm.Model(coords={"obs": range(4)}) as model:
        pm.Data("x", np.arange(5.0), dims="obs")
        mu = pm.Normal("mu", shape=5)
        pm.Deterministic("double", mu * 2, dims="obs")
    return model


def imputed_shorter_than_its_coordinates():
    """Four observations, one missing, labeled by five coordinates: PyMC imputes into the dims' shape."""
    with pm.Model(coords={"obs": range(5)}) as model:
        mu = pm.Normal("mu")
        pm.Normal("y", mu, 1, observed=np.array([1.0, np.nan, 2.0, 3.0]), dims="obs")
    return model


def parameter_shorter_than_its_dims():
    with pm.Model(coords={"obs": range(5)}) as model:
        mu = pm.Normal("mu", 0, 1, shape=4)
        pm.Normal("y", mu, 1, observed=np.zeros(5), dims="obs")
    return model


def predictors_without_dims():
    with pm.Model(coords={"predictor": ["age", "income", "height"]}) as model:
        pm.Normal("beta", 0, 1, shape=3)
    return model


def one_based_index():
    county_idx = np.tile([1, 2, 3], N // 3 + 1)[:N]
    with pm.Model() as model:
        a = pm.Normal("a", 0, 1, shape=3)
        s = pm.HalfNormal("s", 1)
        pm.Normal("y", a[county_idx], s, observed=Y)
    return model, {"county_idx": county_idx}


def negative_index():
    group = np.arange(N) % 3 - 1
    with pm.Model() as model:
        a = pm.Normal("a", 0, 1, shape=3)
        pm.Normal("y", a[pm.Data("group", group)], 1, observed=Y)
    return model


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


# --- MOD401


def test_dims_longer_than_their_coordinates():
    report = report_of(dims_disagree, select=("MOD401", "MOD402"))
    found = {f.variables[0]: f for f in report.findings if f.code == "MOD401"}
    assert set(found) == {"x", "double"}
    assert found["double"].message == (
        "`double` has length 5 along `obs`, which has 4 coordinates. PyMC samples to the end and then fails "
        "building the trace (CoordinateValidationError)."
    )
    assert found["x"].evidence == {"dims": ["obs"], "shape": [5], "coord_lengths": {"obs": 4}}
    namespace = {}
    exec(found["x"].fix_code, namespace)
    assert namespace["coords"] == {"obs": range(5)}


def test_an_imputed_variable_shorter_than_its_coordinates():
    finding = only(report_of(imputed_shorter_than_its_coordinates, select=("MOD401",)), "MOD401")
    assert finding.variables == ("y",)
    assert finding.evidence == {"dims": ["obs"], "shape": [4], "coord_lengths": {"obs": 5}}
    assert finding.message.startswith("`y` has length 4 along `obs`, which has 5 coordinates. PyMC joins")
    assert 'coords = {"obs": range(4)}' in finding.fix_code


def test_a_parameter_that_does_not_fit_the_dims_fails_the_first_draw():
    finding = only(report_of(parameter_shorter_than_its_dims, select=("MOD401",)), "MOD401")
    assert finding.message == (
        "`y` has its `mu` has shape (4,), which does not fit dims ('obs',) of shape (5,). The first draw fails "
        "(Size length is incompatible with batched dimensions)."
    )


def test_dims_that_agree_are_silent():
    assert silent(lint(examples.centered_eight()), "MOD401")


# --- MOD402


def test_variables_without_dims_get_new_coordinates_or_existing_ones():
    finding = only(report_of(dims_disagree, select=("MOD401", "MOD402")), "MOD402")
    assert finding.variables == ("mu",) and finding.evidence == {"variables": {"mu": [5]}}
    # What to add to the user's declarations is text; the new coordinates are code.
    assert finding.fix == 'Declare dims for every non-scalar variable: add dims="mu_dim" to "mu".'
    assert (
        finding.fix_code
        == 'coords = {"mu_dim": range(5)}  # merge into pm.Model(coords=...), with the labels of the elements'
    )
    existing = only(lint(predictors_without_dims(), select=["MOD402"]), "MOD402")
    assert existing.fix == 'Declare dims for every non-scalar variable: add dims="predictor" to "beta".'
    assert existing.fix_code == ""


def test_models_with_dims_everywhere_or_no_coordinates_are_silent():
    assert silent(lint(examples.centered_eight()), "MOD402")
    assert silent(report_of(regression), "MOD402")


# --- MOD403


def test_one_based_index():
    finding = only(report_of(one_based_index, select=("MOD403",)), "MOD403")
    assert "looks 1-based" in finding.message and finding.evidence == {"length": 3, "min": 1, "max": 3, "axis": 0}
    assert finding.title == "`county_idx` indexes past `a`"
    namespace = {"county_idx": one_based_index()[1]["county_idx"]}
    assert eval(finding.fix_code.split("#")[0], namespace).max() == 2


def test_negative_index_wraps_around():
    finding = only(report_of(negative_index, select=("MOD403",)), "MOD403")
    assert "negative indices silently wrap around" in finding.message and finding.variables == ("a", "group")
    namespace = {"pd": pd, "group": np.arange(N) % 3 - 1}
    exec(finding.fix_code, namespace)
    assert sorted(set(namespace["codes"])) == [0, 1, 2]


def test_indices_in_range_are_silent():
    assert silent(lint(examples.bioassay()), "MOD403")


# --- MOD404


def test_outer_broadcast_blows_up_a_deterministic():
    finding = only(report_of(outer_broadcast, select=("MOD404",)), "MOD404")
    assert finding.evidence == {"shape": [N, N], "size": N * N, "largest_data": N}
    assert finding.fix_code.startswith('print(model["mu"].shape.eval())\n')
    parses(finding.fix_code)


def test_variables_the_size_of_the_data_are_silent():
    assert silent(report_of(regression), "MOD404")


# --- MOD405


def test_discrete_free_variable():
    report = report_of(discrete_membership)
    finding = only(report, "MOD405")
    assert finding.variables == ("z",) and finding.title == "1 discrete free variable: no NUTS for `z`"
    assert 'pmx.marginalize(model, ["z"])' in finding.fix_code
    parses(finding.fix_code)
    assert "INT001" not in {f.code for f in report.findings}


def test_continuous_models_are_silent():
    assert silent(report_of(regression), "MOD405")


# --- MOD406


def test_observed_shape_mismatch():
    finding = only(report_of(observed_shape), "MOD406")
    assert finding.evidence == {"shape": [4], "parameters": {"mu": [3]}}
    assert "has the observed data of shape (4,), but its `mu` (`mu`) has shape (3,)" in finding.message
    assert finding.fix_code.startswith("mu[group_idx]")
    parses(finding.fix_code)


def test_parameters_that_broadcast_are_silent():
    assert silent(report_of(regression), "MOD406")
