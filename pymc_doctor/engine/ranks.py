"""Ranks of draws: z-scores of the rank-normalized draws, and where marked draws sit among the others."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy
from scipy.special import ndtri

from pymc_doctor.engine.common import BLOM_OFFSET


@lru_cache(maxsize=4)
def _rank_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype of ``scipy.stats.rankdata``'s ranks for draws of this dtype.

    SciPy 1.18 made it the result type of the draws and a Python float (float32 stays float32),
    earlier SciPy always float64. Read from the version: importing ``scipy.stats`` to ask it
    costs a third of a second at start-up.
    """
    major, minor = (int(part) for part in scipy.__version__.split(".")[:2])
    return np.result_type(dtype, 1.0) if (major, minor) >= (1, 18) else np.dtype(np.float64)


@lru_cache(maxsize=16)
def _z_table(size: int, rank_dtype: np.dtype) -> np.ndarray:
    """z-scores of the average ranks 1, 1.5, 2, …, size: entry ``i`` is for rank ``1 + i / 2``.

    Computed as ArviZ does, in the precision of SciPy's ranks: ``_backtransform_ranks``, then
    ``norm.ppf``, which is ``ndtri`` for the standard normal.
    """
    ranks = (np.arange(2, 2 * size + 1) / 2).astype(rank_dtype)
    return ndtri((ranks - BLOM_OFFSET) / (size - 2 * BLOM_OFFSET + 1)).astype(np.float64)


def flat_argsort(rows: np.ndarray, kind: str | None = None) -> np.ndarray:
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
    # Fancy assignment into the flat view: a quarter faster than ``np.put``, which checks every index.
    values.ravel()[order] = table[::2]
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


def z_scores(order: np.ndarray, ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """ArviZ's ``_z_scale`` for each row: rank-normalized values at their original positions, in ``values``."""
    return _ranked(order, ordered, _z_table(ordered.shape[1], _rank_dtype(ordered.dtype)), values)


def marked_percentiles(
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
