"""Small seeded models whose fit the FIT rules judge, and their data; the traces sampled from them are
committed by ``tests/fixtures/make_fit_traces.py``."""

from __future__ import annotations

import numpy as np
import pymc as pm

SEED = 20261202
COUNTS = 120
POINTS = 150
# The observations of `outliers` moved 20 noise sds away from the line.
OUTLIERS = (7, 23, 41)


def _poisson(counts: np.ndarray) -> pm.Model:
    with pm.Model(coords={"obs_id": np.arange(len(counts))}) as model:
        rate = pm.Exponential("rate", 0.1)
        pm.Poisson("y", mu=rate, observed=counts, dims="obs_id")
    return model


def overdispersed() -> pm.Model:
    """Poisson likelihood, negative-binomial counts (mean 5, alpha 1.5): far more spread than Poisson allows."""
    rng = np.random.default_rng(SEED)
    alpha, mean = 1.5, 5.0
    return _poisson(rng.negative_binomial(alpha, alpha / (alpha + mean), size=COUNTS))


def zero_inflated() -> pm.Model:
    """Poisson likelihood, counts of which 40% are structural zeros and the rest Poisson(6)."""
    rng = np.random.default_rng(SEED + 1)
    counts = rng.poisson(6.0, size=COUNTS) * (rng.random(COUNTS) > 0.4)
    return _poisson(counts)


def poisson() -> pm.Model:
    """Poisson likelihood, Poisson counts: well specified."""
    return _poisson(np.random.default_rng(SEED + 2).poisson(4.0, size=COUNTS))


def _regression(y: np.ndarray, x: np.ndarray) -> pm.Model:
    with pm.Model(coords={"obs_id": np.arange(len(y))}) as model:
        intercept = pm.Normal("intercept", 0, 10)
        slope = pm.Normal("slope", 0, 10)
        sigma = pm.HalfNormal("sigma", 5)
        pm.Normal("y", mu=intercept + slope * x, sigma=sigma, observed=y, dims="obs_id")
    return model


def _line(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=POINTS)
    return 1.0 + 2.0 * x + rng.normal(0, 0.5, size=POINTS), x


def outliers() -> pm.Model:
    """Normal regression of data with three gross outliers (indices ``OUTLIERS``)."""
    y, x = _line(SEED + 3)
    y[list(OUTLIERS)] += 20 * 0.5 * np.array([1, -1, 1])
    return _regression(y, x)


def regression() -> pm.Model:
    """Normal regression of data from that very model: well specified."""
    return _regression(*_line(SEED + 4))


def grouped() -> pm.Model:
    """A Poisson rate per county; county A's counts are Poisson(5), county B's negative binomial (mean 5,
    alpha 1): only B spreads wider than its Poisson allows."""
    rng = np.random.default_rng(SEED + 5)
    per_county = COUNTS // 2
    counts = np.stack([rng.poisson(5.0, size=per_county), rng.negative_binomial(1.0, 1.0 / 6.0, size=per_county)])
    with pm.Model(coords={"county": ["A", "B"], "visit": np.arange(per_county)}) as model:
        rate = pm.Exponential("rate", 0.1, dims="county")
        pm.Poisson("y", mu=rate[:, None], observed=counts, dims=("county", "visit"))
    return model


MODELS = {f.__name__: f for f in (overdispersed, zero_inflated, poisson, outliers, regression, grouped)}
