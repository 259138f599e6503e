"""``pymc_doctor.lint`` of two big models: a thousand named scalars, and a 100,000-element vector.

- ``scalars``: per-group intercepts and slopes as separate named scalars (``a_0``, ``b_0``, ...),
  centered on hierarchical means and scales, feeding one likelihood: 1,000 named variables.
- ``vector``: a per-observation effect ``z`` of 100,000 elements (non-centered, with a location,
  a scale and a noise scale) under a 100,000-point likelihood.

Each model is built once (timed apart), then linted ``--repeats`` times after a warm-up lint of
a tiny model (imports and first compilations outside the timings): medians of wall and CPU
seconds. While linting, every name bound to ``pytensor.gradient.grad`` in every loaded module, and
the gradient methods of ``pm.Model``, count their calls: a gradient compiled shows there (the
script first checks that ``model.compile_dlogp()`` does). The script prints its machine line,
then a Markdown table.

    python benchmarks/bench_lint.py                  # 1,000 scalars and 100,000 elements, 3 runs each
    python benchmarks/bench_lint.py --smoke          # 20 scalars and 1,000 elements, one run
    python benchmarks/bench_lint.py --json lint.json
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from bench_diagnostics import machine, publish, timed

SIZES = {"scalars": 1_000, "vector": 100_000}
SMOKE_SIZES = {"scalars": 20, "vector": 1_000}
GRADIENT_METHODS = ("dlogp", "d2logp", "compile_dlogp", "compile_d2logp", "logp_dlogp_function")


def scalars_model(variables: int):
    """Per-group intercepts ``a_g`` and slopes ``b_g``, each a named scalar: ``variables`` named in all."""
    import pymc as pm

    groups = (variables - 6) // 2  # and mu_a, sigma_a, mu_b, sigma_b, sigma, y
    rng = np.random.default_rng(1)
    group = np.repeat(np.arange(groups), 5)
    x = rng.normal(size=group.size)
    y = rng.normal(1.0, 0.5, size=groups)[group] + rng.normal(0.5, 0.2, size=groups)[group] * x
    y = y + rng.normal(0, 0.3, size=group.size)
    with pm.Model() as model:
        mu_a = pm.Normal("mu_a", 0, 5)
        sigma_a = pm.HalfNormal("sigma_a", 2)
        mu_b = pm.Normal("mu_b", 0, 2)
        sigma_b = pm.HalfNormal("sigma_b", 1)
        a = [pm.Normal(f"a_{g}", mu_a, sigma_a) for g in range(groups)]
        b = [pm.Normal(f"b_{g}", mu_b, sigma_b) for g in range(groups)]
        sigma = pm.HalfNormal("sigma", 1)
        pm.Normal("y", pm.math.stack(a)[group] + pm.math.stack(b)[group] * x, sigma, observed=y)
    return model


def vector_model(elements: int):
    """A non-centered effect per observation: ``z`` and the likelihood have ``elements`` values each."""
    import pymc as pm

    rng = np.random.default_rng(2)
    y = 3.0 + 0.8 * rng.normal(size=elements) + rng.normal(0, 0.5, size=elements)
    with pm.Model(coords={"obs": np.arange(elements)}) as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfNormal("tau", 1)
        sigma = pm.HalfNormal("sigma", 1)
        z = pm.Normal("z", 0, 1, dims="obs")
        pm.Normal("y", mu + tau * z, sigma, observed=y, dims="obs")
    return model


class GradientWatch:
    """Counts, while active, the calls of every name bound to ``pytensor.gradient.grad`` in every loaded
    module (PyMC builds its gradients with it) and of ``pm.Model``'s gradient methods."""

    def __enter__(self) -> Counter:
        import pymc as pm
        import pytensor.gradient

        self.calls: Counter = Counter()
        original = pytensor.gradient.grad

        def grad(*args, **kwargs):
            self.calls["pytensor.gradient.grad"] += 1
            return original(*args, **kwargs)

        self._restore = []
        for module in list(sys.modules.values()):
            for name, value in list(getattr(module, "__dict__", {}).items()):
                if value is original:
                    self._patch(module, name, grad)
        for name in GRADIENT_METHODS:
            method = getattr(pm.Model, name, None)
            if method is not None:
                self._patch(pm.Model, name, self._counting(f"Model.{name}", method))
        return self.calls

    def _counting(self, label: str, method):
        def counted(*args, **kwargs):
            self.calls[label] += 1
            return method(*args, **kwargs)

        return counted

    def _patch(self, owner, name: str, value) -> None:
        self._restore.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def __exit__(self, *exc) -> None:
        for owner, name, value in reversed(self._restore):
            setattr(owner, name, value)


def watch_works() -> bool:
    """The watch sees the gradient ``model.compile_dlogp()`` compiles."""
    import pymc as pm

    with pm.Model() as model:
        pm.Normal("y", pm.Normal("a"), 1, observed=[0.5])
    with GradientWatch() as calls:
        model.compile_dlogp()
    return calls["pytensor.gradient.grad"] > 0 and calls["Model.compile_dlogp"] == 1


def warm_up() -> None:
    import pymc as pm

    import pymc_doctor

    with pm.Model() as tiny:
        pm.Normal("y", pm.Normal("a", 0, 1), 1, observed=[0.1, 0.4])
    pymc_doctor.lint(tiny, namespace={})


def run_case(name: str, size: int, repeats: int) -> dict:
    import pymc_doctor

    build, model = timed(lambda: (scalars_model if name == "scalars" else vector_model)(size), 1)
    with GradientWatch() as calls:
        timing, report = timed(lambda: pymc_doctor.lint(model, namespace={}), repeats)
    findings = Counter(finding.code for finding in report.findings)
    return {
        "model": name,
        "size": size,
        "named_variables": len(model.named_vars),
        "build": build,
        "lint": timing,
        "rules_run": sorted(report.checks_run),
        "rules_skipped": {skipped.code: skipped.reason for skipped in report.checks_skipped},
        "findings": dict(sorted(findings.items())),
        "gradient_calls": dict(calls),
    }


def describe_model(result: dict) -> str:
    if result["model"] == "scalars":
        return f"{result['named_variables']:,} named scalars (intercepts and slopes)"
    return f"{result['size']:,}-element vector, {result['size']:,}-point likelihood"


def table(results: list[dict]) -> str:
    header = ["model", "build s", "lint s (CPU s)", "rules run / skipped", "gradient compiled", "findings"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        lint = r["lint"]
        skipped = ", ".join(r["rules_skipped"]) or "none"
        findings = ", ".join(f"{code} ×{count}" if count > 1 else code for code, count in r["findings"].items())
        row = [
            describe_model(r),
            f"{r['build']['wall']:.2f}",
            f"{lint['wall']:.2f} ({lint['cpu']:.2f})" + ("" if lint["runs"] > 1 else " (1 run)"),
            f"{len(r['rules_run'])} / {len(r['rules_skipped'])} ({skipped})",
            "yes" if r["gradient_calls"] else "no",
            findings or "none",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="lints per model (median)")
    parser.add_argument("--smoke", action="store_true", help=f"sizes {SMOKE_SIZES}, one run each")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    sizes, repeats = (SMOKE_SIZES, 1) if args.smoke else (SIZES, args.repeats)
    warnings.simplefilter("ignore")
    if not watch_works():
        sys.exit("the gradient watch did not see model.compile_dlogp(): it cannot vouch for the lint")
    warm_up()
    results = []
    for name, size in sizes.items():
        results.append(run_case(name, size, repeats))
        print(f"{name} done", file=sys.stderr)
    info = {**machine(), "load_average": " ".join(f"{load:.2f}" for load in os.getloadavg())}
    publish(info, results, table(results), args.json)


if __name__ == "__main__":
    main()
