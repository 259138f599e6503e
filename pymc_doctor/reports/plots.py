"""Plots for flagged findings and diagnoses, drawn with matplotlib (ArviZ for the standard ones), as data URIs.

The caller's matplotlib backend is left as it is (a notebook's inline one included): figures are
closed after saving, never shown.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

import numpy as np

from pymc_doctor import compat
from pymc_doctor.finding import PlotRequest
from pymc_doctor.quiet import quiet
from pymc_doctor.reports.safety import short, visible

if TYPE_CHECKING:
    from pymc_doctor.trace import TraceView

DPI = 72
# Longest label drawn: matplotlib lays out every character of every tick and title it draws.
LABEL_CAP = 40
# Most panels of per-chain densities in one figure, and most elements of a group drawn over its scale.
MAX_PANELS = 4
MAX_ELEMENTS = 50
DIVERGENT, OTHER = "#d62728", "#7f7f7f"
# The fit rules' plots, drawn from the arrays their requests carry: a report keeps no replicates, PIT values or k̂.
FIT_TITLES = {"ppc": "Posterior predictive check", "loo_pit": "LOO-PIT ECDF", "khat": "Pareto k̂ per observation"}
FIT_KINDS = tuple(FIT_TITLES)
MAX_COUNTS = 200
# They mark the data, and the observations over the threshold, in the divergent draws' red.
MARKED = DIVERGENT


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


def _prior_predictive_figure(item: Any):
    """The prior predictive intervals against the observed range, from the finding's evidence.

    A report keeps no prior predictive draws (they can be large), so this is drawn from the
    intervals the check measured rather than by ArviZ from draws.
    """
    import matplotlib.pyplot as plt

    evidence = item.evidence
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
    axes.set_xlabel(plot_label(item.variables[0]) if item.variables else "")
    return figure


def _values(trace: TraceView, name: str) -> np.ndarray:
    """The draws of a variable (its first ``MAX_ELEMENTS`` elements) or of one element, as (chain, draw, element)."""
    if name in trace.posterior.data_vars:
        size = int(np.prod([trace.posterior[name].sizes[dim] for dim in trace.dims_of(name)]))
        return trace.draws_of(name, (0, min(size, MAX_ELEMENTS)))
    return trace.elements([name])[name].values.astype(float)[:, :, None]


def _positive(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return finite.size > 0 and bool((finite > 0).all())


def _scatter_figure(request: PlotRequest, trace: TraceView):
    """The draws of the second variable over the first, divergent ones apart, with a legend.

    A ``funnel`` draws every element of the second variable (a group) over its scale, on a log axis
    when the scale is positive: on a linear one the neck, at small values, is squeezed against the
    axis. A ``pair`` draws two elements on linear axes, where a ridge stays a straight line.
    """
    import matplotlib.pyplot as plt

    first, second = request.variables[:2]
    y = _values(trace, second)
    x = np.broadcast_to(_values(trace, first), y.shape)
    diverging = trace.stat("diverging")
    divergent = np.zeros(y.shape, bool) if diverging is None else np.broadcast_to(diverging[..., None] > 0, y.shape)
    figure, axes = plt.subplots(figsize=(5.5, 4), layout="constrained")
    axes.scatter(x[~divergent], y[~divergent], s=6, alpha=0.35, color=OTHER, linewidths=0, label="not divergent")
    if diverging is not None:
        count = int((diverging > 0).sum())
        axes.scatter(x[divergent], y[divergent], s=14, color=DIVERGENT, linewidths=0, label=f"divergent ({count})")
    if request.kind == "funnel" and _positive(x):
        axes.set_xscale("log")
    axes.set_xlabel(plot_label(first) + (" (log axis)" if axes.get_xscale() == "log" else ""))
    size = trace.posterior[second].size // (trace.chains * trace.draws) if second in trace.posterior else 1
    every = (
        "" if size == 1 else " (every element)" if size == y.shape[2] else f" (first {y.shape[2]} of {size} elements)"
    )
    axes.set_ylabel(plot_label(second) + every)
    axes.legend(loc="best", fontsize=8, markerscale=2)
    return figure


def _density(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A Gaussian kernel density with Scott's bandwidth: enough to show where a chain sits."""
    spread = values.std()
    if not np.isfinite(spread) or spread == 0:
        return np.zeros_like(grid)
    width = 1.06 * spread * values.size ** (-1 / 5)
    z = (grid[:, None] - values[None, :]) / width
    return np.exp(-0.5 * z * z).sum(axis=1) / (values.size * width * np.sqrt(2 * np.pi))


def _densities_figure(request: PlotRequest, trace: TraceView):
    """Each chain's density of each element: chains in separate modes sit apart."""
    import matplotlib.pyplot as plt

    labels = request.variables[:MAX_PANELS]
    draws = trace.elements(labels)
    figure, panels = plt.subplots(len(labels), 1, figsize=(6, 1.9 * len(labels)), layout="constrained", squeeze=False)
    for axes, label in zip(panels[:, 0], labels, strict=True):
        values = draws[label].transpose("chain", "draw").values.astype(float)
        finite = values[np.isfinite(values)]
        grid = np.linspace(finite.min(), finite.max(), 200) if finite.size else np.zeros(1)
        for chain, chain_values in enumerate(values):
            chain_values = chain_values[np.isfinite(chain_values)]
            axes.plot(grid, _density(chain_values, grid), label=f"chain {chain}")
        axes.set_title(plot_label(label), fontsize=10)
        axes.set_yticks([])
    panels[0, 0].legend(loc="best", fontsize=8)
    return figure


def _counts_lines(axes: Any, observed: np.ndarray, replicates: np.ndarray) -> None:
    """Counts: the share of each value, per replicated dataset and for the data, as steps."""
    low = int(min(observed.min(), replicates.min()))
    values = np.arange(low, int(max(observed.max(), replicates.max())) + 1)
    for row, replicate in enumerate(replicates):
        share = np.bincount(replicate.astype(np.int64) - low, minlength=values.size) / replicate.size
        axes.plot(values, share, drawstyle="steps-mid", color=OTHER, alpha=0.3, linewidth=0.8, **_first(row))
    share = np.bincount(observed.astype(np.int64) - low, minlength=values.size) / observed.size
    axes.plot(values, share, drawstyle="steps-mid", color=MARKED, linewidth=2, label="observed")
    axes.set_ylabel("share of observations")


def _first(row: int) -> dict[str, str]:
    """The legend label, on the first replicate's line only."""
    return {"label": "replicated"} if row == 0 else {}


def _density_lines(axes: Any, observed: np.ndarray, replicates: np.ndarray) -> None:
    """Continuous data: the density of each replicated dataset and of the data."""
    finite = np.concatenate([observed, replicates.ravel()])
    finite = finite[np.isfinite(finite)]
    grid = np.linspace(finite.min(), finite.max(), 200)
    for row, replicate in enumerate(replicates):
        replicate = replicate[np.isfinite(replicate)]
        axes.plot(grid, _density(replicate, grid), color=OTHER, alpha=0.3, linewidth=0.8, **_first(row))
    axes.plot(grid, _density(observed, grid), color=MARKED, linewidth=2, label="observed")
    axes.set_ylabel("density")
    axes.set_yticks([])


def _ppc_figure(request: PlotRequest, data: dict[str, np.ndarray]):
    """The data's distribution over those of replicated datasets: where it leaves them, the model misses."""
    import matplotlib.pyplot as plt

    observed = np.asarray(data["observed"], dtype=np.float64)
    replicates = np.asarray(data["replicates"], dtype=np.float64)
    figure, axes = plt.subplots(figsize=(6, 3.5), layout="constrained")
    values = np.concatenate([observed, replicates.ravel()])
    # Counts over a few hundred values are drawn as shares of each; wider ones, as densities.
    counts = np.isfinite(values).all() and (values == np.round(values)).all() and np.ptp(values) <= MAX_COUNTS
    (_counts_lines if counts else _density_lines)(axes, observed, replicates)
    axes.set_xlabel(plot_label(request.variables[0]) if request.variables else "")
    handles, labels = axes.get_legend_handles_labels()
    labels = [f"replicated ({len(replicates)} draws)" if label == "replicated" else label for label in labels]
    axes.legend(handles, labels, loc="best", fontsize=8)
    return figure


def _loo_pit_figure(request: PlotRequest, data: dict[str, np.ndarray]):
    """The ECDF of the PIT values minus the uniform's, in the simultaneous band: leaving it is miscalibration."""
    import matplotlib.pyplot as plt

    points = np.asarray(data["points"], dtype=np.float64)
    figure, axes = plt.subplots(figsize=(6, 3.5), layout="constrained")
    prob = float(data["prob"])
    axes.fill_between(
        points, data["low"] - points, data["high"] - points, color="#9ecae1", alpha=0.6, label=f"{prob:.0%} band"
    )
    axes.plot(points, data["ecdf"] - points, color="#08519c", linewidth=1.5, label="LOO-PIT ECDF")
    axes.axhline(0, color=OTHER, linewidth=0.8)
    axes.set_xlabel("PIT value")
    axes.set_ylabel("ECDF minus uniform")
    axes.legend(loc="best", fontsize=8)
    return figure


def _khat_figure(request: PlotRequest, data: dict[str, np.ndarray]):
    """k̂ per observation against the threshold, the worst flagged ones named."""
    import matplotlib.pyplot as plt

    k = np.asarray(data["k"], dtype=np.float64)
    threshold = float(data["threshold"])
    high = k > threshold
    index = np.arange(k.size)
    figure, axes = plt.subplots(figsize=(6, 3.5), layout="constrained")
    axes.scatter(index[~high], k[~high], s=10, color=OTHER, linewidths=0, label="k̂")
    axes.scatter(index[high], k[high], s=18, color=MARKED, linewidths=0, label=f"k̂ > {threshold:g} ({high.sum()})")
    axes.axhline(threshold, color=MARKED, linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
    for position, label in zip(data["flagged"], data["labels"], strict=True):
        axes.annotate(
            plot_label(str(label)), (position, k[position]), xytext=(3, 3), textcoords="offset points", fontsize=7
        )
    axes.set_xlabel("observation")
    axes.set_ylabel("Pareto k̂")
    axes.legend(loc="best", fontsize=8)
    return figure


def _fit_figure(request: PlotRequest):
    """The figure of a fit rule's plot request; raises when the request carries no data."""
    if request.data is None:
        raise ValueError("the finding carries no data to draw from")
    draw = {"ppc": _ppc_figure, "loo_pit": _loo_pit_figure, "khat": _khat_figure}[request.kind]
    figure = draw(request, request.data)
    name = plot_label(request.variables[0]) if request.variables else ""
    figure.axes[0].set_title(f"{FIT_TITLES[request.kind]}: {name}" if name else FIT_TITLES[request.kind], fontsize=10)
    return figure


def _arviz_figure(request: PlotRequest, trace: TraceView):
    labels = request.variables or tuple(trace.element_labels(trace.variable_names()[0])[:1])
    figure = compat.plot_figure(request.kind, _labelled(trace.elements(labels)), trace.sample_stats)
    # ArviZ lays panels out on a fixed grid, where a title meets the tick labels of the panel above.
    figure.set_layout_engine("constrained")
    return figure


def plot_figure(request: PlotRequest, item: Any, trace: TraceView | None):
    """The matplotlib Figure of ``request``, made by ``item`` (a finding or a diagnosis, whose evidence
    some plots read); raises when it cannot be drawn. The caller closes it."""
    if request.kind == "prior_predictive":
        return _prior_predictive_figure(item)
    if request.kind in FIT_KINDS:
        return _fit_figure(request)
    if trace is None:
        raise ValueError("the report has no trace to draw from")
    if request.kind in ("pair", "funnel"):
        return _scatter_figure(request, trace)
    if request.kind == "densities":
        return _densities_figure(request, trace)
    return _arviz_figure(request, trace)


def plot_data_uri(request: PlotRequest, item: Any, trace: TraceView | None) -> str:
    """A PNG data URI; raises when the plot cannot be drawn (the renderer says so instead)."""
    import matplotlib.pyplot as plt

    with quiet("arviz", "matplotlib"):
        figure = plot_figure(request, item, trace)
        try:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        finally:
            plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
