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


def test_a_report_in_a_plain_repl_is_a_short_summary():
    diagnosis = Diagnosis(code="DX101", name="funnel", title="A funnel: `theta` is centered on `tau`", cause="")
    findings = [
        Finding(code="SMP101", severity="error", category="sampling", title="12 divergences", message="long " * 500),
        Finding(code="SMP201", severity="warning", category="sampling", title="R-hat of `a\x1b[31m`", message=""),
    ]
    text = repr(Report(findings=findings, checks_run=["SMP101", "SMP201"], diagnoses=[diagnosis]))
    assert text.splitlines() == [
        "<pymc-doctor Report: 1 error, 1 warning (2 checks ran).",
        "  DX101 A funnel: `theta` is centered on `tau`",
        "  error SMP101 12 divergences",
        "  warning SMP201 R-hat of `a\\x1b[31m`>",
    ]
    assert repr(Report()) == "<pymc-doctor Report: No problems found (0 checks ran).>"
