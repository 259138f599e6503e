"""Prior sensitivity by power-scaling (FIT401 prior-data conflict, FIT402 prior-dominated) on seeded models
whose committed traces carry their log_prior and log_likelihood groups."""

from __future__ import annotations

import ast
import json
import warnings

import numpy as np
import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor import compat, examples, sensitivitydata
from pymc_doctor.remedies import fit as fixes
from tests.checks.fit.models import MODELS as FIT_MODELS
from tests.checks.fit.sensitivity_models import MODELS
from tests.support import FIXTURES, TRACE_DIR, findings_of, load

SENSITIVITY_TRACES = ("sens_prior_conflict", "sens_weak_likelihood", "sens_informed")


def check(trace, model_name: str | None = None, **thresholds):
    model = MODELS[model_name]() if model_name else None
    return pymc_doctor.check(trace, model=model, select=["FIT4"], thresholds=thresholds or None)


def without(name: str, *left_out: str):
    """The committed trace ``name`` less the groups ``left_out``."""
    kept = {g: data for g, data in compat.trace_groups(load(name)).items() if g not in left_out}
    return compat.arviz_container(kept)


def arviz_reference(trace_name: str, log_prior_of=None) -> dict[str, dict[str, np.ndarray]]:
    """ArviZ 1.x's ``psense`` of a committed trace, computed here on the 1.x line and read from the
    committed ``psense_reference.json`` (written by ArviZ 1.x from the same traces) on the 0.x line."""
    if compat.arviz_major() < 1:
        stored = json.loads((FIXTURES / "psense_reference.json").read_text())[TRACE_DIR.name][trace_name]
        return {name: {k: np.asarray(v) for k, v in found.items()} for name, found in stored.items()}
    from arviz_stats import psense

    found = compat.trace_groups(load(trace_name))
    if log_prior_of is not None:
        found["log_prior"] = log_prior_of(found["posterior"])
    tree = compat.arviz_container({g: found[g] for g in ("posterior", "log_prior", "log_likelihood")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = {group: psense(tree, group=group) for group in ("prior", "likelihood")}
    return {
        str(name): {group: np.ravel(result[group][name].values) for group in result}
        for name in found["posterior"].data_vars
    }


def doctor_numbers(result) -> dict[str, dict[str, np.ndarray]]:
    found: dict[str, dict[str, list[float]]] = {}
    for element in result["elements"]:
        for group in ("prior", "likelihood"):
            found.setdefault(element["variable"], {}).setdefault(group, []).append(element[group])
    return {name: {k: np.asarray(v) for k, v in values.items()} for name, values in found.items()}


def test_a_strong_prior_against_the_data_is_a_prior_data_conflict():
    report = check(load("sens_prior_conflict"), "prior_conflict")
    (finding,) = report.findings
    assert finding.code == "FIT401" and finding.severity == "warning" and finding.variables == ("mu",)
    (parameter,) = finding.evidence["parameters"]
    assert parameter["prior"] > 1 and parameter["likelihood"] > 1  # far above the 0.05 threshold
    assert "`mu` (prior 2.373, likelihood 2.426)" in finding.message
    assert finding.fix_code == 'mu = pm.Normal("mu", mu=10, sigma=1)'  # the user's Normal(10, 0.1), 10x wider
    ast.parse(finding.fix_code)


def test_a_weak_likelihood_leaves_the_prior_in_charge():
    (finding,) = check(load("sens_weak_likelihood"), "weak_likelihood").findings
    assert finding.code == "FIT402" and finding.severity == "info" and finding.variables == ("mu",)
    (parameter,) = finding.evidence["parameters"]
    assert parameter["prior"] > 0.05 > parameter["likelihood"]
    assert finding.fix_code == 'mu = pm.Normal("mu", mu=0, sigma=10)'


@pytest.mark.parametrize("model_name", [None, "informed"])
def test_a_well_informed_model_stays_silent(model_name):
    report = check(load("sens_informed"), model_name)
    assert report.findings == [] and set(report.checks_run) == {"FIT401", "FIT402"}


def test_the_threshold_is_the_users():
    assert check(load("sens_weak_likelihood"), sensitivity_threshold=0.2).findings == []
    (finding,) = check(load("sens_weak_likelihood"), sensitivity_threshold=0.02).findings  # likelihood 0.03
    assert finding.code == "FIT401" and finding.evidence["threshold"] == 0.02
    assert finding.severity == "info" and finding.title == "Possible prior-data conflict on `mu`"  # prior 0.10


@pytest.mark.parametrize("name", ["noncentered_eight", "bioassay"])
def test_weakly_informative_priors_of_healthy_models_are_never_a_warning(name):
    """Eight schools' tau is the classic prior-driven parameter; in the non-centered form only mu's and
    tau's priors are scaled (the offsets belong to the hierarchy), and the fix widens tau's, not theirs."""
    report = pymc_doctor.check(load(name), model=getattr(examples, name)(), select=["FIT4"])
    assert set(report.checks_run) == {"FIT401", "FIT402"}
    assert all(f.severity == "info" for f in report.findings)
    if name == "noncentered_eight":
        (dominated,) = findings_of(report, "FIT402")
        assert dominated.variables == ("tau",) and dominated.evidence["priors_scaled"] == ["mu", "tau"]
        assert dominated.fix_code == 'tau = pm.HalfCauchy("tau", beta=50)'


@pytest.mark.parametrize("name", SENSITIVITY_TRACES)
def test_the_numbers_are_arviz_psense(name):
    found = doctor_numbers(sensitivitydata.sensitivities(compat.trace_view(load(name)), None))
    reference = arviz_reference(name)
    assert found.keys() == reference.keys()
    for variable, values in reference.items():
        for group in ("prior", "likelihood"):
            assert found[variable][group] == pytest.approx(values[group], rel=1e-6, abs=1e-8)


def test_a_log_prior_computed_from_the_model_gives_arviz_psense_numbers():
    """fit_grouped has a log-likelihood but no log prior: PyMC computes its Exponential(0.1) prior's density,
    which ArviZ's reference takes from SciPy."""
    from scipy import stats

    view = compat.trace_view(load("fit_grouped"))
    result = sensitivitydata.sensitivities(view, FIT_MODELS["grouped"]())
    assert result["drawn"] and result["priors"] == ("rate",)

    def log_prior(posterior):
        return posterior[["rate"]].copy(data={"rate": stats.expon(scale=10).logpdf(posterior["rate"].values)})

    reference = arviz_reference("fit_grouped", log_prior)["rate"]
    found = doctor_numbers(result)["rate"]
    assert [e["label"] for e in result["elements"]] == ["rate[A]", "rate[B]"]
    for group in ("prior", "likelihood"):
        assert found[group] == pytest.approx(reference[group], rel=1e-6, abs=1e-8)


@pytest.mark.skipif(compat.arviz_major() >= 1, reason="ArviZ 0.x's own psens")
@pytest.mark.parametrize("name", SENSITIVITY_TRACES)
def test_the_numbers_agree_with_arviz_0x_psens(name):
    """ArviZ 0.x's psens scales by 1/1.01 (not 0.99) and smooths with r_eff 1: the same numbers within 1%."""
    import arviz

    found = doctor_numbers(sensitivitydata.sensitivities(compat.trace_view(load(name)), None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for group in ("prior", "likelihood"):
            reference = arviz.psens(load(name), component=group)
            for variable in reference.data_vars:
                assert found[variable][group] == pytest.approx(np.ravel(reference[variable].values), rel=0.01)


def test_the_model_computes_both_log_densities_on_a_copy():
    trace = without("sens_prior_conflict", "log_prior", "log_likelihood")
    before = set(compat.trace_groups(trace))
    (finding,) = check(trace, "prior_conflict").findings
    assert finding.code == "FIT401" and finding.evidence["priors_scaled"] == ["mu"]
    assert "computed from the model" in finding.message
    assert set(compat.trace_groups(trace)) == before


def test_the_traces_log_prior_is_read_on_the_draws_the_model_computes_the_likelihood_of():
    view = compat.trace_view(without("sens_prior_conflict", "log_likelihood"))
    data = sensitivitydata.log_densities(view, MODELS["prior_conflict"]())
    assert data["drawn"] and data["priors"] == ("mu",)
    stored = compat.trace_groups(load("sens_prior_conflict"))["log_prior"]["mu"]
    posterior = data["posterior"]
    expected = stored.sel(chain=posterior["chain"].values, draw=posterior["draw"].values).values
    assert data["log_prior"] == pytest.approx(expected)


def test_without_log_prior_or_model_the_rules_do_not_apply_and_say_why_when_asked():
    trace = without("sens_prior_conflict", "log_prior")
    unasked = pymc_doctor.check(trace)
    assert not {"FIT401", "FIT402"} & {*unasked.checks_run, *(s.code for s in unasked.checks_skipped)}
    reasons = {s.code: s.reason for s in check(trace).checks_skipped}
    assert reasons["FIT401"] == "the trace has no log_prior group, and no model was given to compute it"


def test_weaker_prior_code_widens_the_scale_in_the_users_spelling():
    assert fixes.weaker_prior_code("tau", "HalfCauchy", {"beta": "2.5"}, ()) == 'tau = pm.HalfCauchy("tau", beta=25)'
    assert fixes.weaker_prior_code("rate", "Exponential", {"lam": "s"}, ("county",)) == (
        'rate = pm.Exponential("rate", lam=(s) / 10, dims="county")'
    )
    code = fixes.weaker_prior_code("p", "Beta", {"alpha": "2", "beta": "2"}, ())
    assert code.startswith("#") and '"p"' in code
    for snippet in (code, fixes.weaker_prior_code("a b", "Normal", {"mu": "0", "sigma": "x"}, ())):
        ast.parse(snippet)


def test_many_parameters_are_judged_on_every_other_draw():
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(2, 1000, 2100))  # 4.2 million values: above the 4 million budget
    groups = {
        "posterior": xr.Dataset({"theta": (("chain", "draw", "k"), theta)}),
        "log_prior": xr.Dataset({"theta": (("chain", "draw"), -0.5 * (theta**2).sum(-1) / 4)}),
        "log_likelihood": xr.Dataset({"y": (("chain", "draw"), -0.5 * ((theta - 0.1) ** 2).sum(-1))}),
    }
    result = sensitivitydata.sensitivities(compat.trace_view(compat.arviz_container(groups)), None)
    assert result["draws"] == 1000 and len(result["elements"]) == 2100
    assert result["elements"][0]["label"] == "theta[0]"
