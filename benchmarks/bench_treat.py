"""How long ``pymc_doctor.treat`` takes on the centered eight schools, the funnel it is built to cure.

    python benchmarks/bench_treat.py                  # PyMC's NUTS, the default 4 chains x 1,000 draws
    python benchmarks/bench_treat.py --budget 300

The user's own run comes first and is timed apart (``pm.sample`` with PyMC's defaults and a seed):
``treat`` is given that trace, as a user who has one would. Then ``treat(model, idata)``: the check,
each plan step applied to a copy of the model and sampled again with the same sampler and seed,
until one cures. Wall and CPU seconds (the process's, every thread: PyMC samples its chains in
child processes, whose CPU time ``time.process_time`` does not see, so CPU is given for the
children too); each step's own seconds as ``treat`` reports them, with its symptoms before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def clocks() -> tuple[float, float]:
    """Wall seconds, and CPU seconds of this process and its finished children."""
    times = os.times()
    return time.perf_counter(), times.user + times.system + times.children_user + times.children_system


def since(start: tuple[float, float]) -> dict:
    wall, cpu = clocks()
    return {"wall": wall - start[0], "cpu": cpu - start[1]}


def measure(budget: float, seed: int) -> dict:
    import pymc as pm

    import pymc_doctor
    from pymc_doctor import examples

    model = examples.centered_eight()
    start = clocks()
    with model:
        idata = pm.sample(random_seed=seed, progressbar=False)
    sampled = since(start)
    start = clocks()
    report = pymc_doctor.treat(model, idata, budget=budget, random_seed=seed)
    treated = since(start)
    treatment = report.treatment
    return {
        "sample": sampled,
        "treat": treated,
        "outcome": treatment.outcome,
        "steps": [
            {"description": s.description, "seconds": s.seconds, "cured": s.cured, "before": s.before, "after": s.after}
            for s in treatment.steps
        ],
        "diagnoses": [d.code for d in report.diagnoses],
        "sampler": (report.context.get("trace") or {}).get("sampler"),
    }


def _symptoms(values: dict) -> str:
    keys = (("divergences", "divergences"), ("max_rhat", "max R-hat"), ("min_ess_bulk", "min bulk ESS"))
    return ", ".join(f"{label} {values[key]}" for key, label in keys if key in values)


def report_lines(result: dict) -> str:
    lines = [
        "| run | wall s | CPU s (with child processes) |",
        "|---|---|---|",
        f"| `pm.sample` of the centered eight schools (the user's run) | {result['sample']['wall']:.1f} "
        f"| {result['sample']['cpu']:.1f} |",
        f"| `pymc_doctor.treat(model, idata)` | {result['treat']['wall']:.1f} | {result['treat']['cpu']:.1f} |",
        "",
        f"Sampler {result['sampler']}; diagnoses {', '.join(result['diagnoses']) or 'none'}; "
        f"outcome: **{result['outcome']}**.",
        "",
        "| step | seconds | before | after | cured |",
        "|---|---|---|---|---|",
    ]
    for step in result["steps"]:
        lines.append(
            f"| {step['description']} | {step['seconds']:.1f} | {_symptoms(step['before'])} "
            f"| {_symptoms(step['after'])} | {'yes' if step['cured'] else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=600.0, help="treat's time budget, seconds")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from bench_diagnostics import machine, machine_line

    info = machine()
    result = measure(args.budget, args.seed)
    print(machine_line(info))
    print()
    print(report_lines(result))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "result": result}, indent=1, default=str))


if __name__ == "__main__":
    main()
