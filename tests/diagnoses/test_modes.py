"""DX201 multimodality and DX202 label switching, on the committed bimodal and mixture traces."""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor.diagnoses import steps
from pymc_doctor.reports.json import render_json
from pymc_doctor.reports.markdown import render_markdown
from pymc_doctor.reports.terminal import render_terminal
from tests.diagnoses.common import RUN_LONGER, advice, diagnosed, only
from tests.support import load


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


def crawling_modes() -> xr.DataTree:
    """Chains 0 and 1 near -6, 2 and 3 near +6, each crawling (AR(1), rho 0.95) within its mode."""
    rng = np.random.default_rng(3)
    x = np.empty((4, 600))
    x[:, 0] = rng.normal(size=4)
    for draw in range(1, 600):
        x[:, draw] = 0.95 * x[:, draw - 1] + np.sqrt(1 - 0.95**2) * rng.normal(size=4)
    x += np.array([-6.0, -6.0, 6.0, 6.0])[:, None]
    return xr.DataTree.from_dict({"posterior": xr.Dataset({"x": (("chain", "draw"), x)})})


@pytest.mark.parametrize("name", ["bimodal", "label_switching", "crawling"])
def test_no_report_of_a_multimodal_trace_advises_a_longer_run_or_one_starting_point(name):
    data = crawling_modes() if name == "crawling" else load(name)
    report = pymc_doctor.check(data)
    assert "SMP202" in {f.code for f in report.findings}
    if name == "crawling":  # chains that barely move: no DX201, so each finding's own advice stands
        assert not [d for d in report.diagnoses if d.code in ("DX201", "DX202")]
    said = [advice(f) for f in report.findings] + [f"{s.description} {s.code}".lower() for s in report.plan]
    assert not [(phrase, text) for text in said for phrase in RUN_LONGER if phrase in text]
    for text in (render_terminal(report), render_markdown(report), render_json(report)):
        assert "adapt_diag" not in text
        assert not re.search(r"(?i)\b(run longer|draw more|more draws)\b|draws=", text)
