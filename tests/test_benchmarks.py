"""The benchmark scripts run (a smoke run at tiny sizes), so that they cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pymc_doctor import compat

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_diagnostics_benchmark_smoke(tmp_path):
    output = tmp_path / "results.json"
    process = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_diagnostics.py"), "--smoke", "--json", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    assert "| parameters | trace MB |" in process.stdout
    results = json.loads(output.read_text())
    assert results["machine"]["python"] == ".".join(map(str, sys.version_info[:3]))
    tools = {"az.summary"} | ({"arviz_stats.diagnose"} if compat.arviz_major() >= 1 else set())
    for case in results["results"]:
        assert case["doctor"]["wall"] > 0 and case["doctor"]["peak_traced"] > 0
        assert tools <= set(case)
        # The synthetic traces carry divergences, and AR(1) draws of rho up to 0.95 are sticky.
        assert {"SMP101", "SMP203"} <= set(case["findings"])
        assert case["html"]["wall"] > 0 and case["html"]["bytes"] > 10_000 and case["html"]["plots"] >= 1
    assert "| parameters | findings | HTML report s (CPU s) | HTML MB | plots |" in process.stdout


def test_env_benchmark_smoke(tmp_path):
    output = tmp_path / "results.json"
    process = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_env.py"), "--smoke", "--json", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    assert "| command | median s | ratio to `import pymc` |" in process.stdout
    results = json.loads(output.read_text())["results"]
    assert all(result["wall"] > 0 for result in results.values())
    # The rows measure what they say: --fresh reuses no probe, the others reuse every one they run.
    assert results["env --fresh"]["reused"] == results["env --quick --fresh"]["reused"] == []
    assert results["env --quick"]["reused"] == ["base", "samplers"]
    assert results["env"]["reused"] == ["base", "compile", "samplers", "smoke"]
    assert results["env"]["findings"] == results["env --fresh"]["findings"]
