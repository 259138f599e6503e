"""DX101: the funnel of a centered hierarchy, on the committed eight-schools traces of three samplers."""

from __future__ import annotations

import ast
import json

import pytest

import pymc_doctor
from pymc_doctor import examples
from pymc_doctor.diagnoses import diagnose
from pymc_doctor.reports.terminal import render_terminal
from pymc_doctor.subject import Subject
from tests.diagnoses.common import RUN_LONGER, advice, checked, diagnosed, only
from tests.support import load

CENTERED = ["centered_eight", "nutpie_eight", "numpyro_eight"]
SYMPTOMS = {"SMP101", "SMP103", "SMP201", "SMP203"}


@pytest.mark.parametrize("name", CENTERED)
def test_a_centered_eight_schools_has_one_funnel_naming_tau_and_theta(name):
    result = diagnosed(name)
    funnel = only(result, "DX101")
    assert [d.code for d in result.diagnoses] == ["DX101"]
    assert {"tau", "theta"} <= set(funnel.variables)
    assert (funnel.evidence["scale"], funnel.evidence["group"], funnel.evidence["location"]) == ("tau", "theta", "mu")
    present = {f.code for f in checked(name).findings} & SYMPTOMS
    assert "SMP101" in present and present <= set(funnel.findings)
    assert funnel.confidence == "high"
    assert funnel.evidence["divergence_location"]["divergent_percentile"] < 0.3


@pytest.mark.parametrize("name", CENTERED)
def test_the_lasting_step_is_the_noncentered_rewrite(name):
    plan = diagnosed(name).plan
    lasting = [step for step in plan if step.lasting]
    assert len(lasting) == 1
    rewrite = lasting[0]
    assert rewrite.action == {"kind": "noncentered", "group": "theta", "scale": "tau", "location": "mu"}
    assert rewrite.addresses == ("DX101",)
    assert 'theta_offset = pm.Normal("theta_offset", mu=0, sigma=1, dims="school")' in rewrite.code
    assert "mu + tau * theta_offset" in rewrite.code
    ast.parse(rewrite.code)
    # the rewrite cures; a higher target_accept only eases the divergences, so it comes after
    assert plan[0] is rewrite
    assert plan[1].action == {"kind": "sample", "kwargs": {"target_accept": 0.95}}


@pytest.mark.parametrize("name", CENTERED)
def test_findings_the_funnel_explains_carry_no_advice_to_run_longer(name):
    result = diagnosed(name)
    funnel = only(result, "DX101")
    explained = [f for f in result.findings if f.code in funnel.findings]
    assert {f.code for f in explained} == set(funnel.findings)
    for finding in explained:
        assert finding.fix.startswith("Explained by DX101 (funnel)")
        assert finding.rerun == ()
        assert not [phrase for phrase in RUN_LONGER if phrase in advice(finding)], finding.code


OUTLOOK = "draws per chain would reach it"


def test_the_funnel_drops_the_ess_findings_outlook_of_more_draws():
    """SMP203's sentence on how many draws would reach the threshold goes under the funnel, in every form."""
    report = checked("centered_eight")
    ess = next(f for f in report.findings if f.code == "SMP203")
    assert "SMP203" in only(diagnosed("centered_eight"), "DX101").findings
    assert ess.outlook == "" and OUTLOOK not in ess.text
    assert OUTLOOK not in json.dumps(report.to_dict()) and OUTLOOK not in render_terminal(report)
    # the same trace without the findings that make the funnel: no diagnosis, and the outlook stays
    alone = pymc_doctor.check(load("centered_eight"), select=["SMP203"])
    assert alone.diagnoses == []
    (ess,) = alone.findings
    assert OUTLOOK in ess.outlook and ess.text.endswith(ess.outlook) and not ess.message.endswith(ess.outlook)
    assert OUTLOOK in ess.to_dict()["message"] and ess.to_dict()["outlook"] == ess.outlook


def test_a_low_ess_without_a_diagnosis_keeps_its_outlook():
    report = checked("short_run")  # one chain of 50 draws: more draws is the right advice
    (ess,) = [f for f in report.findings if f.code == "SMP203"]
    assert not [d for d in report.diagnoses if "SMP203" in d.findings] and OUTLOOK in ess.text


@pytest.mark.parametrize("name", ["noncentered_eight", "bioassay", "nonidentified", "bimodal"])
def test_no_funnel_without_a_centered_hierarchy(name):
    # nonidentified diverges at small values of `a`, which is no scale: it takes negative values
    assert "DX101" not in [d.code for d in diagnosed(name).diagnoses]


def _with_model(select):
    model = examples.centered_eight()
    report = pymc_doctor.check(load("centered_eight"), model=model, select=select)
    return diagnose(report.findings, Subject(trace=report.trace, model=model))


def test_with_the_model_the_hierarchy_comes_from_its_graph():
    funnel = only(_with_model(["MOD501", "SMP1", "SMP2"]), "DX101")
    assert funnel.evidence["found_in"] == "model"
    assert {"MOD501", "SMP101"} <= set(funnel.findings)
    assert funnel.confidence == "high"


def test_without_divergences_a_centered_hierarchy_that_mixes_slowly_is_a_funnel_of_low_confidence():
    funnel = only(_with_model(["MOD501", "SMP201", "SMP203"]), "DX101")
    assert set(funnel.findings) == {"MOD501", "SMP201", "SMP203"}
    assert funnel.confidence == "low"


def test_a_centered_hierarchy_that_samples_well_is_no_funnel():
    result = _with_model(["MOD501"])
    assert result.diagnoses == []
    assert [f.code for f in result.findings] == ["MOD501"]
