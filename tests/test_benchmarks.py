"""The benchmark scripts run (a smoke run at tiny sizes), so that they cannot rot: every section of
``bench_all.py`` at once, and the larger-than-memory benchmark on a small trace."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from pymc_doctor import compat

# The benchmark scripts build traces and time real runs: end-to-end.
pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(script: str):
    spec = importlib.util.spec_from_file_location(script, BENCHMARKS / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_all = _load("bench_all")


def run_script(script: str, *arguments: str) -> str:
    process = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return process.stdout


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> tuple[str, Path, Path]:
    """``bench_all.py --smoke``, its README update made on a copy of the README."""
    folder = tmp_path_factory.mktemp("bench")
    readme = folder / "README.md"
    shutil.copy(BENCHMARKS / "README.md", readme)
    page = run_script("bench_all.py", "--smoke", "--json-dir", str(folder), "--update-readme", "--readme", str(readme))
    return page, folder, readme


def _around_results(text: str) -> tuple[str, str, str]:
    """The README before this line's results block, the block, and what follows it."""
    marker = f"pymc{metadata.version('pymc').split('.')[0]}"
    start = text.index(f"<!-- results:{marker}:start -->")
    end = text.index(f"<!-- results:{marker}:end -->")
    return text[:start], text[start:end], text[end:]


def test_every_section_runs_and_lands_in_the_readme(smoke_run):
    page, _, readme = smoke_run
    titles = [title for title, _, _, smoke in bench_all.SECTIONS.values() if smoke is not None]
    assert all(f"#### {title}" in page for title in titles)
    before, block, after = _around_results(readme.read_text())
    original_before, _, original_after = _around_results((BENCHMARKS / "README.md").read_text())
    assert page.strip() in block
    assert (before, after) == (original_before, original_after)


def test_diagnostics_section(smoke_run):
    page, folder, _ = smoke_run
    assert "| parameters | trace MB |" in page
    assert "| parameters | findings | HTML report s (CPU s) | HTML MB | plots |" in page
    results = json.loads((folder / "diagnostics.json").read_text())
    assert results["machine"]["python"] == ".".join(map(str, sys.version_info[:3]))
    tools = {"az.summary"} | ({"arviz_stats.diagnose"} if compat.arviz_major() >= 1 else set())
    for case in results["results"]:
        assert case["doctor"]["wall"] > 0 and case["doctor"]["peak_traced"] > 0
        assert tools <= set(case)
        # The synthetic traces carry divergences, and AR(1) draws of rho up to 0.95 are sticky.
        assert {"SMP101", "SMP203"} <= set(case["findings"])
        assert case["html"]["wall"] > 0 and case["html"]["bytes"] > 10_000 and case["html"]["plots"] >= 1


def test_env_section(smoke_run):
    page, folder, _ = smoke_run
    assert "| command | median s | ratio to `import pymc` |" in page
    results = json.loads((folder / "env.json").read_text())["results"]
    assert all(result["wall"] > 0 for result in results.values())
    # The rows measure what they say: --fresh reuses no probe, the others reuse every one they run.
    assert results["env --fresh"]["reused"] == results["env --quick --fresh"]["reused"] == []
    assert results["env --quick"]["reused"] == ["base", "samplers"]
    assert results["env"]["reused"] == ["base", "compile", "samplers", "smoke"]
    assert results["env"]["findings"] == results["env --fresh"]["findings"]


def test_lint_section(smoke_run):
    page, folder, _ = smoke_run
    assert "| model | build s | lint s (CPU s) |" in page
    results = json.loads((folder / "lint.json").read_text())
    assert {"pymc", "pytensor"} <= set(results["machine"])
    assert [case["model"] for case in results["results"]] == ["scalars", "vector"]
    for case in results["results"]:
        assert case["lint"]["wall"] > 0 and case["build"]["wall"] > 0
        assert case["gradient_calls"] == {}  # the lint built no gradient
        assert case["rules_run"] and all(code.startswith("MOD") for code in case["rules_run"])
    scalars = results["results"][0]
    assert scalars["named_variables"] == 20
    assert scalars["findings"]["MOD501"] == 14  # the centered intercepts and slopes, every one


def test_engine_section(smoke_run):
    page, folder, _ = smoke_run
    assert "| tool | µs/param CPU | µs/param wall | CPU x floor | CPU x engine |" in page
    results = json.loads((folder / "engine.json").read_text())["results"]
    peers = {"numpyro"} if importlib.util.find_spec("numpyro") else set()
    assert {"floor", "engine", "arviz rhat+ess+mcse", "az.summary", *peers} <= set(results)
    assert all(timing["cpu"] > 0 and timing["wall"] > 0 for timing in results.values())


def test_startup_section(smoke_run):
    page, folder, _ = smoke_run
    assert "| command | wall s | CPU s | wall ratio | CPU ratio |" in page
    results = json.loads((folder / "startup.json").read_text())["results"]
    assert set(results["medians"]) == {"python -c 'import arviz'", "pymc-doctor check tiny.nc"}
    assert results["scipy_stats"] is False


def test_larger_than_memory_benchmark_smoke(tmp_path):
    output = tmp_path / "results.json"
    table = run_script("bench_large.py", "--smoke", "--path", str(tmp_path / "trace.zarr"), "--json", str(output))
    assert "| run | wall s | peak RSS GiB | findings |" in table
    results = json.loads(output.read_text())
    assert {"SMP101", "SMP201"} <= set(results["runs"]["cli"]["findings"])
    assert results["runs"]["cli"]["findings"] == results["runs"]["dask"]["findings"]
    # Read chunk by chunk, the dask run computes exactly what the engine computes on the draws in memory.
    assert results["comparison"]["max_rel_diff_vs_engine_in_memory"] < 1e-12
    assert results["comparison"]["max_rel_diff_vs_arviz"] < 1e-8


def test_fit_benchmark_smoke():
    page = run_script("bench_fit.py", "--smoke")
    assert "| doctor, trace with the groups" in page and "| PyMC on every draw, then ArviZ as above |" in page
    assert "not checked: none" in page
