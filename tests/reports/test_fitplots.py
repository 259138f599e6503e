"""The fit section of the HTML report: the posterior predictive overlay (FIT101-FIT103), k̂ per observation
(FIT201) and the LOO-PIT ECDF in its band (FIT301), drawn from the arrays the rules hand their plot
requests, which never reach the JSON or the Markdown."""

from __future__ import annotations

import dataclasses
import json
from functools import cache

import numpy as np
import pytest

from pymc_doctor.reports.html import render_html
from pymc_doctor.reports.json import render_json
from pymc_doctor.reports.markdown import render_markdown
from tests.checks.fit.helpers import check
from tests.support import load


@cache
def _report(name: str, codes: tuple[str, ...]):
    """The report of the committed fit trace ``fit_<name>`` by the rules ``codes`` (shared: do not change it)."""
    return check(load(f"fit_{name}"), select=list(codes))


def _only(report, code):
    (found,) = [f for f in report.findings if f.code == code]
    (request,) = found.plots
    return found, request


def _legend(axes) -> list[str]:
    return [text.get_text() for text in axes.get_legend().get_texts()]


def _without_plot_data(report):
    """The report with its plot requests stripped of their arrays."""
    findings = [
        dataclasses.replace(f, plots=tuple(dataclasses.replace(p, data=None) for p in f.plots)) for f in report.findings
    ]
    return dataclasses.replace(report, findings=findings)


def test_khat_plot_draws_the_flagged_observations_above_the_threshold_line_named(draw):
    report = _report("outliers", ("FIT201",))
    finding, request = _only(report, "FIT201")
    assert (request.kind, request.variables) == ("khat", ("y",))
    (axes,) = draw(request, finding, report).axes
    flagged = finding.evidence["observations"]
    below, above = (points.get_offsets() for points in axes.collections)
    assert len(below) + len(above) == 150
    assert len(above) == len(flagged) == 3 and (above[:, 1] > 0.7).all() and (below[:, 1] <= 0.7).all()
    assert sorted(np.round(above[:, 1], 3)) == sorted(o["k"] for o in flagged)
    thresholds = [line for line in axes.get_lines() if set(line.get_ydata()) == {0.7}]
    assert len(thresholds) == 1
    assert [text.get_text() for text in axes.texts] == [o["label"] for o in flagged]
    assert _legend(axes) == ["k̂", "k̂ > 0.7 (3)", "threshold 0.7"]
    assert axes.get_title() == "Pareto k̂ per observation: y" and axes.get_ylabel() == "Pareto k̂"


def test_ppc_plot_draws_the_data_over_fifty_seeded_replicates(draw):
    report = _report("overdispersed", ("FIT101",))
    finding, request = _only(report, "FIT101")
    assert (request.kind, request.variables) == ("ppc", ("y",))
    observed, replicates = request.data["observed"], request.data["replicates"]
    assert replicates.shape == (50, observed.size)
    again = check(load("fit_overdispersed"), select=["FIT101"]).findings[0].plots[0].data["replicates"]
    np.testing.assert_array_equal(again, replicates)  # seeded
    (axes,) = draw(request, finding, report).axes
    lines = axes.get_lines()
    assert len(lines) == 51
    assert _legend(axes) == ["replicated (50 draws)", "observed"]
    # the data's line: the share of each count; overdispersed counts spread wider than the replicates'
    data_line = lines[-1]
    assert data_line.get_ydata().sum() == pytest.approx(1)
    assert data_line.get_xdata()[data_line.get_ydata() > 0].max() == observed.max() > replicates.max(axis=1).mean()


def test_loo_pit_plot_draws_the_ecdf_leaving_its_band(draw):
    report = _report("overdispersed", ("FIT301",))
    finding, request = _only(report, "FIT301")
    assert request.kind == "loo_pit"
    (axes,) = draw(request, finding, report).axes
    assert _legend(axes) == ["99% band", "LOO-PIT ECDF"]
    assert axes.get_xlabel() == "PIT value" and axes.get_ylabel() == "ECDF minus uniform"
    (band,) = axes.collections
    curve = next(line for line in axes.get_lines() if line.get_label() == "LOO-PIT ECDF")
    data = request.data
    heights = band.get_paths()[0].vertices[:, 1]
    assert heights.min() == pytest.approx((data["low"] - data["points"]).min())
    assert heights.max() == pytest.approx((data["high"] - data["points"]).max())
    np.testing.assert_allclose(curve.get_ydata(), data["ecdf"] - data["points"])
    outside = (data["ecdf"] < data["low"]) | (data["ecdf"] > data["high"])
    assert outside.mean() == pytest.approx(finding.evidence["share_outside"], abs=1e-4) and outside.any()
    # too narrow: the ECDF above the diagonal first, then below
    assert curve.get_ydata()[:10].mean() > 0 > curve.get_ydata()[-10:].mean()


@pytest.mark.parametrize(
    ("name", "codes"), [("outliers", ("FIT201",)), ("overdispersed", ("FIT101",)), ("overdispersed", ("FIT301",))]
)
def test_the_html_report_embeds_each_fit_plot(name, codes):
    report = _report(name, codes)
    with_data, without = render_html(report), render_html(_without_plot_data(report))
    assert with_data.count("<img") == without.count("<img") + 1
    assert with_data.count('src="data:image/png;base64,') == 1


def test_a_healthy_fit_draws_no_fit_plot():
    report = _report("regression", ("FIT",))
    assert report.findings == [] and "FIT101" in report.checks_run
    assert "<img" not in render_html(report)


def test_the_json_and_markdown_carry_no_plot_data():
    report = _report("outliers", ("FIT201", "FIT301"))
    assert all(p.data for f in report.findings for p in f.plots)
    content = json.loads(render_json(report))
    plots = [plot for finding in content["findings"] for plot in finding["plots"]]
    assert [sorted(plot) for plot in plots] == [["kind", "title", "variables"]] * 2
    assert render_json(report) == render_json(_without_plot_data(report))
    assert render_markdown(report) == render_markdown(_without_plot_data(report))


def test_continuous_data_are_drawn_as_densities(draw):
    report = _report("outliers", ("FIT101",))
    finding, request = _only(report, "FIT101")
    (axes,) = draw(request, finding, report).axes
    assert axes.get_ylabel() == "density" and len(axes.get_lines()) == 51
    assert _legend(axes) == ["replicated (50 draws)", "observed"]
