"""MOD201: terms that are not finite at the starting point, and why."""

from __future__ import annotations

import numpy as np
import pymc as pm

from tests.checks.model.support import (
    Y,
    lint,
    normal_probability,
    normal_sigma,
    numpy_covariate_with_nan,
    observed_shape,
    only,
    parses,
    regression,
    report_of,
    silent,
)


def negative_count():
    with pm.Model() as model:
        lam = pm.Exponential("lam", 1)
        pm.Poisson("c", lam, observed=np.array([1, -2, 3, 0]))
    return model


def invalid_among_many():
    """A prior of negative scale among forty scalars evaluated together."""
    with pm.Model() as model:
        xs = [pm.Normal(f"x_{i}", 0, 1) for i in range(40)]
        pm.Normal("bad", 0, -1)
        pm.Normal("y", pm.math.stack(xs).mean(), 1, observed=Y)
    return model


def negative_potential():
    with pm.Model() as model:
        a = pm.Normal("a")
        pm.Potential("never", pm.math.log(a - 1e9))
    return model


def test_a_scale_starting_at_zero_breaks_pymcs_own_check():
    finding = only(report_of(normal_sigma), "MOD201")
    assert finding.severity == "error" and finding.variables == ("y",)
    assert "its parameters break PyMC's check `sigma > 0`" in finding.message and "sigma = 0" in finding.message
    assert finding.evidence["terms"][0]["value"] == "-inf" and finding.evidence["terms"][0]["nonfinite"] == len(Y)
    assert finding.fix_code == "with model:\n    model.debug()  # parameters and values behind each term"
    parses(finding.fix_code)


def test_observed_values_outside_the_support():
    finding = only(report_of(negative_count, select=("MOD201",)), "MOD201")
    assert "`c` is -inf for 1 of 4 elements (observed values -2)" in finding.message
    assert "those observed values lie outside the support" in finding.message


def test_a_nan_covariate_makes_the_mean_nan():
    finding = only(report_of(numpy_covariate_with_nan), "MOD201")
    assert "`mu` is nan there (NaN or inf in the data it is built from)" in finding.message


def test_an_invalid_prior_among_many_scalars_is_named():
    finding = only(report_of(invalid_among_many, select=("MOD201",)), "MOD201")
    assert finding.variables == ("bad",) and "`sigma > 0`" in finding.message
    assert finding.evidence["terms"][0]["start"] == "0"


def test_a_potential_that_is_not_finite():
    finding = only(report_of(negative_potential, select=("MOD201",)), "MOD201")
    assert finding.variables == ("never",)
    assert finding.evidence["terms"] == [
        {"term": "never", "nonfinite": 1, "size": 1, "value": "nan", "why": "the potential is not finite"}
    ]
    assert "`never` is nan for its value: the potential is not finite" in finding.message


def test_a_model_that_cannot_be_evaluated_is_reported_not_crashed():
    report = report_of(observed_shape)
    finding = only(report, "MOD201")
    assert "Incompatible Elemwise input shapes" in finding.message or "could not broadcast" in finding.message
    assert finding.fix_code == "with model:\n    model.debug(verbose=True)"
    assert "INT001" not in {f.code for f in report.findings}


def test_jittered_starts_outside_the_prior_support_warn():
    finding = only(report_of(normal_probability), "MOD201")
    assert finding.severity == "warning"
    assert finding.evidence["jittered_failures"] >= 4 and finding.evidence["jitter_starts"] == 8
    assert 'init="adapt_diag"' in finding.fix_code
    parses(finding.fix_code)


def test_without_jittered_starts_there_is_no_warning():
    assert silent(lint(normal_probability(), select=["MOD201"], thresholds={"jitter_starts": 0}), "MOD201")


def test_a_correct_model_starts_fine():
    assert silent(report_of(regression), "MOD201")


def observed_longer_than_its_dims():
    """Ten observations labelled by eight coordinates: evaluating the start fails on the shape."""
    with pm.Model(coords={"obs": range(8)}) as model:
        mu = pm.Normal("mu")
        pm.Normal("y", mu, 1, observed=np.arange(10.0), dims="obs")
    return model


def test_a_dims_mismatch_is_left_to_mod401_with_a_reason():
    report = report_of(observed_longer_than_its_dims)
    assert [f.code for f in report.findings if f.code.startswith("INT")] == []
    assert only(report, "MOD401").variables == ("y",)
    skipped = {s.code: s.reason for s in report.checks_skipped}
    assert skipped["MOD201"].startswith("`y` disagrees with its dims (see MOD401)")
