"""The engine on one thread against its floor, ArviZ and numpyro, per parameter, in one process.

Draws: ``synthetic.ar1``, 4 chains x 1,000 draws per parameter, as a (parameter, chain, draw)
float64 array. Timed on one thread, medians of repeated runs, CPU time (``time.process_time``,
every thread of the process) and wall time, in µs per parameter:

- ``floor``: the work no exact rank-normalized ESS can skip, per parameter: one ``argsort`` of
  its 4,000 draws, ``ndtri`` of 4,000 values, and one rfft/irfft pair: an rfft of each chain
  zero-padded to ``next_fast_len(2 x draws)`` and the inverse of one such spectrum;
- ``engine``: ``engine.diagnose`` of the statistics the checks read (R-hat, bulk and tail ESS,
  MCSE of the mean, mean, sd, per-chain mean and variance, and the autocorrelation times within
  split chains of the ranks and folded ranks, ``engine.WITHIN``, for SMP201's noise model);
  ``engine without WITHIN``: the same without those, which cost one more autocovariance;
- ``arviz rhat+ess``: ArviZ's rank R-hat, bulk and tail ESS and MCSE of the mean, on fewer
  parameters (it loops over them in Python); ``az.summary`` is timed on the same, per parameter;
- ``numpyro``: ``numpyro.diagnostics.split_gelman_rubin`` and ``effective_sample_size``: the
  classic (not rank-normalized) R-hat and ESS, no tail ESS; skipped with a note when numpyro
  cannot be imported.

    python benchmarks/bench_engine.py --params 2000 --arviz-params 200 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_diagnostics import machine, publish  # noqa: E402

CHECKED = ("rhat", "ess_bulk", "ess_tail", "mcse_mean", "mean", "sd", "chain_mean", "chain_var")


def timed(function, repeats: int) -> dict:
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus)}


def floor(x: np.ndarray) -> None:
    from scipy import fft
    from scipy.special import ndtri

    params, chains, draws = x.shape
    flat = x.reshape(params, chains * draws)
    np.argsort(flat, axis=1)
    ndtri(np.linspace(0.01, 0.99, flat.size).reshape(flat.shape))
    size = fft.next_fast_len(2 * draws, real=True)
    spectrum = np.fft.rfft(x, n=size, axis=2)
    np.fft.irfft(spectrum[:, 0], n=size, axis=1)


def tools(x: np.ndarray, small: np.ndarray, with_arviz: bool) -> dict:
    """name -> (function, parameters it covers)."""
    from pymc_doctor import engine

    definitions = engine.installed_definitions()
    scratch = engine.Scratch()
    checked = (*CHECKED, *engine.WITHIN)
    found = {
        "floor": (lambda: floor(x), len(x)),
        "engine": (lambda: engine.diagnose(x, definitions, checked, scratch=scratch), len(x)),
        "engine without WITHIN": (lambda: engine.diagnose(x, definitions, CHECKED, scratch=scratch), len(x)),
    }
    try:
        from numpyro import diagnostics
    except ImportError as error:
        print(f"numpyro skipped: {error}", file=sys.stderr)
    else:
        # numpyro wants (chain, draw, ...) arrays.
        ordered = np.moveaxis(x, 0, 2).copy()

        def numpyro() -> None:
            diagnostics.split_gelman_rubin(ordered)
            diagnostics.effective_sample_size(ordered)

        found["numpyro"] = (numpyro, len(x))
    if with_arviz:
        import xarray as xr

        from tests import oracle

        dataset = xr.Dataset({"x": (("chain", "draw", "p"), np.moveaxis(small, 0, 2).copy())})

        def arviz_diagnostics() -> None:
            oracle.rhat(dataset)
            oracle.ess(dataset, "bulk")
            oracle.ess(dataset, "tail")
            oracle.mcse(dataset, "mean")

        found["arviz rhat+ess+mcse"] = (arviz_diagnostics, len(small))
        stats = oracle.arviz_stats()
        found["az.summary"] = (lambda: stats.summary(dataset), len(small))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=int, default=2000)
    parser.add_argument("--arviz-params", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-arviz", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="40 parameters (ArviZ 20), one run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.smoke:
        args.params, args.arviz_params, args.repeats = 40, 20, 1
    # One thread: the engine's and the floor's BLAS-free work is single-threaded anyway, and the
    # comparison is per core.
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(HERE.parent))
    from synthetic import ar1

    x = np.ascontiguousarray(np.moveaxis(ar1(np.random.default_rng(0), 4, 1000, args.params), 2, 0))
    small = x[: args.arviz_params]
    results = {}
    for name, (function, count) in tools(x, small, not args.no_arviz).items():
        function()  # caches, imports, tables
        timing = timed(function, args.repeats if count == len(x) else max(1, args.repeats // 2))
        results[name] = {key: value / count * 1e6 for key, value in timing.items()}
    lines = ["| tool | µs/param CPU | µs/param wall | CPU x floor | CPU x engine |", "|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['cpu']:.0f} | {r['wall']:.0f} | {r['cpu'] / results['floor']['cpu']:.2f} "
            f"| {r['cpu'] / results['engine']['cpu']:.2f} |"
        )
    info = {**machine(), "load_average": " ".join(f"{load:.2f}" for load in os.getloadavg())}
    lines.insert(0, f"{args.params:,} parameters (ArviZ {args.arviz_params:,}), 4 x 1,000 draws, one thread\n")
    publish(info, results, "\n".join(lines), args.json)


if __name__ == "__main__":
    main()
