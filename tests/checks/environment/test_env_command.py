"""`pymc-doctor env` as a whole: the healthy installation, which probes run for which rules, the
reuse of probe results, the Python entry point and usage errors."""

from __future__ import annotations

import os
import shutil

import pytest

from pymc_doctor.catalog import all_rules
from pymc_doctor.checks.environment import PROBE_READERS
from tests.checks.environment.helpers import DROP, check, facts
from tests.checks.environment.scenarios import (
    HEALTHY_NOTES,
    NO_SAMPLERS,
    PYTHON,
    Setup,
    blas_flags_empty,
    reused,
    run_doctor,
)

# ENV106 reads the sampler probe's imports when it ran, and the installed metadata without it.
USES_SAMPLERS_WHEN_THERE = {"ENV106"}


@pytest.mark.parametrize("probe", sorted(PROBE_READERS))
def test_the_rules_that_read_an_optional_probe_are_its_readers(probe):
    env = facts(**{probe: DROP}, not_run={probe: f"the {probe} probe was not asked for"})
    skipped = {rule.code for rule in all_rules(["ENV"]) if check(rule.code, env).skipped == env.not_run[probe]}
    assert skipped == set(PROBE_READERS[probe]) - USES_SAMPLERS_WHEN_THERE


def test_every_rule_is_silent_on_a_healthy_installation():
    env = facts()
    said = {rule.code: check(rule.code, env) for rule in all_rules(["ENV"])}
    assert {code: c.skipped for code, c in said.items() if c.skipped} == {}
    # The smoke test always reports its timings, as a note.
    assert {code: [f.severity for f in c.findings] for code, c in said.items() if c.findings} == {"ENV801": ["info"]}


@pytest.mark.parametrize("args", [("--select", "NOPE1"), ("--select", "divergences"), ("--threshold", "nope=1")])
def test_env_usage_errors_exit_2(args):
    from click.testing import CliRunner

    from pymc_doctor.cli import main

    result = CliRunner().invoke(main, ["env", "--quick", *args])
    assert result.exit_code == 2, result.output


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["baseline"], indirect=True)
def test_baseline_reports_only_what_is_really_wrong_here(scenario):
    real = {"ENV201"} if blas_flags_empty() else set()
    if shutil.which("nvidia-smi"):  # a GPU machine may really have a CPU-only JAX
        real |= {"ENV502"} & scenario.codes
    assert scenario.codes - HEALTHY_NOTES == real, [f["title"] for f in scenario.report["findings"]]
    assert scenario.returncode == 0
    assert {s["code"] for s in scenario.report["checks_skipped"]} == {"ENV202", "ENV302", "ENV801"}
    assert scenario.skipped("ENV801") == "skipped by --quick"
    assert len(scenario.report["checks_run"]) >= 25
    environment = scenario.report["context"]["environment"]
    assert environment["hardware"]["logical_cores"] == os.cpu_count()
    assert environment["blas"], "threadpoolctl found no BLAS"
    assert environment["probes"]["base"]["failure"] is None


@pytest.mark.slow
def test_doctor_env_in_python_returns_a_report():
    import pymc_doctor

    report = pymc_doctor.env(quick=True, select=["legacy-packages", "ENV3"], ignore=["compile-fails"])
    assert report.checks_run and all(code.startswith(("ENV1", "ENV3")) for code in report.checks_run)
    assert "ENV302" not in report.checks_run + [s.code for s in report.checks_skipped]
    assert set(report.context["environment"]["probes"]) == {"base"}  # no sampler, compile or smoke probe


@pytest.mark.slow
def test_an_unchanged_installation_reuses_the_probes_until_something_changes(tmp_path):
    cache = tmp_path / "probe-cache"
    first = run_doctor(Setup(), tmp_path, cache)
    assert reused(first) == set() and first.report["context"]["environment"]["probes"]["samplers"]["failure"] is None
    again = run_doctor(Setup(), tmp_path, cache)
    assert reused(again) == {"base", "samplers"}
    assert again.codes == first.codes and again.report["checks_run"] == first.report["checks_run"]
    assert again.report["context"]["environment"]["blas"] == first.report["context"]["environment"]["blas"]
    # A setting the probes depend on, a new entry in a folder on the path, or --fresh: examined again.
    assert reused(run_doctor(Setup(env={"OMP_NUM_THREADS": "2"}), tmp_path, cache)) == set()
    site = tmp_path / "site"
    site.mkdir()
    assert reused(run_doctor(Setup(pythonpath=(site,)), tmp_path, cache)) == set()
    assert reused(run_doctor(Setup(pythonpath=(site,)), tmp_path, cache)) == {"base", "samplers"}
    (site / "new_module.py").write_text("")
    assert reused(run_doctor(Setup(pythonpath=(site,)), tmp_path, cache)) == set()
    assert reused(run_doctor(Setup(args=("--quick", "--fresh")), tmp_path, cache)) == set()


@pytest.mark.slow
def test_what_looked_wrong_is_examined_again(tmp_path):
    cache = tmp_path / "probe-cache"
    setup = Setup(args=("--select", "ENV3"), env={"PYTENSOR_FLAGS": f"cxx={shutil.which('false')}"})
    assert "ENV302" in run_doctor(setup, tmp_path, cache).codes
    again = run_doctor(setup, tmp_path, cache)
    assert "ENV302" in again.codes
    assert reused(again) == {"base"}  # the failed compile and the smoke test ran again


@pytest.mark.slow
def test_a_stuck_lock_stops_the_reused_compile_and_smoke_test(tmp_path):
    cache = tmp_path / "probe-cache"
    flags = {"PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'compiledir'}"}
    healthy = run_doctor(Setup(args=NO_SAMPLERS, env=flags), tmp_path, cache)
    assert {"ENV302", "ENV801"} <= set(healthy.report["checks_run"])
    holder = "from pytensor import config\nfrom pytensor.compile.compilelock import lock_ctx\n"
    holder += "import time\nwith lock_ctx(config.compiledir, timeout=30):\n    print('held', flush=True)\n"
    holder += "    time.sleep(600)\n"
    locked = run_doctor(
        Setup(args=NO_SAMPLERS, env=flags, companion=([PYTHON, "-c", holder], flags, "held")), tmp_path, cache
    )
    assert reused(locked) == {"base"}
    assert locked.finding("ENV305")["evidence"]["stuck"] is True  # read live, not from the cache
    for code in ("ENV302", "ENV801"):
        assert "compile lock is held" in locked.skipped(code)
    # The lock released: the reused results are whole again.
    assert reused(run_doctor(Setup(args=NO_SAMPLERS, env=flags), tmp_path, cache)) == {"base", "compile", "smoke"}


@pytest.mark.slow
def test_a_deleted_compile_folder_is_examined_again_not_reported_from_the_cache(tmp_path):
    cache = tmp_path / "probe-cache"
    flags = {"PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'compiledir'}"}
    setup = Setup(args=("--quick", *NO_SAMPLERS), env=flags)
    first = run_doctor(setup, tmp_path, cache)
    compiledir = first.report["context"]["environment"]["pytensor"]["compiledir"]
    assert compiledir.startswith(str(tmp_path)) and "ENV303" not in first.codes
    shutil.rmtree(tmp_path / "compiledir")  # the usual remedy for a broken compile cache
    again = run_doctor(setup, tmp_path, cache)
    assert reused(again) == set() and "ENV303" not in again.codes
