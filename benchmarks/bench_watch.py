"""What ``pymc_doctor.watch()`` costs: at build time (the capture of what each distribution is handed)
and after each sampling run (the checks of the trace with its model).

- ``build``: a model of ``--variables`` named scalars (``bench_lint.scalars_model``) built with
  watching off and on; the difference is the capture's cost.
- ``sample``: the non-centered eight schools sampled (PyMC's NUTS, ``--draws`` and ``--tune`` per
  chain, 2 chains, one core) with watching off and on; the difference is the doctor's check, whose
  verdict goes to standard error (sent to /dev/null here).

Medians over ``--repeats`` runs after a warm-up of each (imports and compilations outside the timings).
The script prints its machine line, then a Markdown table.

    python benchmarks/bench_watch.py               # 1,000 variables, 1,000 draws, 3 runs each
    python benchmarks/bench_watch.py --smoke       # 20 variables, 100 draws, one run
    python benchmarks/bench_watch.py --json watch.json
"""

from __future__ import annotations

import argparse
import contextlib
import os
import warnings
from pathlib import Path

from bench_diagnostics import machine, publish, timed
from bench_lint import scalars_model


def _sample(draws: int, tune: int):
    import pymc as pm

    from pymc_doctor.examples import noncentered_eight

    with noncentered_eight(), open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        return pm.sample(draws=draws, tune=tune, chains=2, cores=1, random_seed=1, progressbar=False)


def _both(function, repeats: int) -> dict:
    """``function`` timed with watching off, then on (each after one warm-up run)."""
    import pymc_doctor

    timings = {}
    for watching in (False, True):
        if watching:
            pymc_doctor.watch()
        try:
            function()
            timings[watching] = timed(function, repeats)[0]
        finally:
            pymc_doctor.unwatch()
    return {"off": timings[False], "on": timings[True], "added": timings[True]["wall"] - timings[False]["wall"]}


def table(results: dict) -> str:
    rows = ["| case | watching off (s) | watching on (s) | added (s) |", "|---|---:|---:|---:|"]
    for case, result in results.items():
        rows.append(f"| {case} | {result['off']['wall']:.2f} | {result['on']['wall']:.2f} | {result['added']:+.2f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variables", type=int, default=1_000)
    parser.add_argument("--draws", type=int, default=1_000)
    parser.add_argument("--tune", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="20 variables, 100 draws and tuning steps, one run")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.smoke:
        args.variables, args.draws, args.tune, args.repeats = 20, 100, 100, 1
    warnings.filterwarnings("ignore")
    results = {
        f"build {args.variables:,} variables": _both(lambda: scalars_model(args.variables), args.repeats),
        f"sample eight schools, {args.draws:,} draws": _both(lambda: _sample(args.draws, args.tune), args.repeats),
    }
    publish(machine(), results, table(results), args.json)


if __name__ == "__main__":
    main()
