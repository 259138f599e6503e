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


def _hostile_report():
    from pymc_doctor.finding import Finding, Report

    finding = Finding(
        "ENV503",
        "error",
        "environment",
        'Ping @maintainer <img src=x> "quoted" [/details] </details>',
        "Thanks @maintainer, see [/details] and </details>.",
        evidence={"jax_gpu": [], "device": "", "missing": None, "working": ["nutpie"], "default": "pymc"},
        fix_code="x = '````'",
    )
    context = {"versions": {"pymc": "5"}, "python": "", "platform": "Linux", "environment": {"hardware": {}}}
    return Report(findings=[finding], context=context)


def test_github_gets_html_details_and_discourse_bbcode():
    report = pymc_doctor.check(load("centered_eight"))
    github = render_markdown(report, target="github")
    discourse = render_markdown(report)
    assert "[details" not in github and "[/details]" not in github
    assert github.count("<details><summary>") == github.count("</details>") == len(report.findings) + 1
    # the Markdown inside a <details> renders only after a blank line
    assert github.count("</summary>\n\n") == len(report.findings) + 1
    assert "<details>" not in discourse and discourse.count('[details="') == len(report.findings) + 1
    assert github.count("```") % 2 == 0 and "theta_offset = pm.Normal" in github


def test_github_escaping_pings_nobody_and_closes_nothing():
    report = _hostile_report()
    for target, start, close in (
        ("github", "<details><summary>", "</details>"),
        ("discourse", '[details="', "[/details]"),
    ):
        text = render_markdown(report, target=target)
        (summary,) = [line for line in text.splitlines() if line.startswith(start + "✗ ENV503")]
        title = summary.removeprefix(start).removesuffix("</summary>").removesuffix('"]')
        assert "@" not in title and "<" not in title and '"' not in title and "[" not in title
        assert text.count(close) == 2  # the finding's and the versions block's, none from the user's text
        assert " @maintainer" not in text and "`@`maintainer" in text
        assert "`````python\nx = '````'\n`````" in text  # the fence is longer than any backtick run


def test_empty_fields_are_left_out():
    for target in ("github", "discourse"):
        text = render_markdown(_hostile_report(), target=target)
        assert "- working: nutpie" in text and "- default: pymc" in text
        assert "jax gpu" not in text and "- device" not in text and "missing" not in text
        assert "python \n" not in text and "Python ·" not in text and "Python " not in text.splitlines()[0]


def test_share_for_github_on_the_command_line():
    from click.testing import CliRunner

    from pymc_doctor.cli import main
    from tests.support import trace_path

    runner = CliRunner()
    path = str(trace_path("centered_eight"))
    github = runner.invoke(main, ["check", path, "--share-for", "github"])
    discourse = runner.invoke(main, ["check", path, "--share"])
    assert github.exit_code == discourse.exit_code == 1, github.output
    assert "<details><summary>✗ SMP101" in github.stdout and "[details=" not in github.stdout
    assert '[details="✗ SMP101' in discourse.stdout and "<details>" not in discourse.stdout
    assert runner.invoke(main, ["check", path, "--share-for", "gitlab"]).exit_code == 2


def test_the_environment_table_leaves_out_facts_the_probes_did_not_learn():
    from pymc_doctor.reports.common import environment_lines

    rows = dict(
        environment_lines(
            {
                "platform": {"system": "", "machine": ""},
                "channel": "",
                "hardware": {"logical_cores": 4, "memory_gb": None},
                "pytensor": {"cxx": "g++", "compiledir": ""},
                "jax_devices": [],
            }
        )
    )
    assert rows["cores / memory"] == "4 cores" and rows["C++ compiler"] == "g++"
    assert "system" not in rows and "installed with" not in rows and "compile directory" not in rows
    assert all(value.strip() for value in rows.values())
