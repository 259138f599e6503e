"""`treat`: the plan's mechanical steps applied to a copy of the model, re-sampled, and judged on every symptom."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pymc as pm
import pytest

import pymc_doctor
from pymc_doctor import examples, remedies
from pymc_doctor.compat import trace_groups, trace_view
from pymc_doctor.finding import Diagnosis, Finding, PlanStep, Report
from pymc_doctor.remedies.lines import pymc_major
from pymc_doctor.remedies.sampling import sample_options
from pymc_doctor.treatment import sample, sampling_call
from pymc_doctor.treatment import treat as treat_steps
from pymc_doctor.treatment.rewrite import CannotApply, apply, noncentered, ordered
from pymc_doctor.treatment.symptoms import is_better, is_cured


def _names(variables) -> list[str]:
    return sorted(variable.name for variable in variables)


def test_noncentered_rewrite_keeps_the_users_model_and_the_groups_dims():
    model = examples.centered_eight()
    rewritten = noncentered(model, "theta")
    assert _names(model.free_RVs) == ["mu", "tau", "theta"]  # the user's model is untouched
    assert _names(rewritten.free_RVs) == ["mu", "tau", "theta_offset"]
    assert _names(rewritten.deterministics) == ["theta"]
    assert tuple(rewritten.named_vars_to_dims["theta_offset"]) == ("school",)
    assert tuple(rewritten.named_vars_to_dims["theta"]) == ("school",)


def test_noncentered_rewrite_keeps_a_shape_given_without_dims():
    """Neal's funnel: the group is a vector by `shape`, and stays one."""
    with pm.Model() as funnel:
        v = pm.Normal("v", 0, 3)
        pm.Normal("x", 0, pm.math.exp(v / 2), shape=9)
    rewritten = noncentered(funnel, "x")
    point = rewritten.initial_point()
    assert point["x_offset"].shape == (9,)
    # x = 0 + exp(v/2) * x_offset, read from the model's own graph
    values = pm.draw(rewritten["x"], givens={rewritten["v"]: 2.0, rewritten["x_offset"]: np.ones(9)})
    np.testing.assert_allclose(values, np.full(9, np.e))


def test_noncentered_rewrite_refuses_what_it_cannot_rewrite():
    with pm.Model() as model:
        scale = pm.HalfNormal("scale")
        pm.StudentT("group", nu=3, mu=0, sigma=scale, shape=3)
    with pytest.raises(CannotApply, match="not Normal"):
        noncentered(model, "group")
    with pytest.raises(CannotApply, match="not a free variable"):
        noncentered(model, "nothing")
    with pytest.raises(CannotApply, match="no mechanical rewrite"):
        apply(model, {"kind": "prior", "variable": "scale"}, None)


def test_sample_step_adds_options_and_keeps_the_model():
    model = examples.centered_eight()
    same, options = apply(model, {"kind": "sample", "kwargs": {"target_accept": 0.95}}, None)
    assert same is model and options == {"target_accept": 0.95}


def test_ordered_rewrite_starts_in_increasing_order():
    with pm.Model(coords={"component": ["a", "b", "c"]}) as model:
        pm.Normal("centers", 0, 10, dims="component")
    posterior = {"centers": np.array([[-4.0, 0.0, 4.0], [4.0, 0.0, -4.0]])}
    rewritten, options = ordered(model, "centers", posterior)
    start = options["initvals"]["centers"]
    assert np.all(np.diff(start) > 0)
    assert type(rewritten.rvs_to_transforms[rewritten["centers"]]).__name__ == "Ordered"
    assert model.rvs_to_transforms[model["centers"]] is None  # the user's model is untouched
    # an ordered start is a finite point of the rewritten model
    point = rewritten.initial_point()
    point["centers_ordered__"] = rewritten.rvs_to_transforms[rewritten["centers"]].forward(start).eval()
    assert np.isfinite(rewritten.compile_logp()(point))


def _finding(code: str, severity: str = "warning", category: str = "sampling") -> Finding:
    return Finding(code=code, severity=severity, category=category, title="", message="")


def test_cure_needs_every_symptom_gone_together():
    assert is_cured(Report(findings=[_finding("SMP302"), _finding("SMP204", "info")]))
    assert not is_cured(Report(findings=[_finding("SMP201")]))  # divergences gone, R-hat still high
    assert not is_cured(Report(diagnoses=[Diagnosis("DX101", "funnel", "", "")]))


def test_better_means_fewer_symptoms_and_none_worse():
    before = {"divergences": 13, "max_rhat": 1.2, "min_ess_bulk": 100, "diagnoses": ["DX101"], "findings": ["SMP101"]}
    fewer = {**before, "divergences": 0, "findings": []}
    assert is_better(before, fewer)
    assert not is_better(before, {**fewer, "max_rhat": 1.5})
    assert not is_better(before, before)


@pytest.mark.parametrize(
    ("sampler", "pymc5", "pymc6"),
    [
        ("pymc-nuts", {"nuts": {"max_treedepth": 12}}, {"nuts_sampler": "pymc", "nuts": {"max_treedepth": 12}}),
        (
            "nutpie",
            {"nuts_sampler": "nutpie", "nuts_sampler_kwargs": {"maxdepth": 12}},
            {"nuts_sampler": "nutpie", "nuts": {"max_treedepth": 12}},
        ),
        (
            "numpyro",
            {"nuts_sampler": "numpyro", "nuts_sampler_kwargs": {"nuts_kwargs": {"max_tree_depth": 12}}},
            {"nuts_sampler": "numpyro", "nuts": {"max_tree_depth": 12}},
        ),
    ],
)
def test_sample_options_keep_the_sampler_in_each_lines_spelling(sampler, pymc5, pymc6):
    expected = pymc6 if pymc_major() >= 6 else pymc5
    assert sample_options(sampler, max_treedepth=12) == expected
    # init is PyMC's own: asking for it pins PyMC's NUTS
    assert sample_options(sampler, init="adapt_diag").get("nuts_sampler") in (None, "pymc")


def _sample(model, **kwargs):
    with model:
        return pm.sample(draws=500, tune=500, chains=4, random_seed=3, progressbar=False, **kwargs)


@pytest.mark.slow
def test_treat_cures_the_centered_eight_schools_with_the_noncentered_rewrite():
    model = examples.centered_eight()
    idata = _sample(model)
    report = pymc_doctor.treat(model, idata, budget=600)
    treatment = report.treatment
    assert treatment.outcome == "cured"
    assert "non-centered" in treatment.steps[0].description and treatment.steps[0].before["divergences"] > 0
    cure = treatment.steps[-1]
    assert cure.cured and cure.after["divergences"] == 0 and cure.after["max_rhat"] <= 1.01
    assert _names(model.free_RVs) == ["mu", "tau", "theta"]
    assert "treatment" in report.to_dict()


@pytest.mark.slow
def test_treat_orders_a_switching_mixture_and_cures_it():
    rng = np.random.default_rng(1)
    data = np.concatenate([rng.normal(-4, 1, 100), rng.normal(4, 1, 100)])
    with pm.Model(coords={"component": ["a", "b"]}) as model:
        centers = pm.Normal("centers", mu=0, sigma=10, dims="component")
        pm.NormalMixture("y", w=[0.5, 0.5], mu=centers, sigma=1.0, observed=data)
    idata = _sample(model)
    report = pymc_doctor.treat(model, idata, budget=600)
    assert any(d.name == "label-switching" for d in report.diagnoses)
    assert report.treatment.outcome == "cured"
    assert any("ordered" in step.code for step in report.treatment.steps if step.cured)


SCRIPT = """
import pymc_doctor.examples

model = pymc_doctor.examples.centered_eight()
"""


@pytest.mark.slow
def test_the_treat_command_cures_a_scripts_model_with_its_trace(tmp_path):
    from click.testing import CliRunner

    from pymc_doctor.cli import main
    from tests.support import trace_path

    script = tmp_path / "eight.py"
    script.write_text(SCRIPT)
    out = tmp_path / "treated.json"
    args = ["treat", str(script), "--trace", str(trace_path("centered_eight")), "--format", "json", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["treatment"]["outcome"] == "cured"
    steps = data["treatment"]["steps"]
    # the lasting rewrite comes first; the steps add up until every symptom is gone
    assert "theta_offset" in steps[0]["code"] and steps[0]["before"]["divergences"] > 0
    assert steps[-1]["cured"] and steps[-1]["after"]["divergences"] == 0 and steps[-1]["after"]["max_rhat"] <= 1.01


TUNE_1000 = {"kind": "sample", "kwargs": {"tune": 1000}}


def _stuck():
    """The committed Metropolis trace and the model that made it."""
    from tests.fixtures.make_traces import metropolis_stuck_model
    from tests.support import load

    return metropolis_stuck_model(), trace_view(load("metropolis_stuck"))


def test_a_metropolis_or_slice_trace_is_sampled_again_with_its_own_step():
    model, trace = _stuck()
    assert trace.sampler == "metropolis"
    function, kwargs = sampling_call(model, trace, {"tune": 700}, 5, False)
    assert function is pm.sample and type(kwargs["step"]) is pm.Metropolis
    assert (kwargs["draws"], kwargs["chains"], kwargs["tune"], kwargs["random_seed"]) == (500, 4, 700, 5)
    # the step is the one the plan's code spells, from one table
    assert f"step=pm.{type(kwargs['step']).__name__}()" in remedies.sample_call(trace.sampler)
    _, kwargs = sampling_call(model, dataclasses.replace(trace, sampler="slice"), {}, 5, False)
    assert type(kwargs["step"]) is pm.Slice


def test_a_step_that_switches_the_sampler_switches_and_a_compound_run_gets_no_step():
    model, trace = _stuck()
    _, kwargs = sampling_call(model, trace, {"sampler": "pymc-nuts"}, 5, False)
    assert "step" not in kwargs
    # DX402's switch: whatever NUTS pm.sample() picks with no step=, as its code spells it
    _, kwargs = sampling_call(model, trace, {"sampler": "nuts"}, 5, False)
    assert "step" not in kwargs and "nuts_sampler" not in kwargs
    _, kwargs = sampling_call(model, dataclasses.replace(trace, sampler="compound"), {}, 5, False)
    assert "step" not in kwargs  # PyMC assigns the steps again, as the plan's code says


@pytest.mark.parametrize("setting", [{"target_accept": 0.95}, {"max_treedepth": 12}, {"init": "jitter+adapt_full"}])
def test_a_step_that_tunes_nuts_samples_a_metropolis_trace_with_nuts_as_its_code_says(setting):
    # PyMC refuses NUTS settings beside step=pm.Metropolis(): such a step is a NUTS run, said in its code.
    model, trace = _stuck()
    _, kwargs = sampling_call(model, trace, setting, 5, False)
    assert "step" not in kwargs and set(setting) <= set(kwargs) | {"max_treedepth"}
    expected = sample_options(None, **setting)  # the line's default NUTS, as the code below spells it
    assert {key: kwargs.get(key) for key in expected} == expected
    assert ("nuts_sampler" in kwargs) == ("nuts_sampler" in expected)
    code = remedies.sample_call(trace.sampler, **setting)
    assert "step=" not in code.split("idata =")[1] and "samples with NUTS, not metropolis" in code
    assert "step=pm.Metropolis()" in remedies.sample_call(trace.sampler, draws=2000)


@pytest.mark.slow
def test_treat_samples_a_metropolis_trace_again_with_metropolis():
    model, trace = _stuck()
    step = PlanStep("A longer warm-up.", remedies.sample_call(trace.sampler, tune=1000), action=TUNE_1000)
    heard = []
    treatment = treat_steps(model, trace, Report(plan=[step]), random_seed=3, progress=heard.append)
    assert [s.sampler for s in treatment.steps] == ["metropolis"] and not treatment.steps[0].error
    assert heard[:2] == ["Step 1/1: A longer warm-up.", "sampling: 4 chains × 500 draws"]
    assert heard[2].startswith("sampled with metropolis in ")
    assert treatment.to_dict()["steps"][0]["sampler"] == "metropolis"
    # the new run's statistics are Metropolis's, not NUTS's
    stats = set(trace_groups(sample(model, trace, {"tune": 200}, 3, False))["sample_stats"].data_vars)
    assert {"accepted", "scaling"} <= stats and not {"diverging", "tree_depth"} & stats


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_the_before_after_table_names_each_steps_sampler(fmt):
    from pymc_doctor.finding import Treatment, TreatmentStep
    from pymc_doctor.reports import render

    symptoms = {"divergences": 0, "max_rhat": 1.3, "min_ess_bulk": 12}
    step = TreatmentStep("A longer warm-up.", "", symptoms, {**symptoms, "max_rhat": 1.0}, 3.0, True, "", "metropolis")
    text = render([Report(treatment=Treatment(steps=(step,), outcome="cured"))], fmt, redact=False)
    assert "metropolis" in text


BIOASSAY = """
import pymc_doctor.examples

print("building the model")
model = pymc_doctor.examples.bioassay()
"""


def _treat_command(tmp_path, trace: str, *options: str):
    from click.testing import CliRunner

    from pymc_doctor.cli import main
    from tests.support import trace_path

    script = tmp_path / "bioassay.py"
    script.write_text(BIOASSAY)
    args = ["treat", str(script), "--trace", str(trace_path(trace)), *options]
    return CliRunner().invoke(main, args)


def test_the_treat_command_shows_its_progress_apart_from_what_the_script_prints(tmp_path):
    """The child's progress lines come through the command's progress line; the script's print as it is."""
    result = _treat_command(tmp_path, "bioassay", "--format", "text", "-o", str(tmp_path / "out.txt"))
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"Treating {tmp_path / 'bioassay.py'}…"
    assert f"  Loading {tmp_path / 'bioassay.py'}" in lines and "building the model" in lines
    assert "  Treating `model`: each step samples a copy of the model again; this can take minutes" in lines
    assert re.fullmatch(r"  done in \d+ s", lines[-2]) and lines[-1].startswith("Report written to")


@pytest.mark.slow
def test_the_treat_command_says_which_step_it_samples_and_how_long_it_took(tmp_path):
    """One chain of 50 draws after 50 tuning steps: the plan's longer warm-up is sampled again."""
    out = tmp_path / "out.txt"
    result = _treat_command(tmp_path, "short_run", "--format", "text", "-o", str(out))
    # the lines in between that say the command still runs come every 15 s, wherever they fall
    heard = [line.strip() for line in result.stderr.splitlines() if not line.strip().startswith("…")]
    step = next(i for i, line in enumerate(heard) if line.startswith("Step 1/1: A warm-up of 1000 steps"))
    assert heard[step + 1] == "sampling: 1 chain × 50 draws"
    assert re.fullmatch(r"sampled with pymc-nuts in \d+ s; checking the new run", heard[step + 2])
    assert re.fullmatch(r"Step 1/1 done in \d+ s: (cured|not cured yet)", heard[step + 3])
    assert re.search(r"\(\d+ s, pymc-nuts\)", out.read_text())  # the table names the sampler of the run
