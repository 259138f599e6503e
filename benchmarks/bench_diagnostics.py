"""``pymc_doctor.check`` against ``az.summary`` (and ``arviz_stats.diagnose`` on ArviZ 1.x), side by side.

Synthetic traces of 4 chains x 1,000 AR(1) draws with 1,000, 10,000 and 100,000 scalar
parameters plus NUTS statistics (``benchmarks/synthetic.py``). Each size runs in its own
subprocess, which builds the trace once and times every tool on it in that process: medians over
repeated runs, wall and CPU time, and the peak memory above the built trace: the doctor's resident
set sampled every 5 ms, and for every tool tracemalloc's peak over one extra, untimed run. Then the
HTML report of the doctor's findings on that trace: time to render it (plots of what is flagged
included; matplotlib is imported beforehand) and its size.

    python benchmarks/bench_diagnostics.py                      # 1k and 10k, ArviZ included
    python benchmarks/bench_diagnostics.py --sizes 100000 --no-arviz
    python benchmarks/bench_diagnostics.py --sizes 100000 --repeats 1 --no-tracemalloc \
        --arviz-repeats 1 --arviz-tools az.summary
    python benchmarks/bench_diagnostics.py --smoke              # tiny sizes, a few seconds

ArviZ takes 300 to 550 s at 100,000 parameters: run one of its functions there, once
(``--arviz-repeats 1 --arviz-tools ...``), or none (``--no-arviz``), one size per invocation,
to stay under 10 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMOKE_SIZES = (40, 200)


class PeakRSS:
    """Peak resident set size above the level at entry, sampled every 5 ms in a thread."""

    def __enter__(self):
        import psutil

        self._process = psutil.Process()
        self._base = self._process.memory_info().rss
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss - self._base)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss - self._base)


def timed(function, repeats: int) -> tuple[dict, object]:
    """Median wall and CPU seconds over ``repeats`` runs, the peak RSS above the start, and the last result."""
    walls, cpus = [], []
    with PeakRSS() as rss:
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            result = function()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    timing = {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "runs": repeats, "peak_rss": rss.peak}
    return timing, result


def arviz_tools() -> dict:
    """The ArviZ functions the doctor is compared with on the installed line."""
    from pymc_doctor import compat

    if compat.arviz_major() >= 1:
        import arviz_stats

        return {
            "az.summary": arviz_stats.summary,
            "arviz_stats.diagnose": lambda idata: arviz_stats.diagnose(idata, show_diagnostics=False),
        }
    import arviz

    return {"az.summary": arviz.summary}


def run_case(params: int, repeats: int, arviz_repeats: int, divergences: int, tools: list[str], traced: bool) -> dict:
    """One size, in this process: build the trace, then time each tool on it."""
    sys.path.insert(0, str(HERE))
    warnings.simplefilter("ignore")
    from synthetic import trace

    import pymc_doctor
    from pymc_doctor import compat
    from pymc_doctor.reports import render_html

    idata = trace(params, divergences=divergences)
    # Imports and caches outside the timings: the checks, and the plotting of the HTML report.
    render_html([pymc_doctor.check(trace(20, divergences=divergences))])
    posterior_bytes = int(sum(v.nbytes for v in compat.trace_groups(idata)["posterior"].data_vars.values()))
    timing, report = timed(lambda: pymc_doctor.check(idata), repeats)
    html_timing, html = timed(lambda: render_html([report]), repeats)
    result = {
        "params": params,
        "trace_bytes": posterior_bytes,
        "findings": sorted({finding.code for finding in report.findings}),
        "doctor": timing,
        "html": {**html_timing, "bytes": len(html.encode()), "plots": html.count('src="data:image/png')},
    }
    if traced:
        result["doctor"]["peak_traced"] = peak_traced(lambda: pymc_doctor.check(idata))
    if arviz_repeats:
        for tool, function in arviz_tools().items():
            if tool in tools:
                result[tool], _ = timed(lambda function=function: function(idata), arviz_repeats)
                if traced:
                    result[tool]["peak_traced"] = peak_traced(lambda function=function: function(idata))
    return result


def peak_traced(function) -> int:
    """Peak of the memory allocated through Python (NumPy included) during one untimed run."""
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def machine() -> dict:
    cpu = ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
        cpu = f"{fields.get('Model name', '?').strip()}, {fields.get('CPU(s)', '?').strip()} CPUs"
    except (OSError, subprocess.CalledProcessError):
        cpu = platform.processor()
    import psutil

    versions = {name: metadata.version(name) for name in ("pymc", "pytensor", "numpy", "scipy", "xarray", "arviz")}
    if int(versions["arviz"].split(".")[0]) >= 1:
        versions["arviz-stats"] = metadata.version("arviz-stats")
    return {
        "cpu": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 2**30),
        "python": platform.python_version(),
        **versions,
    }


def machine_line(info: dict) -> str:
    """The line every benchmark prints first: ``bench_all.py`` sets it apart from the tables."""
    return ", ".join(f"{key} {value}" for key, value in info.items())


def publish(info: dict, results, tables: str, json_path: Path | None) -> None:
    """Print the machine line, then the tables; write the machine and the results to ``json_path``."""
    print(machine_line(info))
    print(tables)
    if json_path:
        json_path.write_text(json.dumps({"machine": info, "results": results}, indent=1))


def table(results: list[dict]) -> str:
    tools = [tool for tool in ("az.summary", "arviz_stats.diagnose") if any(tool in r for r in results)]
    header = ["parameters", "trace MB", "doctor s (CPU s)", "doctor µs/param"]
    for tool in tools:
        header += [f"{tool} s (CPU s)", "wall ratio", "CPU ratio"]
    header += ["doctor peak RSS MB (x trace)", "doctor traced MB (x trace)"]
    header += [f"{tool} traced MB" for tool in tools]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        doctor, trace_mb = r["doctor"], r["trace_bytes"] / 2**20
        row = [f"{r['params']:,}", f"{trace_mb:,.0f}", f"{doctor['wall']:.2f} ({doctor['cpu']:.2f})"]
        row.append(f"{doctor['wall'] / r['params'] * 1e6:.0f}")
        for tool in tools:
            if tool in r:
                runs = "" if r[tool]["runs"] > 1 else " (1 run)"
                row += [f"{r[tool]['wall']:.1f} ({r[tool]['cpu']:.1f}){runs}"]
                row += [f"{doctor['wall'] / r[tool]['wall']:.3f}", f"{doctor['cpu'] / r[tool]['cpu']:.3f}"]
            else:
                row += ["—", "—", "—"]
        row.append(f"{doctor['peak_rss'] / 2**20:,.0f} ({doctor['peak_rss'] / r['trace_bytes']:.2f})")
        traced = doctor.get("peak_traced")
        row.append(f"{traced / 2**20:,.0f} ({traced / r['trace_bytes']:.2f})" if traced else "—")
        for tool in tools:
            peak = r.get(tool, {}).get("peak_traced")
            row.append(f"{peak / 2**20:,.0f}" if peak else "—")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def report_table(results: list[dict]) -> str:
    """The HTML report of each trace's findings: time to render (plots included) and size."""
    lines = ["| parameters | findings | HTML report s (CPU s) | HTML MB | plots |", "|---|---|---|---|---|"]
    for r in results:
        html = r["html"]
        lines.append(
            f"| {r['params']:,} | {', '.join(r['findings'])} | {html['wall']:.2f} ({html['cpu']:.2f}) "
            f"| {html['bytes'] / 2**20:.2f} | {html['plots']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="parameters per trace")
    parser.add_argument("--repeats", type=int, default=5, help="doctor runs per size (median)")
    parser.add_argument("--arviz-repeats", type=int, default=3, help="ArviZ runs per size (median)")
    parser.add_argument("--no-arviz", action="store_true", help="time the doctor only")
    parser.add_argument(
        "--arviz-tools", nargs="+", default=["az.summary", "arviz_stats.diagnose"], help="ArviZ functions to time"
    )
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the extra doctor run under tracemalloc")
    parser.add_argument("--divergences", type=int, default=8, help="divergent draws, so SMP101 locates them")
    parser.add_argument("--smoke", action="store_true", help=f"sizes {SMOKE_SIZES}, one run each")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    arviz_repeats = 0 if args.no_arviz else args.arviz_repeats
    if args.case:
        result = run_case(
            args.case, args.repeats, arviz_repeats, args.divergences, args.arviz_tools, not args.no_tracemalloc
        )
        print(json.dumps(result))
        return
    sizes, repeats = (SMOKE_SIZES, 1) if args.smoke else (args.sizes, args.repeats)
    if args.smoke:
        arviz_repeats = min(arviz_repeats, 1)
    results = []
    for size in sizes:
        command = [sys.executable, __file__, "--case", str(size), "--repeats", str(repeats)]
        command += ["--arviz-repeats", str(arviz_repeats), "--divergences", str(args.divergences)]
        command += ["--arviz-tools", *args.arviz_tools] + (["--no-tracemalloc"] if args.no_tracemalloc else [])
        process = subprocess.run(command, capture_output=True, text=True, check=False)
        if process.returncode:
            sys.exit(f"size {size} failed:\n{process.stderr}")
        results.append(json.loads(process.stdout.strip().splitlines()[-1]))
        print(f"{size:,} parameters done", file=sys.stderr)
    info = {**machine(), "load_average": " ".join(f"{load:.2f}" for load in os.getloadavg())}
    publish(info, results, f"{table(results)}\n\n{report_table(results)}", args.json)


if __name__ == "__main__":
    main()
