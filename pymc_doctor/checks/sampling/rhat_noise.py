"""How far above 1 healthy chains put R-hat, at an element's ESS and with many elements tested.

Split R-hat squared is ``(n - 1) / n + B / (n W)`` for ``m`` split chains of ``n`` draws. When every
chain samples the same stationary distribution, the variance of a split chain's mean is
``sigma^2 tau / n`` (``tau`` the integrated autocorrelation time), so

    T = (R-hat^2 - (n - 1) / n) * ESS_within / m  ~  F(m - 1, ESS_within - m),

with ``ESS_within = m n / tau``. ``tau`` is measured within each split chain around its own mean:
ArviZ's ESS also counts the variance between chains, so shifted chains lower it, and a null
scaled by it would excuse the very shift it is meant to find. Rank-normalized R-hat is the larger
of the bulk (ranks) and folded (ranks of distance from the median) R-hat, each with its own
``tau``; the chance that healthy chains give an R-hat at least as large is one minus the product
of the two chances of staying below it.

The engine computes ``tau`` (before the correction for centring below) with the diagnostics, from
the ranks R-hat itself is computed from (``engine.WITHIN``), so testing an element costs nothing more.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from pymc_doctor.diagnostics import diagnostics_of
from pymc_doctor.trace import TraceView


def _corrected_tau(tau: np.ndarray, lags: np.ndarray, m: int, n: int) -> np.ndarray:
    """The engine's within-chain ``tau`` of split chains of ``n`` draws, corrected for centring."""
    # Centring on each chain's own mean lowers every autocovariance by about the variance of that
    # mean, tau / n of the variance: over the lags summed, the estimate falls short by about
    # (lags + tau) / n of itself.
    shortfall = (lags + tau) / n
    tau = tau / np.maximum(1.0 - shortfall, 0.5)
    return np.maximum(tau, 1.0 / np.log10(max(n * m, 10)))


def _chance_below(rhat: np.ndarray, tau: np.ndarray, window: np.ndarray, m: int, n: int) -> np.ndarray:
    """The chance that healthy split chains give an R-hat (bulk or folded) below ``rhat``."""
    ess = m * n / tau
    statistic = (rhat**2 - (n - 1) / n) * ess / m
    # The F distribution's CDF (scipy.special's, as scipy.stats.f.cdf), zero below zero.
    return special.fdtr(m - 1, np.maximum(m * n / np.maximum(window, 1.0), 1.0), np.maximum(statistic, 0.0))


def healthy_chance(trace: TraceView, rows: np.ndarray, rhat: np.ndarray) -> np.ndarray:
    """For each element at position ``rows`` of the trace's diagnostics table, with R-hat ``rhat``,
    the chance that chains sampling one stationary distribution give an R-hat at least as large, at
    the element's own mixing. Positions, not labels: a trace's coordinates may repeat."""
    if trace.draws < 4:
        return np.ones(len(rows))
    within = diagnostics_of(trace).within
    m, n = 2 * trace.chains, trace.draws // 2
    below = np.ones(len(rows))
    for ranks in ("bulk", "folded"):
        lags = within[f"within_lags_{ranks}"][rows]
        tau = _corrected_tau(within[f"within_tau_{ranks}"][rows], lags, m, n)
        # The autocorrelation window: the lags summed, on both sides of lag 0.
        below *= np.where(np.isfinite(tau), _chance_below(rhat, tau, 2.0 * lags, m, n), 1.0)
    return 1.0 - below
