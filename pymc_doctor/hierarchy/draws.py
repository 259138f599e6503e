"""A centered hierarchy read from the draws alone: ``group ~ Normal(location, scale)`` without the model.

In a centered hierarchy the spread of ``group``'s elements follows ``scale`` draw by draw, and the
mean of its elements follows ``location``. Rank correlations measure both; they are computed with
NumPy, since importing SciPy for them would be the largest import of ``pymc-doctor check``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pymc_doctor.trace import TraceView

# The rank correlation above which one quantity is taken to follow another.
MIN_CORRELATION = 0.5


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (``scipy.stats.rankdata``'s default)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_run = np.r_[True, ordered[1:] != ordered[:-1]]
    run = np.cumsum(starts_run) - 1
    starts = np.flatnonzero(starts_run)
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values))
    ranks[order] = ((starts + ends + 1) / 2)[run]
    return ranks


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two samples (as ``scipy.stats.spearmanr``); NaN when either holds
    a NaN or is constant."""
    if np.isnan(a).any() or np.isnan(b).any():
        return float("nan")
    a_ranks, b_ranks = average_ranks(a), average_ranks(b)
    a_ranks -= a_ranks.mean()
    b_ranks -= b_ranks.mean()
    scale = np.sqrt((a_ranks @ a_ranks) * (b_ranks @ b_ranks))
    return float(a_ranks @ b_ranks / scale) if scale > 0 else float("nan")


def spread_follower(trace: TraceView, scale: str) -> str | None:
    """The vector variable whose spread across its elements follows ``scale`` most closely, draw by draw.

    Ranks do not change under ``exp`` or ``log``, so ``scale`` may be a scale or a log-scale: the neck
    ``v`` of Neal's funnel, which takes negative values, is followed by the spread of ``x ~ Normal(0, exp(v/2))``.
    """
    driver = trace.draws_of(scale).reshape(-1)
    best, best_correlation = None, MIN_CORRELATION
    for name in trace.variable_names():
        values = trace.draws_of(name)
        if name == scale or values.shape[2] < 2:
            continue
        spread = np.log(values.reshape(-1, values.shape[2]).std(axis=1) + 1e-300)  # log(0) for a collapsed draw
        correlation = rank_correlation(driver, spread)
        if correlation > best_correlation:
            best, best_correlation = name, correlation
    return best


def mean_follower(trace: TraceView, group: str, scale: str) -> str | None:
    """The scalar variable (other than ``scale``) that the mean of ``group``'s elements follows most closely."""
    group_mean = trace.draws_of(group).reshape(trace.chains * trace.draws, -1).mean(axis=1)
    best, best_correlation = None, MIN_CORRELATION
    for name in trace.variable_names():
        values = trace.draws_of(name)
        if name in (scale, group) or values.shape[2] != 1:
            continue
        correlation = rank_correlation(values.reshape(-1), group_mean)
        if correlation > best_correlation:
            best, best_correlation = name, correlation
    return best


def centered_hierarchy(trace: TraceView, scale: str) -> tuple[str, str | None] | None:
    """``(group, location)`` of a ``group ~ Normal(location, scale)`` found in the draws (``location``
    None when no scalar follows the group's mean), or None when no variable's spread follows ``scale``."""
    group = spread_follower(trace, scale)
    if group is None:
        return None
    return group, mean_follower(trace, group, scale)
