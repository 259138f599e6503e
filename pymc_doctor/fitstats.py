"""The numbers that judge a model's fit: posterior predictive p-values of test statistics, and PSIS-LOO.

The draws they read come from the trace, or are drawn from the model on a copy (``fitdata``). LOO is
ArviZ's own (``loo``), on either ArviZ line.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from pymc_doctor import compat

STATISTICS = ("mean", "sd", "min", "max", "zeros", "skewness")
PIT_SEED = 20261202
# Uniform samples simulated to calibrate the simultaneous band, as ArviZ's "simulated" method.
BAND_TRIALS = 1000
# ECDF evaluation points in (0, 1): enough to see its shape, few enough to keep the band cheap.
BAND_POINTS = 100
# R loo's mcse_elpd: normal draws per observation whose log's variance is that of elpd_loo_i.
MCSE_NORMAL_DRAWS = 1000
MCSE_SEED = 20261202
# Observations whose normal draws are held at once (8 MB), so that 10,000 observations stay cheap in memory.
MCSE_CHUNK = 1000


def is_count(values: np.ndarray) -> bool:
    """Whether observations are counts: non-negative whole numbers."""
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return bool((values >= 0).all())
    finite = values[np.isfinite(values)]
    whole = finite.size == values.size and bool((finite >= 0).all() and (finite == np.round(finite)).all())
    return values.dtype.kind == "f" and whole


def test_statistics(values: np.ndarray, counts: bool) -> dict[str, np.ndarray]:
    """Each statistic over the last axis (the observations) of ``values``; the share of zeros only for counts.

    Skewness is the moment estimate; it is NaN where the standard deviation is 0.
    """
    values = np.asarray(values, dtype=np.float64)
    mean = values.mean(axis=-1)
    sd = values.std(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        skewness = ((values - mean[..., None]) ** 3).mean(axis=-1) / sd**3
    found = {"mean": mean, "sd": sd, "min": values.min(axis=-1), "max": values.max(axis=-1), "skewness": skewness}
    if counts:
        found["zeros"] = (values == 0).mean(axis=-1)
    return found


def predictive_pvalues(replicated: np.ndarray, observed: np.ndarray) -> dict[str, dict[str, float]]:
    """Per statistic T, the observed value, the replicated mean and the mid p-value
    P(T(y_rep) > T(y)) + P(T(y_rep) = T(y)) / 2.

    ``replicated`` is (draw, observation), ``observed`` (observation,). The mid p-value reads ties
    (every replicate of counts has minimum 0, as the data do) as 0.5, not as an extreme. A p-value
    near 0 means the data's T is larger than the model reproduces; near 1, smaller.
    """
    counts = is_count(observed)
    observed_t = test_statistics(observed, counts)
    replicated_t = test_statistics(replicated, counts)
    found = {}
    for name in STATISTICS:
        if name not in observed_t:
            continue
        value, draws = float(observed_t[name]), replicated_t[name]
        draws = draws[np.isfinite(draws)]
        if not np.isfinite(value) or draws.size == 0:
            continue
        pvalue = float((draws > value).mean() + 0.5 * (draws == value).mean())
        found[name] = {"observed": value, "replicated": float(draws.mean()), "p": pvalue}
    return found


def negative_binomial_zeros(mean: float, variance: float) -> float:
    """The share of zeros of the negative binomial (Poisson when not overdispersed) with this mean and variance.

    It tells excess zeros that overdispersion explains from those only a zero-inflated likelihood does.
    """
    if mean <= 0:
        return 1.0
    if variance <= mean:
        return float(np.exp(-mean))
    alpha = mean**2 / (variance - mean)
    return float((alpha / (alpha + mean)) ** alpha)


def psis_loo(groups: Mapping[str, Any], var_name: str) -> tuple[Any, np.ndarray, np.ndarray, float]:
    """ArviZ's PSIS-LOO result for one observed variable, with the (draw, observation) arrays of its
    log-likelihood and of the normalized PSIS log weights ArviZ used, and its relative efficiency r_eff."""
    stats = compat.arviz_stats()
    pointwise = groups["log_likelihood"][var_name]
    dims = ("chain", "draw", *(d for d in pointwise.dims if d not in ("chain", "draw")))
    log_lik = np.asarray(pointwise.transpose(*dims).values, dtype=np.float64).reshape(-1, _observations(pointwise))
    r_eff = relative_efficiency(groups["posterior"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ warns about high k, which is what the rule reports
        result = stats.loo(compat.arviz_container(groups), pointwise=True, var_name=var_name)
        if compat.arviz_major() >= 1:
            log_weights = result.log_weights.transpose(*dims).values
        else:  # ArviZ 0.x keeps its weights to itself: the same PSIS with the same r_eff gives them
            stacked = pointwise.transpose(*dims).stack(__sample__=("chain", "draw"))
            log_weights = stats.psislw(-stacked, r_eff)[0].transpose("__sample__", *dims[2:]).values
    return result, log_lik, log_weights.reshape(log_lik.shape), r_eff


def loo(groups: Mapping[str, Any], var_name: str) -> dict[str, Any]:
    """ArviZ's PSIS-LOO of one observed variable from the ``posterior`` and ``log_likelihood`` groups:
    ``elpd``, its standard error ``se``, ``p_loo``, the pointwise Pareto ``pareto_k`` (a DataArray with
    the variable's dims), and the Monte Carlo standard error of elpd_loo ``mcse`` (``mcse_elpd_loo``; None
    where a k̂ exceeds the threshold that makes it unreliable)."""
    result, log_lik, log_weights, r_eff = psis_loo(groups, var_name)
    # ArviZ 1.x names the estimates `elpd` and `p`; 0.x `elpd_loo` and `p_loo`.
    elpd = getattr(result, "elpd", None)
    p_loo = getattr(result, "p", None)
    pareto_k = result["pareto_k"] if elpd is None else result.pareto_k
    return {
        "elpd": float(result["elpd_loo"] if elpd is None else elpd),
        "se": float(result["se"] if elpd is None else result.se),
        "p_loo": float(result["p_loo"] if p_loo is None else p_loo),
        "pareto_k": pareto_k,
        "mcse": mcse_elpd_loo(log_lik, log_weights, r_eff, np.asarray(pareto_k.values)),
    }


def _observations(pointwise: Any) -> int:
    return int(np.prod([size for dim, size in pointwise.sizes.items() if dim not in ("chain", "draw")]))


def relative_efficiency(posterior: Any) -> float:
    """The relative efficiency ArviZ's ``loo`` uses (both lines): the mean over the posterior's elements of
    their ESS for the mean, over the number of draws; 1 for a single chain."""
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    if chains == 1:
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ess = compat.arviz_stats().ess(posterior, method="mean")
    return float(np.hstack([ess[name].values.reshape(-1) for name in ess.data_vars]).mean() / (chains * draws))


def khat_threshold(draws: int) -> float:
    """The Pareto k̂ above which PSIS estimates are unreliable for ``draws`` draws: min(1 - 1/log10(S), 0.7)."""
    return min(1 - 1 / np.log10(draws), 0.7)


def mcse_elpd_pointwise(log_lik: np.ndarray, log_weights: np.ndarray, r_eff: float) -> np.ndarray:
    """R loo's ``mcse_elpd``: per observation (columns of the (draw, observation) arrays), the Monte Carlo
    standard error of elpd_loo_i = log E_loo[p(y_i | θ)].

    The variance of the PSIS estimate of E_loo[p] is Σ_s w_s² (p_s - E_loo[p])² (normalized weights w);
    the variance of its log is that of log z over normal draws z > 0 with this mean and variance (seeded);
    divided by ``r_eff`` for the draws' autocorrelation. Each column is scaled by its largest likelihood
    first, which leaves the log's variance as it is and keeps tiny densities from underflowing.
    """
    scaled = np.exp(log_lik - log_lik.max(axis=0))
    weights = np.exp(log_weights)
    mean = (weights * scaled).sum(axis=0)
    sd = np.sqrt((weights**2 * (scaled - mean) ** 2).sum(axis=0))
    rng = np.random.default_rng(MCSE_SEED)
    variance = np.empty(mean.size)
    for start in range(0, mean.size, MCSE_CHUNK):
        part = slice(start, start + MCSE_CHUNK)
        z = rng.normal(mean[part, None], sd[part, None], size=(mean[part].size, MCSE_NORMAL_DRAWS))
        with np.errstate(invalid="ignore", divide="ignore"):
            logs = np.where(z > 0, np.log(np.abs(z)), np.nan)
            variance[part] = np.nanvar(logs, axis=1, ddof=1)
    return np.sqrt(variance / r_eff)


def mcse_elpd_loo(log_lik: np.ndarray, log_weights: np.ndarray, r_eff: float, pareto_k: np.ndarray) -> float | None:
    """R loo's ``mcse_loo``: the Monte Carlo standard error of elpd_loo, the root of the sum of the pointwise
    variances; None where a k̂ exceeds ``khat_threshold`` (the PSIS variance estimate is then unreliable).

    As R's, the sum treats the observations' errors as independent; they share the draws, so where they
    correlate (a model of few parameters) the spread of elpd_loo over reruns is somewhat wider.
    """
    if (np.asarray(pareto_k) > khat_threshold(log_lik.shape[0])).any():
        return None
    return float(np.sqrt((mcse_elpd_pointwise(log_lik, log_weights, r_eff) ** 2).sum()))


def loo_pit(groups: Mapping[str, Any], var_name: str) -> np.ndarray:
    """ArviZ's LOO-PIT values of one observed variable, flattened: the leave-one-out predictive CDF at each
    observation, from the ``posterior_predictive``, ``observed_data`` and ``log_likelihood`` groups (same draws).

    ``az.loo_pit`` on ArviZ 0.x; ``arviz_stats.loo_pit`` on 1.x, which randomizes the PIT of discrete data
    (seeded here) where 0.x takes P(y_rep <= y).
    """
    container = compat.arviz_container(groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # high Pareto k̂ warnings: FIT201 reports them
        if compat.arviz_major() >= 1:
            found = compat.arviz_stats().loo_pit(container, var_names=[var_name], random_state=PIT_SEED)[var_name]
        else:
            found = compat.arviz_stats().loo_pit(container, y=var_name)
    return np.asarray(found, dtype=np.float64).reshape(-1)


def ecdf_band(size: int, prob: float, points: np.ndarray, seed: int = PIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """A simultaneous band at level ``prob`` for the ECDF of ``size`` uniform values at ``points``.

    As ArviZ's ``ecdf_confidence_band(method="simulated")``: pointwise binomial bands whose level is
    raised until ``prob`` of simulated uniform ECDFs stay inside at every point at once.
    """
    from scipy import stats

    rng = np.random.default_rng(seed)
    samples = np.sort(rng.random((BAND_TRIALS, size)), axis=1)
    scaled = np.stack([np.searchsorted(row, points, side="right") for row in samples])
    lower = stats.binom.cdf(scaled, size, points).min(axis=1)
    upper = stats.binom.sf(scaled - 1, size, points).min(axis=1)
    pointwise = float(np.quantile(1 - 2 * np.minimum(lower, upper), prob))
    low = stats.binom.ppf((1 - pointwise) / 2, size, points) / size
    high = stats.binom.ppf((1 + pointwise) / 2, size, points) / size
    return low, high


def pit_calibration(pit: np.ndarray, prob: float) -> dict[str, Any]:
    """Whether the ECDF of the PIT values leaves the simultaneous band of the uniform at level ``prob``, and how.

    ``shape`` reads the ECDF minus the diagonal on each half: above then below (PIT values piled at 0 and 1,
    a U-shaped histogram) is ``narrow``, below then above (piled in the middle) ``wide``; above on both
    halves (PIT values small: the data sit low in their predictive) ``high``, below on both ``low``.
    """
    pit = np.sort(np.asarray(pit, dtype=np.float64)[np.isfinite(pit)])
    points = np.linspace(0, 1, BAND_POINTS + 2)[1:-1]
    ecdf = np.searchsorted(pit, points, side="right") / pit.size
    low, high = ecdf_band(pit.size, prob, points)
    outside = (ecdf < low) | (ecdf > high)
    difference = ecdf - points
    first, second = difference[points < 0.5].mean(), difference[points > 0.5].mean()
    if first > 0 > second:
        shape = "narrow"
    elif first < 0 < second:
        shape = "wide"
    else:
        shape = "high" if first + second > 0 else "low"
    worst = int(np.argmax(np.maximum(low - ecdf, ecdf - high)))
    return {
        "outside": bool(outside.any()),
        "share_outside": float(outside.mean()),
        "shape": shape,
        "worst": {
            "at": float(points[worst]),
            "ecdf": float(ecdf[worst]),
            "band": (float(low[worst]), float(high[worst])),
        },
        "count": int(pit.size),
        # What the report's LOO-PIT plot draws.
        "curve": {"points": points, "ecdf": ecdf, "low": low, "high": high},
    }
