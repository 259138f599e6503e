"""What the diagnoses add to ``pymc_doctor.check``: the same check with and without its diagnose
step, side by side in one process, on a synthetic trace of 10,000 parameters (issue 13's goal: under 10%).

    python benchmarks/bench_diagnoses.py                       # 10,000 parameters, 7 rounds
    python benchmarks/bench_diagnoses.py --params 1000 --rounds 2   # a quick look

The trace is ``synthetic.trace`` (4 chains x 1,000 AR(1) draws, NUTS statistics with 8 divergent
draws), built once. Each round runs ``check`` with the diagnoses and ``check`` without them (the
runner's ``_diagnose`` replaced by a no-op for that call), in alternating order, after one untimed
run of each; then ``diagnose`` alone on that report's findings. Wall and CPU seconds (the process's
``time.process_time``, every thread), medians over the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


@contextmanager
def without_diagnoses():
    """``check`` as it would run with no diagnose step: the runner's ``_diagnose`` does nothing."""
    from pymc_doctor import runner

    original = runner._diagnose
    runner._diagnose = lambda report, subject: None
    try:
        yield
    finally:
        runner._diagnose = original


def timed(function) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def measure(params: int, rounds: int) -> dict:
    from synthetic import trace

    import pymc_doctor
    from pymc_doctor.diagnoses import diagnose
    from pymc_doctor.subject import Subject

    idata = trace(params)

    def with_diagnoses():
        return pymc_doctor.check(idata)

    def plain():
        with without_diagnoses():
            return pymc_doctor.check(idata)

    with_diagnoses(), plain()  # untimed: imports, compiled kernels, caches
    samples = {"with": [], "without": [], "diagnose": []}
    reports = {}
    for round_ in range(rounds):
        order = (("with", with_diagnoses), ("without", plain))
        for key, function in order if round_ % 2 == 0 else order[::-1]:
            wall, cpu, reports[key] = timed(function)
            samples[key].append((wall, cpu))
        undiagnosed = reports["without"]
        subject = Subject(trace=undiagnosed.trace)
        wall, cpu, _ = timed(lambda: diagnose(undiagnosed.findings, subject))  # noqa: B023 (called at once)
        samples["diagnose"].append((wall, cpu))
    diagnosed = reports["with"]
    medians = {
        key: {"wall": statistics.median(w for w, _ in values), "cpu": statistics.median(c for _, c in values)}
        for key, values in samples.items()
    }
    return {
        "params": params,
        "rounds": rounds,
        "findings": sorted({f.code for f in diagnosed.findings}),
        "diagnoses": [d.code for d in diagnosed.diagnoses],
        "medians": medians,
        "samples": samples,
    }


def report_table(result: dict) -> str:
    medians = result["medians"]
    base = medians["without"]
    lines = [
        "| run | wall s | CPU s | wall vs. without | CPU vs. without |",
        "|---|---|---|---|---|",
    ]
    for key, title in (
        ("without", "`check`, no diagnose step"),
        ("with", "`check`, with the diagnoses"),
        ("diagnose", "`diagnose` alone, on the findings of `check` without it"),
    ):
        wall, cpu = medians[key]["wall"], medians[key]["cpu"]
        if key == "with":
            ratios = [f"{wall / base['wall'] - 1:+.1%}", f"{cpu / base['cpu'] - 1:+.1%}"]
        elif key == "diagnose":
            ratios = [f"{wall / base['wall']:.1%} of it", f"{cpu / base['cpu']:.1%} of it"]
        else:
            ratios = ["", ""]
        lines.append(f"| {title} | {wall:.3f} | {cpu:.3f} | {ratios[0]} | {ratios[1]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=int, default=10_000, help="parameters (a multiple of 20)")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds of each")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from bench_diagnostics import machine, machine_line

    info = machine()
    result = measure(args.params, args.rounds)
    print(machine_line(info))
    print(
        f"\n{result['params']:,} parameters, medians of {result['rounds']} rounds; findings "
        f"{', '.join(result['findings']) or 'none'}; diagnoses {', '.join(result['diagnoses']) or 'none'}.\n"
    )
    print(report_table(result))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "result": result}, indent=1))


if __name__ == "__main__":
    main()
