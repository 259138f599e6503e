"""Running one sampling rule on a trace, and small made-up traces for the branches the committed ones miss."""

from __future__ import annotations

from functools import cache

import numpy as np
import xarray as xr

from pymc_doctor.catalog import all_rules
from pymc_doctor.compat import trace_view
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from tests.support import load


def variable(values: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """A (chain, draw, ...) array as an xarray variable, its extra dimensions named after the array."""
    extra = tuple(f"dim_{axis}" for axis in range(values.ndim - 2))
    return (("chain", "draw", *extra), values)


def trace(posterior: dict[str, np.ndarray], stats: dict[str, np.ndarray] | None = None, **attrs) -> xr.DataTree:
    """A trace of ``posterior`` arrays and, when given, sampler statistics under PyMC's names."""
    groups = {"posterior": xr.Dataset({name: variable(values) for name, values in posterior.items()}, attrs=attrs)}
    if stats is not None:
        groups["sample_stats"] = xr.Dataset({name: (("chain", "draw"), values) for name, values in stats.items()})
    return xr.DataTree.from_dict(groups)


def nuts_stats(chains: int, draws: int, seed: int = 0, **stats: np.ndarray) -> dict[str, np.ndarray]:
    """PyMC NUTS statistics of a healthy run, with ``stats`` in place of the defaults."""
    rng = np.random.default_rng(seed)
    healthy = {
        "diverging": np.zeros((chains, draws), dtype=bool),
        "energy": rng.normal(size=(chains, draws)).cumsum(axis=1) * 0.1 + rng.normal(size=(chains, draws)),
        "step_size": np.full((chains, draws), 0.5),
        "tree_depth": np.full((chains, draws), 3),
        "reached_max_treedepth": np.zeros((chains, draws), dtype=bool),
        "acceptance_rate": np.full((chains, draws), 0.8),
    }
    return {**healthy, **stats}


def smc_stats(chains: int, draws: int) -> dict[str, np.ndarray]:
    """The statistics by which an SMC run is recognized."""
    return {"log_marginal_likelihood": np.zeros((chains, draws)), "beta": np.ones((chains, draws))}


def findings(code: str, data, *, model=None, **thresholds) -> list:
    """The findings of one rule on a trace (or a ``TraceView``), as the rule writes them (before any
    diagnosis rewrites their advice).

    Raises ``CannotCheck`` when the rule cannot answer on ``data``.
    """
    (rule,) = [r for r in all_rules(["SMP"]) if r.code == code]
    subject = Subject(trace=data if isinstance(data, TraceView) else trace_view(data), model=model)
    return list(rule.function(subject, **{**rule.params, **thresholds}))


@cache
def committed_view(name: str) -> TraceView:
    """A committed trace, read once: its diagnostics are computed once for all the tests."""
    return trace_view(load(name))


def committed(name: str, code: str, **thresholds) -> list:
    """The findings of one rule on a committed trace."""
    return findings(code, committed_view(name), **thresholds)


def arviz_per_element(data, statistic) -> dict[str, float]:
    """An ArviZ statistic (``oracle.rhat``, a lambda around ``oracle.ess``...) of every element, by label."""
    view = trace_view(data)
    names = view.variable_names()
    result = statistic(view.posterior[names])
    return {
        label: float(value)
        for name in names
        for label, value in zip(
            view.element_labels(name), np.asarray(result[name].transpose(*view.dims_of(name))).ravel(), strict=True
        )
    }
