"""Findings and reports are plain data with a stable JSON form."""

from __future__ import annotations

from pymc_doctor.finding import SCHEMA, Finding, Report, RerunStep, SkippedCheck


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
    assert set(data) == {"schema", "tool", "context", "verdict", "counts", "findings", "checks_run", "checks_skipped"}
    finding = data["findings"][0]
    assert finding["variables"] == ["tau"]
    assert finding["rerun"] == [{"description": "step", "code": "pm.sample()"}]
    assert data["checks_skipped"] == [{"code": "SMP102", "name": "tree-depth", "reason": "why"}]
