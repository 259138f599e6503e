"""Start-up: ``pymc-doctor check`` of a tiny trace against ``python -c "import arviz"``, as whole commands.

The trace is ``synthetic.trace(20)`` (4 chains x 1,000 draws) written to netCDF. Commands run
alternating, after one untimed run of each (warm file caches); medians of wall and CPU seconds
(the children's user + system time, all threads), and the ratio to ``import arviz``. Then the
modules the check imports that cost most (``python -X importtime``, cumulative), and whether
``scipy.stats`` is among them.

    python benchmarks/bench_startup.py --repeats 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_diagnostics import machine, publish  # noqa: E402


def run_once(command: list[str]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the child (user + system, every thread)."""
    before = os.times()
    wall = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    wall = time.perf_counter() - wall
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu


def heaviest_imports(command: list[str], count: int) -> tuple[list[tuple[str, float]], bool]:
    """The top-level imports with the largest cumulative time, and whether scipy.stats was imported."""
    process = subprocess.run([sys.executable, "-X", "importtime", *command[1:]], capture_output=True, text=True)
    timings = []
    for line in process.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            timings.append((name.rstrip(), int(cumulative) / 1e6))
    top_level = [(name.strip(), seconds) for name, seconds in timings if not name.startswith("  ")]
    stats_imported = any(name.strip().startswith("scipy.stats") for name, _ in timings)
    return sorted(top_level, key=lambda item: -item[1])[:count], stats_imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one run each")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    repeats = 1 if args.smoke else args.repeats
    warnings.simplefilter("ignore")
    from synthetic import trace

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "tiny.nc")
        trace(20).to_netcdf(path)
        commands = {
            "python -c 'import arviz'": [sys.executable, "-W", "ignore", "-c", "import arviz"],
            "pymc-doctor check tiny.nc": [sys.executable, "-m", "pymc_doctor", "check", str(path)],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for command in commands.values():
            run_once(command)
        for _ in range(repeats):
            for name, command in commands.items():
                times[name].append(run_once(command))
        imports, stats_imported = heaviest_imports(commands["pymc-doctor check tiny.nc"], 6)
    medians = {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in times.items()
    }
    base_wall, base_cpu = medians["python -c 'import arviz'"]
    lines = ["| command | wall s | CPU s | wall ratio | CPU ratio |", "|---|---|---|---|---|"]
    for name, (wall, cpu) in medians.items():
        lines.append(f"| `{name}` | {wall:.2f} | {cpu:.2f} | {wall / base_wall:.2f} | {cpu / base_cpu:.2f} |")
    heavy = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in imports)
    lines += ["", f"Heaviest imports of the check (cumulative): {heavy}; scipy.stats imported: {stats_imported}."]
    info = {**machine(), "load_average": " ".join(f"{load:.2f}" for load in os.getloadavg())}
    publish(info, {"medians": medians, "imports": imports, "scipy_stats": stats_imported}, "\n".join(lines), args.json)


if __name__ == "__main__":
    main()
