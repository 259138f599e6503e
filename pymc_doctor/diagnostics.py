"""Per-element convergence diagnostics, computed once per trace and shared by the checks.

The vectorized engine (``pymc_doctor.engine``) computes ArviZ's numbers (rank-normalized split
R-hat, bulk and tail ESS, MCSE), the per-chain means and variances, and where draws diverged
their mean percentile, block by block over parameters on a thread per CPU. The trace is read a
run of elements at a time (``TraceView.draw_blocks``), so a lazily opened trace (zarr, netCDF,
dask) is never loaded whole.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pymc_doctor import engine
from pymc_doctor.trace import BLOCK_BYTES, TraceView

COLUMNS = ("rhat", "ess_bulk", "ess_tail", "mcse_mean", "mean", "sd")
PER_CHAIN = ("chain_mean", "chain_var")
STATISTICS = (*COLUMNS, *PER_CHAIN, *engine.WITHIN)
# The engine's working memory is about ten times a block (trace.BLOCK_BYTES) per thread; small
# traces get smaller blocks, down to this, below which overhead dominates.
MIN_BLOCK_BYTES = 2**18


@dataclass(frozen=True)
class Diagnostics:
    """One row per scalar element: ``variable``, ``label`` and the columns in ``COLUMNS``.

    ``chain_mean`` and ``chain_var`` (ddof=1) are (element, chain) arrays in the table's row order;
    when some draws diverged, ``divergent_percentile`` and ``other_percentile`` are the mean
    percentile of the divergent draws and of the others, per element (NaN for an element with a
    draw that is not finite). ``within`` holds the engine's ``WITHIN`` statistics per element: the
    autocorrelation times within split chains of the very ranks R-hat was computed from, which
    SMP201's noise model needs.
    """

    table: pd.DataFrame
    chain_mean: np.ndarray
    chain_var: np.ndarray
    rows: dict[str, slice] = field(repr=False)
    within: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    divergent_percentile: np.ndarray | None = None
    other_percentile: np.ndarray | None = None

    def rows_of(self, name: str) -> slice:
        """The table rows (and chain statistics rows) of a variable's elements."""
        return self.rows[name]


# Each trace's diagnostics, computed by the first check that asks and shared by the others.
_COMPUTED: weakref.WeakKeyDictionary[TraceView, Diagnostics] = weakref.WeakKeyDictionary()


def diagnostics_of(trace: TraceView) -> Diagnostics:
    """The trace's diagnostics, computed once and kept for as long as the trace lives."""
    if trace not in _COMPUTED:
        _COMPUTED[trace] = compute_diagnostics(trace)
    return _COMPUTED[trace]


def thread_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def compute_diagnostics(trace: TraceView, *, block_bytes: int | None = None, threads: int | None = None) -> Diagnostics:
    """The diagnostics of every variable in ``trace.variable_names()``.

    ``block_bytes`` bounds the draws read and computed at a time (by default ``BLOCK_BYTES``, less
    for small traces so that the working memory stays below the trace's size); ``threads``
    defaults to the CPUs this process may use.
    """
    names = trace.variable_names()
    labels = [trace.element_labels(name) for name in names]
    rows, size = {}, 0
    for name, variable_labels in zip(names, labels, strict=True):
        rows[name] = slice(size, size + len(variable_labels))
        size += len(variable_labels)
    threads = threads or thread_count()
    if block_bytes is None:
        # The engine needs about ten times a block per thread; a third of the trace in all at most.
        block_bytes = min(BLOCK_BYTES, max(MIN_BLOCK_BYTES, 8 * size * trace.chains * trace.draws // (32 * threads)))
    diverging = trace.stat("diverging")
    marked = diverging.astype(bool) if diverging is not None and 0 < diverging.sum() < diverging.size else None
    statistics = STATISTICS if marked is None else (*STATISTICS, *engine.MARKED)
    results = {name: np.empty((size, trace.chains) if name in PER_CHAIN else size) for name in statistics}
    _compute(trace, names, rows, results, marked, block_bytes, threads)
    # Names are held as Python objects: pandas' Arrow strings cannot hold a lone surrogate (a name that
    # was not UTF-8), which netCDF and xarray keep.
    table = pd.DataFrame(
        {
            "variable": pd.Series(
                [name for name, variable_labels in zip(names, labels, strict=True) for _ in variable_labels],
                dtype=object,
            ),
            "label": pd.Series([label for variable_labels in labels for label in variable_labels], dtype=object),
            **{column: results[column] for column in COLUMNS},
        }
    )
    return Diagnostics(
        table.set_index("label", drop=False),
        chain_mean=results["chain_mean"],
        chain_var=results["chain_var"],
        rows=rows,
        within={name: results[name] for name in engine.WITHIN if name in results},
        divergent_percentile=results.get("marked_percentile"),
        other_percentile=results.get("unmarked_percentile"),
    )


def _compute(
    trace: TraceView,
    names: list[str],
    rows: dict[str, slice],
    results: dict[str, np.ndarray],
    marked: np.ndarray | None,
    block_bytes: int,
    threads: int,
) -> None:
    """Fill ``results``: read the trace in large runs of elements, one at a time, and compute them
    in blocks of at most ``block_bytes`` (several small variables to a block) on ``threads`` threads."""
    max_elements = max(1, block_bytes // (8 * trace.chains * trace.draws))
    definitions = engine.installed_definitions()
    per_thread = threading.local()
    Piece = tuple[str, int, np.ndarray]  # (variable, first element, its draws as (chain, draw, element))

    def batches() -> Iterator[list[Piece]]:
        # Float32 draws stay float32 in the engine (as in ArviZ), so they are batched apart.
        filling: dict[np.dtype, tuple[list[Piece], int]] = {}
        for name, start, values in trace.draw_blocks(names, block_bytes):
            dtype = engine.engine_dtype(values.dtype)
            batch, count = filling.get(dtype, ([], 0))
            if batch and count + values.shape[2] > max_elements:
                yield batch
                batch, count = [], 0
            batch.append((name, start, values))
            filling[dtype] = (batch, count + values.shape[2])
        yield from (batch for batch, _ in filling.values() if batch)

    def run(batch: list[Piece]) -> None:
        if not hasattr(per_thread, "scratch"):
            per_thread.scratch = engine.Scratch()
        size = sum(values.shape[2] for _, _, values in batch)
        dtype = engine.engine_dtype(batch[0][2].dtype)
        # Into a C-ordered (element, chain, draw) array: every statistic reduces over contiguous draws.
        draws = per_thread.scratch.array("draws", (size, trace.chains, trace.draws), dtype)
        np.concatenate([np.moveaxis(values, 2, 0) for _, _, values in batch], out=draws, casting="unsafe")
        computed = engine.diagnose(draws, definitions, tuple(results), marked, per_thread.scratch)
        offset = 0
        for name, start, values in batch:
            count, first = values.shape[2], rows[name].start + start
            for statistic, value in computed.items():
                results[statistic][first : first + count] = value[offset : offset + count]
            offset += count

    if threads == 1:
        for batch in batches():
            run(batch)
        return
    with ThreadPoolExecutor(threads) as pool:
        # A few batches per thread wait at most, so that few blocks read from storage are held.
        pending: deque[Future] = deque()
        for batch in batches():
            pending.append(pool.submit(run, batch))
            if len(pending) > 2 * threads:
                pending.popleft().result()
        for future in pending:
            future.result()
