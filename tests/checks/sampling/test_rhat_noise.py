"""SMP201's noise model reads the within-chain autocorrelation times the engine computed with the
diagnostics: the chances are those of a direct computation from the draws (ranked again, each
split chain's autocovariance by its own FFT, Geyer's sequence by masks), kept here as the reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from pymc_doctor.checks.sampling.rhat_noise import healthy_chance
from pymc_doctor.compat import trace_view
from pymc_doctor.diagnostics import diagnostics_of
from tests.checks.sampling.helpers import trace
from tests.support import load


def reference_tau(chains: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integrated autocorrelation time and its window per element of (element, chain, draw) series,
    each chain around its own mean, corrected for that centring (the noise model's definition)."""
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
    shortfall = (2.0 * positive.sum(axis=-1) + tau) / n
    tau = tau / np.maximum(1.0 - shortfall, 0.5)
    return np.maximum(tau, 1.0 / np.log10(max(n * chains.shape[1], 10))), 4.0 * positive.sum(axis=-1)


def reference_chance(values: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """For (chain, draw, element) draws, the chance of each element's R-hat ``observed`` or above, from
    the split draws (without the middle draw of odd chains, as R-hat) ranked with ``scipy.stats.rankdata``."""
    if values.shape[1] % 2:
        values = np.delete(values, values.shape[1] // 2, axis=1)
    chains, draws, size = values.shape
    m, n = 2 * chains, draws // 2
    pooled = np.moveaxis(values, 2, 0).reshape(size, -1).astype(float)
    distance = np.abs(pooled - np.median(pooled, axis=-1, keepdims=True))
    below = np.ones(size)
    for transformed in (pooled, distance):
        z = special.ndtri((stats.rankdata(transformed, axis=-1) - 3 / 8) / (transformed.shape[-1] + 1 / 4))
        tau, window = reference_tau(z.reshape(size, m, n))
        statistic = (observed**2 - (n - 1) / n) * (n / tau)
        chance = special.fdtr(m - 1, np.maximum(m * n / np.maximum(window, 1.0), 1.0), np.maximum(statistic, 0.0))
        below *= np.where(np.isfinite(tau), chance, 1.0)
    return 1.0 - below


def ar1(chains: int, draws: int, params: int, rho: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.empty((chains, draws, params))
    x[:, 0] = rng.standard_normal((chains, params))
    for draw in range(1, draws):
        x[:, draw] = rho * x[:, draw - 1] + np.sqrt(1 - rho**2) * rng.standard_normal((chains, params))
    return x


def chances(data) -> tuple[np.ndarray, np.ndarray]:
    """The doctor's and the reference's chance for every element of a trace with a finite R-hat."""
    view = trace_view(data)
    rhat = diagnostics_of(view).table["rhat"].to_numpy()
    rows = np.flatnonzero(np.isfinite(rhat))
    values = np.concatenate([view.draws_of(name) for name in view.variable_names()], axis=2)
    return healthy_chance(view, rows, rhat[rows]), reference_chance(values[:, :, rows], rhat[rows])


@pytest.mark.parametrize("chains, draws", [(4, 200), (2, 64), (3, 101)])
def test_chances_are_the_direct_computations(chains, draws):
    # Mixing from none to slow, chains shifted apart, ties (rounded draws), an element whose
    # autocorrelations stay positive far out.
    x = ar1(chains, draws, 60, np.linspace(0.0, 0.97, 60), seed=draws)
    x[0, :, :10] += np.linspace(0.0, 2.0, 10)
    x[:, :, 10:20] = np.round(x[:, :, 10:20], 1)
    x[:, :, 20] = np.linspace(0.0, 1.0, chains * draws).reshape(chains, draws)
    got, expected = chances(trace({"x": x}))
    assert np.ptp(expected) > 0.5
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["centered_eight", "bimodal"])
def test_chances_on_committed_traces(name):
    got, expected = chances(load(name))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
