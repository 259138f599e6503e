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

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import fft as sp_fft
from scipy.special import ndtri

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
)
MARKED = ("marked_percentile", "unmarked_percentile")
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
    draw that is not finite. By default every statistic is computed, those two only with ``marked``.
    A ``Scratch`` passed with every block of a thread saves reallocating the working arrays.
    """
    definitions = definitions or Definitions()
    if statistics is None:
        statistics = STATISTICS if marked is not None else [name for name in STATISTICS if name not in MARKED]
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
        mean, variance = _mean_var(flat, scratch)
        sd = np.sqrt(variance)
        if has_nan.any():
            mean[has_nan] = np.nanmean(flat[has_nan], axis=1)
            sd[has_nan] = np.nanstd(flat[has_nan], axis=1, ddof=1)
        out["mean"], out["sd"] = mean, sd
    if wanted & {"chain_mean", "chain_var"}:
        out["chain_mean"], out["chain_var"] = _mean_var(wide, scratch)

    convergence = wanted & {"rhat", "ess_bulk", "ess_tail", "ess_mean", "ess_sd", "mcse_mean", "mcse_sd"}
    if wanted & set(MARKED) and (draws % 2 or not wanted & {"rhat", "ess_bulk", "ess_tail"} or draws < MIN_DRAWS):
        out.update(_marked_percentiles(x.reshape(params, chains * draws), None, marked, has_nan))
    if not convergence:
        return {name: out[name] for name in wanted}
    if draws < MIN_DRAWS or params == 0:
        for name in convergence:
            out[name] = np.full(params, np.nan)
        return {name: out[name] for name in wanted}

    half = draws // 2
    split_chains = 2 * chains
    # ArviZ's split drops the middle draw of odd-length chains; for even lengths it is a reshape.
    split = x.reshape(params, split_chains, half) if draws % 2 == 0 else _split(x, half)
    split_flat = split.reshape(params, split_chains * half)

    if wanted & {"rhat", "ess_bulk", "ess_tail"}:
        order = _flat_argsort(split_flat)
        ordered = scratch.array("ordered", order.shape, split_flat.dtype)
        np.take(split_flat, order, out=ordered, mode="clip")
        if wanted & {"rhat", "ess_bulk"}:
            bulk = _z_scores(order, ordered, scratch.array("bulk", order.shape))
            bulk = bulk.reshape(params, split_chains, half)
            if "ess_bulk" in wanted:
                out["ess_bulk"] = _ess(bulk, scratch)
        if "rhat" in wanted:
            out["rhat"] = _rank_rhat(bulk, ordered, order, scratch)
        if "ess_tail" in wanted:
            full_sorted = ordered if draws % 2 == 0 else np.sort(x.reshape(params, chains * draws), axis=1)
            out["ess_tail"] = _tail_ess(split, full_sorted, definitions, scratch)
        if wanted & set(MARKED) and draws % 2 == 0:
            # The split of even chains reorders the draws: its sorted rows are the draws' sorted rows.
            out.update(_marked_percentiles(x.reshape(params, chains * draws), ordered, marked, has_nan))
    if wanted & {"ess_mean", "mcse_mean"}:
        ess_mean = _ess(split.astype(np.float64, copy=False), scratch)
        out["ess_mean"] = ess_mean
        if "mcse_mean" in wanted:
            out["mcse_mean"] = out["sd"] / np.sqrt(ess_mean)
    if wanted & {"ess_sd", "mcse_sd"}:
        squared = np.square(flat - flat.mean(axis=1, keepdims=True))
        squared_split = squared.reshape(params, chains, draws)
        squared_split = (
            squared_split.reshape(params, split_chains, half) if draws % 2 == 0 else _split(squared_split, half)
        )
        ess_sd = _ess(squared_split, scratch)
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


def _mean_var(values: np.ndarray, scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance (ddof=1) over the last axis, as NumPy's ``mean`` and ``var`` compute them."""
    mean = values.mean(axis=-1)
    deviation = np.subtract(values, mean[..., None], out=scratch.array("deviation", values.shape))
    np.multiply(deviation, deviation, out=deviation)
    return mean, deviation.sum(axis=-1) / (values.shape[-1] - 1)


def _split(x: np.ndarray, half: int) -> np.ndarray:
    """ArviZ's ``_split_chains`` for each parameter: first halves of every chain, then second halves."""
    return np.concatenate((x[:, :, :half], x[:, :, -half:]), axis=1)


@lru_cache(maxsize=4)
def _rank_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype of ``scipy.stats.rankdata``'s ranks for draws of this dtype (float32 since SciPy 1.18)."""
    from scipy import stats

    return stats.rankdata(np.zeros(2, dtype=dtype)).dtype


@lru_cache(maxsize=16)
def _z_table(size: int, rank_dtype: np.dtype) -> np.ndarray:
    """z-scores of the average ranks 1, 1.5, 2, …, size: entry ``i`` is for rank ``1 + i / 2``.

    Computed as ArviZ does, in the precision of SciPy's ranks: ``_backtransform_ranks``, then
    ``norm.ppf``, which is ``ndtri`` for the standard normal.
    """
    ranks = (np.arange(2, 2 * size + 1) / 2).astype(rank_dtype)
    return ndtri((ranks - BLOM_OFFSET) / (size - 2 * BLOM_OFFSET + 1)).astype(np.float64)


def _flat_argsort(rows: np.ndarray, kind: str | None = None) -> np.ndarray:
    """``argsort`` of each row of a contiguous 2-D array, as indices into the flattened array:
    ``np.take`` and assignment through them are several times faster than ``take_along_axis``."""
    order = np.argsort(rows, axis=1, kind=kind)
    order += np.arange(0, rows.size, rows.shape[1])[:, None]
    return order


def _ranked(order: np.ndarray, ordered: np.ndarray, table: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``table[2 * rank - 2]`` at each original position, for rows sorted by ``order`` (flat
    indices, see ``_flat_argsort``) into ``ordered``.

    Ranks average ties, as ``scipy.stats.rankdata``. Without ties the doubled rank index is
    ``2 * position``; each run of equal values shares the first plus the last position of the
    run. Ties are few in continuous draws (the two middle folded draws are one), so the tied
    positions are fixed after the scatter rather than indexing every position. Fills ``values``.
    """
    np.put(values, order, np.ascontiguousarray(table[::2]), mode="clip")
    rows, cols = np.nonzero(ordered[:, 1:] == ordered[:, :-1])
    if len(rows):
        # Tied neighbours (col, col + 1); consecutive ones in a row chain into one run.
        new_run = np.ones(len(rows), dtype=bool)
        new_run[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1] + 1)
        run = np.cumsum(new_run) - 1
        first, last = cols[new_run], cols[np.append(new_run[1:], True)] + 1
        tied = table[(first + last)[run]]
        values.ravel()[order[rows, cols]] = tied
        values.ravel()[order[rows, cols + 1]] = tied
    return values


def _z_scores(order: np.ndarray, ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """ArviZ's ``_z_scale`` for each row: rank-normalized values at their original positions, in ``values``."""
    return _ranked(order, ordered, _z_table(ordered.shape[1], _rank_dtype(ordered.dtype)), values)


def _marked_percentiles(
    flat: np.ndarray, ordered: np.ndarray | None, marked: np.ndarray, has_nan: np.ndarray
) -> dict[str, np.ndarray]:
    """Mean percentile of the marked draws and of the others, per row of ``flat`` (parameter, draw).

    The ranks of the smaller group come from binary searches in the sorted rows (``ordered``, or
    sorted here); the other group's mean follows from the sum of all ranks, n(n + 1) / 2.
    """
    size = flat.shape[1]
    if ordered is None:
        ordered = np.sort(flat, axis=1)
    few = marked if marked.sum() <= size // 2 else ~marked
    picked = flat[:, few]
    below = _count_below(ordered, picked)
    # Each picked draw is in its row, so the draws equal to it start at `below`; ties averaged as rankdata.
    equal = _count_equal(ordered, picked, below)
    ranks = below + (equal + 1) / 2
    # As (rankdata(values, axis=0) / n)[rows].mean(axis=0) sums: over the group's draws in order.
    few_mean = (np.ascontiguousarray(ranks.T) / size).mean(axis=0)
    other_mean = (size * (size + 1) / 2 - ranks.sum(axis=1)) / size / (size - ranks.shape[1])
    not_finite = has_nan | np.isinf(ordered[:, 0]) | np.isinf(ordered[:, -1])
    few_mean[not_finite] = other_mean[not_finite] = np.nan
    marked_mean, unmarked_mean = (few_mean, other_mean) if few is marked else (other_mean, few_mean)
    return {"marked_percentile": marked_mean, "unmarked_percentile": unmarked_mean}


def _count_below(ordered: np.ndarray, values: np.ndarray, *, or_equal: bool = False) -> np.ndarray:
    """Per row, how many entries of the sorted row are below (or equal to) each of ``values``:
    ``np.searchsorted`` for every row at once, by binary lifting (steps of halving powers of two)."""
    rows, size = ordered.shape
    flat = ordered.ravel()
    base = np.arange(-1, rows * size - 1, size)[:, None]
    compare = np.less_equal if or_equal else np.less
    below = np.zeros(values.shape, dtype=np.intp)
    step = 1 << (size.bit_length() - 1)
    while step:
        # Take the step if the entry it would count last is still below (or equal to) the value.
        reach = below + step
        np.add(below, step, out=below, where=(reach <= size) & compare(flat[base + np.minimum(reach, size)], values))
        step >>= 1
    return below


# Steps taken along a run of equal draws before searching for its end instead: continuous draws
# have runs of one or two, while discrete, constant or Metropolis draws repeat hundreds of times.
TIE_WALK = 8


def _count_equal(ordered: np.ndarray, values: np.ndarray, below: np.ndarray) -> np.ndarray:
    """How many entries of each sorted row equal each of ``values``, which start at position ``below``."""
    rows, size = ordered.shape
    flat = ordered.ravel()
    start = np.arange(0, rows * size, size)[:, None] + below
    equal = np.zeros(values.shape, dtype=np.intp)
    extending = np.ones(values.shape, dtype=bool)
    for _ in range(TIE_WALK):
        extending &= below + equal < size
        extending &= flat[np.minimum(start + equal, flat.size - 1)] == values
        if not extending.any():
            return equal
        equal += extending
    return _count_below(ordered, values, or_equal=True) - below


def _rhat(z: np.ndarray, scratch: Scratch) -> np.ndarray:
    """ArviZ's ``_rhat`` for each parameter of a (parameter, chain, draw) array."""
    draws = z.shape[2]
    chain_mean, chain_var = _mean_var(z, scratch)
    between = draws * chain_mean.var(axis=1, ddof=1)
    within = chain_var.mean(axis=1)
    return np.sqrt((between / within + draws - 1) / draws)


def _rank_rhat(bulk: np.ndarray, ordered: np.ndarray, order: np.ndarray, scratch: Scratch) -> np.ndarray:
    """Rank-normalized split R-hat: the larger of the bulk and the folded (tail) R-hat."""
    params, split_chains, half = bulk.shape
    size = split_chains * half
    # np.median of the split draws, in their own precision (the fold is taken in it too).
    median = (ordered[:, size // 2 - 1] + ordered[:, size // 2]) / ordered.dtype.type(2)
    folded = np.subtract(ordered, median[:, None], out=scratch.array("folded", ordered.shape, ordered.dtype))
    np.abs(folded, out=folded)
    # Sorted draws fold into a falling then a rising run; a stable sort merges the two.
    fold_order = _flat_argsort(folded, kind="stable")
    folded_sorted = scratch.array("folded_sorted", folded.shape, folded.dtype)
    np.take(folded, fold_order, out=folded_sorted, mode="clip")
    position = scratch.array("position", order.shape, order.dtype)
    np.take(order, fold_order, out=position, mode="clip")
    z = _z_scores(position, folded_sorted, scratch.array("folded_z", folded.shape))
    tail = _rhat(z.reshape(params, split_chains, half), scratch)
    # ArviZ ranks with nan_policy="omit": NaN folds (inf minus an infinite median) make the tail R-hat NaN.
    tail[np.isnan(folded_sorted[:, -1])] = np.nan
    rhat_bulk = _rhat(bulk, scratch)
    # Python's max(bulk, tail): the tail only when it is larger, so a NaN tail keeps the bulk.
    return np.where(tail > rhat_bulk, tail, rhat_bulk)


def _quantiles(full_sorted: np.ndarray, prob: float, numpy_quantile: bool) -> np.ndarray:
    if numpy_quantile:
        return np.quantile(full_sorted, prob, axis=1, method="linear")
    # scipy.stats.mstats.mquantiles(alphap=1, betap=1), operation for operation.
    size = full_sorted.shape[1]
    p = np.atleast_1d(np.asarray(prob))
    m = 1.0 + p * (1.0 - 1.0 - 1.0)
    aleph = size * p + m
    k = np.floor(aleph.clip(1, size - 1)).astype(int)
    gamma = (aleph - k).clip(0, 1)
    return (1.0 - gamma) * full_sorted[:, k[0] - 1] + gamma * full_sorted[:, k[0]]


def _tail_ess(split: np.ndarray, full_sorted: np.ndarray, definitions: Definitions, scratch: Scratch) -> np.ndarray:
    """Tail ESS: the smaller ESS of the indicators of the two tail quantiles."""
    ess = []
    for prob in definitions.tail_probs:
        quantile = _quantiles(full_sorted, prob, definitions.numpy_quantile)[:, None, None]
        ess.append(_ess(np.less_equal(split, quantile, out=scratch.array("indicator", split.shape, bool)), scratch))
    low, high = ess
    # Python's min(low, high): the high-quantile ESS only when it is smaller.
    return np.where(high < low, high, low)


def _autocovariance(y: np.ndarray, chain_mean: np.ndarray, lags: int, scratch: Scratch) -> np.ndarray:
    """Mean over chains of each chain's autocovariance at lags 0 to ``lags - 1``, as ArviZ's ``autocov``.

    Zero padding to ``draws + lags - 1`` keeps the circular correlation from wrapping into those
    lags; the mean over chains is taken before the inverse transform, which is linear. NumPy's
    FFT is the same PocketFFT as SciPy's (same numbers), and writes into reused arrays.
    """
    params, chains, draws = y.shape
    size = sp_fft.next_fast_len(draws + lags - 1, real=True)
    padded = scratch.array("padded", (params, chains, size))
    np.subtract(y, chain_mean[..., None], out=padded[..., :draws])
    padded[..., draws:] = 0.0
    spectrum = np.fft.rfft(padded, axis=2, out=scratch.array("spectrum", (params, chains, size // 2 + 1), complex))
    # |F|² summed over chains: square the real and imaginary parts in place, then add them.
    parts = spectrum.view(np.float64)
    np.square(parts, out=parts)
    summed = parts.sum(axis=1)
    power = summed[:, 0::2] + summed[:, 1::2]
    return np.fft.irfft(power, n=size, axis=1)[:, :lags] / (draws * chains)


def _ess(y: np.ndarray, scratch: Scratch) -> np.ndarray:
    """ArviZ's ``_ess`` (Geyer's initial monotone sequence) for each parameter of (parameter, chain, draw),
    of float64 or boolean draws."""
    params, chains, draws = y.shape
    flat = y.reshape(params, chains * draws)
    # As float, so that boolean indicators take the same test.
    constant = (flat.max(axis=1).astype(float) - flat.min(axis=1).astype(float)) < CONSTANT_RANGE
    chain_mean = y.mean(axis=2)
    between = chain_mean.var(axis=1, ddof=1) if chains > 1 else np.zeros(params)
    # ArviZ's loop computes lag pairs (t + 1, t + 2) for t = 1, 3, … while t < draws - 3: pairs
    # 1 … last_pair, pair 0 being the lags (0, 1).
    last_pair = (draws - 3) // 2
    lags = 2 * (max(last_pair, 0) + 1)
    # The sequence usually stops within a few lags: a short FFT first, the full one only for the
    # parameters whose sequence runs past its lags.
    first_lags = min(lags, 2 * (draws // 8 + 1))
    acov = _autocovariance(y, chain_mean, first_lags, scratch)
    ess, done = _geyer(acov, between, draws, chains * draws, last_pair)
    rest = np.flatnonzero(~done)
    if len(rest):
        acov = _autocovariance(y[rest], chain_mean[rest], lags, scratch)
        ess[rest], _ = _geyer(acov, between[rest], draws, chains * draws, last_pair)
    ess[constant] = chains * draws
    return ess


def _geyer(
    acov: np.ndarray, between: np.ndarray, draws: int, size: int, last_pair: int
) -> tuple[np.ndarray, np.ndarray]:
    """ESS from the first lags of the autocovariance, and whether those lags sufficed for each parameter."""
    params, lags = acov.shape
    mean_var = acov[:, 0] * draws / (draws - 1.0)
    var_plus = mean_var * (draws - 1.0) / draws + between
    rho = 1.0 - (mean_var[:, None] - acov) / var_plus[:, None]
    rho[:, 0] = 1.0
    pair_sums = rho[:, 0::2] + rho[:, 1::2]
    # The loop stops after the first pair whose sum is not positive (NaN included), or at the last pair.
    positive = pair_sums > 0.0
    found = ~positive.all(axis=1)
    first_not_positive = np.where(found, np.argmin(positive, axis=1), last_pair)
    stop = np.clip(np.minimum(first_not_positive, last_pair), 0, None)
    done = stop < pair_sums.shape[1]
    stop = np.minimum(stop, pair_sums.shape[1] - 1)

    # Initial monotone sequence over pairs 0 … stop - 1: a pair whose sum exceeds the running
    # minimum of earlier pair sums is replaced by two halves of that minimum.
    running_min = np.minimum.accumulate(pair_sums, axis=1)
    lowered = np.zeros(pair_sums.shape, dtype=bool)
    lowered[:, 1:] = pair_sums[:, 1:] > running_min[:, :-1]
    adjusted = np.where(np.repeat(lowered, 2, axis=1), np.repeat(running_min / 2.0, 2, axis=1), rho)
    used = np.arange(lags) < 2 * stop[:, None]
    total = np.where(used, adjusted, 0.0).sum(axis=1)

    rows = np.arange(params)
    even = rho[rows, 2 * stop]
    # The even lag of the stopping pair counts when that pair was kept (sum >= 0) or the lag is positive.
    last = np.where((pair_sums[rows, stop] >= 0.0) | (even > 0.0), even, 0.0)
    tau = -1.0 + 2.0 * total + last
    floor = 1 / np.log10(size)
    tau = np.where(floor > tau, floor, tau)
    ess = size / tau
    ess[np.isnan(rho[:, 1])] = np.nan
    return ess, done


def bfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI per chain from a (chain, draw) energy array, as ArviZ computes it."""
    energy = np.atleast_2d(np.asarray(energy))
    numerator = np.square(np.diff(energy, axis=1)).mean(axis=1)
    return numerator / np.var(energy, axis=1, ddof=1)
