"""The fit rules (FIT101-103, FIT201-202, FIT301) on a Normal regression of 10,000 observations, side by
side with what a user would run in ArviZ, in one process: CPU (``time.process_time``, every thread) and
wall seconds, medians over repeats.

    python benchmarks/bench_fit.py                 # 10,000 observations, 4 chains x 500 draws
    python benchmarks/bench_fit.py --smoke         # 500 observations: checks that it runs

1. A trace that holds ``posterior_predictive`` and ``log_likelihood``: ``pymc_doctor.check(idata,
   select=["FIT"])`` against ``az.loo`` (pointwise), ``az.loo_pit`` (``arviz_stats.loo_pit`` on 1.x) and
   the posterior predictive p-values of mean, sd, min, max and skewness in NumPy.
2. The same trace without them, with the model: the doctor computes them itself, within its clock budget
   (``draw_seconds``), against PyMC's ``sample_posterior_predictive`` and ``compute_log_likelihood`` on
   every draw followed by the ArviZ calls above.
3. What the first posterior predictive draw and log-likelihood cost to compile, each in a fresh process
   with an empty PyTensor cache (``base_compiledir`` in a temporary folder, which holds the Numba cache
   too), in PyMC's default mode and in ``FAST_RUN`` (the C backend), and whether the results are
   identical.

The posterior is drawn from the regression's exact posterior given sigma (plus sigma's spread), not
sampled: the fit rules read draws, and NUTS on 10,000 observations would only add minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20261202
CHAINS, DRAWS = 4, 500

# Runs in a fresh process: argv = [observations, "pp" or "ll", mode, output .npy]; prints the seconds.
COMPILE = """
import sys, time, warnings
sys.path.insert(0, sys.argv[5])
warnings.simplefilter("ignore")
import numpy as np, pymc as pm
from bench_fit import model_and_posterior
from pymc_doctor import compat
model, posterior = model_and_posterior(int(sys.argv[1]), draws=25)
container = compat.arviz_container({"posterior": posterior})
kwargs = {} if sys.argv[3] == "default" else {"compile_kwargs": {"mode": sys.argv[3]}}
start = time.perf_counter()
if sys.argv[2] == "pp":
    found = pm.sample_posterior_predictive(container, model=model, random_seed=1, progressbar=False, **kwargs)
    values = compat.trace_groups(found)["posterior_predictive"]["y"].values
else:
    found = pm.compute_log_likelihood(container, model=model, extend_inferencedata=False, progressbar=False, **kwargs)
    values = (found if hasattr(found, "data_vars") else compat.trace_groups(found)["log_likelihood"])["y"].values
print(time.perf_counter() - start)
np.save(sys.argv[4], values)
"""


def model_and_posterior(observations: int, draws: int = DRAWS, chains: int = CHAINS):
    """A Normal regression of ``observations`` points and draws of its posterior (a Dataset)."""
    import pymc as pm
    import xarray as xr

    rng = np.random.default_rng(SEED)
    x = rng.normal(size=observations)
    y = 1.0 + 2.0 * x + rng.normal(0, 0.5, size=observations)
    with pm.Model(coords={"obs_id": np.arange(observations)}) as model:
        intercept = pm.Normal("intercept", 0, 10)
        slope = pm.Normal("slope", 0, 10)
        sigma = pm.HalfNormal("sigma", 5)
        pm.Normal("y", mu=intercept + slope * x, sigma=sigma, observed=y, dims="obs_id")
    design = np.column_stack([np.ones(observations), x])
    coefficients, residuals, *_ = np.linalg.lstsq(design, y, rcond=None)
    sigma_hat = np.sqrt(residuals[0] / (observations - 2))
    sigma_draws = sigma_hat * np.sqrt((observations - 2) / rng.chisquare(observations - 2, size=(chains, draws)))
    root = np.linalg.cholesky(np.linalg.inv(design.T @ design))
    beta = coefficients + sigma_draws[..., None] * (rng.normal(size=(chains, draws, 2)) @ root.T)
    posterior = xr.Dataset(
        {
            "intercept": (("chain", "draw"), beta[..., 0]),
            "slope": (("chain", "draw"), beta[..., 1]),
            "sigma": (("chain", "draw"), sigma_draws),
        },
        coords={"chain": np.arange(chains), "draw": np.arange(draws)},
    )
    return model, posterior


def _timed(function, repeats: int) -> dict[str, float]:
    """Median wall and CPU seconds of ``function()`` over ``repeats`` runs."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"wall": float(np.median(wall)), "cpu": float(np.median(cpu))}


def _arviz(idata) -> None:
    """What a user runs in ArviZ: PSIS-LOO, LOO-PIT, and the predictive p-values in NumPy."""
    from pymc_doctor import compat

    stats = compat.arviz_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats.loo(idata, pointwise=True)
        if compat.arviz_major() >= 1:
            stats.loo_pit(idata)
        else:
            stats.loo_pit(idata, y="y")
    groups = compat.trace_groups(idata)
    replicated = groups["posterior_predictive"]["y"].values.reshape(-1, groups["observed_data"]["y"].size)
    observed = groups["observed_data"]["y"].values
    for statistic in (np.mean, np.std, np.min, np.max, _skewness):
        (statistic(replicated, axis=-1) > statistic(observed, axis=-1)).mean()


def _skewness(values: np.ndarray, axis: int) -> np.ndarray:
    centered = values - values.mean(axis=axis, keepdims=True)
    return (centered**3).mean(axis=axis) / values.std(axis=axis) ** 3


def _full_groups(model, posterior):
    """The trace as a user has it after ``sample_posterior_predictive`` and ``compute_log_likelihood`` on
    every draw; and the seconds PyMC took."""
    import pymc as pm

    from pymc_doctor import compat

    start = time.perf_counter()
    container = compat.arviz_container({"posterior": posterior})
    predictive = pm.sample_posterior_predictive(container, model=model, random_seed=SEED, progressbar=False)
    likelihood = pm.compute_log_likelihood(container, model=model, extend_inferencedata=False, progressbar=False)
    seconds = time.perf_counter() - start
    found = compat.trace_groups(predictive)
    if not hasattr(likelihood, "data_vars"):  # ArviZ 0.x: an InferenceData holding the group
        likelihood = compat.trace_groups(likelihood)["log_likelihood"]
    groups = {"posterior": posterior, **found, "log_likelihood": likelihood}
    return compat.arviz_container(groups), seconds


def _compile_costs(observations: int) -> dict[str, dict[str, float | bool]]:
    """Seconds to the first posterior predictive draw and log-likelihood per mode, in a fresh process with an
    empty PyTensor cache (cold), then in another reusing the cache the first left (warm, as on later runs)."""
    found: dict[str, dict[str, float | bool]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for what in ("pp", "ll"):
            values = {}
            for mode in ("default", "FAST_RUN"):
                cache, output = Path(folder) / f"{what}-{mode}", Path(folder) / f"{what}-{mode}.npy"
                env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={cache}"}
                command = [sys.executable, "-c", COMPILE, str(observations), what, mode, str(output), str(HERE)]
                entry: dict[str, float | bool] = {}
                for state in ("cold", "warm"):
                    process = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
                    if process.returncode != 0:
                        entry["error"] = process.stderr.strip().splitlines()[-1]
                        break
                    entry[state] = float(process.stdout.strip().splitlines()[-1])
                found[f"{what} {mode}"] = entry
                if "error" not in entry:
                    values[mode] = np.load(output)
            if len(values) == 2:
                default, fast = values["default"], values["FAST_RUN"]
                found[f"{what} FAST_RUN"]["identical"] = bool(np.array_equal(default, fast))
                found[f"{what} FAST_RUN"]["max_difference"] = float(np.abs(default - fast).max())
    return found


def run(observations: int, repeats: int, compile_costs: bool) -> dict:
    import pymc as pm

    import pymc_doctor
    from pymc_doctor import compat

    warnings.simplefilter("ignore")
    model, posterior = model_and_posterior(observations)
    full, pymc_seconds = _full_groups(model, posterior)
    result = {
        "pymc": pm.__version__,
        "arviz": compat.distribution_version("arviz"),
        "observations": observations,
        "draws": CHAINS * DRAWS,
        "pymc_draws_seconds": pymc_seconds,
    }
    report = pymc_doctor.check(full, select=["FIT"])
    result["with_groups"] = {
        "doctor": _timed(lambda: pymc_doctor.check(full, select=["FIT"]), repeats),
        "arviz": _timed(lambda: _arviz(full), repeats),
        "findings": sorted(f.code for f in report.findings),
        "checks_run": report.checks_run,
    }
    bare = compat.arviz_container({"posterior": posterior})
    told: list[str] = []
    start, start_cpu = time.perf_counter(), time.process_time()
    report = pymc_doctor.check(bare, model=model, select=["FIT"], progress=told.append)
    doctor = {"wall": time.perf_counter() - start, "cpu": time.process_time() - start_cpu}
    start, start_cpu = time.perf_counter(), time.process_time()
    drawn, _ = _full_groups(model, posterior)
    _arviz(drawn)
    result["with_model"] = {
        "doctor": doctor,
        "pymc_then_arviz": {"wall": time.perf_counter() - start, "cpu": time.process_time() - start_cpu},
        "progress": told,
        "findings": sorted(f.code for f in report.findings),
        "skipped": {s.code: s.reason for s in report.checks_skipped},
    }
    if compile_costs:
        result["compile"] = _compile_costs(observations)
    return result


def markdown(result: dict) -> str:
    def row(name: str, timing: dict) -> str:
        return f"| {name} | {timing['wall']:.2f} | {timing['cpu']:.2f} |"

    lines = [
        f"PyMC {result['pymc']}, ArviZ {result['arviz']}: {result['observations']:,} observations, "
        f"{result['draws']:,} posterior draws.",
        "",
        "| | wall s | CPU s |",
        "|---|---:|---:|",
        row("doctor, trace with the groups (`check(idata, select=['FIT'])`)", result["with_groups"]["doctor"]),
        row("ArviZ: `loo`, `loo_pit`, p-values in NumPy", result["with_groups"]["arviz"]),
        row("doctor, posterior only, with the model (draws what it needs)", result["with_model"]["doctor"]),
        row("PyMC on every draw, then ArviZ as above", result["with_model"]["pymc_then_arviz"]),
        "",
        f"Findings with the groups: {', '.join(result['with_groups']['findings']) or 'none'}; with the model: "
        f"{', '.join(result['with_model']['findings']) or 'none'}; not checked: "
        f"{'; '.join(f'{c}: {r}' for c, r in result['with_model']['skipped'].items()) or 'none'}.",
    ]
    if "compile" in result:
        lines += ["", "First call in a fresh process, with an empty PyTensor cache (cold), then reusing it (warm):", ""]
        for name, found in result["compile"].items():
            detail = f"cold {found['cold']:.2f} s, warm {found['warm']:.2f} s" if "warm" in found else "failed"
            detail += f": {found['error']}" if "error" in found else ""
            if "identical" in found:
                detail += f" (identical to default: {found['identical']}, max difference {found['max_difference']:.1e})"
            lines.append(f"- `{name}`: {detail}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observations", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="500 observations, one repeat, no compile costs")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    parser.add_argument("--compile-only", action="store_true", help="Only the compile costs.")
    args = parser.parse_args()
    if args.compile_only:
        print(json.dumps(_compile_costs(args.observations), indent=2))
        return
    if args.smoke:
        args.observations, args.repeats = 500, 1
    result = run(args.observations, args.repeats, compile_costs=not args.smoke)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(markdown(result))


if __name__ == "__main__":
    main()
