"""Fixtures of the report tests."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pytest

from pymc_doctor.reports.plots import plot_figure

matplotlib.use("Agg")


@pytest.fixture
def draw():
    """Draw a plot request of a report's item; every figure drawn is closed after the test."""
    figures = []

    def draw(request, item, report):
        figure = plot_figure(request, item, report.trace)
        figure.canvas.draw()
        figures.append(figure)
        return figure

    yield draw
    for figure in figures:
        plt.close(figure)
