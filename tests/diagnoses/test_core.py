"""The registry, ``diagnose`` (never raises, one cause per finding) and the one treatment plan."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import pytest

from pymc_doctor.diagnoses import all_units, core, diagnose, find_unit
from pymc_doctor.diagnoses.plan import explained, treatment_plan
from pymc_doctor.diagnoses.units import UNITS, Unit
from pymc_doctor.finding import Diagnosis, Finding, PlanStep, RerunStep
from pymc_doctor.subject import Subject
from tests.diagnoses.common import checked, diagnosed

TRACES = [
    "centered_eight",
    "nutpie_eight",
    "numpyro_eight",
    "noncentered_eight",
    "bioassay",
    "bimodal",
    "label_switching",
    "nonidentified",
    "treedepth",
    "short_run",
    "metropolis_stuck",
    "smc",
]


def test_every_diagnosis_has_a_code_a_name_and_a_page():
    units = all_units()
    assert len(units) >= 8
    assert len({u.code for u in units}) == len({u.name for u in units}) == len(units)
    for unit in units:
        assert re.fullmatch(r"DX\d{3}", unit.code) and re.fullmatch(r"[a-z]+(-[a-z]+)*", unit.name)
        for section in ("What it means:", "Evidence:", "Treatment:"):
            assert section in unit.page, (unit.code, section)
        assert find_unit(unit.code) is unit and find_unit(unit.name) is unit
    with pytest.raises(KeyError):
        find_unit("DX999")


@pytest.mark.parametrize("name", TRACES)
def test_each_finding_is_explained_by_at_most_one_diagnosis(name):
    result = diagnosed(name)
    claims = Counter(code for d in result.diagnoses for code in d.findings)
    assert not [code for code, times in claims.items() if times > 1]
    by_code = {code: d for d in result.diagnoses for code in d.findings}
    for finding in result.findings:
        cause = by_code.get(finding.code)
        assert finding.fix.startswith(f"Explained by {cause.code} ") if cause else "Explained" not in finding.fix
    assert result.failed == []


@pytest.mark.parametrize("name", ["bioassay", "noncentered_eight"])
def test_healthy_traces_get_no_diagnosis(name):
    result = diagnosed(name)
    assert result.diagnoses == [] and result.plan == []
    assert result.findings == checked(name).findings


@pytest.mark.parametrize("name", ["centered_eight", "bimodal", "nonidentified", "short_run"])
def test_diagnosing_the_runners_report_again_changes_nothing(name):
    report = checked(name)  # the runner has diagnosed it already
    result = diagnose(report.findings, Subject(trace=report.trace))
    assert result.diagnoses == report.diagnoses and result.plan == report.plan
    assert sorted(result.findings, key=lambda f: f.code) == sorted(report.findings, key=lambda f: f.code)


def _broken(findings, subject):
    raise RuntimeError("planted")


def test_a_failing_diagnosis_is_skipped_and_named(monkeypatch):
    monkeypatch.setitem(UNITS, "DX999", Unit("DX999", "broken", 0, _broken, lambda evidence, subject: None))
    result = diagnosed("centered_eight")
    (failure,) = result.failed
    assert (failure.code, failure.name, str(failure.error)) == ("DX999", "broken", "planted")
    assert [d.code for d in result.diagnoses] == ["DX101"]


def test_diagnose_never_raises(monkeypatch):
    def no_units():
        raise ImportError("planted")

    monkeypatch.setattr(core, "all_units", no_units)
    report = checked("centered_eight")
    result = diagnose(report.findings, Subject(trace=report.trace))
    assert result.findings == report.findings and result.diagnoses == [] and result.plan == []
    assert [(f.code, type(f.error)) for f in result.failed] == [("DX", ImportError)]


def _diagnosis(code: str, *steps: PlanStep) -> Diagnosis:
    steps = tuple(dataclasses.replace(step, addresses=(code,)) for step in steps)
    return Diagnosis(code, code.lower(), f"title {code}", "cause", steps=steps)


def test_the_plan_takes_a_step_once_for_every_diagnosis_it_treats_lasting_fixes_first_then_cheap():
    dense = PlanStep("dense", "with model:\n    idata = pm.sample(init='x')", cost=1)
    first = _diagnosis("DX001", PlanStep("rewrite", "a = 1", lasting=True, cost=3), dense)
    second = _diagnosis("DX002", PlanStep("dense, said otherwise", dense.code, cost=2), PlanStep("look", "b", cost=0))
    plan = treatment_plan([first, second])
    assert [step.description for step in plan] == ["rewrite", "look", "dense"]
    assert plan[2].addresses == ("DX001", "DX002") and plan[2].cost == 1
    assert [step.lasting for step in plan] == [True, False, False]


def test_a_sampling_finding_takes_the_treatment_and_a_model_finding_keeps_its_fix():
    diagnosis = _diagnosis("DX001", PlanStep("cheap", "x = 1", cost=1), PlanStep("cure", "y = 2", lasting=True, cost=3))
    ladder = (RerunStep("longer", "pm.sample(draws=5000)"),)
    symptom = Finding("SMP201", "warning", "sampling", "t", "m", fix="Run longer", fix_code="draws=5000", rerun=ladder)
    rewritten = explained(symptom, diagnosis)
    assert rewritten.fix.startswith("Explained by DX001 (dx001): title DX001.") and "cure" in rewritten.fix
    assert (rewritten.fix_code, rewritten.rerun) == ("y = 2", ())
    cause = Finding("MOD501", "warning", "model", "t", "m", fix="Rewrite it.", fix_code="z = 3")
    once = explained(cause, diagnosis)
    assert once.fix_code == "z = 3" and once.fix.endswith("\nRewrite it.")
    assert explained(once, diagnosis) == once
