"""Convergence diagnostics for many parameters at once, with ArviZ's definitions and numbers.

ArviZ computes R-hat, ESS and MCSE one scalar parameter at a time in a Python loop. Here every
statistic is computed for a block of parameters with whole-array operations, following ArviZ's
code (Vehtari et al. 2021) step by step so that the numbers agree to rounding:

- ranks come from one ``argsort`` per parameter, ties averaged; average ranks are half-integers,
  so a table of ``ndtri`` values holds every z-score a parameter of that size can have;
- the folded draws ``|x - median|`` taken in sorted order fall then rise, and timsort sorts
  such a sequence as two runs, so the folded ranks cost a merge rather than a second sort;
- autocovariances come from one real FFT per chain and one inverse FFT per parameter: the mean
  over chains that ArviZ takes afterwards commutes with the inverse transform; a short FFT gives
  the first lags exactly, and only parameters whose sequence runs past them get the full one;
- Geyer's initial positive and monotone sequences become masks and cumulative minima over lags.

Inputs are ``(parameter, chain, draw)`` arrays; float32 draws stay float32 wherever ArviZ
computes in the input's precision (the median fold and the quantiles), so ranks and tail
indicators agree exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from pymc_doctor.engine.chains import (
    effective_sample_size,
    folded_z_scores,
    moments,
    rank_rhat,
    sequences,
    tail_ess,
)
from pymc_doctor.engine.common import (
    MARKED,
    MIN_CHAINS_RHAT,
    MIN_DRAWS,
    NATIVE_DTYPES,
    STATISTICS,
    WITHIN,
    Definitions,
    Scratch,
    installed_definitions,
    mean_var,
    split_halves,
)
from pymc_doctor.engine.ranks import flat_argsort, marked_percentiles, z_scores


def as_engine_array(draws: np.ndarray) -> np.ndarray:
    """Draws in the precision the engine computes in.

    float32 and float64 stay as they are; float16 becomes float32 and everything else (bool,
    integers, long double) float64, as ArviZ's ``_ess`` does. ArviZ itself cannot take float16
    or long double draws everywhere (0.23 with numba fails on both in ``mcse``, 1.x on long
    double in ``rhat`` and ``ess``), so there is no ArviZ fallback for them.
    """
    draws = np.asarray(draws)
    return draws.astype(engine_dtype(draws.dtype), copy=False)


def engine_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype the engine computes draws of this dtype in (see ``as_engine_array``)."""
    dtype = np.dtype(dtype)
    if dtype in NATIVE_DTYPES:
        return dtype
    return np.dtype(np.float32 if dtype == np.float16 else np.float64)


def diagnose(
    draws: np.ndarray,
    definitions: Definitions | None = None,
    statistics: Iterable[str] | None = None,
    marked: np.ndarray | None = None,
    scratch: Scratch | None = None,
) -> dict[str, np.ndarray]:
    """The requested statistics for each parameter of a ``(parameter, chain, draw)`` array.

    Every statistic has shape ``(parameter,)`` except ``chain_mean`` and ``chain_var`` (the
    per-chain mean and variance, ddof=1), which have shape ``(parameter, chain)``. As in ArviZ,
    a parameter with a NaN draw, or fewer than 4 draws per chain (for R-hat: fewer than 2
    chains), gets NaN; ``mean`` and ``sd`` skip NaN draws, as xarray's reductions do.

    ``marked_percentile`` and ``unmarked_percentile`` need ``marked``, a boolean (chain, draw)
    mask (divergent draws, say): the mean percentile (average rank / draws, as
    ``scipy.stats.rankdata``) of the marked draws and of the others; NaN for a parameter with a
    draw that is not finite. ``within_tau_bulk`` and ``within_tau_folded`` are the integrated
    autocorrelation times within split chains (each around its own mean, autocovariances averaged
    over chains, Geyer's initial monotone sequence, no floor) of the rank-normalized draws and
    folded draws that R-hat is computed from, ``within_lags_bulk`` and ``within_lags_folded`` the
    lags each sums. By default every statistic but these four is computed, the two percentiles
    only with ``marked``.
    A ``Scratch`` passed with every block of a thread saves reallocating the working arrays.
    """
    definitions = definitions or Definitions()
    if statistics is None:
        optional = set(WITHIN) if marked is not None else {*MARKED, *WITHIN}
        statistics = [name for name in STATISTICS if name not in optional]
    wanted = set(statistics)
    unknown = wanted - set(STATISTICS)
    if unknown:
        raise ValueError(f"unknown statistics {sorted(unknown)}; choose from {STATISTICS}")
    x = as_engine_array(draws)
    if x.ndim != 3:
        raise ValueError(f"draws must be (parameter, chain, draw), got shape {x.shape}")
    if wanted & set(MARKED):
        if marked is None or np.shape(marked) != x.shape[1:]:
            raise ValueError(f"the percentiles of marked draws need a (chain, draw) mask of shape {x.shape[1:]}")
        marked = np.asarray(marked, dtype=bool).ravel()
        if marked.all() or not marked.any():
            raise ValueError("the mask must mark some draws and leave others")
    with np.errstate(all="ignore"):
        return _diagnose(x, definitions, wanted, marked, scratch or Scratch())


def _diagnose(
    x: np.ndarray, definitions: Definitions, wanted: set[str], marked: np.ndarray | None, scratch: Scratch
) -> dict[str, np.ndarray]:
    params, chains, draws = x.shape
    wide = x.astype(np.float64, copy=False)
    flat = wide.reshape(params, chains * draws)
    out: dict[str, np.ndarray] = {}
    has_nan = np.isnan(flat).any(axis=1)
    if wanted & {"mean", "sd", "mcse_mean"}:
        mean, variance = mean_var(flat, scratch)
        sd = np.sqrt(variance)
        if has_nan.any():
            mean[has_nan] = np.nanmean(flat[has_nan], axis=1)
            sd[has_nan] = np.nanstd(flat[has_nan], axis=1, ddof=1)
        out["mean"], out["sd"] = mean, sd
    if wanted & {"chain_mean", "chain_var"}:
        out["chain_mean"], out["chain_var"] = mean_var(wide, scratch)

    convergence = wanted & {"rhat", "ess_bulk", "ess_tail", "ess_mean", "ess_sd", "mcse_mean", "mcse_sd", *WITHIN}
    if wanted & set(MARKED) and (
        draws % 2 or not wanted & {"rhat", "ess_bulk", "ess_tail", *WITHIN} or draws < MIN_DRAWS
    ):
        out.update(marked_percentiles(x.reshape(params, chains * draws), None, marked, has_nan))
    if not convergence:
        return {name: out[name] for name in wanted}
    if draws < MIN_DRAWS or params == 0:
        for name in convergence:
            out[name] = np.full(params, np.nan)
        return {name: out[name] for name in wanted}

    half = draws // 2
    split_chains = 2 * chains
    # ArviZ's split drops the middle draw of odd-length chains; for even lengths it is a reshape.
    split = x.reshape(params, split_chains, half) if draws % 2 == 0 else split_halves(x, half)
    split_flat = split.reshape(params, split_chains * half)

    if wanted & {"rhat", "ess_bulk", "ess_tail", *WITHIN}:
        order = flat_argsort(split_flat)
        ordered = scratch.array("ordered", order.shape, split_flat.dtype)
        np.take(split_flat, order, out=ordered, mode="clip")
        out.update(_rank_normalized(order, ordered, split.shape, wanted, scratch))
        if "ess_tail" in wanted:
            full_sorted = ordered if draws % 2 == 0 else np.sort(x.reshape(params, chains * draws), axis=1)
            out["ess_tail"] = tail_ess(split, full_sorted, definitions, scratch)
        if wanted & set(MARKED) and draws % 2 == 0:
            # The split of even chains reorders the draws: its sorted rows are the draws' sorted rows.
            out.update(marked_percentiles(x.reshape(params, chains * draws), ordered, marked, has_nan))
    if wanted & {"ess_mean", "mcse_mean"}:
        ess_mean = effective_sample_size(split.astype(np.float64, copy=False), scratch)
        out["ess_mean"] = ess_mean
        if "mcse_mean" in wanted:
            out["mcse_mean"] = out["sd"] / np.sqrt(ess_mean)
    if wanted & {"ess_sd", "mcse_sd"}:
        squared = np.square(flat - flat.mean(axis=1, keepdims=True))
        squared_split = squared.reshape(params, chains, draws)
        squared_split = (
            squared_split.reshape(params, split_chains, half) if draws % 2 == 0 else split_halves(squared_split, half)
        )
        ess_sd = effective_sample_size(squared_split, scratch)
        out["ess_sd"] = ess_sd
        if "mcse_sd" in wanted:
            evar = squared.mean(axis=1)
            varvar = (np.square(squared).mean(axis=1) - evar**2) / ess_sd
            out["mcse_sd"] = np.sqrt(varvar / evar / 4)

    for name in convergence:
        out[name][has_nan] = np.nan
    if chains < MIN_CHAINS_RHAT and "rhat" in out:
        out["rhat"][:] = np.nan
    return {name: out[name] for name in wanted}


def _rank_normalized(
    order: np.ndarray, ordered: np.ndarray, shape: tuple[int, ...], wanted: set[str], scratch: Scratch
) -> dict[str, np.ndarray]:
    """What the z-scores of the ranks and folded ranks of the split draws give: R-hat, bulk ESS and
    the within-chain sequences, from the split draws' sorted rows (``ordered``, by flat indices ``order``)."""
    out: dict[str, np.ndarray | None] = {}
    within = bool(wanted & set(WITHIN))
    draws = shape[2]
    if wanted & {"rhat", "ess_bulk", *WITHIN}:
        bulk = z_scores(order, ordered, scratch.array("bulk", order.shape)).reshape(shape)
        # R-hat takes its moments from the autocovariances where these are computed anyway.
        bulk_moments = moments(bulk, scratch) if "ess_bulk" not in wanted and not within else None
        if bulk_moments is None:
            found = sequences(bulk, scratch, ess="ess_bulk" in wanted, within=within)
            out["ess_bulk"], out["within_tau_bulk"], out["within_lags_bulk"] = found[:3]
            bulk_moments = found.chain_mean, found.variance
    if "rhat" in wanted or within:
        folded, nan_fold = folded_z_scores(ordered, order, scratch)
        folded = folded.reshape(shape)
        if within:
            found = sequences(folded, scratch, ess=False, within=True)
            _, out["within_tau_folded"], out["within_lags_folded"] = found[:3]
        if "rhat" in wanted:
            folded_moments = (found.chain_mean, found.variance) if within else moments(folded, scratch)
            out["rhat"] = rank_rhat(bulk_moments, folded_moments, nan_fold, draws)
    return {name: value for name, value in out.items() if value is not None}


def bfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI per chain from a (chain, draw) energy array, as ArviZ computes it."""
    energy = np.atleast_2d(np.asarray(energy))
    numerator = np.square(np.diff(energy, axis=1)).mean(axis=1)
    return numerator / np.var(energy, axis=1, ddof=1)


__all__ = [
    "MARKED",
    "NATIVE_DTYPES",
    "STATISTICS",
    "WITHIN",
    "Definitions",
    "Scratch",
    "as_engine_array",
    "bfmi",
    "diagnose",
    "engine_dtype",
    "installed_definitions",
]
