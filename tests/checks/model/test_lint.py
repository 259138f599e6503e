"""Linting as a whole: correct models are silent, unusual ones neither crash nor alarm, and a model checked
with its trace lets the sampling rules read its graph."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import pymc_doctor
from pymc_doctor import examples
from pymc_doctor.catalog import all_rules
from tests.checks.model.support import RNG, N, Y, lint, only, regression, report_of
from tests.support import findings_of, load

MODEL_CODES = {r.code for r in all_rules(["MOD"])}


@pytest.mark.parametrize("name", ["bioassay", "noncentered_eight"])
def test_correct_models_are_silent(name):
    report = lint(examples.EXAMPLES[name]())
    assert report.findings == [] and report.checks_skipped == []
    assert set(report.checks_run) == MODEL_CODES


def test_a_regression_on_plain_arrays_only_gets_the_container_note():
    assert {f.code for f in report_of(regression).findings} == {"MOD304"}


def test_lint_runs_only_model_rules_and_reports_the_model():
    report = lint(examples.bioassay())
    assert set(report.checks_run) <= MODEL_CODES
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


@pytest.mark.slow  # seven models linted end to end
def test_unusual_correct_models_neither_crash_nor_alarm():
    for name, model in unusual_models().items():
        report = lint(model)
        assert "INT001" not in {f.code for f in report.findings}, name
        assert not report.has_errors and not report.by_severity("warning"), (name, report.findings)


# --- after sampling: the model and its trace together


def test_divergences_point_to_the_centered_variable_in_the_graph():
    report = pymc_doctor.check(load("centered_eight"), model=examples.centered_eight(), namespace={})
    divergences = only(report, "SMP101")
    assert "In the model, `theta` ~ Normal(mu, tau)" in divergences.message
    assert 'theta = pm.Deterministic("theta", mu + tau * theta_offset, dims="school")' in divergences.fix_code
    assert only(report, "MOD501").variables == ("theta", "tau")
    assert {"SMP101", "MOD501"} <= set(report.checks_run)
    low_ess = findings_of(report, "SMP203")
    assert all(label.split("[")[0] in ("mu", "tau", "theta") for f in low_ess for label in f.variables)


def test_check_takes_a_model_positionally_and_keeps_traces_working():
    assert set(pymc_doctor.check(examples.bioassay(), namespace={}).checks_run) <= MODEL_CODES
    trace_only = pymc_doctor.check(load("bioassay"))
    assert all(code.startswith("SMP") for code in trace_only.checks_run) and trace_only.checks_skipped == []
    with pytest.raises(TypeError):
        pymc_doctor.check()
    with pytest.raises(TypeError):
        pymc_doctor.lint(load("bioassay"))
