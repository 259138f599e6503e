"""Power-scaling sensitivity of the posterior to the prior and to the likelihood (Kallioinen, Paananen,
Bürkner and Vehtari 2024, as priorsense computes it).

Raising the prior (or the likelihood) to a power alpha near 1 reweights the posterior draws by
``(alpha - 1) * log prior``; Pareto smoothing stabilizes the weights. The cumulative Jensen-Shannon
distance (CJS) between each parameter's draws and its reweighted draws, per unit of log2(alpha), says
how much its posterior moves. The numbers are those of ArviZ 1.x's ``arviz_stats.psense`` (alphas
0.99 and 1.01, PSIS with r_eff from the tail ESS), written here once for both ArviZ lines (ArviZ 0.x's
``psens`` smooths differently) and vectorized over the parameters: one sort per parameter element.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft
from scipy.special import logsumexp

ALPHAS = (0.99, 1.01)
# Parameter elements x draws handled at once: the sorted draws and their weights stay a few tens of MB.
BLOCK_VALUES = 1_000_000


def _ess(chains: np.ndarray) -> float:
    """Relative effective sample size of (chain, draw) values: Geyer's initial monotone sequence, as ArviZ."""
    chains = np.asarray(chains, dtype=np.float64)
    if chains.max() - chains.min() < np.finfo(float).resolution:
        return float(chains.size)  # as ArviZ, which returns the count here even when asked for a relative ESS
    n_chain, n_draw = chains.shape
    size = next_fast_len(2 * n_draw)
    centred = chains - chains.mean(axis=1, keepdims=True)
    spectrum = rfft(centred, n=size, axis=1)
    acov = irfft(spectrum * np.conjugate(spectrum), n=size, axis=1)[:, :n_draw] / n_draw
    mean_var = np.mean(acov[:, 0]) * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw + (np.var(chains.mean(axis=1), ddof=1) if n_chain > 1 else 0.0)
    rho = np.zeros(n_draw)
    rho[0], even, odd = 1.0, 1.0, 1.0 - (mean_var - np.mean(acov[:, 1])) / var_plus
    rho[1] = odd
    t = 1
    while t < n_draw - 3 and even + odd > 0.0:
        even = 1.0 - (mean_var - np.mean(acov[:, t + 1])) / var_plus
        odd = 1.0 - (mean_var - np.mean(acov[:, t + 2])) / var_plus
        if even + odd >= 0:
            rho[t + 1], rho[t + 2] = even, odd
        t += 2
    last = t - 2
    if even > 0:
        rho[last + 1] = even
    for t in range(1, last - 1, 2):  # the sequence made monotone
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
    tau = -1.0 + 2.0 * np.sum(rho[: last + 1]) + np.sum(rho[last + 1 : last + 2])
    tau = max(tau, 1 / np.log10(n_chain * n_draw))
    return float("nan") if np.isnan(rho).any() else 1 / tau


def relative_tail_ess(values: np.ndarray) -> float:
    """ArviZ's relative tail ESS (quantiles 0.05 and 0.95) of the draws in ``values`` read as one chain."""
    values = np.ravel(values)
    if values.size < 4 or not np.isfinite(values).all():
        return float("nan")
    half = values.size // 2
    found = []
    for prob in (0.05, 0.95):
        below = (values <= np.quantile(values, prob)).astype(np.float64)
        found.append(_ess(np.vstack((below[:half], below[-half:]))))
    return min(found)


def _gpdfit(tail: np.ndarray) -> tuple[float, float]:
    """Shape and scale of the generalized Pareto of the sorted exceedances ``tail`` (Zhang and Stephens, with
    the weak prior on the shape of Vehtari et al. 2024), as ArviZ fits them."""
    n = tail.size
    m_est = 30 + int(n**0.5)
    quartile = tail[int((n / 4 + 0.5) - 1)]
    if quartile <= tail[0]:
        return float("nan"), float("nan")
    b = (1 - np.sqrt(m_est / (np.arange(1, m_est + 1, dtype=float) - 0.5))) / (3 * quartile) + 1 / tail[-1]
    k = np.mean(np.log1p(-b[:, None] * tail), axis=1)
    scaled = n * (np.log(-b / k) - k - 1)
    weights = np.exp(scaled - logsumexp(scaled))
    keep = weights >= 10 * np.finfo(float).eps
    b, weights = b[keep], weights[keep] / weights[keep].sum()
    b_post = np.sum(b * weights)
    kappa = np.mean(np.log1p(-b_post * tail))
    sigma = -kappa / b_post
    kappa = (n * kappa + 10 * 0.5) / (n + 10)
    return (float("inf"), float("nan")) if np.isnan(kappa) else (float(kappa), float(sigma))


def tail_count(draws: int, r_eff: float) -> int:
    """How many of the largest weights PSIS smooths, as ArviZ's ``_get_ps_tails`` for both tails."""
    count = np.floor(3 * (draws / r_eff) ** 0.5) if draws * r_eff > 225 else np.floor(draws / 5)
    return int(max(5, min(count, draws // 2)))


def power_scaled_log_weights(log_component: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Normalized Pareto-smoothed log weights that power-scale a component (log prior or log likelihood,
    summed per draw; flattened (chain, draw)) by ``alpha``, and the Pareto k̂ of the raw weights."""
    log_component = np.ravel(np.asarray(log_component, dtype=np.float64))
    log_weights = (alpha - 1) * log_component
    log_weights = log_weights - log_weights.max()
    n = log_weights.size
    count = tail_count(n, relative_tail_ess(log_component))
    order = np.argsort(log_weights)
    tail = order[n - count :]
    largest, cutoff = log_weights[tail], log_weights[order[n - count - 1]]
    khat = float("nan")
    if largest.max() - largest.min() >= np.finfo(float).tiny:  # equal weights (a flat component) need no smoothing
        khat, sigma = _gpdfit(np.exp(largest) - np.exp(cutoff))
        if np.isfinite(khat) and sigma > 0:
            probs = np.arange(0.5, count) / count
            quantiles = np.exp(cutoff) + sigma * (
                -np.log1p(-probs) if khat == 0 else np.expm1(-khat * np.log1p(-probs)) / khat
            )
            log_weights[tail] = np.minimum(np.log(quantiles), largest.max())
    return log_weights - logsumexp(log_weights), khat


def cjs_distances(ordered: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The cumulative Jensen-Shannon distance between the draws of each row of ``ordered`` (element, draw;
    each row sorted) and the same draws weighted by ``weights`` (element, draw; each row normalized and in
    the same order), the larger of those for the draws and for their negatives, as ArviZ's ``_cjs_dist``."""
    width = np.diff(ordered, axis=1)
    return np.maximum(
        _cjs(width, np.cumsum(weights, axis=1)), _cjs(width[:, ::-1], np.cumsum(weights[:, ::-1], axis=1))
    )


def _cjs(width: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
    """The CJS distance of rows of sorted draws, given by their gaps ``width``, between their ECDF and the
    weighted ECDF whose running sums are ``cumulative``."""
    size = cumulative.shape[1]
    cdf_p = np.linspace(1 / size, 1 - 1 / size, size - 1)
    cdf_q = cumulative[:, :-1]
    p_int, q_int = width @ cdf_p, np.einsum("ij,ij->i", width, cdf_q)
    log_q = np.log2(cdf_q, out=np.zeros_like(cdf_q), where=cdf_q > 0)
    log_m = np.log2(0.5 * (cdf_p + cdf_q))  # never 0: cdf_p > 0
    log_m *= width
    pq = width @ (cdf_p * np.log2(cdf_p)) - log_m @ cdf_p + 0.5 / np.log(2) * (q_int - p_int)
    log_q *= width
    qp = np.einsum("ij,ij->i", cdf_q, log_q - log_m) + 0.5 / np.log(2) * (p_int - q_int)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((np.maximum(pq, 0) + np.maximum(qp, 0)) / (p_int + q_int))


def scaling_weights(
    log_components: dict[str, np.ndarray], alphas: tuple[float, float] = ALPHAS
) -> dict[str, tuple[list[np.ndarray], float]]:
    """Per component (prior, likelihood) whose summed log density per draw is given (draw,): its normalized
    power-scaling weights for each alpha, and the largest Pareto k̂ of their raw weights."""
    found = {}
    for name, log_density in log_components.items():
        scaled = [power_scaled_log_weights(log_density, alpha) for alpha in alphas]
        found[name] = ([np.exp(log_weights) for log_weights, _ in scaled], max(khat for _, khat in scaled))
    return found


def sensitivity(
    draws: np.ndarray, weights: dict[str, tuple[list[np.ndarray], float]], alphas: tuple[float, float] = ALPHAS
) -> dict[str, np.ndarray]:
    """Power-scaling sensitivity of each column of ``draws`` (draw, element) to each component of
    ``weights`` (``scaling_weights``): the CJS distance per unit of log2(alpha), averaged over scaling down
    and up."""
    size = len(next(iter(weights.values()))[0][0])
    draws = np.asarray(draws, dtype=np.float64).reshape(size, -1)
    found = {name: np.empty(draws.shape[1]) for name in weights}
    step = max(1, BLOCK_VALUES // size)
    for start in range(0, draws.shape[1], step):
        block = slice(start, start + step)
        order = np.argsort(draws[:, block].T, axis=1)  # one sort per element serves every weighting
        ordered = np.take_along_axis(draws[:, block].T, order, axis=1)
        for name, (pair, _) in weights.items():
            gradients = [
                cjs_distances(ordered, weight[order] / weight.sum()) / abs(np.log2(alpha))
                for alpha, weight in zip(alphas, pair, strict=True)
            ]
            found[name][block] = (gradients[0] + gradients[1]) / 2
    return found
