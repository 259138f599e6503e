"""ArviZ's own diagnostics, the reference the engine's numbers are compared with (tests and benchmarks).

The package never calls these: it computes the same numbers with its vectorized engine.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from pymc_doctor import compat
from pymc_doctor.quiet import quiet


def arviz_stats():
    """``arviz_stats`` on ArviZ 1.x, ``arviz`` on 0.x: where ``rhat``, ``ess`` and ``mcse`` live."""
    if compat.arviz_major() >= 1:
        import arviz_stats

        return arviz_stats
    with warnings.catch_warnings():  # ArviZ 0.23 warns about its coming refactor on import
        warnings.simplefilter("ignore", FutureWarning)
        import arviz

    return arviz


def rhat(dataset: xr.Dataset) -> xr.Dataset:
    return arviz_stats().rhat(dataset, method="rank")


def ess(dataset: xr.Dataset, method: str) -> xr.Dataset:
    return arviz_stats().ess(dataset, method=method)


def mcse(dataset: xr.Dataset, method: str) -> xr.Dataset:
    return arviz_stats().mcse(dataset, method=method)


def bfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI per chain from a (chain, draw) energy array."""
    with quiet("arviz"):
        if compat.arviz_major() >= 1:
            from arviz_stats.base import array_stats

            return np.asarray(array_stats.bfmi(energy))
        return np.asarray(arviz_stats().bfmi(energy))
