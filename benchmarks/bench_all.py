"""Every benchmark of issue 7 in one run, on the installed PyMC line, printed as one Markdown page.

    python benchmarks/bench_all.py                    # about 15 minutes (ArviZ at 100,000 parameters)
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

# name: (title, script, arguments, arguments with --smoke or None to skip it then)
SECTIONS = {
    "diagnostics": (
        "`pymc_doctor.check` against ArviZ, 1,000 and 10,000 parameters",
        "bench_diagnostics.py",
        ["--sizes", "1000", "10000", "--repeats", "5", "--arviz-repeats", "3"],
        ["--smoke"],
    ),
    "diagnostics-100k": (
        "`pymc_doctor.check` against ArviZ, 100,000 parameters (ArviZ once)",
        "bench_diagnostics.py",
        ["--sizes", "100000", "--repeats", "3", "--arviz-repeats", "1"],
        None,
    ),
    "env": ("`pymc-doctor env` against `import pymc`", "bench_env.py", ["--repeats", "5"], ["--smoke"]),
    "lint": ("Model lint of big models", "bench_lint.py", ["--repeats", "3"], ["--smoke"]),
}
LARGE = ("A trace larger than memory", "bench_large.py", ["--limit-gb", "1.5"], None)


def line_marker() -> str:
    return f"pymc{metadata.version('pymc').split('.')[0]}"


def run_section(script: str, arguments: list[str]) -> str:
    process = subprocess.run(
        [sys.executable, str(HERE / script), *arguments], capture_output=True, text=True, check=False
    )
    if process.returncode:
        sys.exit(f"{script} {' '.join(arguments)} failed:\n{process.stderr[-3000:]}")
    return process.stdout.strip()


def page(large: bool, smoke: bool, json_dir: Path | None) -> str:
    parts = [f"Run `{' '.join(['python', 'benchmarks/bench_all.py', *sys.argv[1:]])}`, {time.strftime('%Y-%m-%d')}."]
    sections = {**SECTIONS, **({"large": LARGE} if large else {})}
    for name, (title, script, arguments, smoke_arguments) in sections.items():
        if smoke and smoke_arguments is None:
            continue
        used = smoke_arguments if smoke else arguments
        started = time.perf_counter()
        output = run_section(script, [*used, *(["--json", str(json_dir / f"{name}.json")] if json_dir else [])])
        print(f"{title}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        # Each script prints its machine line first, then its tables.
        machine, _, tables = output.partition("\n")
        parts.append(f"#### {title}\n\n`{' '.join([script, *used])}` · {machine}\n\n{tables}")
    return "\n\n".join(parts)


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
    text = page(args.large, args.smoke, args.json_dir)
    print(text)
    if args.update_readme:
        update_readme(args.readme, text)


if __name__ == "__main__":
    main()
