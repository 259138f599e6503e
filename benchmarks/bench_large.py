"""A trace larger than the memory the doctor may use: ``pymc-doctor check big.zarr`` and
``pymc_doctor.check`` on the same trace opened with dask, each in a subprocess whose address
space is capped (``resource.setrlimit(RLIMIT_AS)``) below the size of the posterior.

    python benchmarks/bench_large.py                    # 125,000 parameters: a 3.7 GiB posterior, 1.5 GiB cap
    python benchmarks/bench_large.py --params 20000 --limit-gb 1.2
    python benchmarks/bench_large.py --smoke --path /tmp/small.zarr   # a small trace: checks that it runs

The trace (4 chains x 1,000 AR(1) draws, zarr chunks of 1,000 parameters, plus NUTS statistics) is
written once, chunk by chunk with dask, and kept for later runs unless ``--fresh``. Each run
reports its wall time, peak resident memory and findings; the dask run also checks its table
against the engine and ArviZ on the first parameters, read directly.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHUNK = 1000
SMOKE_PARAMS = 2000

# Runs inside the capped subprocess: argv = [limit_bytes, mode, path, output].
CAPPED = """
import json, resource, sys, time, warnings
limit, mode, path, output = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
warnings.simplefilter("ignore")
start = time.perf_counter()
result = {}
if mode == "cli":
    from pymc_doctor.cli import main
    try:
        main(["check", path, "--format", "json", "--output", output + ".report.json"], standalone_mode=False)
        result["exit_code"] = 0
    except SystemExit as exit:
        result["exit_code"] = exit.code
    report = json.load(open(output + ".report.json"))
    result["findings"] = sorted({finding["code"] for finding in report["findings"]})
else:
    import numpy as np
    import xarray as xr
    import pymc_doctor
    from pymc_doctor.compat import trace_view
    from pymc_doctor.diagnostics import diagnostics_of
    tree = xr.open_datatree(path, engine="zarr", chunks={})
    trace = trace_view(tree)
    report = pymc_doctor.check(tree)
    result["findings"] = sorted({finding.code for finding in report.findings})
    table = diagnostics_of(trace).table
    np.save(output + ".table.npy", table[["rhat", "ess_bulk", "ess_tail", "mcse_mean", "mean", "sd"]].to_numpy())
result["seconds"] = time.perf_counter() - start
result["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
json.dump(result, open(output, "w"))
"""


def write_trace(path: Path, params: int) -> None:
    import dask.array as da
    import numpy as np
    import xarray as xr

    sys.path.insert(0, str(HERE))
    from synthetic import CHAINS, DRAWS, ar1, sample_stats

    def block(block_info=None):
        index = block_info[None]["chunk-location"][2]
        size = block_info[None]["chunk-shape"][2]
        return ar1(np.random.default_rng(index), CHAINS, DRAWS, size)

    theta = da.map_blocks(block, chunks=((CHAINS,), (DRAWS,), (CHUNK,) * (params // CHUNK)), dtype=float)
    rng = np.random.default_rng(params)
    posterior = xr.Dataset(
        {
            "mu": (("chain", "draw"), ar1(rng, CHAINS, DRAWS, 1)[..., 0]),
            "theta": (("chain", "draw", "theta_dim"), theta),
        },
        coords={"chain": np.arange(CHAINS), "draw": np.arange(DRAWS)},
    )
    tree = xr.DataTree.from_dict({"posterior": posterior, "sample_stats": sample_stats(divergences=12)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr 3 on consolidated metadata
        tree.to_zarr(path, mode="w")


def capped_run(mode: str, path: Path, limit: int, scratch: Path) -> dict:
    output = scratch / f"{mode}.json"
    command = [sys.executable, "-c", CAPPED, str(limit), mode, str(path), str(output)]
    process = subprocess.run(command, capture_output=True, text=True, check=False)
    if process.returncode or not output.exists():
        return {"failed": process.returncode, "stderr": process.stderr[-2000:]}
    return json.loads(output.read_text())


def check_against_references(path: Path, scratch: Path, count: int = 100) -> dict:
    """The capped dask run's table on the first ``count`` parameters, against the engine and ArviZ."""
    import numpy as np
    import xarray as xr

    from pymc_doctor import compat
    from pymc_doctor.diagnostics import compute_diagnostics
    from pymc_doctor.quiet import quiet

    sys.path.insert(0, str(HERE.parent))
    from tests import oracle

    table = np.load(scratch / "dask.json.table.npy")[: count + 1]
    posterior = xr.open_datatree(path, engine="zarr")["posterior"].to_dataset()
    subset = posterior.isel(theta_dim=slice(0, count)).load()
    direct = compute_diagnostics(compat.trace_view(subset)).table.iloc[:, 2:].to_numpy()
    with quiet("arviz"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arviz = np.column_stack(
            [
                np.concatenate([[float(result["mu"])], result["theta"].values])
                for result in (
                    oracle.rhat(subset),
                    oracle.ess(subset, "bulk"),
                    oracle.ess(subset, "tail"),
                    oracle.mcse(subset, "mean"),
                )
            ]
        )
    return {
        "parameters_compared": count + 1,
        "max_rel_diff_vs_engine_in_memory": float(np.max(np.abs(table / direct - 1))),
        "max_rel_diff_vs_arviz": float(np.max(np.abs(table[:, :4] / arviz - 1))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=int, default=125_000, help="parameters (a multiple of 1,000)")
    parser.add_argument("--limit-gb", type=float, default=1.5, help="address-space cap of the checking process")
    parser.add_argument("--path", type=Path, default=Path("/tmp/pymc-doctor-big.zarr"))
    parser.add_argument("--fresh", action="store_true", help="write the trace again")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_PARAMS:,} parameters, written afresh")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.smoke:
        args.params, args.fresh = SMOKE_PARAMS, True
    if args.fresh and args.path.exists():
        shutil.rmtree(args.path)
    if not args.path.exists():
        started = time.perf_counter()
        write_trace(args.path, args.params)
        print(f"wrote {args.path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    posterior_bytes = 8 * 4 * 1000 * (args.params + 1)
    on_disk = sum(file.stat().st_size for file in args.path.rglob("*") if file.is_file())
    limit = int(args.limit_gb * 2**30)
    scratch = args.path.with_suffix(".results")
    scratch.mkdir(exist_ok=True)
    runs = {mode: capped_run(mode, args.path, limit, scratch) for mode in ("cli", "dask")}
    failed = {mode: result for mode, result in runs.items() if "failed" in result}
    comparison = {} if "dask" in failed else check_against_references(args.path, scratch)
    sys.path.insert(0, str(HERE))
    from bench_diagnostics import machine, machine_line

    print(machine_line(machine()))
    print(
        f"Posterior of {args.params + 1:,} parameters: {posterior_bytes / 2**30:.2f} GiB in memory "
        f"({on_disk / 2**30:.2f} GiB on disk, zarr); address space capped at {limit / 2**30:.2f} GiB "
        f"({limit / posterior_bytes:.2f} x the posterior).\n"
    )
    print("| run | wall s | peak RSS GiB | findings |\n|---|---|---|---|")
    for mode, result in runs.items():
        title = "`pymc-doctor check big.zarr`" if mode == "cli" else "`pymc_doctor.check` on the dask-backed DataTree"
        if mode in failed:
            print(f"| {title} | FAILED (exit {result['failed']}) | | |")
            continue
        print(
            f"| {title} | {result['seconds']:.0f} | {result['peak_rss'] / 2**30:.2f} "
            f"| {', '.join(result['findings']) or 'none'} |"
        )
    if comparison:
        print(
            f"\nThe dask run's table on the first {comparison['parameters_compared']} parameters: largest relative "
            f"difference {comparison['max_rel_diff_vs_engine_in_memory']:.1e} from the engine on the same draws "
            f"in memory, {comparison['max_rel_diff_vs_arviz']:.1e} from ArviZ."
        )
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "comparison": comparison}, indent=1))
    for mode, result in failed.items():
        sys.exit(f"the {mode} run failed:\n{result['stderr']}")


if __name__ == "__main__":
    main()
