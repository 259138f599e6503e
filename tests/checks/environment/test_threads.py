"""ENV601, ENV602 and ENV604: BLAS threads while sampling, thread variables, and how chains start."""

from __future__ import annotations

import os

import pytest

from pymc_doctor.checks.environment.threads import (
    detect_oversubscription,
    detect_start_method,
    detect_thread_variables,
)
from tests.checks.environment.helpers import check, facts, pool
from tests.checks.environment.scenarios import assert_only


def blas_threads(threads: int, start_method: str = "fork") -> dict:
    return {
        "threadpools": [pool("blas", "openblas", threads), pool("openmp", "openmp", 2)],
        "start_method": start_method,
    }


@pytest.mark.parametrize(
    ("static", "base", "limit", "fires"),
    [
        pytest.param({}, {}, 1.0, False, id="one-thread-each"),
        # 4 chains at once on 8 cores, each forked with 8 threads: 32 threads.
        pytest.param({}, blas_threads(8), 1.0, True, id="forked-chains-keep-every-thread"),
        pytest.param({}, blas_threads(8), 4.0, False, id="within-a-raised-limit"),
        # PyMC gives each spawned chain one BLAS thread.
        pytest.param({}, blas_threads(8, "spawn"), 1.0, False, id="spawned-chains-get-one-thread"),
        # macOS picks fork on arm64, whatever the probe's own start method.
        pytest.param(
            {"platform": {"system": "Darwin", "machine": "arm64"}}, blas_threads(8, "spawn"), 1.0, True, id="arm64-mac"
        ),
        # One chain at a time keeps its threads, but they fit the cores.
        pytest.param(
            {"hardware": {"logical_cores": 2, "usable_cores": 2}}, blas_threads(2, "spawn"), 1.0, False, id="two-cores"
        ),
        pytest.param(
            {"hardware": {"logical_cores": 2, "usable_cores": 2}},
            blas_threads(3, "spawn"),
            1.0,
            True,
            id="two-cores-three-threads",
        ),
    ],
)
def test_detect_oversubscription(static, base, limit, fires):
    assert (detect_oversubscription(facts(static, base=base), limit) is not None) == fires


def test_oversubscribed_blas_threads_are_limited_per_chain():
    env = facts({"env_vars": {"OPENBLAS_NUM_THREADS": "8", "NUMBA_NUM_THREADS": "2"}}, base=blas_threads(8))
    finding = check("ENV601", env).finding
    assert finding.title == "32 BLAS threads compete for 8 cores while sampling"
    assert finding.message.startswith("PyMC runs 4 chains at once here, each in a forked process with 8 BLAS threads:")
    assert finding.evidence == {
        "blas_threads": 8,
        "chains_at_once": 4,
        "usable_cores": 8,
        "start_method": "fork",
        "variables": {"OPENBLAS_NUM_THREADS": "8"},
    }
    assert finding.fix.startswith("Limit BLAS to 2 threads per process")
    # The shell's variables, and apart from them the same limit in Python.
    assert finding.fix_code == "export OMP_NUM_THREADS=2\nexport OPENBLAS_NUM_THREADS=2\nexport MKL_NUM_THREADS=2"
    (python,) = finding.rerun
    assert python.code == (
        "from threadpoolctl import threadpool_limits\n\n"
        'with model, threadpool_limits(limits=2, user_api="blas"):\n    idata = pm.sample()'
    )


def test_one_chain_at_a_time():
    env = facts({"hardware": {"logical_cores": 2, "usable_cores": 2}}, base=blas_threads(3, "spawn"))
    finding = check("ENV601", env).finding
    assert finding.message.startswith("PyMC samples one chain at a time here, with 3 BLAS threads: 3 threads on 2")
    assert finding.fix.startswith("Limit BLAS to 2 threads per process")


def test_oversubscription_needs_a_blas_pool():
    assert check("ENV601", facts(base={"threadpools": [pool("openmp", "openmp")]})).skipped == (
        "no BLAS thread pool was reported"
    )


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        pytest.param({"OMP_NUM_THREADS": "4", "OPENBLAS_NUM_THREADS": "2,1"}, None, id="usable"),
        pytest.param({"PYTENSOR_FLAGS": "four"}, None, id="not-a-thread-variable"),
        pytest.param(
            {"MKL_NUM_THREADS": "four", "OMP_NUM_THREADS": "0", "BLIS_NUM_THREADS": "1.5", "NUMBA_NUM_THREADS": "64"},
            {
                "unusable": {"MKL_NUM_THREADS": "four", "OMP_NUM_THREADS": "0", "BLIS_NUM_THREADS": "1.5"},
                "above_cores": {"NUMBA_NUM_THREADS": "64"},
                "usable_cores": 8,
            },
            id="unparsable-and-too-many",
        ),
        pytest.param({"MKL_THREADING_LAYER": "gnu"}, None, id="threading-layer-any-case"),
        pytest.param(
            {"MKL_THREADING_LAYER": "OPENMP"},
            {"unusable": {"MKL_THREADING_LAYER": "OPENMP"}, "above_cores": {}, "usable_cores": 8},
            id="unknown-threading-layer",
        ),
    ],
)
def test_detect_thread_variables(variables, expected):
    assert detect_thread_variables(facts({"env_vars": variables})) == expected


def test_thread_variables_are_set_to_what_fits_or_unset():
    env = facts({"env_vars": {"MKL_NUM_THREADS": "four", "OMP_NUM_THREADS": "64", "MKL_THREADING_LAYER": "x"}})
    finding = check("ENV602", env).finding
    assert finding.message == (
        "MKL_NUM_THREADS='four', MKL_THREADING_LAYER='x': BLAS and OpenMP ignore values they cannot parse, so these "
        "limits are not in effect; OMP_NUM_THREADS=64: more threads per process than the 8 usable cores, before "
        "PyMC runs chains in parallel."
    )
    assert finding.fix.startswith("Set at most 2 threads per process")
    assert finding.fix_code == (
        "export MKL_NUM_THREADS=2    # or: unset MKL_NUM_THREADS\n"
        "export MKL_THREADING_LAYER=GNU    # or: unset MKL_THREADING_LAYER\n"
        "export OMP_NUM_THREADS=2    # or: unset OMP_NUM_THREADS"
    )


@pytest.mark.parametrize(
    ("static", "base", "expected"),
    [
        pytest.param({}, {}, None, id="fork"),
        pytest.param({}, {"start_method": "spawn"}, {"start_method": "spawn", "system": "Linux"}, id="spawn"),
        pytest.param(
            {"platform": {"system": "Windows"}},
            {"start_method": "spawn"},
            {"start_method": "spawn", "system": "Windows"},
            id="windows",
        ),
        pytest.param(
            {"platform": {"system": "Darwin"}}, {}, {"start_method": "forkserver", "system": "Darwin"}, id="intel-mac"
        ),
        pytest.param(
            {"platform": {"system": "Darwin", "machine": "arm64"}}, {"start_method": "spawn"}, None, id="arm64-mac"
        ),
        pytest.param({}, {"start_method": None}, None, id="unknown"),
    ],
)
def test_detect_start_method(static, base, expected):
    assert detect_start_method(facts(static, base=base)) == expected


@pytest.mark.parametrize(
    ("static", "where", "notebook"),
    [
        ({"platform": {"system": "Windows"}}, "on Windows", False),
        ({"platform": {"system": "Darwin"}, "in_notebook": True}, "on an Intel Mac", True),
    ],
)
def test_scripts_need_a_main_guard(static, where, notebook):
    finding = check("ENV604", facts(static, base={"start_method": "spawn"})).finding
    assert f"PyMC starts parallel chains with {finding.evidence['start_method']!r} {where}:" in finding.message
    assert finding.message.endswith("cloudpickle sends it to each chain).") == notebook
    assert finding.fix_code.endswith('if __name__ == "__main__":\n    main()')


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["threads_and_disk"], indirect=True)
def test_thread_oversubscription_and_thread_variables(scenario):
    assert_only(scenario, {"ENV601", "ENV602", "ENV603", "ENV303", "ENV304"})
    cores = os.cpu_count() or 1
    oversubscribed = scenario.finding("ENV601")
    assert oversubscribed["evidence"]["blas_threads"] == 4 * cores
    assert "OPENBLAS_NUM_THREADS" in oversubscribed["fix_code"]
    assert "threadpool_limits" in oversubscribed["rerun"][0]["code"]
    variables = scenario.finding("ENV602")["evidence"]
    assert variables["unusable"] == {"MKL_NUM_THREADS": "four"}
    assert variables["above_cores"] == {"OMP_NUM_THREADS": str(4 * cores)}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["lock_and_spawn"], indirect=True)
def test_spawn_start_method_note(scenario):
    finding = scenario.finding("ENV604")
    assert finding["evidence"] == {"start_method": "spawn", "system": "Linux"}
    assert "with 'spawn' in this Python" in finding["message"]
