"""Synthetic traces for the benchmarks: AR(1) draws, so that ESS varies, and PyMC's NUTS statistics."""

from __future__ import annotations

import numpy as np
import xarray as xr

CHAINS = 4
DRAWS = 1000


def ar1(rng: np.random.Generator, chains: int, draws: int, size: int) -> np.ndarray:
    """(chain, draw, size) AR(1) draws, unit stationary variance, ``rho`` uniform in [0, 0.95) per
    element, around means spread over [-10, 10]; built in place, so the trace is the only big array."""
    rho = rng.uniform(0.0, 0.95, size)
    noise_scale = np.sqrt(1 - rho**2)
    out = np.empty((chains, draws, size))
    out[:, 0] = rng.standard_normal((chains, size))
    for draw in range(1, draws):
        np.multiply(out[:, draw - 1], rho, out=out[:, draw])
        out[:, draw] += noise_scale * rng.standard_normal((chains, size))
    out += rng.uniform(-10, 10, size)
    return out


def posterior(params: int, *, chains: int = CHAINS, draws: int = DRAWS, seed: int = 0) -> xr.Dataset:
    """``params`` scalar parameters (a multiple of 20): ``alpha`` (scalar), ``beta`` (vector) and ``gamma`` (matrix)."""
    if params % 20:
        raise ValueError("params must be a multiple of 20")
    rng = np.random.default_rng(seed)
    rows = params // 20
    coords = {"chain": np.arange(chains), "draw": np.arange(draws)}
    gamma = ar1(rng, chains, draws, rows * 10).reshape(chains, draws, rows, 10)
    return xr.Dataset(
        {
            "alpha": (("chain", "draw"), ar1(rng, chains, draws, 1)[..., 0]),
            "beta": (("chain", "draw", "beta_dim"), ar1(rng, chains, draws, params // 2 - 1)),
            "gamma": (("chain", "draw", "group", "item"), gamma),
        },
        coords=coords,
    )


def sample_stats(*, chains: int = CHAINS, draws: int = DRAWS, divergences: int = 8, seed: int = 1) -> xr.Dataset:
    """NUTS statistics as PyMC names them: a healthy energy and step size, ``divergences`` divergent draws."""
    rng = np.random.default_rng(seed)
    dims = ("chain", "draw")
    diverging = np.zeros(chains * draws, dtype=bool)
    diverging[rng.choice(chains * draws, divergences, replace=False)] = True
    depth = rng.integers(2, 6, (chains, draws))
    return xr.Dataset(
        {
            "diverging": (dims, diverging.reshape(chains, draws)),
            "energy": (dims, 100 + 8 * ar1(rng, chains, draws, 1)[..., 0]),
            "energy_error": (dims, rng.normal(0, 0.3, (chains, draws))),
            "tree_depth": (dims, depth),
            "n_steps": (dims, 2.0**depth - 1),
            "step_size": (dims, np.full((chains, draws), 0.3)),
            "acceptance_rate": (dims, rng.uniform(0.6, 1.0, (chains, draws))),
            "reached_max_treedepth": (dims, np.zeros((chains, draws), dtype=bool)),
            "lp": (dims, rng.normal(-50, 5, (chains, draws))),
        },
        coords={"chain": np.arange(chains), "draw": np.arange(draws)},
        attrs={"inference_library": "pymc", "tuning_steps": 1000},
    )


def trace(params: int, *, divergences: int = 8, chains: int = CHAINS, draws: int = DRAWS):
    """The trace as the installed ArviZ line returns it from ``pm.sample``: InferenceData (0.x) or DataTree (1.x)."""
    from pymc_doctor import compat

    groups = {
        "posterior": posterior(params, chains=chains, draws=draws),
        "sample_stats": sample_stats(chains=chains, draws=draws, divergences=divergences),
    }
    if compat.arviz_major() >= 1:
        return xr.DataTree.from_dict(groups)
    import arviz

    return arviz.InferenceData(**groups)
