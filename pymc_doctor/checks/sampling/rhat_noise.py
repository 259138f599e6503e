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
"""

from __future__ import annotations

import numpy as np
from scipy import special

from pymc_doctor.diagnostics import diagnostics_of
from pymc_doctor.engine.ranks import flat_argsort, z_scores
from pymc_doctor.trace import TraceView


def _z_ranks(values: np.ndarray) -> np.ndarray:
    """Rank-normalized (element, draws) values, as in ArviZ (fractional offset 3/8), by the engine's
    ranks: ``scipy.stats`` is not loaded to check a trace."""
    rows = np.ascontiguousarray(values, dtype=float)
    order = flat_argsort(rows, kind="stable")
    return z_scores(order, np.take(rows, order), np.empty_like(rows))


def _split(values: np.ndarray) -> np.ndarray:
    """(chain, draw, element) draws as (element, split chain, draw): each chain cut in two halves."""
    half = values.shape[1] // 2
    halves = np.concatenate([values[:, :half], values[:, values.shape[1] - half :]], axis=0)
    return np.moveaxis(halves, 2, 0)


def _within_tau(chains: np.ndarray) -> np.ndarray:
    """Integrated autocorrelation time per element of (element, chain, draw) series, each chain
    centred on its own mean, autocovariances averaged over chains, truncated by Geyer's initial
    monotone positive sequence (as ArviZ's ESS, but without the between-chain variance)."""
    n = chains.shape[-1]
    centred = chains - chains.mean(axis=-1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=2 * n, axis=-1)
    autocovariance = np.fft.irfft(spectrum * np.conj(spectrum), axis=-1)[..., :n].mean(axis=1) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = autocovariance / autocovariance[:, :1]
    pairs = rho[:, : 2 * (n // 2)].reshape(len(rho), -1, 2).sum(axis=-1)
    positive = np.cumprod(pairs > 0, axis=-1).astype(bool)
    monotone = np.minimum.accumulate(np.where(positive, pairs, np.inf), axis=-1)
    tau = -1.0 + 2.0 * np.where(positive, monotone, 0.0).sum(axis=-1)
    # Centring on each chain's own mean lowers every autocovariance by about the variance of that
    # mean, tau / n of the variance: over the 2 * pairs lags summed, the estimate falls short by
    # about (2 * pairs + tau) / n of itself.
    shortfall = (2.0 * positive.sum(axis=-1) + tau) / n
    tau = tau / np.maximum(1.0 - shortfall, 0.5)
    return np.maximum(tau, 1.0 / np.log10(max(n * chains.shape[1], 10))), 4.0 * positive.sum(axis=-1)


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
    chances = np.ones(len(rows))
    if trace.draws < 4:
        return chances
    diagnostics = diagnostics_of(trace)
    variables = diagnostics.table["variable"].to_numpy()[rows]
    for name in dict.fromkeys(variables):
        wanted = np.flatnonzero(variables == name)
        positions = rows[wanted] - diagnostics.rows_of(str(name)).start
        for _, start, stop in trace.element_blocks([str(name)]):
            inside = (positions >= start) & (positions < stop)
            if inside.any():
                values = trace.draws_of(str(name), (start, stop))[:, :, positions[inside] - start]
                chances[wanted[inside]] = _chance_above(values, rhat[wanted[inside]])
    return chances


def _chance_above(values: np.ndarray, observed: np.ndarray) -> list[float]:
    """For (chain, draw, element) draws, the chance of each element's R-hat ``observed`` or above."""
    chains, draws, size = values.shape
    m, n = 2 * chains, draws // 2
    pooled = np.moveaxis(values, 2, 0).reshape(size, -1)
    distance = np.abs(pooled - np.median(pooled, axis=-1, keepdims=True))
    below = np.ones(size)
    for transformed in (pooled, distance):
        ranks = np.moveaxis(_z_ranks(transformed).reshape(size, chains, draws), 0, 2)
        tau, window = _within_tau(_split(ranks))
        below *= np.where(np.isfinite(tau), _chance_below(observed, tau, window, m, n), 1.0)
    return [float(1.0 - b) for b in below]
