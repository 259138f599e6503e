"""The plots: those that show a diagnosis' cause (a funnel, modes, a ridge), drawn over the elements
the diagnosis and the finding name, and laid out so that no title covers another panel's ticks."""

from __future__ import annotations

import re

import matplotlib
import pytest

from pymc_doctor.finding import PlotRequest
from pymc_doctor.reports.html import render_html
from tests.diagnoses.common import checked


def _diagnosis(name, code):
    (found,) = [d for d in checked(name).diagnoses if d.code == code]
    return found


def _texts(figure) -> list[str]:
    """Every piece of text a figure shows: titles, axis labels, tick labels, legends."""
    return [text.get_text() for text in figure.findobj(matplotlib.text.Text) if text.get_visible()]


def _legend(axes) -> list[str]:
    legend = axes.get_legend()
    assert legend is not None, "no legend"
    return [text.get_text() for text in legend.get_texts()]


def test_the_funnel_diagnosis_draws_the_group_over_the_log_of_its_scale(draw):
    report = checked("centered_eight")
    funnel = _diagnosis("centered_eight", "DX101")
    (request,) = funnel.plots
    assert (request.kind, request.variables) == ("funnel", ("tau", "theta"))
    assert set(request.variables) <= set(funnel.variables)
    (axes,) = draw(request, funnel, report).axes
    assert axes.get_xscale() == "log"
    assert axes.get_xlabel().startswith("tau") and axes.get_ylabel().startswith("theta (every element)")
    assert _legend(axes) == ["not divergent", f"divergent ({funnel.evidence['divergences']})"]
    # every element of theta (8 schools) over tau, at every draw
    drawn = sum(len(points.get_offsets()) for points in axes.collections)
    assert drawn == 8 * report.trace.chains * report.trace.draws


def test_the_divergence_plot_draws_the_element_the_finding_names_on_a_log_axis_with_a_legend(draw):
    report = checked("centered_eight")
    (divergences,) = [f for f in report.findings if f.code == "SMP101"]
    (request,) = divergences.plots
    assert request.variables[0] == divergences.variables[0] == "tau"
    figure = draw(request, divergences, report)
    (axes,) = figure.axes
    assert axes.get_xscale() == "log"
    assert f"divergent ({divergences.evidence['divergences']})" in _legend(axes)
    # the finding names `tau` and the group `theta`, no one school: the plot shows none either
    assert "theta" in divergences.message and "Choate" not in divergences.message
    assert not [text for text in _texts(figure) if "Choate" in text]


@pytest.mark.parametrize(("name", "code"), [("bimodal", "DX201"), ("label_switching", "DX202")])
def test_modes_are_drawn_as_each_chains_density_of_the_elements_named(draw, name, code):
    report = checked(name)
    modes = _diagnosis(name, code)
    (request,) = modes.plots
    assert request.kind == "densities"
    named = {label.split("[", 1)[0] for label in modes.variables}
    assert request.variables and {label.split("[", 1)[0] for label in request.variables} <= named
    if code == "DX201":
        assert request.variables == (modes.evidence["modes"][0]["label"],)
        assert f"`{request.variables[0]}`" in modes.cause
    figure = draw(request, modes, report)
    assert [axes.get_title() for axes in figure.axes] == list(request.variables)
    for axes in figure.axes:
        assert len(axes.get_lines()) == report.trace.chains
    assert _legend(figure.axes[0]) == [f"chain {chain}" for chain in range(report.trace.chains)]
    # chains in separate modes: the chains' densities peak apart
    axes = figure.axes[0]
    peaks = [line.get_xdata()[line.get_ydata().argmax()] for line in axes.get_lines()]
    assert max(peaks) - min(peaks) > 5


def test_the_ridge_is_a_pair_plot_of_the_two_correlated_parameters(draw):
    report = checked("nonidentified")
    ridge = _diagnosis("nonidentified", "DX102")
    (request,) = ridge.plots
    assert request.kind == "pair"
    assert tuple(ridge.evidence["correlations"][0]["pair"]) == request.variables
    assert set(request.variables) == {"a", "b"} <= set(ridge.variables)
    (axes,) = draw(request, ridge, report).axes
    assert (axes.get_xscale(), axes.get_yscale()) == ("linear", "linear")  # a ridge stays a straight line
    assert (axes.get_xlabel(), axes.get_ylabel()) == request.variables
    assert "not divergent" in _legend(axes)


def _overlaps(figure) -> list[tuple[str, str]]:
    """Titles whose drawn box meets a tick label of another panel."""
    renderer = figure.canvas.get_renderer()
    found = []
    for axes in figure.axes:
        title = axes.title
        if not title.get_text():
            continue
        box = title.get_window_extent(renderer)
        for other in figure.axes:
            labels = [] if other is axes else [*other.get_xticklabels(), *other.get_yticklabels()]
            found += [
                (title.get_text(), label.get_text())
                for label in labels
                if label.get_visible() and label.get_text() and box.overlaps(label.get_window_extent(renderer))
            ]
    return found


def test_trace_plot_titles_clear_the_tick_labels_of_the_panel_above(draw):
    report = checked("centered_eight")
    figure = draw(PlotRequest("trace", ("tau", "theta[Choate]", "mu")), None, report)
    assert [axes.get_title() for axes in figure.axes if axes.get_title()]
    assert _overlaps(figure) == []


def test_the_html_report_draws_each_diagnosis_plot_under_its_diagnosis():
    html = render_html(checked("centered_eight"))
    start = html.index("Diagnosis <code>DX101</code>")
    diagnosis = html[start : html.index("Treatment plan, in order")]
    assert re.search(r'<img class="plot" src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="The funnel', diagnosis)
    assert "Plot unavailable" not in html
