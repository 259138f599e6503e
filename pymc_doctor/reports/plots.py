"""Plots for flagged findings, drawn by ArviZ with matplotlib, as data URIs.

The caller's matplotlib backend is left as it is (a notebook's inline one included): figures are
closed after saving, never shown.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

from pymc_doctor import compat
from pymc_doctor.finding import Finding, PlotRequest
from pymc_doctor.quiet import quiet
from pymc_doctor.reports.safety import short, visible

if TYPE_CHECKING:
    from pymc_doctor.trace import TraceView

DPI = 72
# Longest label drawn: matplotlib lays out every character of every tick and title it draws.
LABEL_CAP = 40


def plot_label(label: str) -> str:
    """A label as drawn: short, printable, and never mathtext (a ``$`` in a name would start a formula)."""
    return visible(short(label, LABEL_CAP)).replace("$", r"\$")


def _labelled(dataset):
    """The dataset with its variables renamed to their plot labels, each one distinct."""
    names = {}
    for name in dataset.data_vars:
        label = plot_label(str(name))
        while label in names.values():
            label += "'"
        names[name] = label
    return dataset.rename(names)


def _prior_predictive_figure(finding: Finding):
    """The prior predictive intervals against the observed range, from the finding's evidence.

    A report keeps no prior predictive draws (they can be large), so this is drawn from the
    intervals the check measured rather than by ArviZ from draws.
    """
    import matplotlib.pyplot as plt

    evidence = finding.evidence
    figure, axes = plt.subplots(figsize=(6, 1.8))
    rows = [
        ("prior predictive 99.8%", evidence["prior_predictive_998"], "#9ecae1"),
        ("prior predictive 90%", evidence["prior_predictive_90"], "#3182bd"),
        ("observed data", evidence["observed_range"], "#e6550d"),
    ]
    for position, (label, (low, high), color) in enumerate(rows):
        axes.plot([low, high], [position, position], color=color, linewidth=8, solid_capstyle="butt")
        axes.annotate(label, (low, position), xytext=(0, 7), textcoords="offset points", fontsize=8)
    span = max(abs(v) for _, interval, _ in rows for v in interval)
    observed = evidence["observed_range"]
    if span > 100 * max(abs(observed[1] - observed[0]), 1e-12):
        axes.set_xscale("symlog", linthresh=max(abs(observed[1] - observed[0]), 1e-12))
    axes.set_yticks([])
    axes.set_ylim(-0.7, len(rows) - 0.2)
    axes.set_xlabel(plot_label(finding.variables[0]) if finding.variables else "")
    return figure


def plot_data_uri(request: PlotRequest, finding: Finding, trace: TraceView | None) -> str:
    """A PNG data URI; raises when the plot cannot be drawn (the renderer says so instead)."""
    import matplotlib.pyplot as plt

    with quiet("arviz", "matplotlib"):
        if request.kind == "prior_predictive":
            figure = _prior_predictive_figure(finding)
        else:
            if trace is None:
                raise ValueError("the report has no trace to draw from")
            labels = request.variables or tuple(trace.element_labels(trace.variable_names()[0])[:1])
            figure = compat.plot_figure(request.kind, _labelled(trace.elements(labels)), trace.sample_stats)
        try:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        finally:
            plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
