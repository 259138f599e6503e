"""DX401: a warm-up that did not finish adapting, on the committed short run."""

from __future__ import annotations

from pymc_doctor.diagnoses import adaptation
from pymc_doctor.subject import Subject
from tests.diagnoses.common import checked, diagnosed, only


def test_a_short_warmup_off_its_target_acceptance_is_failed_adaptation():
    result = diagnosed("short_run")
    found = only(result, "DX401")
    assert found.findings == ("SMP303",)
    assert found.evidence["tuning_steps"] == 50 and found.evidence["chains_off_target"] == [0]
    assert found.evidence["acceptance"][0] > found.evidence["target_accept"] + adaptation.ACCEPTANCE_GAP
    (step,) = found.steps
    assert step.lasting and step.action == {"kind": "sample", "kwargs": {"tune": 1000}}
    assert "tune=1000" in step.code


def test_a_short_warmup_whose_acceptance_is_on_target_is_no_diagnosis():
    # the short run's findings against the full run of the same model, whose acceptance is near 0.8
    short = checked("short_run").findings
    assert adaptation.find_failed_adaptation(short, Subject(trace=checked("bioassay").trace)) is None


def test_findings_no_diagnosis_explains_keep_their_own_advice():
    # 50 draws in one chain: more draws is the right advice, and no diagnosis takes it away
    ess = next(f for f in diagnosed("short_run").findings if f.code == "SMP203")
    original = next(f for f in checked("short_run").findings if f.code == "SMP203")
    assert ess == original and "draws=" in ess.fix_code


def test_a_well_tuned_trace_has_no_failed_adaptation():
    for name in ("centered_eight", "bioassay", "bimodal"):
        assert "DX401" not in [d.code for d in diagnosed(name).diagnoses], name
