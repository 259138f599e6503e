"""ENV801: the smoke test, passed (with its timings), slow, reused or failed."""

from __future__ import annotations

import time

import pytest

from pymc_doctor.checks.environment.smoke import detect_smoke_failure, detect_smoke_timings
from pymc_doctor.probes.protocol import ProbeResult
from tests.checks.environment.helpers import DROP, check, facts
from tests.checks.environment.scenarios import PYMC_MAJOR, assert_only


def test_detect_smoke_timings():
    assert detect_smoke_timings(facts()) == {
        "sampler": "nutpie",
        "sampler_version": "0.16.2",
        "import_seconds": 2.5,
        "compile_seconds": 4.5,
        "sampling_seconds": 1.5,
        "total_seconds": 6.0,
        "chains": 4,
        "draws": 200,
        "divergences": 0,
        "reused_from": None,
    }
    assert detect_smoke_failure(facts()) is None


def test_a_passed_smoke_test_is_a_note_with_its_timings():
    finding = check("ENV801", facts()).finding
    assert (finding.severity, finding.title) == ("info", "Smoke test passed: nutpie sampled a tiny model in 6.0 s")
    assert finding.message == (
        "pm.sample drew 4 chains x 200 draws with nutpie (4.5 s compiling and setting up, 1.5 s sampling; "
        "`import pymc` took 2.5 s)."
    )
    assert finding.fix == ""


def test_a_slow_smoke_test_is_a_warning():
    env = facts(smoke={"sample": {"seconds": 150.0, "sampling_seconds": None, "sampler": "pymc"}})
    finding = check("ENV801", env).finding
    assert (finding.severity, finding.title) == (
        "warning",
        "Smoke test passed, slowly: PyMC's NUTS sampled a tiny model in 150.0 s",
    )
    assert "(150.0 s in all;" in finding.message and "Above 120 s for a two-parameter model" in finding.message
    assert check("ENV801", env, slow_seconds=200.0).finding.severity == "info"


def test_a_reused_smoke_test_says_when_it_ran():
    ran = time.time() - 3600
    finding = check("ENV801", facts(reused={"smoke": ran})).finding
    assert finding.message.endswith("`pymc-doctor env --fresh` runs it again.)")
    assert finding.evidence["reused_from"] == facts(reused={"smoke": ran}).reused_from("smoke")


@pytest.mark.parametrize(
    ("smoke", "results", "problem"),
    [
        pytest.param(
            {
                "sample": DROP,
                "error": {"stage": "sample", "error": "SamplingError: Initial evaluation failed", "traceback": "x"},
            },
            None,
            "pm.sample failed: SamplingError: Initial evaluation failed.",
            id="sampling-fails",
        ),
        pytest.param(
            DROP,
            {"smoke": ProbeResult("smoke", data={}, timed_out=True, timeout=300, stderr_tail="Sampling 4 chains")},
            "the smoke test did not finish within 300 s: Sampling 4 chains.",
            id="times-out",
        ),
    ],
)
def test_a_failed_smoke_test_is_an_error(smoke, results, problem):
    env = facts(smoke=smoke, results=results)
    assert detect_smoke_failure(env)["probe"] == env.probes["smoke"].summary()
    finding = check("ENV801", env).finding
    assert (finding.severity, finding.message) == ("error", problem)
    assert finding.fix_code.startswith("import pymc as pm\n")


def test_the_smoke_test_skipped_says_why():
    assert check("ENV801", facts(smoke=DROP, not_run={"smoke": "skipped by --quick"})).skipped == "skipped by --quick"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["full"], indirect=True)
def test_full_run_smoke_test_times_compiling_and_sampling(scenario):
    assert_only(scenario, {"ENV801"})
    finding = scenario.finding("ENV801")
    assert finding["severity"] == "info"
    evidence = finding["evidence"]
    assert evidence["sampler"] == ("pymc" if PYMC_MAJOR < 6 else "nutpie")
    assert evidence["draws"] == 200 and evidence["chains"] >= 2
    assert evidence["compile_seconds"] > 0 and evidence["sampling_seconds"] > 0
    assert evidence["import_seconds"] > 0 and evidence["reused_from"] is None
    assert "ENV302" in scenario.report["checks_run"]  # the compile probe built and ran its C op
