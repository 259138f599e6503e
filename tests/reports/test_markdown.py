"""Markdown for a Discourse post: summary first, collapsible details, always under the post limit."""

from __future__ import annotations

import re

import pymc_doctor
from pymc_doctor.reports.markdown import DISCOURSE_POST_LIMIT, render_markdown
from tests.support import load


def test_summary_table_and_details_blocks():
    report = pymc_doctor.check(load("centered_eight"))
    text = render_markdown(report)
    assert text.startswith("**pymc-doctor")
    assert "**Verdict: " in text
    assert "| ✗ error | SMP101 |" in text
    assert text.count('[details="') == len(report.findings) + 1  # one per finding, one for versions
    assert text.count("[details=") == text.count("[/details]")
    assert text.count("```") % 2 == 0
    assert "pymc==" in text and "arviz==" in text


def test_healthy_report_is_short():
    text = render_markdown(pymc_doctor.check(load("bioassay")))
    assert "No problems found" in text
    assert len(text) < 2_000


def test_long_reports_drop_whole_blocks_with_a_count():
    report = pymc_doctor.check(load("nonidentified"))
    full = render_markdown(report)
    limit = len(full) - 100
    short = render_markdown(report, limit=limit)
    assert len(short) <= limit
    match = re.search(r"Details of (\d+) more finding\(s\) left out", short)
    assert match and int(match.group(1)) >= 1
    assert short.count("[details=") == short.count("[/details]")
    assert short.count("```") % 2 == 0
    assert len(full) < DISCOURSE_POST_LIMIT


def test_code_fence_survives_backticks_in_code():
    from pymc_doctor.reports.markdown import _fence

    fenced = _fence("x = '```'")
    assert fenced.startswith("````python") and fenced.endswith("````")


def test_the_post_fits_whatever_the_number_of_findings_and_variables():
    from pymc_doctor.finding import Finding, Report, SkippedCheck

    findings = [
        Finding("MOD101", "warning", "model", f"Prior of `beta_{i}` " + "wide " * 60, "text", variables=(f"b{i}",) * 5)
        for i in range(1000)
    ]
    variables = [
        {"name": f"beta_{i}" * 20, "kind": "free", "distribution": "Normal", "dims": ["d"] * 50, "shape": [3] * 40}
        for i in range(2000)
    ]
    report = Report(
        findings=findings,
        checks_skipped=[SkippedCheck(f"SMP{i}", "x", "reason " * 100) for i in range(500)],
        context={"versions": {"pymc": "5"}, "python": "3.11", "platform": "Linux", "model": {"variables": variables}},
    )
    text = render_markdown(report)
    assert len(text) <= DISCOURSE_POST_LIMIT
    assert re.search(r"_(\d+) more finding\(s\) left out of this table", text)
    assert re.search(r"_(\d+) more variable\(s\) left out", text)
    assert re.search(r"and \d+ more\.", text)  # checks not run
    assert text.count("[details=") == text.count("[/details]")
    assert text.count("```") % 2 == 0
