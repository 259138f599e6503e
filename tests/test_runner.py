"""The runner isolates faults, records skips with reasons and never lets one check stop the others."""

from __future__ import annotations

import pytest

import pymc_doctor
from pymc_doctor.catalog import all_rules
from pymc_doctor.finding import Finding
from pymc_doctor.registry import RULES, CannotCheck, Rule
from tests.support import arviz_example, load


def _inject(monkeypatch, code: str, function, needs=("trace",)):
    all_rules()  # register the real checks first
    monkeypatch.setitem(RULES, code, Rule(code, f"injected-{code.lower()}", "sampling", "warning", needs, {}, function))


def test_a_failing_check_becomes_an_internal_finding(monkeypatch):
    def broken(subject):
        raise ZeroDivisionError("boom")
        yield  # pragma: no cover

    _inject(monkeypatch, "SMP999", broken)
    report = pymc_doctor.check(arviz_example("centered_eight"))
    internal = [f for f in report.findings if f.code == "INT001"]
    assert len(internal) == 1
    assert "SMP999" in internal[0].title and "ZeroDivisionError: boom" in internal[0].message
    assert internal[0].severity == "warning"
    assert "SMP999" in report.checks_run
    # every real check still ran and still found what it finds
    trace_rules = {r.code for r in all_rules() if r.category == "sampling" and "model" not in r.needs}
    assert trace_rules <= set(report.checks_run)
    assert any(f.code == "SMP101" for f in report.findings)


def test_a_check_that_cannot_answer_is_skipped_with_its_reason(monkeypatch):
    def undecidable(subject):
        raise CannotCheck("the data cannot answer")
        yield  # pragma: no cover

    _inject(monkeypatch, "SMP998", undecidable)
    report = pymc_doctor.check(load("bioassay"))
    skipped = {s.code: s.reason for s in report.checks_skipped}
    assert skipped == {"SMP998": "the data cannot answer"}
    assert "SMP998" not in report.checks_run


def test_non_nuts_trace_skips_nuts_checks_with_reason():
    report = pymc_doctor.check(load("metropolis_stuck"))
    skipped = {s.code: s.reason for s in report.checks_skipped}
    assert set(skipped) == {"SMP101", "SMP102", "SMP103", "SMP104"}
    assert all("not sampled with NUTS (sampler: metropolis)" in reason for reason in skipped.values())
    assert {"SMP201", "SMP203", "SMP105"} <= set(report.checks_run)


def test_findings_sorted_by_severity_then_code():
    report = pymc_doctor.check(load("centered_eight"))
    order = {"error": 0, "warning": 1, "info": 2}
    keys = [(order[f.severity], f.code) for f in report.findings]
    assert keys == sorted(keys)


def test_context_describes_the_trace():
    report = pymc_doctor.check(load("nutpie_eight"))
    trace = report.context["trace"]
    assert trace["sampler"] == "nutpie"
    assert (trace["chains"], trace["draws"], trace["tuning_steps"]) == (4, 500, 500)
    assert "pymc" in report.context["versions"]


def test_check_does_not_modify_the_trace():
    idata = load("centered_eight")
    before = {name: ds.copy(deep=True) for name, ds in pymc_doctor.compat.trace_groups(idata).items()}
    pymc_doctor.check(idata)
    after = pymc_doctor.compat.trace_groups(idata)
    for name, dataset in before.items():
        assert dataset.identical(after[name])


@pytest.mark.parametrize("severity", ["error", "warning", "info"])
def test_exit_code_follows_errors(severity):
    report = pymc_doctor.finding.Report(
        findings=[Finding(code="SMP101", severity=severity, category="sampling", title="t", message="m")]
    )
    assert report.exit_code == (1 if severity == "error" else 0)


def test_checks_of_parts_not_given_are_not_listed_unless_asked_for():
    report = pymc_doctor.check(load("bioassay"))
    assert all(s.code.startswith("SMP") for s in report.checks_skipped)
    assert all(code.startswith("SMP") for code in report.checks_run)
    asked = pymc_doctor.check(load("bioassay"), select=["SMP101", "SMP201"])
    assert asked.checks_run == ["SMP101", "SMP201"]
