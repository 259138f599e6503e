"""DX402: a random-walk sampler (Metropolis, slice) whose chains barely move, on the committed stuck run."""

from __future__ import annotations

import ast
import dataclasses

import pytest

import pymc_doctor
from pymc_doctor.diagnoses import diagnose, sampler
from pymc_doctor.subject import Subject
from tests.diagnoses.common import RUN_LONGER, advice, checked, diagnosed, only


def test_stuck_metropolis_chains_are_a_random_walk_sampler_and_the_plan_switches_to_nuts():
    result = diagnosed("metropolis_stuck")
    found = only(result, "DX402")
    assert [d.code for d in result.diagnoses] == ["DX402"]
    assert found.findings == ("SMP105", "SMP201", "SMP203", "SMP204") and found.variables == ("mu",)
    assert found.evidence == {"sampler": "metropolis"} and "barely move" in found.cause
    (step,) = result.plan
    assert step.lasting and step.action == {"kind": "sampler", "sampler": "nuts"}
    ast.parse(step.code)
    assert "step=" not in step.code.split("idata =")[1] and "this samples with NUTS, not metropolis" in step.code
    # the symptoms defer to the switch: no more draws of a sampler that cannot move
    for finding in result.findings:
        assert not any(words in advice(finding) for words in RUN_LONGER), finding.code


def test_a_slice_trace_is_named_as_such():
    report = checked("metropolis_stuck")
    trace = dataclasses.replace(report.trace, sampler="slice")
    found = only(diagnose(report.findings, Subject(trace=trace)), "DX402")
    assert found.title.startswith("Slice steps") and found.evidence == {"sampler": "slice"}


@pytest.mark.parametrize("kind", ["compound", "pymc-nuts", "nutpie"])
def test_the_same_symptoms_of_another_sampler_are_no_random_walk(kind):
    # a compound run keeps Metropolis-family steps for discrete variables, which NUTS cannot take
    report = checked("metropolis_stuck")
    trace = dataclasses.replace(report.trace, sampler=kind)
    assert sampler.find_random_walk_sampler(report.findings, Subject(trace=trace)) is None


def test_a_metropolis_trace_without_symptoms_is_no_diagnosis():
    report = checked("metropolis_stuck")
    healthy = [f for f in report.findings if f.code not in sampler.SYMPTOMS]
    assert sampler.find_random_walk_sampler(healthy, Subject(trace=report.trace)) is None


def test_nuts_traces_with_convergence_trouble_get_their_own_diagnoses():
    for name in ("centered_eight", "bimodal", "nonidentified"):
        assert "DX402" not in [d.code for d in diagnosed(name).diagnoses], name


@pytest.mark.slow
def test_treat_switches_the_stuck_metropolis_run_to_nuts_and_cures_it():
    from tests.fixtures.make_traces import metropolis_stuck_model
    from tests.support import load

    report = pymc_doctor.treat(metropolis_stuck_model(), load("metropolis_stuck"), random_seed=5, progress=False)
    treatment = report.treatment
    assert treatment.outcome == "cured", treatment.to_dict()
    (step,) = treatment.steps
    assert step.sampler in ("pymc-nuts", "nutpie") and step.cured
    assert step.before["max_rhat"] > 1.1 and step.after["max_rhat"] <= 1.01
