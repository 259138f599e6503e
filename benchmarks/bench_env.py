"""``pymc-doctor env`` against ``python -c "import pymc"``, side by side, as whole commands.

Each command runs as a fresh process, as a user runs it, alternating so that load on the machine
falls on all of them alike; medians over ``--repeats`` runs. PyTensor's compile cache is warmed
first by one untimed ``env --fresh``. The doctor's own probe cache lives in a temporary folder:

- ``--fresh`` runs every probe: one child imports PyMC once for the base probe, the compile probe
  (a real C compilation each time) and the smoke test (``pm.sample`` of a tiny model with the
  default sampler), while another imports the sampler backends;
- without it, the probes' results are reused from the previous run of the unchanged
  installation, and only the live facts (files, folders, compile lock, memory) are read again.

    python benchmarks/bench_env.py              # 5 runs of each
    python benchmarks/bench_env.py --smoke      # one run of each
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMPORT_PYMC = "python -c 'import pymc'"
COMMANDS = {
    IMPORT_PYMC: [sys.executable, "-c", "import pymc"],
    "env --quick --fresh": [sys.executable, "-m", "pymc_doctor", "env", "--quick", "--fresh"],
    "env --quick": [sys.executable, "-m", "pymc_doctor", "env", "--quick"],
    "env --fresh": [sys.executable, "-m", "pymc_doctor", "env", "--fresh"],
    "env": [sys.executable, "-m", "pymc_doctor", "env"],
}


def run(argv: list[str], environ: dict[str, str], cwd: str) -> tuple[float, dict | None]:
    """Wall seconds of one run, and the report when the command is the doctor's."""
    doctor = "pymc_doctor" in argv
    if doctor:
        argv = [*argv, "--format", "json"]
    start = time.perf_counter()
    process = subprocess.run(argv, capture_output=True, text=True, env=environ, cwd=cwd, check=False)
    seconds = time.perf_counter() - start
    if process.returncode not in (0, 1):  # 1: the doctor found an error-level problem
        sys.exit(f"{' '.join(argv)} failed:\n{process.stderr[-3000:]}")
    return seconds, json.loads(process.stdout) if doctor else None


def reused_probes(report: dict) -> list[str]:
    probes = report["context"]["environment"]["probes"]
    return sorted(name for name, probe in probes.items() if "reused_from" in probe)


def measure(repeats: int) -> dict:
    results: dict[str, dict] = {name: {"walls": []} for name in COMMANDS}
    # Run from an empty folder, as from a new project: no files there for the doctor to scan.
    with tempfile.TemporaryDirectory(prefix="pymc-doctor-bench-") as folder:
        environ = {**os.environ, "PYMC_DOCTOR_CACHE_DIR": str(Path(folder, "probe-cache"))}
        run(COMMANDS["env --fresh"], environ, folder)  # warms PyTensor's compile cache and Numba's
        for _ in range(repeats):
            for name, argv in COMMANDS.items():
                seconds, report = run(argv, environ, folder)
                results[name]["walls"].append(seconds)
                if report is not None:
                    # What each row measures: a --fresh run reuses nothing; the others reuse every probe.
                    results[name]["reused"] = reused_probes(report)
                    results[name]["findings"] = sorted({f["code"] for f in report["findings"]})
    for result in results.values():
        result["wall"] = statistics.median(result["walls"])
    return results


def table(results: dict) -> str:
    baseline = results[IMPORT_PYMC]["wall"]
    lines = [
        "| command | median s | ratio to `import pymc` | probes reused | findings |",
        "|---|---|---|---|---|",
    ]
    for name, result in results.items():
        reused = ", ".join(result["reused"]) if result.get("reused") else ("—" if name == IMPORT_PYMC else "none")
        findings = ", ".join(result.get("findings", [])) or "—"
        ratio = result["wall"] / baseline
        lines.append(f"| `{name}` | {result['wall']:.2f} | {ratio:.2f} | {reused} | {findings} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command (median)")
    parser.add_argument("--smoke", action="store_true", help="one run of each")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from bench_diagnostics import machine, publish

    results = measure(1 if args.smoke else args.repeats)
    publish(machine(), results, table(results), args.json)


if __name__ == "__main__":
    main()
