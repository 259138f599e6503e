"""ENV201-ENV203: PyTensor's BLAS fallback, BLAS flags that do not link, and the BLAS that runs."""

from __future__ import annotations

import pytest

from pymc_doctor.checks.environment.blas import detect_blas_fallback, detect_blas_link, detect_blas_runtime
from pymc_doctor.probes.protocol import ProbeResult
from tests.checks.environment.helpers import DROP, OK, check, copy_of, facts, failed, pool
from tests.checks.environment.scenarios import PYMC_MAJOR, assert_only, blas_flags_empty

PIP_WARNING = "PyTensor could not link to a BLAS installation. Operations that might benefit from BLAS will be slow."
NO_BLAS = {"pytensor": {"flags": {"blas__ldflags": ""}}, "notes": [{"source": "UserWarning", "message": PIP_WARNING}]}
C_BACKEND_NO_BLAS = {**NO_BLAS, "pytensor": {"flags": {"blas__ldflags": ""}, "default_linker": "CVMLinker"}}


def test_detect_blas_fallback():
    assert detect_blas_fallback(facts()) is None
    assert detect_blas_fallback(facts(base=NO_BLAS)) == {
        "blas__ldflags": "",
        "pytensor_warning": PIP_WARNING,
        "channel": "venv",
        "pytensor_installer": "pip",
        "default_linker": "NumbaLinker",
    }


def test_the_fallback_of_a_pip_install_is_a_note_where_numba_is_the_default():
    finding = check("ENV201", facts(base=NO_BLAS)).finding
    assert finding.severity == "info"
    assert finding.message == (
        "PyTensor's blas__ldflags is empty: it found no BLAS to link, and its compiled code calls BLAS through "
        "NumPy's C API instead; this only slows PyTensor's C backend, as the default Numba backend here does not "
        f'use the flag. PyTensor says: "{PIP_WARNING}"'
    )
    assert finding.fix.startswith("This is a pip virtual environment: PyPI's PyTensor cannot link a BLAS.")
    assert finding.fix_code.startswith("conda create -c conda-forge -n pymc_env pymc\n")


def test_the_fallback_is_a_warning_where_the_c_backend_is_the_default():
    finding = check("ENV201", facts(base=C_BACKEND_NO_BLAS)).finding
    assert finding.severity == "warning"
    assert "run without an optimized BLAS." in finding.message
    assert finding.fix.endswith(
        'Meanwhile, `nuts_sampler="nutpie"` or `pytensor.config.mode = "NUMBA"` avoid the C backend.'
    )


@pytest.mark.parametrize(
    ("flags", "removed"),
    [
        ("blas__ldflags=", "unset PYTENSOR_FLAGS"),
        ("floatX=float32, blas__ldflags=", "export PYTENSOR_FLAGS=floatX=float32"),
        ("blas__ldflags=-lblas,blas__ldflags=", "unset PYTENSOR_FLAGS"),  # the last setting wins
    ],
)
def test_the_fallback_is_blamed_on_pytensor_flags_that_empty_the_flag(flags, removed):
    finding = check("ENV201", facts({"env_vars": {"PYTENSOR_FLAGS": flags}}, base=NO_BLAS)).finding
    assert "blas__ldflags is empty: PYTENSOR_FLAGS sets it so," in finding.message
    assert finding.fix.startswith("PYTENSOR_FLAGS empties blas__ldflags: remove it so PyTensor looks for a BLAS.")
    assert finding.fix_code.startswith(f"{removed}\n# if PyTensor still finds no BLAS:\nconda create")


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param(None, id="not-set"),
        pytest.param("floatX=float32", id="other-flags"),
        # PyTensor ignores a flag without a value ("has no value, ignoring it"), and a key with a
        # space before `=` is another, unknown flag: neither sets blas__ldflags.
        pytest.param("blas__ldflags", id="named-without-a-value"),
        pytest.param("blas__ldflags =-lopenblas", id="space-before-the-equals-sign"),
    ],
)
def test_the_fallback_is_not_blamed_on_pytensor_flags_that_do_not_set_the_flag(flags):
    env_vars = {} if flags is None else {"PYTENSOR_FLAGS": flags}
    finding = check("ENV201", facts({"env_vars": env_vars}, base=NO_BLAS)).finding
    assert "blas__ldflags is empty: it found no BLAS to link," in finding.message
    assert "PYTENSOR_FLAGS" not in finding.fix and "PYTENSOR_FLAGS" not in finding.fix_code


def test_pip_pytensor_in_a_conda_environment_is_replaced():
    env = facts(
        {"channel": {"kind": "conda"}, "distributions": {"pytensor": [copy_of("2.38.2", installer="pip")]}},
        base=NO_BLAS,
    )
    finding = check("ENV201", env).finding
    assert finding.fix == "PyTensor here came from pip, which brings no BLAS link: replace it with conda-forge's."
    assert finding.fix_code == "python -m pip uninstall -y pytensor pymc\nconda install -c conda-forge pymc libblas"


def test_the_fallback_is_moot_without_a_compiler_or_pytensor():
    no_compiler = check("ENV201", facts(base={"pytensor": {"flags": {"cxx": "", "blas__ldflags": ""}}}))
    assert no_compiler.skipped.startswith("no C++ compiler is configured")
    no_pytensor = check("ENV201", facts(base={"pytensor": DROP, "pytensor_import": failed("ImportError: x")}))
    assert no_pytensor.skipped == "PyTensor could not be imported (see ENV107)"
    unread = check("ENV201", facts(base={"pytensor": {"flags": DROP, "errors": {"cxx": "OSError: g++"}}}))
    assert unread.skipped == "PyTensor could not read its `cxx` flag: OSError: g++"
    died = ProbeResult("base", data={"pytensor_import": OK}, timed_out=True, timeout=180)
    assert check("ENV201", facts(base=DROP, results={"base": died})).skipped == (
        "the probe did not finish within 180 s while reading PyTensor's configuration"
    )


LINK_ERROR = "/usr/bin/ld: cannot find -lnosuchblas: No such file or directory\ncollect2: error: ld returned 1"


@pytest.mark.parametrize(
    ("compile_data", "outcome"),
    [
        pytest.param({}, None, id="links"),
        pytest.param(
            {"blas_op": failed(f"CompileError: Compilation failed\n{LINK_ERROR}")},
            {
                "blas__ldflags": "-lopenblas",
                "error": "CompileError: Compilation failed | " + LINK_ERROR.replace("\n", " | "),
            },
            id="does-not-link",
        ),
    ],
)
def test_detect_blas_link(compile_data, outcome):
    assert detect_blas_link(facts(compile=compile_data)) == outcome


def test_flags_that_do_not_link_are_removed_or_a_blas_installed():
    broken = {"blas_op": failed(f"CompileError: Compilation failed\n{LINK_ERROR}")}
    flags = {"env_vars": {"PYTENSOR_FLAGS": "blas__ldflags=-lnosuchblas"}}
    finding = check(
        "ENV202", facts(flags, base={"pytensor": {"flags": {"blas__ldflags": "-lnosuchblas"}}}, compile=broken)
    ).finding
    assert finding.message.startswith("Compiling a matrix-vector product with blas__ldflags='-lnosuchblas' fails: ")
    assert finding.severity == "warning"  # Numba is the default backend
    assert finding.fix_code == "unset PYTENSOR_FLAGS"
    on_a_mac = check("ENV202", facts({"platform": {"system": "Darwin", "machine": "arm64"}}, compile=broken)).finding
    assert on_a_mac.fix_code == 'python -m pip install "libblas=*=*accelerate"'


def test_blas_link_needs_the_compile_probe_flags_and_a_compiler():
    assert (
        check("ENV202", facts(compile=DROP, not_run={"compile": "skipped by --quick"})).skipped == "skipped by --quick"
    )
    assert check("ENV202", facts(base=NO_BLAS)).skipped == "PyTensor has no BLAS flags to link (see ENV201)"
    assert (
        check("ENV202", facts(compile={"c_op": failed("x")})).skipped
        == "the C compiler itself does not work (see ENV302)"
    )
    stopped = facts(compile=DROP, results={"compile": ProbeResult("compile", data={"c_op": OK}, returncode=-9)})
    assert check("ENV202", stopped).skipped == "the compile probe crashed (killed by SIGKILL)"


@pytest.mark.parametrize(
    ("static", "pools", "problem"),
    [
        pytest.param({}, [pool("blas", "openblas")], None, id="openblas"),
        pytest.param({}, [pool("openmp", "openmp")], "none", id="no-blas"),
        pytest.param(
            {},
            [pool("blas", "mkl"), pool("openmp", "openmp"), pool("openmp", "openmp_intel")],
            "openmp",
            id="two-openmp",
        ),
        pytest.param({"platform": {"system": "Darwin"}}, [pool("blas", "openblas")], "no-mkl", id="intel-mac"),
        pytest.param({"platform": {"system": "Darwin"}}, [pool("blas", "mkl")], None, id="intel-mac-with-mkl"),
        pytest.param(
            {"platform": {"system": "Darwin", "machine": "arm64"}}, [pool("blas", "openblas")], None, id="arm64"
        ),
    ],
)
def test_detect_blas_runtime(static, pools, problem):
    found = detect_blas_runtime(facts(static, base={"threadpools": pools}))
    assert (found and found[0]) == problem


def test_blas_runtime_findings():
    none = check("ENV203", facts(base={"threadpools": []})).finding
    assert (none.title, none.fix_code) == ("No BLAS library is loaded", "python -m pip install numpy scipy")
    mixed = [pool("blas", "mkl"), pool("openmp", "openmp"), pool("openmp", "openmp_intel")]
    finding = check("ENV203", facts(base={"threadpools": mixed})).finding
    assert finding.title == "2 OpenMP runtimes are loaded at once (openmp, openmp_intel)"
    assert finding.evidence == {"blas": [mixed[0]], "openmp": ["openmp", "openmp_intel"]}
    assert finding.fix_code.startswith("export MKL_THREADING_LAYER=GNU\n# lasting fix:\nconda create")
    mac = check("ENV203", facts({"platform": {"system": "Darwin"}, "channel": {"kind": "pixi"}})).finding
    assert (mac.severity, mac.message, mac.fix_code) == (
        "info",
        "This Intel Mac runs openblas; Intel's MKL is markedly faster on Intel CPUs.",
        'pixi add "libblas=*=*mkl"',
    )
    assert check("ENV203", facts(base={"threadpools": DROP})).skipped == "the probe did not report the loaded libraries"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["baseline"], indirect=True)
def test_the_blas_fallback_of_a_pip_install_is_named_with_its_fix(scenario):
    if not blas_flags_empty():
        pytest.skip("this installation links a BLAS; the forced case is tested below")
    finding = scenario.finding("ENV201")
    assert "could not link to a BLAS" in finding["message"]
    assert "it found no BLAS to link" in finding["message"]
    assert finding["evidence"]["channel"] in ("venv", "uv", "system")
    assert "conda create -c conda-forge -n pymc_env pymc" in finding["fix_code"]
    assert "pixi add pymc" in finding["fix_code"]
    # A warning where the C backend is PyTensor's default (PyMC 5), a note where Numba is (PyMC 6).
    assert finding["severity"] == ("warning" if PYMC_MAJOR < 6 else "info")


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["packages_and_settings"], indirect=True)
def test_forced_blas_fallback_and_misspelt_flag(scenario):
    fallback = scenario.finding("ENV201")
    assert "blas__ldflags is empty: PYTENSOR_FLAGS sets it so" in fallback["message"]
    assert fallback["fix_code"].startswith("export PYTENSOR_FLAGS=cxxflags=-O2\n# if PyTensor still finds no BLAS:")
    flag = scenario.finding("ENV108")
    assert flag["evidence"]["suggestions"] == {"cxxflags": ["gcc__cxxflags"]}
    assert flag["fix_code"] == "export PYTENSOR_FLAGS=blas__ldflags=,gcc__cxxflags=-O2"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["blas_does_not_link"], indirect=True)
def test_blas_flags_that_do_not_link(scenario):
    assert scenario.codes == {"ENV202"}
    finding = scenario.finding("ENV202")
    assert "cannot find -lpymc_doctor_no_such_blas" in finding["message"]
    assert finding["fix_code"] == "unset PYTENSOR_FLAGS"
    assert_only(scenario, {"ENV202"})
