"""Small seeded models whose prior sensitivity FIT401 and FIT402 judge; the traces sampled from them, with
their ``log_prior`` and ``log_likelihood`` groups, are committed by ``tests/fixtures/make_sensitivity_traces.py``."""

from __future__ import annotations

import numpy as np
import pymc as pm

SEED = 20261202


def prior_conflict() -> pm.Model:
    """A Normal(10, 0.1) prior on a mean whose 20 observations (noise sd 1) are centred at 0: the prior
    pulls the mean to about 8, the data towards 0."""
    y = np.random.default_rng(SEED).normal(0.0, 1.0, size=20)
    with pm.Model(coords={"obs_id": np.arange(y.size)}) as model:
        mu = pm.Normal("mu", 10, 0.1)
        pm.Normal("y", mu=mu, sigma=1.0, observed=y, dims="obs_id")
    return model


def weak_likelihood() -> pm.Model:
    """Three observations with noise sd 20 of a mean whose prior has sd 1: the prior decides the posterior."""
    y = np.random.default_rng(SEED + 1).normal(0.5, 20.0, size=3)
    with pm.Model(coords={"obs_id": np.arange(y.size)}) as model:
        mu = pm.Normal("mu", 0, 1)
        pm.Normal("y", mu=mu, sigma=20.0, observed=y, dims="obs_id")
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
