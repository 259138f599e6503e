"""What every part of the engine shares: ArviZ's constants and definitions, and reused scratch arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Blom's offset in ArviZ's back-transformation of ranks to normal quantiles.
BLOM_OFFSET = 3 / 8
# ArviZ treats a series whose range is below this as constant: its ESS is its size.
CONSTANT_RANGE = np.finfo(float).resolution
# ArviZ's minimum shape: R-hat needs 2 chains, every statistic 4 draws per chain.
MIN_DRAWS = 4
MIN_CHAINS_RHAT = 2

STATISTICS = (
    "rhat",
    "ess_bulk",
    "ess_tail",
    "ess_mean",
    "ess_sd",
    "mcse_mean",
    "mcse_sd",
    "mean",
    "sd",
    "chain_mean",
    "chain_var",
    "marked_percentile",
    "unmarked_percentile",
    "within_tau_bulk",
    "within_lags_bulk",
    "within_tau_folded",
    "within_lags_folded",
)
MARKED = ("marked_percentile", "unmarked_percentile")
# For SMP201's noise model: the integrated autocorrelation time within split chains (each around
# its own mean) of the rank-normalized draws and folded draws, and the lags it sums.
WITHIN = ("within_tau_bulk", "within_lags_bulk", "within_tau_folded", "within_lags_folded")
NATIVE_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@dataclass(frozen=True)
class Definitions:
    """Where the ArviZ lines define a statistic differently.

    ``tail_probs``: the quantiles whose indicators give the tail ESS; ArviZ 0.x uses 5% and 95%,
    ArviZ 1.x ``1 - ci_prob`` and ``ci_prob`` (0.11 and 0.89 by default).
    ``numpy_quantile``: ArviZ 1.x takes those quantiles with ``numpy.quantile`` ("linear"), 0.x
    with ``scipy.stats.mstats.mquantiles(alphap=1, betap=1)``; both are Hyndman and Fan's type 7
    but round differently.
    """

    tail_probs: tuple[float, float] = (0.05, 0.95)
    numpy_quantile: bool = False


def installed_definitions() -> Definitions:
    """The definitions of the installed ArviZ line."""
    from pymc_doctor import compat

    if compat.arviz_major() >= 1:
        return Definitions(tail_probs=compat.tail_probs(), numpy_quantile=True)
    return Definitions()


class Scratch:
    """Arrays reused from block to block by one thread.

    Allocating and freeing the same large arrays for every block makes the C library hand their
    pages back to the system and fault them in again, which costs as much as some statistics.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
        """An uninitialized array of this shape, the same memory on every call with ``name``."""
        dtype, size = np.dtype(dtype), math.prod(shape)
        held = self._arrays.get(name)
        if held is None or held.dtype != dtype or held.size < size:
            held = self._arrays[name] = np.empty(size, dtype)
        return held[:size].reshape(shape)


def mean_var(values: np.ndarray, scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance (ddof=1) over the last axis, as NumPy's ``mean`` and ``var`` compute them."""
    mean = values.mean(axis=-1)
    deviation = np.subtract(values, mean[..., None], out=scratch.array("deviation", values.shape))
    np.multiply(deviation, deviation, out=deviation)
    return mean, deviation.sum(axis=-1) / (values.shape[-1] - 1)


def split_halves(x: np.ndarray, half: int) -> np.ndarray:
    """ArviZ's ``_split_chains`` for each parameter: first halves of every chain, then second halves."""
    return np.concatenate((x[:, :, :half], x[:, :, -half:]), axis=1)
