"""DX102 ridge and DX103 scales: geometry a diagonal mass matrix cannot follow."""

from __future__ import annotations

import ast

import numpy as np
import pytest

import pymc_doctor
from pymc_doctor.diagnoses import measures, modes, ridge
from pymc_doctor.diagnoses.core import diagnose
from pymc_doctor.finding import Finding
from pymc_doctor.subject import Subject
from tests.diagnoses.common import checked, diagnosed, only


def test_nonidentified_coefficients_are_named_with_their_measured_correlation():
    result = diagnosed("nonidentified")
    found = only(result, "DX102")
    assert [d.code for d in result.diagnoses] == ["DX102"]
    assert set(found.variables) == {"a", "b"}
    assert found.evidence["non_identified"] is True
    strongest = found.evidence["correlations"][0]
    assert set(strongest["pair"]) == {"a", "b"}
    assert strongest["all_draws"] < -0.999 and strongest["within_chains"] < -0.95
    assert f"{strongest['within_chains']:.4f}" in found.cause and "not identified" in found.title
    present = {f.code for f in checked("nonidentified").findings} - {"SMP301"}
    assert {"SMP104", "SMP201", "SMP203"} <= present <= set(found.findings)
    lasting = [step for step in result.plan if step.lasting]
    assert len(lasting) == 1 and lasting[0].action is None
    assert "a + b" in lasting[0].description or "b + a" in lasting[0].description
    assert lasting[0].code == ""  # which parameter to keep is the user's choice, not code to paste


def test_with_the_model_its_non_identification_check_is_explained_and_its_fix_is_the_lasting_step():
    report = checked("nonidentified")
    # as MOD502 reports `a` and `b` of the model that made this trace
    rewrite = "# the likelihood cannot tell a from b: keep a, drop the others\na = pm.Normal('a', mu=0, sigma=1)"
    model_check = Finding(
        "MOD502",
        "warning",
        "model",
        "`a` is nearly non-identified beside `b`",
        "...",
        variables=("a", "b"),
        evidence={"multiple_correlation": 0.999999, "variable": "a", "partners": {"b": -1.0}},
        fix_code=rewrite,
    )
    found = only(diagnose([*report.findings, model_check], Subject(trace=report.trace)), "DX102")
    assert "MOD502" in found.findings and found.evidence["non_identified"] is True
    (lasting,) = [step for step in found.steps if step.lasting]
    assert lasting.code == rewrite and lasting.action is None


def test_a_correlated_ridge_is_not_called_non_identified():
    result = diagnosed("treedepth")
    found = only(result, "DX102")
    assert found.evidence["non_identified"] is False
    assert 0.95 < found.evidence["correlations"][0]["within_chains"] < 0.999
    assert {"SMP102", "SMP201", "SMP203"} <= set(found.findings)
    assert all(label.startswith("x[") for label in found.variables)
    (step,) = result.plan
    assert step.action == {"kind": "sample", "kwargs": {"init": "jitter+adapt_full"}}
    assert 'init="jitter+adapt_full"' in step.code and not step.lasting


def test_a_deterministic_that_follows_its_inputs_is_no_ridge():
    # `theta[2]` follows `alpha` at 0.96, and both mix slowly in 50 draws, but nothing shows a ridge's geometry
    trace = checked("short_run").trace
    assert measures.strongest_pairs(trace, ["alpha", "theta[2]"], ridge.STRONG_CORRELATION)
    assert "DX102" not in [d.code for d in diagnosed("short_run").diagnoses]


def test_chains_with_other_labelings_are_no_ridge():
    trace = checked("label_switching").trace
    within, overall = measures.correlations(trace, ["centers[a]", "centers[b]"])
    assert overall[0, 1] < -0.99 and abs(within[0, 1]) < 0.5
    assert measures.strongest_pairs(trace, ["centers[a]", "centers[b]"], ridge.STRONG_CORRELATION) == []


@pytest.fixture(scope="module")
def crawling():
    """Two independent parameters a billion times apart in scale, after a warm-up too short to learn that."""
    import pymc as pm

    from pymc_doctor.quiet import quiet

    with pm.Model() as model:
        pm.Normal("small", 0, 1e-6)
        pm.Normal("big", 0, 1e3)
    with quiet("pymc"), model:
        idata = pm.sample(
            draws=100,
            tune=60,
            chains=2,
            random_seed=20261125,
            progressbar=False,
            compute_convergence_checks=False,
            nuts_sampler="pymc",
            nuts={"max_treedepth": 5},
            cores=1,
        )
    return pymc_doctor.check(idata)


def test_parameters_on_very_different_scales(crawling):
    result = diagnose(crawling.findings, Subject(trace=crawling.trace))
    found = only(result, "DX103")
    assert found.variables == ("small", "big")
    assert found.evidence["span"] >= ridge.SCALE_SPAN
    assert {"SMP102", "SMP202"} <= set(found.findings)
    assert "DX201" not in [d.code for d in result.diagnoses]
    rescale = [step for step in found.steps if step.lasting]
    assert len(rescale) == 1 and 'small_unit = pm.Normal("small_unit", mu=0, sigma=1)' in rescale[0].code
    assert 'pm.Deterministic("small", 1e-06 * small_unit)' in rescale[0].code
    ast.parse(rescale[0].code)
    assert any(step.action == {"kind": "sample", "kwargs": {"init": "jitter+adapt_full"}} for step in found.steps)


def test_chains_that_crawl_apart_are_not_modes(crawling):
    separated = [f for f in crawling.findings if f.code == "SMP202"]
    assert separated
    trace = crawling.trace
    assert np.nanmean(measures.lag_one_autocorrelation(trace, separated[0].variables[0])) >= modes.CRAWLING
    assert modes.find_multimodality(crawling.findings, Subject(trace=trace)) is None


def test_scales_alike_are_not_far_apart():
    report = checked("treedepth")  # tree depth saturates, at sds of 1 to 6
    assert ridge.find_scales(report.findings, Subject(trace=report.trace)) is None
