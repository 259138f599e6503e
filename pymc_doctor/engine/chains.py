"""Statistics across chains: R-hat, autocovariances and ESS (Geyer's initial sequences), tail ESS."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import fft as sp_fft

from pymc_doctor.engine.common import CONSTANT_RANGE, Definitions, Scratch, mean_var
from pymc_doctor.engine.ranks import flat_argsort, z_scores


class Sequences(NamedTuple):
    """What one set of autocovariances of (parameter, chain, draw) series gives; None where not asked."""

    ess: np.ndarray | None
    within_tau: np.ndarray | None
    within_lags: np.ndarray | None
    # Each chain's mean, and the mean over chains of each chain's variance (ddof=1): R-hat's inputs.
    chain_mean: np.ndarray
    variance: np.ndarray


def moments(z: np.ndarray, scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    """Each chain's mean and the mean over chains of each chain's variance (ddof=1), of (parameter, chain, draw)."""
    chain_mean, chain_var = mean_var(z, scratch)
    return chain_mean, chain_var.mean(axis=1)


def _rhat(chain_mean: np.ndarray, within: np.ndarray, draws: int) -> np.ndarray:
    """ArviZ's ``_rhat`` for each parameter, from its chains' means and mean variance (see ``moments``)."""
    between = draws * chain_mean.var(axis=1, ddof=1)
    return np.sqrt((between / within + draws - 1) / draws)


def folded_z_scores(ordered: np.ndarray, order: np.ndarray, scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    """Rank-normalized folded draws ``|x - median|`` at their original positions, from the sorted rows
    (``ordered``, by flat indices ``order``); and which rows have a NaN fold (inf minus an infinite median)."""
    size = ordered.shape[1]
    # np.median of the split draws, in their own precision (the fold is taken in it too).
    median = (ordered[:, size // 2 - 1] + ordered[:, size // 2]) / ordered.dtype.type(2)
    folded = np.subtract(ordered, median[:, None], out=scratch.array("folded", ordered.shape, ordered.dtype))
    np.abs(folded, out=folded)
    # Sorted draws fold into a falling then a rising run; a stable sort merges the two.
    fold_order = flat_argsort(folded, kind="stable")
    folded_sorted = scratch.array("folded_sorted", folded.shape, folded.dtype)
    np.take(folded, fold_order, out=folded_sorted, mode="clip")
    position = scratch.array("position", order.shape, order.dtype)
    np.take(order, fold_order, out=position, mode="clip")
    z = z_scores(position, folded_sorted, scratch.array("folded_z", folded.shape))
    return z, np.isnan(folded_sorted[:, -1])


def rank_rhat(
    bulk: tuple[np.ndarray, np.ndarray], folded: tuple[np.ndarray, np.ndarray], nan_fold: np.ndarray, draws: int
) -> np.ndarray:
    """Rank-normalized split R-hat from the ``moments`` of the bulk and folded z-scores of split chains
    of ``draws`` draws: the larger of the bulk and the folded (tail) R-hat."""
    tail = _rhat(*folded, draws)
    # ArviZ ranks with nan_policy="omit": NaN folds make the tail R-hat NaN.
    tail[nan_fold] = np.nan
    rhat_bulk = _rhat(*bulk, draws)
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


def tail_ess(split: np.ndarray, full_sorted: np.ndarray, definitions: Definitions, scratch: Scratch) -> np.ndarray:
    """Tail ESS: the smaller ESS of the indicators of the two tail quantiles."""
    ess = []
    for prob in definitions.tail_probs:
        quantile = _quantiles(full_sorted, prob, definitions.numpy_quantile)[:, None, None]
        ess.append(
            effective_sample_size(
                np.less_equal(split, quantile, out=scratch.array("indicator", split.shape, bool)), scratch
            )
        )
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


def effective_sample_size(y: np.ndarray, scratch: Scratch) -> np.ndarray:
    """ArviZ's ``_ess`` (Geyer's initial monotone sequence) for each parameter of (parameter, chain, draw),
    of float64 or boolean draws."""
    return sequences(y, scratch, ess=True, within=False).ess


def sequences(y: np.ndarray, scratch: Scratch, *, ess: bool, within: bool) -> Sequences:
    """From one set of autocovariances of (parameter, chain, draw) series: ArviZ's ESS (with ``ess``),
    and (with ``within``) the integrated autocorrelation time within chains and the lags it sums
    (see ``_within_sequence``); and R-hat's moments, the variance from the autocovariance at lag 0."""
    params, chains, draws = y.shape
    chain_mean = y.mean(axis=2)
    between = chain_mean.var(axis=1, ddof=1) if chains > 1 else np.zeros(params)
    # ArviZ's loop computes lag pairs (t + 1, t + 2) for t = 1, 3, … while t < draws - 3: pairs
    # 1 … last_pair, pair 0 being the lags (0, 1). The sequence within chains may run to the last lag.
    last_pair = (draws - 3) // 2
    lags = 2 * (max(last_pair, 0) + 1)
    all_lags = max(lags if ess else 0, 2 * (draws // 2) if within else 0)
    # The sequences usually stop within a few lags: a short FFT first, the full one only for the
    # parameters whose sequence runs past its lags.
    acov = _autocovariance(y, chain_mean, min(all_lags, 2 * (draws // 8 + 1)), scratch)
    variance = acov[:, 0] * (draws / (draws - 1))
    found, done = _estimates(acov, between, draws, chains, last_pair, ess, within)
    rest = np.flatnonzero(~done)
    if len(rest):
        acov = _autocovariance(y[rest], chain_mean[rest], all_lags, scratch)
        for value, more in zip(
            found, _estimates(acov, between[rest], draws, chains, last_pair, ess, within)[0], strict=True
        ):
            if value is not None:
                value[rest] = more
    if ess:
        flat = y.reshape(params, chains * draws)
        # As float, so that boolean indicators take the same test.
        constant = (flat.max(axis=1).astype(float) - flat.min(axis=1).astype(float)) < CONSTANT_RANGE
        found[0][constant] = chains * draws
    return Sequences(*found, chain_mean, variance)


def _estimates(
    acov: np.ndarray, between: np.ndarray, draws: int, chains: int, last_pair: int, ess: bool, within: bool
) -> tuple[list, np.ndarray]:
    """``[ess, tau, lags]`` (None where not asked) from the first lags of the autocovariance, and
    whether those lags sufficed for each parameter."""
    found: list = [None, None, None]
    done = np.ones(len(acov), dtype=bool)
    if ess:
        found[0], done = _geyer(acov[:, : 2 * (max(last_pair, 0) + 1)], between, draws, chains * draws, last_pair)
    if within:
        found[1], found[2], enough = _within_sequence(acov)
        done &= enough
    return found, done


def _within_sequence(acov: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrated autocorrelation time within chains: the autocorrelations of the chain-mean
    autocovariance (each chain around its own mean, no variance between chains), summed in pairs
    over Geyer's initial positive sequence and made monotone; the number of lags summed; and
    whether the sequence stopped within the lags given."""
    rho = acov / acov[:, :1]
    pairs = rho[:, 0::2] + rho[:, 1::2]
    positive = np.logical_and.accumulate(pairs > 0.0, axis=1)
    monotone = np.minimum.accumulate(np.where(positive, pairs, np.inf), axis=1)
    tau = -1.0 + 2.0 * np.where(positive, monotone, 0.0).sum(axis=1)
    count = positive.sum(axis=1)
    return tau, 2.0 * count, count < pairs.shape[1]


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
