"""Plots for flagged findings, drawn by ArviZ with matplotlib's non-interactive backend, as data URIs."""

from __future__ import annotations

import base64
import io

from pymc_doctor import compat
from pymc_doctor.finding import PlotRequest
from pymc_doctor.quiet import quiet
from pymc_doctor.trace import TraceView

DPI = 72


def plot_data_uri(request: PlotRequest, trace: TraceView) -> str:
    """A PNG data URI; raises when the plot cannot be drawn (the renderer says so instead)."""
    # The backend stays the caller's (a notebook's inline one included): figures are closed, never shown.
    import matplotlib.pyplot as plt

    labels = request.variables or tuple(trace.element_labels(trace.variable_names()[0])[:1])
    with quiet("arviz", "matplotlib"):
        figure = compat.plot_figure(request.kind, trace.elements(labels), trace.sample_stats)
        try:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        finally:
            plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
