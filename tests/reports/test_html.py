"""The HTML report: self-contained, escaped, plots embedded, and it renders in a real browser."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor.reports.html import render_html
from tests.support import load
from tests.support_browser import console_errors, open_page

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?!data:|#)([^"'\s>]+)""", re.IGNORECASE)


@pytest.fixture(scope="module")
def sick_report():
    return pymc_doctor.check(load("centered_eight"))


@pytest.fixture(scope="module")
def sick_html(sick_report):
    return render_html(sick_report)


def test_verdict_summary_and_findings(sick_report, sick_html):
    assert f'">{sick_report.verdict()}</div>' in sick_html
    for finding in sick_report.findings:
        assert re.search(rf'<details class="finding" id="r1-\d+-{finding.code}"', sick_html)
        assert '<a href="#r1-' in sick_html
    assert "Copy for Discourse" in sick_html
    # the cause and the one plan come before the symptoms, and the symptoms carry no ladder of their own
    assert sick_html.index("Diagnosis <code>DX101</code> funnel") < sick_html.index("Treatment plan, in order")
    assert sick_html.index("Treatment plan, in order") < sick_html.index('<table class="summary">')
    assert "theta_offset = pm.Normal" in sick_html
    assert "Re-run strategy, in order:" not in sick_html
    assert "theta_offset" in sick_html


PLOT = re.compile(r'<img class="plot" src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="([^"]*)"')


def test_plots_embedded_for_flagged_findings_only(sick_html):
    assert len(PLOT.findall(sick_html)) >= 2  # the funnel (DX101), the ESS trace plot (SMP203)
    healthy = render_html(pymc_doctor.check(load("bioassay")))
    assert "<img" not in healthy


def test_the_funnel_is_drawn_once_under_its_diagnosis(sick_report, sick_html):
    """SMP101 asks for the funnel plot DX101 draws: the finding points to it instead of drawing it again."""
    funnel = next(d for d in sick_report.diagnoses if d.code == "DX101")
    divergences = next(f for f in sick_report.findings if f.code == "SMP101")
    assert divergences.plots[0].kind == "funnel" and divergences.plots[0].variables == funnel.plots[0].variables
    drawn = PLOT.findall(sick_html)
    assert [title for title in drawn if "funnel" in title.lower() or "divergent" in title.lower()] == [
        funnel.plots[0].title
    ]
    # the finding's part up to its rule page, which follows its plots
    finding = sick_html[re.search(r'id="r1-\d+-SMP101"', sick_html).start() :].split("</details>", 1)[0]
    assert '<img class="plot"' not in finding and 'see the plot under <a href="#r1-DX101">DX101</a>' in finding
    assert '<div class="diagnosis" id="r1-DX101">' in sick_html
    # a finding's other plots stay, and without the diagnosis SMP101 draws its funnel itself
    assert "Draws per chain of the least efficient elements" in drawn
    alone = render_html(dataclasses.replace(sick_report, diagnoses=[]))
    assert divergences.plots[0].title in PLOT.findall(alone) and "see the plot under" not in alone


def test_no_external_resources(sick_html):
    assert EXTERNAL.findall(sick_html) == []
    assert "<link" not in sick_html


def _notebook_page(fragment: str, tmp_path):
    """The fragment as a notebook shows it: inside a page of its own; the page's script then clicks the
    first copy button, as a user would."""
    page = tmp_path / "notebook.html"
    click = '<script>document.querySelector(".pymc-doctor-report button.copy").click();</script>'
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{fragment}{click}</body></html>')
    return page


def test_compact_notebook_form():
    report = pymc_doctor.check(load("centered_eight"))
    html = report._repr_html_()
    assert "<html" not in html and "SMP101" in html
    # its own style, every rule scoped to the report, so nothing leaks into the notebook
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{[^{}]*\}", style) for s in block.split(",")]
    assert selectors and all(s.startswith(".pymc-doctor-report") for s in selectors if not s.startswith("@")), selectors
    # findings collapsed, except the errors
    for finding in report.findings:
        opened = re.search(rf'<details class="finding" id="r\w+-\d+-{finding.code}"( open)?>', html).group(1)
        assert bool(opened) == (finding.severity == "error"), finding.code
    # the copy buttons are bound by a script on this fragment, in each code block
    assert 'document.currentScript.closest(".pymc-doctor-report")' in html
    assert html.count('<button class="copy"') == html.count('<div class="codeblock">') >= 2
    assert report._repr_markdown_().startswith("**pymc-doctor")


def test_notebook_fragment_works_in_chromium(tmp_path):
    page = _notebook_page(pymc_doctor.check(load("centered_eight"))._repr_html_(), tmp_path)
    shot = tmp_path / "notebook.png"
    screenshot = open_page(page, tmp_path, "--window-size=1000,1400", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 20_000, screenshot.stderr[-2000:]
    assert console_errors(screenshot.stderr) == []
    dom = open_page(page, tmp_path, "--dump-dom").stdout
    assert 'class="pymc-doctor-report live"' in dom  # its script ran: the buttons show
    assert '<button class="copy" type="button">Copied</button>' in dom  # and a click copies


def test_notebook_environment_table_leaves_out_empty_values():
    from pymc_doctor.finding import Report
    from pymc_doctor.reports import Report as Shown

    context = {
        "python": "3.11",
        "platform": "",
        "versions": {"pymc": "5.28.5", "nutpie": ""},
        "environment": {"hardware": {"logical_cores": 2}, "channel": "", "pytensor": {"cxx": "g++", "compiledir": ""}},
    }
    html = Shown.of(Report(findings=[], context=context))._repr_html_()
    rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', html)
    assert ("cores / memory", "2 cores") in rows and ("pymc", "5.28.5") in rows and ("Python", "3.11") in rows
    assert all(value.strip() for _, value in rows) and not {"Platform", "nutpie", "compile directory"} & set(dict(rows))
    # a trace's report leaves the installation to the page
    assert '<table class="env">' not in pymc_doctor.check(load("bioassay"))._repr_html_()


def test_several_reports_on_one_page():
    reports = [pymc_doctor.check(load("bioassay"), source="a.nc"), pymc_doctor.check(load("bimodal"), source="b.nc")]
    html = render_html(reports)
    assert html.count('<section class="report"') == 2
    assert "a.nc" in html and "b.nc" in html


def test_save_picks_format_from_extension(tmp_path):
    report = pymc_doctor.check(load("centered_eight"))
    assert report.save(tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert report.save(tmp_path / "r.md").read_text().startswith("**pymc-doctor")
    assert '"schema": "pymc-doctor/1"' in report.save(tmp_path / "r.json").read_text()
    with pytest.raises(ValueError, match="cannot tell the format"):
        report.save(tmp_path / "r.pdf")


def _hostile_trace():
    """A trace whose variable, dim and coordinate names try to inject markup."""
    rng = np.random.default_rng(0)
    name = "<script>document.title='pwned'</script>"
    coord = '"><img src=x onerror="document.title=\'pwned\'">'
    posterior = xr.Dataset(
        {name: (("chain", "draw", "<b>dim</b>"), np.cumsum(rng.normal(size=(2, 60, 2)), axis=1))},
        coords={"<b>dim</b>": [coord, "ok"]},
    )
    return posterior


def test_user_text_is_escaped():
    html = render_html(pymc_doctor.check(_hostile_trace()))
    assert "<script>document.title" not in html
    assert "&lt;script&gt;" in html
    assert 'onerror="document' not in html


def test_page_renders_in_chromium_without_errors_or_injection(tmp_path):
    page = tmp_path / "report.html"
    sick = pymc_doctor.check(load("centered_eight"))
    hostile = pymc_doctor.check(_hostile_trace(), source="<script>alert(1)</script>.nc")
    page.write_text(render_html([sick, hostile]), encoding="utf-8")
    shot = tmp_path / "shot.png"
    screenshot = open_page(page, tmp_path, "--window-size=1100,2000", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 20_000, screenshot.stderr[-2000:]
    assert console_errors(screenshot.stderr) == []
    dom = open_page(page, tmp_path, "--dump-dom")
    assert "<title>pymc-doctor report" in dom.stdout
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom.stdout, re.S).group(1)
    assert dom.stdout.count('<section class="report"') == 2


def test_model_section_with_graph():
    import importlib.util
    import shutil

    from pymc_doctor import examples

    html = render_html(pymc_doctor.lint(examples.centered_eight()))
    assert "<h3>Model</h3>" in html
    assert "<td><code>tau</code></td><td>free</td><td>HalfCauchy</td>" in html
    assert "graph TD" in html and "--&gt;" in html  # the Mermaid text form, escaped
    has_graphviz = importlib.util.find_spec("graphviz") is not None and shutil.which("dot") is not None
    assert ('src="data:image/svg+xml;base64,' in html) == has_graphviz


def test_prior_predictive_plot_drawn_for_the_prior_predictive_check():
    from tests.checks.model.support import report_of
    from tests.checks.model.test_predictive import wide_regression

    report = report_of(wide_regression)
    (finding,) = [f for f in report.findings if f.code == "MOD601"]
    assert [p.kind for p in finding.plots] == ["prior_predictive"]
    html = render_html(report)
    section = html[html.index(f'id="r1-{report.findings.index(finding)}-MOD601"') :]
    section = section[: section.index("</details>")]
    assert '<img class="plot" src="data:image/png;base64,' in section
    assert "Plot unavailable" not in html
