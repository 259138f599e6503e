"""What ``pymc_doctor.watch()`` costs: at build time (the capture of what each distribution is handed)
and after each sampling run (the checks of the trace with its model).

- ``build``: a model of ``--variables`` named scalars (``bench_lint.scalars_model``) built with
  watching off and on; the difference is the capture's cost.
- ``sample``: the non-centered eight schools sampled with the same seed and sampler each time
  (PyMC's NUTS, ``--draws`` and ``--tune`` per chain, 2 chains, one core, so every step runs in this
  process) with watching off and on; the difference is the doctor's check, whose verdict goes to
  standard error (sent to /dev/null here, as is PyMC's own logging).
- ``check alone``: what the watcher runs after a sampling run (``hooks._examine``: the checks and
  diagnoses of the trace with its model, and the verdict), timed on its own on an unwatched run's trace.

Off and on runs alternate (off-on, then on-off, ...) so that a change in the machine's load falls on
both; each mode is warmed up once first (imports and compilations outside the timings). Wall seconds
(``time.perf_counter``) and CPU seconds of the process (``time.process_time``), medians over
``--repeats`` rounds; what watching adds is the median of each round's difference. The load average
is printed before and after: on a shared machine the CPU times are the steadier measure.

    python benchmarks/bench_watch.py               # 1,000 variables, 1,000 draws, 5 rounds
    python benchmarks/bench_watch.py --smoke       # 20 variables, 100 draws, one round
    python benchmarks/bench_watch.py --json watch.json
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import time
import warnings
from pathlib import Path

from bench_diagnostics import machine, publish
from bench_lint import scalars_model


def _quiet():
    """The verdict and PyMC's logging go to /dev/null: printing them is not what is measured."""
    stack = contextlib.ExitStack()
    sink = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 (closed with the stack)
    stack.enter_context(contextlib.redirect_stderr(sink))
    logging.getLogger("pymc").setLevel(logging.CRITICAL)  # its convergence warnings log at ERROR
    return stack


def _sample(draws: int, tune: int):
    import pymc as pm

    from pymc_doctor.examples import noncentered_eight

    with noncentered_eight() as model, _quiet():
        sampled = pm.sample(
            draws=draws, tune=tune, chains=2, cores=1, nuts_sampler="pymc", random_seed=1, progressbar=False
        )
    return sampled, model


def _once(function) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def _median(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in ("wall", "cpu")}


def _interleaved(function, repeats: int) -> dict:
    """``function`` with watching off and on, alternating, each mode warmed up once; medians."""
    import pymc_doctor

    def run(watching: bool) -> dict:
        if watching:
            pymc_doctor.watch()
        try:
            return _once(function)
        finally:
            pymc_doctor.unwatch()

    run(False), run(True)
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for round_ in range(repeats):
        for watching in (False, True) if round_ % 2 == 0 else (True, False):
            runs[watching].append(run(watching))
    off, on = _median(runs[False]), _median(runs[True])
    # Each round's on minus off, the pair run back to back: steadier than a difference of medians.
    pairs = list(zip(runs[False], runs[True], strict=True))
    added = {key: statistics.median(on_[key] - off_[key] for off_, on_ in pairs) for key in off}
    spread = {key: (min(r[key] for r in runs[False]), max(r[key] for r in runs[False])) for key in off}
    return {"off": off, "on": on, "added": added, "off_range": spread, "rounds": repeats, "runs": runs}


def _check_alone(draws: int, tune: int, repeats: int) -> dict:
    """What the watcher runs after a run (checks, diagnoses, the verdict), on an unwatched run's trace."""
    import pymc_doctor
    from pymc_doctor.watching import hooks

    idata, model = _sample(draws, tune)

    def examine():
        with _quiet():
            hooks._examine(idata, model, {}, pymc_doctor._watched_check)

    examine()
    return _median([_once(examine) for _ in range(repeats)])


def _cell(timing: dict) -> str:
    return f"{timing['wall']:.2f} ({timing['cpu']:.2f})"


def table(results: dict) -> str:
    rows = [
        "| case | watching off: wall s (CPU s) | off, CPU s range | watching on: wall s (CPU s) "
        "| added, median of pairs: wall s (CPU s) | added CPU |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case, result in results.items():
        if case.startswith("check alone"):
            continue
        share = result["added"]["cpu"] / result["off"]["cpu"]
        low, high = result["off_range"]["cpu"]
        cells = [case, _cell(result["off"]), f"{low:.2f}-{high:.2f}", _cell(result["on"]), _cell(result["added"])]
        cells.append(f"{share:+.1%}")
        rows.append("| " + " | ".join(cells) + " |")
    alone = next(value for case, value in results.items() if case.startswith("check alone"))
    sampled = next(value for case, value in results.items() if case.startswith("sample"))
    share = alone["cpu"] / sampled["off"]["cpu"]
    rows.append(f"| check alone (`hooks._examine`) | | | | {_cell(alone)} | {share:+.1%} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variables", type=int, default=1_000)
    parser.add_argument("--draws", type=int, default=1_000)
    parser.add_argument("--tune", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="20 variables, 100 draws and tuning steps, one round")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.smoke:
        args.variables, args.draws, args.tune, args.repeats = 20, 100, 100, 1
    warnings.filterwarnings("ignore")
    load_before = os.getloadavg()
    results = {
        f"build {args.variables:,} variables": _interleaved(lambda: scalars_model(args.variables), args.repeats),
        f"sample eight schools, {args.draws:,} draws": _interleaved(
            lambda: _sample(args.draws, args.tune), args.repeats
        ),
        "check alone": _check_alone(args.draws, args.tune, args.repeats),
    }
    load = {"load_average_before": _load(load_before), "load_average_after": _load(os.getloadavg())}
    publish({**machine(), "rounds": args.repeats, **load}, results, table(results), args.json)


def _load(averages: tuple[float, ...]) -> str:
    return " ".join(f"{value:.2f}" for value in averages)


if __name__ == "__main__":
    main()
