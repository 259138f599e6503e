"""Small seeded models whose prior sensitivity FIT401 and FIT402 judge; the traces sampled from them, with
their ``log_prior`` and ``log_likelihood`` groups, are committed by ``tests/fixtures/make_sensitivity_traces.py``."""

from __future__ import annotations

import numpy as np
import pymc as pm

SEED = 20261202


def prior_conflict() -> pm.Model:
    """A Normal(10, 0.1) prior on a mean whose 20 observations (noise sd 1) are centred at 0: the prior
    pulls the mean to about 8, the data towards 0."""
    return _mean_of(np.random.default_rng(SEED).normal(0.0, 1.0, size=20), prior=(10, 0.1), noise=1.0)


def weak_likelihood() -> pm.Model:
    """Three observations with noise sd 20 of a mean whose prior has sd 1: the prior decides the posterior."""
    return _mean_of(np.random.default_rng(SEED + 1).normal(0.5, 20.0, size=3), prior=(0, 1), noise=20.0)


def _mean_of(y: np.ndarray, prior: tuple[float, float], noise: float) -> pm.Model:
    """The mean of ``y`` under a Normal ``prior`` (mean, sd), with a known noise sd."""
    with pm.Model(coords={"obs_id": np.arange(y.size)}) as model:
        mu = pm.Normal("mu", *prior)
        pm.Normal("y", mu=mu, sigma=noise, observed=y, dims="obs_id")
    return model


def informed() -> pm.Model:
    """A mean and a spread with weak priors, learnt from 100 observations: the data decide."""
    y = np.random.default_rng(SEED + 2).normal(1.0, 2.0, size=100)
    with pm.Model(coords={"obs_id": np.arange(y.size)}) as model:
        mu = pm.Normal("mu", 0, 10)
        sigma = pm.HalfNormal("sigma", 5)
        pm.Normal("y", mu=mu, sigma=sigma, observed=y, dims="obs_id")
    return model


MODELS = {f.__name__: f for f in (prior_conflict, weak_likelihood, informed)}
