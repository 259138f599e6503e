"""Findings and reports are plain data with a stable JSON form."""

from __future__ import annotations

from pymc_doctor.finding import SCHEMA, Diagnosis, Finding, PlanStep, Report, RerunStep, SkippedCheck


def _finding(severity="error", code="SMP101"):
    return Finding(
        code=code,
        severity=severity,
        category="sampling",
        title="title",
        message="message",
        variables=("tau",),
        evidence={"divergences": 3},
        fix="fix",
        fix_code="pm.sample()",
        rerun=(RerunStep("step", "pm.sample()"),),
        docs="SMP101",
    )


def test_verdict_counts_each_severity():
    report = Report(findings=[_finding("error"), _finding("warning"), _finding("warning"), _finding("info")])
    report.checks_run = ["SMP101", "SMP102"]
    assert report.verdict() == "1 error, 2 warnings, 1 note (2 checks ran)."
    assert Report(checks_run=["SMP101"]).verdict() == "No problems found (1 checks ran)."


def test_to_dict_schema():
    report = Report(
        findings=[_finding()],
        checks_run=["SMP101"],
        checks_skipped=[SkippedCheck("SMP102", "tree-depth", "why")],
        context={"trace": {"chains": 4}},
    )
    data = report.to_dict()
    assert data["schema"] == SCHEMA
    assert data["tool"]["name"] == "pymc-doctor"
    assert set(data) == {
        "schema",
        "tool",
        "context",
        "verdict",
        "counts",
        "diagnoses",
        "plan",
        "findings",
        "checks_run",
        "checks_skipped",
    }
    finding = data["findings"][0]
    assert finding["variables"] == ["tau"]
    assert finding["rerun"] == [{"description": "step", "code": "pm.sample()"}]
    assert data["checks_skipped"] == [{"code": "SMP102", "name": "tree-depth", "reason": "why"}]


def test_diagnoses_and_plan_serialize_without_their_internal_fields():
    step = PlanStep(
        "Rewrite `theta` non-centered", "theta = ...", ("DX101",), lasting=True, cost=3, action={"kind": "x"}
    )
    diagnosis = Diagnosis(
        "DX101", "funnel", "A funnel", "cause", ("tau",), {"share": 0.1}, ("SMP101",), "high", (step,)
    )
    data = Report(diagnoses=[diagnosis], plan=[step]).to_dict()
    assert data["diagnoses"] == [
        {
            "code": "DX101",
            "name": "funnel",
            "title": "A funnel",
            "cause": "cause",
            "variables": ["tau"],
            "evidence": {"share": 0.1},
            "findings": ["SMP101"],
            "confidence": "high",
        }
    ]
    assert data["plan"] == [
        {"description": "Rewrite `theta` non-centered", "code": "theta = ...", "addresses": ["DX101"], "lasting": True}
    ]
