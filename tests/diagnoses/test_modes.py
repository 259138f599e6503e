"""DX201 multimodality and DX202 label switching, on the committed bimodal and mixture traces."""

from __future__ import annotations

import ast

from pymc_doctor.diagnoses import steps
from tests.diagnoses.common import RUN_LONGER, advice, diagnosed, only


def test_chains_in_separate_modes_are_diagnosed_multimodal():
    result = diagnosed("bimodal")
    modes = only(result, "DX201")
    assert [d.code for d in result.diagnoses] == ["DX201"]
    assert modes.variables == ("x",)
    assert {"SMP202", "SMP201", "SMP203"} <= set(modes.findings)
    assert sorted(len(chains) for chains in modes.evidence["modes"][0]["chains"]) == [2, 2]
    assert len(modes.evidence["log_density_by_mode"]) == 2
    assert modes.evidence["lag_one_autocorrelation"] < 0.8


def test_a_multimodal_trace_gets_no_advice_to_run_longer_anywhere():
    result = diagnosed("bimodal")
    said = [advice(f) for f in result.findings]
    said += [f"{d.title} {d.cause}".lower() for d in result.diagnoses]
    said += [f"{step.description} {step.code}".lower() for step in result.plan]
    assert not [(phrase, text) for text in said for phrase in RUN_LONGER if phrase in text]
    # starting every chain at one point would only hide the other mode
    assert not [step for step in result.plan if "adapt_diag" in step.code]


def test_the_multimodality_plan_looks_at_the_modes_before_it_samples_again():
    plan = diagnosed("bimodal").plan
    assert plan[0].cost == steps.LOOK and plan[0].action is None
    assert plan[0].code == 'print(idata.posterior["x"].mean("draw"))'
    smc = [step for step in plan if step.action and step.action["kind"] == "sample_smc"]
    assert len(smc) == 1 and "pm.sample_smc(" in smc[0].code
    for step in plan:
        ast.parse(step.code)


def test_label_switching_is_treated_by_ordering_the_components():
    result = diagnosed("label_switching")
    switching = only(result, "DX202")
    assert [d.code for d in result.diagnoses] == ["DX202"]
    assert switching.variables == ("centers",)
    assert {"SMP202", "SMP201", "SMP203"} <= set(switching.findings)
    (step,) = switching.steps
    assert step.lasting and step.action == {"kind": "ordered", "variable": "centers"}
    assert "transforms.ordered" in step.code and "np.linspace(-1, 1, 2)" in step.code
    assert [s.action for s in result.plan if s.lasting] == [{"kind": "ordered", "variable": "centers"}]
    for finding in result.findings:
        assert finding.fix.startswith("Explained by DX202"), finding.code
        assert "draws=" not in advice(finding)


def test_traces_whose_chains_agree_have_no_modes():
    for name in ("centered_eight", "treedepth", "bioassay"):
        codes = [d.code for d in diagnosed(name).diagnoses]
        assert "DX201" not in codes and "DX202" not in codes, name
