"""ENV301 and ENV302: no C++ compiler for PyTensor, or one that does not build."""

from __future__ import annotations

import shutil

import pytest

from pymc_doctor.checks.environment.compiler import detect_compile_fails, detect_no_compiler
from pymc_doctor.probes.protocol import ProbeResult
from tests.checks.environment.helpers import DROP, check, facts, failed
from tests.checks.environment.scenarios import PYMC_MAJOR, assert_only

NO_CXX = {"pytensor": {"flags": {"cxx": ""}}}


def test_detect_no_compiler():
    assert detect_no_compiler(facts()) is None
    env = facts({"env_vars": {"PYTENSOR_FLAGS": "cxx="}}, base=NO_CXX)
    assert detect_no_compiler(env) == {
        "cxx": "",
        "compilers_on_path": {"g++": "/usr/bin/g++"},
        "PYTENSOR_FLAGS": "cxx=",
        "default_linker": "NumbaLinker",
    }


@pytest.mark.parametrize(
    ("static", "reason", "fix_code"),
    [
        pytest.param(
            {"compilers": {}},
            "no C++ compiler (g++, clang++) is on PATH",
            "sudo apt-get install g++    # Debian/Ubuntu; Fedora: sudo dnf install gcc-c++\n# or\n"
            "conda create -c conda-forge -n pymc_env pymc gxx\nconda activate pymc_env\n"
            "# or, with pixi, in your project folder:\npixi init && pixi add pymc gxx",
            id="none-anywhere",
        ),
        pytest.param(
            {},
            "/usr/bin/g++ is on PATH, but PyTensor's configuration (~/.pytensorrc?) sets no cxx",
            "export PYTENSOR_FLAGS=cxx=/usr/bin/g++",
            id="on-path-but-not-configured",
        ),
        pytest.param(
            {"env_vars": {"PYTENSOR_FLAGS": "cxx="}},
            "PYTENSOR_FLAGS sets `cxx=`, although /usr/bin/g++ is on PATH",
            "unset PYTENSOR_FLAGS",
            id="turned-off-by-the-flags",
        ),
        pytest.param(
            {"env_vars": {"PYTENSOR_FLAGS": "floatX=float32,cxx="}, "platform": {"system": "Windows"}},
            "PYTENSOR_FLAGS sets `cxx=` (floatX=float32,cxx=), although /usr/bin/g++ is on PATH",
            '$env:PYTENSOR_FLAGS = "floatX=float32"',
            id="turned-off-among-other-flags-on-windows",
        ),
        pytest.param(
            {"env_vars": {"PYTENSOR_FLAGS": "cxx="}, "compilers": {}, "channel": {"kind": "conda"}},
            "PYTENSOR_FLAGS sets `cxx=`, and no C++ compiler (g++, clang++) is on PATH either",
            "conda install -c conda-forge gxx\n# then:\nunset PYTENSOR_FLAGS",
            id="turned-off-and-none-on-path",
        ),
        pytest.param(
            # PyTensor ignores a flag without a value: the flags do not turn the compiler off.
            {"env_vars": {"PYTENSOR_FLAGS": "cxx"}},
            "/usr/bin/g++ is on PATH, but PyTensor's configuration (~/.pytensorrc?) sets no cxx",
            "export PYTENSOR_FLAGS=cxx=/usr/bin/g++",
            id="flag-named-without-a-value",
        ),
    ],
)
def test_no_compiler_says_why_and_how_to_get_one(static, reason, fix_code):
    finding = check("ENV301", facts(static, base=NO_CXX)).finding
    assert finding.message == (
        f"PyTensor's cxx is empty: {reason}. So the C backend is unavailable; the default Numba backend is unaffected."
    )
    assert finding.fix_code == fix_code


def test_no_compiler_is_an_error_where_the_c_backend_is_the_default():
    env = facts({"compilers": {}}, base={"pytensor": {"flags": {"cxx": ""}, "default_linker": "CVMLinker"}})
    finding = check("ENV301", env).finding
    assert finding.severity == "error"
    assert finding.message.endswith("So every model falls back to Python code, often 10-100x slower.")
    assert check("ENV301", facts({"compilers": {}}, base=NO_CXX)).finding.severity == "info"


def test_detect_compile_fails():
    assert detect_compile_fails(facts()) is None
    env = facts(compile={"c_op": failed("CompileError: Compilation failed (return status=1):\n/usr/bin/false")})
    found = detect_compile_fails(env)
    assert found["cxx"] == "g++"
    assert found["error"] == "CompileError: Compilation failed (return status=1):"  # the lines that name the error
    assert found["probe"] == {"seconds": 1.0, "failure": None}


def test_a_compiler_that_fails_is_reported_with_its_message():
    env = facts(compile={"c_op": failed("CompileError: Compilation failed (return status=1):\n/usr/bin/false")})
    finding = check("ENV302", env).finding
    assert finding.severity == "warning"  # Numba is the default backend
    assert finding.message == (
        "PyTensor's compiler g++: building the op fails: CompileError: Compilation failed (return status=1):."
    )
    assert finding.fix_code.startswith("sudo apt-get install g++")


def test_a_compile_probe_that_hangs_and_a_locked_compile_folder():
    stuck = ProbeResult("compile", data={"cxx": "g++"}, timed_out=True, timeout=240, stderr_tail="waiting for lock")
    finding = check("ENV302", facts(compile=DROP, results={"compile": stuck})).finding
    assert (
        finding.message == "PyTensor's compiler g++: the compile probe did not finish within 240 s: waiting for lock."
    )
    assert finding.fix.endswith("If the message names the compile folder, clear PyTensor's cache.")
    assert finding.fix_code.endswith("\npytensor-cache clear")


def test_compile_fails_needs_a_compiler():
    assert check("ENV302", facts(base=NO_CXX)).skipped == "no C++ compiler is configured (see ENV301)"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["no_compiler"], indirect=True)
def test_no_compiler(scenario):
    assert_only(scenario, {"ENV301"})
    finding = scenario.finding("ENV301")
    assert finding["evidence"]["compilers_on_path"] == {}
    assert "no C++ compiler (g++, clang++) is on PATH" in finding["message"]
    assert "sudo apt-get install g++" in finding["fix_code"] and "conda create -c conda-forge" in finding["fix_code"]
    assert finding["fix_code"].endswith("unset PYTENSOR_FLAGS")
    assert finding["severity"] == ("error" if PYMC_MAJOR < 6 else "info")
    assert "ENV201" not in scenario.codes  # the BLAS flags are moot without a compiler


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["conda_environment"], indirect=True)
def test_compiler_on_path_turned_off_by_flag(scenario):
    finding = scenario.finding("ENV301")
    assert "PYTENSOR_FLAGS sets `cxx=`" in finding["message"] and "is on PATH" in finding["message"]
    assert finding["fix_code"] == "unset PYTENSOR_FLAGS"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["compiler_broken"], indirect=True)
def test_a_compiler_that_fails(scenario):
    assert scenario.codes == {"ENV302"}
    finding = scenario.finding("ENV302")
    assert f"PyTensor's compiler {shutil.which('false')}: building the op fails" in finding["message"]
    assert "Compilation failed" in finding["message"]
    assert finding["severity"] == ("error" if PYMC_MAJOR < 6 else "warning")
