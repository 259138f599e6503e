"""Every benchmark of issue 7 in one run, on the installed PyMC line, printed as one Markdown page.

    python benchmarks/bench_all.py                    # 15 to 25 minutes (ArviZ at 100,000 parameters)
    python benchmarks/bench_all.py --large            # and the larger-than-memory trace (+5 minutes)
    python benchmarks/bench_all.py --update-readme    # also replace this line's results in README.md
    python benchmarks/bench_all.py --smoke            # tiny sizes, a minute: checks that it all runs

Each section runs its script (``bench_*.py``, which can also run alone) in a subprocess with
this interpreter. ``--update-readme`` writes the page between the markers of this PyMC line in
``benchmarks/README.md``, so that the README keeps the latest tables and the machine they ran on.
``--json-dir`` keeps each section's raw results.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"

# At 100,000 parameters each ArviZ function takes six to seven minutes: one per line there, the
# one the doctor stands in for (az.summary on ArviZ 0.x; arviz_stats.diagnose on 1.x).
ARVIZ_AT_100K = "arviz_stats.diagnose" if int(metadata.version("arviz").split(".")[0]) >= 1 else "az.summary"

# name: (title, script, arguments, arguments with --smoke or None to skip it then)
SECTIONS = {
    "diagnostics": (
        "`pymc_doctor.check` against ArviZ, 1,000 and 10,000 parameters",
        "bench_diagnostics.py",
        ["--sizes", "1000", "10000", "--repeats", "5", "--arviz-repeats", "3"],
        ["--smoke"],
    ),
    "diagnostics-100k": (
        f"`pymc_doctor.check` against `{ARVIZ_AT_100K}`, 100,000 parameters (ArviZ once)",
        "bench_diagnostics.py",
        [
            "--sizes",
            "100000",
            "--repeats",
            "3",
            "--no-tracemalloc",
            "--arviz-tools",
            ARVIZ_AT_100K,
            "--arviz-repeats",
            "1",
        ],
        None,
    ),
    "engine": (
        "The engine on one thread against its floor, numpyro and ArviZ, per parameter",
        "bench_engine.py",
        ["--params", "2000", "--arviz-params", "200", "--repeats", "5"],
        ["--smoke"],
    ),
    "startup": (
        "Start-up: `pymc-doctor check` of a tiny trace against `import arviz`",
        "bench_startup.py",
        ["--repeats", "7"],
        ["--smoke"],
    ),
    "env": ("`pymc-doctor env` against `import pymc`", "bench_env.py", ["--repeats", "5"], ["--smoke"]),
    "lint": ("Model lint of big models", "bench_lint.py", ["--repeats", "3"], ["--smoke"]),
}
LARGE = ("A trace larger than memory", "bench_large.py", ["--limit-gb", "1.5"], None)


def line_marker() -> str:
    return f"pymc{metadata.version('pymc').split('.')[0]}"


def run_section(script: str, arguments: list[str]) -> tuple[str, str | None]:
    """What the script printed, and why it failed (None when it did not)."""
    process = subprocess.run(
        [sys.executable, str(HERE / script), *arguments], capture_output=True, text=True, check=False
    )
    if process.returncode:
        why = f"killed by signal {-process.returncode}" if process.returncode < 0 else f"exit {process.returncode}"
        return process.stdout.strip(), f"{why}: {process.stderr.strip()[-2000:]}"
    return process.stdout.strip(), None


def run_all(large: bool, smoke: bool, json_dir: Path | None) -> tuple[str, list[str]]:
    """Every section in turn, each printed as soon as it is done; the page, and the sections that failed."""
    parts = [f"Run `{' '.join(['python', 'benchmarks/bench_all.py', *sys.argv[1:]])}`, {time.strftime('%Y-%m-%d')}."]
    print(parts[0], flush=True)
    failed = []
    sections = {**SECTIONS, **({"large": LARGE} if large else {})}
    for name, (title, script, arguments, smoke_arguments) in sections.items():
        if smoke and smoke_arguments is None:
            continue
        used = smoke_arguments if smoke else arguments
        started = time.perf_counter()
        output, failure = run_section(
            script, [*used, *(["--json", str(json_dir / f"{name}.json")] if json_dir else [])]
        )
        print(f"{title}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if failure:
            failed.append(name)
            part = f"#### {title}\n\n`{' '.join([script, *used])}` FAILED ({failure})"
        else:
            # Each script prints its machine line first, then its tables.
            machine, _, tables = output.partition("\n")
            part = f"#### {title}\n\n`{' '.join([script, *used])}` · {machine}\n\n{tables}"
        print(f"\n{part}", flush=True)
        parts.append(part)
    return "\n\n".join(parts), failed


def update_readme(readme: Path, text: str) -> None:
    marker = line_marker()
    start, end = f"<!-- results:{marker}:start -->", f"<!-- results:{marker}:end -->"
    content = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(content):
        sys.exit(f"{readme} has no {start} ... {end} markers")
    readme.write_text(pattern.sub(lambda _: f"{start}\n{text}\n{end}", content), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", help="also check a trace larger than memory")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run each")
    parser.add_argument("--update-readme", action="store_true", help="write the results into the README")
    parser.add_argument("--readme", type=Path, default=README, help="the README to update")
    parser.add_argument("--json-dir", type=Path, help="also write each section's results there, as NAME.json")
    args = parser.parse_args()
    text, failed = run_all(args.large, args.smoke, args.json_dir)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}; the README is left as it was")
    if args.update_readme:
        update_readme(args.readme, text)


if __name__ == "__main__":
    main()
