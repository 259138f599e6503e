"""The env checks, through the real `pymc-doctor env` command, against broken set-ups made for each test.

Every scenario below builds a real broken installation (a PATH without a compiler, PyTensor flags,
fake legacy packages with metadata on PYTHONPATH, an extension built for NumPy 1.x, a held compile
lock, a conda-like environment...) and runs `python -m pymc_doctor env --format json` in a child
process with it. The scenarios run concurrently, once per test session, to keep the module fast.
Each test then asserts that its finding fires and that nothing beyond the healthy baseline does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest

from pymc_doctor.probes import ENV_VARS

PYTHON = sys.executable
SITE = sysconfig.get_paths()["purelib"]
PYMC_MAJOR = int(metadata.version("pymc").split(".")[0])
# Environment variables that would change what the doctor sees; every scenario starts without them.
SCRUBBED = ("PYTHONPATH", *ENV_VARS)
# For scenarios that concern neither the sampler backends nor NumPy's ABI: skips the sampler
# probe, which imports JAX, Numba and nutpie (seconds of CPU per run).
NO_SAMPLERS = ("--ignore", "ENV5,numpy-abi")
# Notes that a healthy installation may get for real: a faster sampler than the default is
# installed (PyMC 5 with nutpie).
HEALTHY_NOTES = {"ENV503"}


@dataclass
class Setup:
    args: tuple[str, ...] = ("--quick",)
    env: dict[str, str] = field(default_factory=dict)
    pythonpath: tuple[Path, ...] = ()
    cwd: Path | None = None
    python: str = PYTHON
    # Started before the doctor and killed after it: (argv, environment, line it prints when ready).
    companion: tuple[list[str], dict[str, str], str] | None = None


@dataclass
class Run:
    report: dict
    returncode: int
    stderr: str
    seconds: float

    @property
    def codes(self) -> set[str]:
        return {f["code"] for f in self.report["findings"]}

    def finding(self, code: str) -> dict:
        matches = [f for f in self.report["findings"] if f["code"] == code]
        assert matches, f"{code} did not fire; findings: {sorted(self.codes)}"
        return matches[0]

    def skipped(self, code: str) -> str:
        reasons = [s["reason"] for s in self.report["checks_skipped"] if s["code"] == code]
        assert reasons, f"{code} was not skipped"
        return reasons[0]


def _environment(setup: Setup) -> dict[str, str]:
    environ = {name: value for name, value in os.environ.items() if name not in SCRUBBED}
    # Pinned so that many-core machines, where ENV601 would fire for real, give the same baseline.
    environ.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    environ.update(setup.env)
    if setup.pythonpath:
        environ["PYTHONPATH"] = os.pathsep.join(str(path) for path in setup.pythonpath)
    return {name: value for name, value in environ.items() if value is not None}


def run_doctor(setup: Setup, cwd: Path, cache: Path | None = None) -> Run:
    """Run `pymc-doctor env` in ``setup``; probe results are reused only from ``cache`` (by default
    a cache of this run's own, so that every scenario examines its installation for real)."""
    environ = {**_environment(setup), "PYMC_DOCTOR_CACHE_DIR": str(cache or cwd / "probe-cache")}
    companion = None
    if setup.companion:
        argv, extra, ready = setup.companion
        companion = subprocess.Popen(argv, env={**environ, **extra}, stdout=subprocess.PIPE, text=True)
        assert companion.stdout is not None and companion.stdout.readline().strip() == ready
    try:
        start = time.perf_counter()
        process = subprocess.run(
            [setup.python, "-m", "pymc_doctor", "env", "--format", "json", "--no-redact", *setup.args],
            cwd=setup.cwd or cwd,
            env=environ,
            capture_output=True,
            text=True,
            timeout=600,
        )
        seconds = time.perf_counter() - start
    finally:
        if companion:
            companion.kill()
            companion.wait()
    assert process.stdout, f"no report; stderr:\n{process.stderr[-3000:]}"
    return Run(json.loads(process.stdout), process.returncode, process.stderr, seconds)


# ---------------------------------------------------------------------------------------------
# Building broken installations


def fake_distribution(
    site: Path,
    name: str,
    version: str,
    *,
    module: str | None = None,
    code: str = "",
    requires: tuple[str, ...] = (),
    files: tuple[str, ...] = (),
) -> None:
    """An installed distribution: dist-info metadata, and optionally its package."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    requirements = "".join(f"Requires-Dist: {r}\n" for r in requires)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requirements}")
    (info / "INSTALLER").write_text("pip\n")
    record = [*files, f"{info.name}/METADATA"]
    if module:
        (site / module).mkdir()
        (site / module / "__init__.py").write_text(code)
        record.append(f"{module}/__init__.py")
    (info / "RECORD").write_text("".join(f"{path},,\n" for path in record))


NUMPY1_EXTENSION = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <numpy/numpyconfig.h>
/* The binary interface NumPy 1.x headers declare; NumPy 2 refuses to load such a module. */
#undef NPY_VERSION
#define NPY_VERSION 0x01000009
#include <numpy/arrayobject.h>

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__core(void) {
    import_array();
    return PyModule_Create(&module);
}
"""


def build_numpy1_extension(package: Path) -> str:
    """Compile ``package/_core`` as an extension built against NumPy 1.x's ABI; return its file name."""
    import numpy

    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler to build an extension for NumPy 1.x")
    source = package / "_core.c"
    source.write_text(NUMPY1_EXTENSION)
    target = package / f"_core{sysconfig.get_config_var('EXT_SUFFIX')}"
    includes = [f"-I{numpy.get_include()}", f"-I{sysconfig.get_paths()['include']}"]
    subprocess.run([compiler, "-shared", "-fPIC", *includes, str(source), "-o", str(target)], check=True)
    return target.name


# ---------------------------------------------------------------------------------------------
# The scenarios

SCENARIOS: dict[str, Callable[[Path], Setup]] = {}


def scenario(function: Callable[[Path], Setup]) -> Callable[[Path], Setup]:
    SCENARIOS[function.__name__] = function
    return function


@scenario
def baseline(tmp: Path) -> Setup:
    return Setup()


@scenario
def full(tmp: Path) -> Setup:
    # The compile probe and the smoke test; the baseline covers the sampler probe.
    return Setup(args=NO_SAMPLERS)


@scenario
def no_compiler(tmp: Path) -> Setup:
    # No compiler on PATH, and PyTensor told not to look for one.
    empty = tmp / "bin"
    empty.mkdir()
    return Setup(args=("--quick", *NO_SAMPLERS), env={"PATH": str(empty), "PYTENSOR_FLAGS": "cxx="})


@scenario
def packages_and_settings(tmp: Path) -> Setup:
    site = tmp / "site"
    # PyMC3 and Theano-PyMC, installed with metadata.
    fake_distribution(site, "pymc3", "3.11.5", module="pymc3", code='__version__ = "3.11.5"\n')
    fake_distribution(site, "Theano-PyMC", "1.1.2", module="theano", code='__version__ = "1.1.2"\n')
    # blackjax whose compiled core was built for NumPy 1.x: its import fails NumPy's ABI check.
    (site / "blackjax").mkdir()
    extension = build_numpy1_extension(site / "blackjax")
    (site / "blackjax" / "__init__.py").write_text("from blackjax import _core\n")
    fake_distribution(site, "blackjax", "1.2.4", files=(f"blackjax/{extension}",))
    # An extension package whose metadata pins NumPy 1.x, and a second copy of SciPy's metadata.
    (site / "old_extension").mkdir()
    shutil.copy(site / "blackjax" / extension, site / "old_extension" / extension)
    fake_distribution(site, "old-extension", "0.9", requires=("numpy<2",), files=(f"old_extension/{extension}",))
    fake_distribution(site, "scipy", metadata.version("scipy"))
    # JAX's CUDA plugin on a machine where JAX finds no GPU.
    fake_distribution(site, "jax-cuda12-plugin", metadata.version("jax"))
    # A nutpie without its compiled core, first on the path, as a half-finished install leaves it.
    (site / "nutpie").mkdir()
    (site / "nutpie" / "__init__.py").write_text("from nutpie._lib import PyNutsSettings\n")
    # Code and settings from the PyMC3 days.
    project = tmp / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "model.py").write_text("import pymc3 as pm\nimport theano.tensor as tt\n")
    cell = {"cell_type": "code", "source": ["from pymc3 import Model\n", "x = 1\n"]}
    (project / "notebooks" / "old.ipynb").write_text(json.dumps({"cells": [cell]}))
    home = tmp / "home"
    home.mkdir()
    (home / ".theanorc").write_text("[blas]\nldflags = -lopenblas\n")
    # An empty blas__ldflags forces PyTensor's NumPy C-API fallback even where a BLAS exists;
    # `cxxflags` (for `gcc__cxxflags`) is a flag PyTensor does not know.
    flags = {"PYTENSOR_FLAGS": "blas__ldflags=,cxxflags=-O2", "THEANO_FLAGS": "floatX=float32", "HOME": str(home)}
    return Setup(env=flags, pythonpath=(site,), cwd=project)


@scenario
def threads_and_disk(tmp: Path) -> Setup:
    site = tmp / "site"
    site.mkdir()
    cores = os.cpu_count() or 1
    # OpenBLAS caps the thread count its variables ask for at the cores, but not one set at run
    # time: a start-up hook that raises it, as some cluster set-ups do.
    (site / "sitecustomize.py").write_text(
        "import numpy\nimport scipy.linalg\nfrom threadpoolctl import threadpool_limits\n\n"
        f"threadpool_limits(limits={4 * cores}, user_api='blas')\n"
    )
    # Tests run as root, so permissions cannot make a folder unwritable; a path under a file can.
    blocker = tmp / "not-a-folder"
    blocker.write_text("")
    return Setup(
        args=("--quick", *NO_SAMPLERS, "--threshold", "min_free_mb=1000000000", "--threshold", "min_available_gb=1e6"),
        env={
            "OMP_NUM_THREADS": str(4 * cores),
            "MKL_NUM_THREADS": "four",
            "PYTENSOR_FLAGS": f"base_compiledir={blocker / 'pytensor'}",
        },
        pythonpath=(site,),
    )


@scenario
def lock_and_spawn(tmp: Path) -> Setup:
    flags = {"PYTENSOR_FLAGS": f"base_compiledir={tmp / 'cache'}"}
    holder = textwrap.dedent(
        """
        import time
        from pytensor import config
        from pytensor.compile.compilelock import lock_ctx

        with lock_ctx(config.compiledir, timeout=30):
            print("held", flush=True)
            time.sleep(600)
        """
    )
    site = tmp / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import multiprocessing\n\nmultiprocessing.set_start_method('spawn')\n")
    # Not --quick: the doctor must skip compiling and sampling rather than wait for the lock.
    return Setup(args=NO_SAMPLERS, env=flags, pythonpath=(site,), companion=([PYTHON, "-c", holder], flags, "held"))


@scenario
def conda_environment(tmp: Path) -> Setup:
    # A conda-style environment (conda-meta) whose packages were installed by pip; PyTensor told
    # not to use the compiler that is on PATH; and stale metadata of an old PyMC.
    prefix = tmp / "env"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(prefix)], check=True)
    (prefix / "conda-meta").mkdir()
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = prefix / ("Lib" if os.name == "nt" else f"lib/{version}") / "site-packages"
    (site / "shared_packages.pth").write_text(f"import site; site.addsitedir({SITE!r})\n")
    python = prefix / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # PyMC 4 metadata first on the path, as an old `pip install --target` folder leaves it: it
    # requires Aesara, which is not installed.
    old = tmp / "old"
    fake_distribution(old, "pymc", "4.4.0", requires=("aesara==2.8.7", "arviz>=0.13.0"))
    return Setup(args=("--quick", *NO_SAMPLERS), env={"PYTENSOR_FLAGS": "cxx="}, pythonpath=(old,), python=str(python))


@scenario
def blas_does_not_link(tmp: Path) -> Setup:
    return Setup(args=("--select", "ENV2,ENV3"), env={"PYTENSOR_FLAGS": "blas__ldflags=-lpymc_doctor_no_such_blas"})


@scenario
def compiler_broken(tmp: Path) -> Setup:
    return Setup(args=("--select", "ENV3"), env={"PYTENSOR_FLAGS": f"cxx={shutil.which('false')}"})


@scenario
def shadowed_pymc(tmp: Path) -> Setup:
    project = tmp / "project"
    project.mkdir()
    (project / "pymc.py").write_text('import pymc as pm\n\nwith pm.Model():\n    pm.Normal("x")\n')
    return Setup(cwd=project)


@scenario
def pytensor_crashes(tmp: Path) -> Setup:
    site = tmp / "site"
    (site / "pytensor").mkdir(parents=True)
    # A PyTensor whose import dies with a segmentation fault, as a broken binary does.
    (site / "pytensor" / "__init__.py").write_text("import ctypes\n\nctypes.string_at(0)\n")
    return Setup(pythonpath=(site,))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    setups = {}
    for name, build in SCENARIOS.items():
        tmp = tmp_path_factory.mktemp(name)
        setups[name] = (build(tmp), tmp)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(run_doctor, setup, tmp) for name, (setup, tmp) in setups.items()}
        return {name: future.result() for name, future in futures.items()}


@cache
def blas_flags_empty() -> bool:
    """Ground truth, asked of PyTensor directly: does this installation have the BLAS fallback?"""
    code = (
        "import warnings; warnings.simplefilter('ignore'); import pytensor; print(repr(pytensor.config.blas__ldflags))"
    )
    environ = {name: value for name, value in os.environ.items() if name not in SCRUBBED}
    output = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=environ, check=True).stdout
    return output.strip() == "''"


def assert_only(run: Run, expected: set[str], runs: dict[str, Run], also: frozenset[str] = frozenset()) -> None:
    """``expected`` fire; every other finding is one the healthy baseline has too (or one of ``also``)."""
    assert expected <= run.codes, f"missing {sorted(expected - run.codes)}; got {sorted(run.codes)}"
    extra = run.codes - expected - runs["baseline"].codes - also
    assert not extra, f"unexpected findings {sorted(extra)}: {[f['title'] for f in run.report['findings']]}"
    assert not [f for f in run.report["findings"] if f["code"] == "INT001"]
    assert run.returncode == (1 if any(f["severity"] == "error" for f in run.report["findings"]) else 0)


# ---------------------------------------------------------------------------------------------
# The healthy installation


def test_baseline_reports_only_what_is_really_wrong_here(runs):
    run = runs["baseline"]
    real = {"ENV201"} if blas_flags_empty() else set()
    if shutil.which("nvidia-smi"):  # a GPU machine may really have a CPU-only JAX
        real |= {"ENV502"} & run.codes
    assert run.codes - HEALTHY_NOTES == real, [f["title"] for f in run.report["findings"]]
    assert run.returncode == 0
    assert {s["code"] for s in run.report["checks_skipped"]} == {"ENV202", "ENV302", "ENV801"}
    assert run.skipped("ENV801") == "skipped by --quick"
    assert len(run.report["checks_run"]) >= 25
    environment = run.report["context"]["environment"]
    assert environment["hardware"]["logical_cores"] >= 1
    assert environment["blas"], "threadpoolctl found no BLAS"
    assert environment["probes"]["base"]["failure"] is None


def test_the_blas_fallback_of_a_pip_install_is_named_with_its_fix(runs):
    if not blas_flags_empty():
        pytest.skip("this installation links a BLAS; the forced case is tested below")
    finding = runs["baseline"].finding("ENV201")
    assert "could not link to a BLAS" in finding["message"]
    assert finding["evidence"]["channel"] in ("venv", "uv", "system")
    assert "conda create -c conda-forge -n pymc_env pymc" in finding["fix_code"]
    assert "pixi add pymc" in finding["fix_code"]
    # A warning where the C backend is PyTensor's default (PyMC 5), a note where Numba is (PyMC 6).
    assert finding["severity"] == ("warning" if PYMC_MAJOR < 6 else "info")


def test_full_run_smoke_test_times_compiling_and_sampling(runs):
    run = runs["full"]
    assert_only(run, {"ENV801"}, runs)
    finding = run.finding("ENV801")
    assert finding["severity"] == "info"
    evidence = finding["evidence"]
    assert evidence["sampler"] == ("pymc" if PYMC_MAJOR < 6 else "nutpie")
    assert evidence["draws"] == 200 and evidence["chains"] >= 2
    assert evidence["compile_seconds"] > 0 and evidence["sampling_seconds"] > 0
    assert evidence["import_seconds"] > 0 and evidence["reused_from"] is None
    assert "ENV302" in run.report["checks_run"]  # the compile probe built and ran its C op


# ---------------------------------------------------------------------------------------------
# Versions, packages and settings


def test_legacy_packages_code_and_settings(runs):
    run = runs["packages_and_settings"]
    # With nutpie broken, numpyro may become the faster choice (ENV503).
    expected = {"ENV101", "ENV102", "ENV103", "ENV106", "ENV108", "ENV109", "ENV201", "ENV501", "ENV502"}
    assert_only(run, expected, runs, also=frozenset({"ENV503"}))
    packages = run.finding("ENV101")
    assert packages["severity"] == "error"
    assert set(packages["evidence"]["packages"]) == {"pymc3", "theano-pymc"}
    assert "pip uninstall -y pymc3 theano-pymc" in packages["fix_code"]
    code = run.finding("ENV102")
    assert {hit["file"] for hit in code["evidence"]["files"]} == {"model.py", "notebooks/old.ipynb"}
    config = run.finding("ENV103")
    assert config["evidence"]["variables"] == {"THEANO_FLAGS": "floatX=float32"}
    assert config["evidence"]["files"][0].endswith(".theanorc")


def test_extension_built_for_numpy_1_and_duplicate_metadata(runs):
    run = runs["packages_and_settings"]
    abi = run.finding("ENV106")
    assert [c["name"] for c in abi["evidence"]["conflicts"]] == ["old-extension"]
    assert abi["evidence"]["import_failures"][0]["module"] == "blackjax"
    assert "compiled against ABI version 0x1000009" in abi["message"]
    assert list(run.finding("ENV109")["evidence"]["duplicates"]) == ["scipy"]


def test_gpu_build_of_jax_without_a_gpu(runs):
    finding = runs["packages_and_settings"].finding("ENV502")
    if finding["evidence"]["gpus"]:
        pytest.skip("this machine has a GPU")
    assert finding["severity"] == "info"
    assert finding["evidence"] == {"gpus": [], "jax_devices": ["cpu"], "jax_plugins": ["jax-cuda12-plugin"]}


def test_old_pymc_metadata_and_its_missing_requirement(runs):
    run = runs["conda_environment"]
    old = run.finding("ENV104")
    assert old["severity"] == "error" and old["evidence"]["installed"] == "4.4.0"
    assert "PyMC before 5 is unsupported" in old["message"]
    conflict = run.finding("ENV105")
    assert conflict["evidence"]["requirements"] == [
        {"name": "aesara", "specifier": "==2.8.7", "installed": None, "extra": None, "satisfied": False}
    ]
    assert conflict["fix_code"] == 'conda install -c conda-forge "aesara==2.8.7"'
    assert list(run.finding("ENV109")["evidence"]["duplicates"]) == ["pymc"]


def test_forced_blas_fallback_and_misspelt_flag(runs):
    run = runs["packages_and_settings"]
    assert run.finding("ENV201")["evidence"]["blas__ldflags"] == ""
    flag = run.finding("ENV108")
    assert flag["evidence"]["suggestions"] == {"cxxflags": ["gcc__cxxflags"]}
    assert flag["fix_code"] == "export PYTENSOR_FLAGS=blas__ldflags=,gcc__cxxflags=-O2"


def test_sampler_that_does_not_import(runs):
    finding = runs["packages_and_settings"].finding("ENV501")
    assert list(finding["evidence"]["failures"]) == ["nutpie"]  # blackjax's ABI failure is ENV106's
    assert "No module named 'nutpie._lib'" in finding["message"]
    # PyMC 6 samples with nutpie by default when it is installed, so plain pm.sample() breaks.
    assert finding["severity"] == ("warning" if PYMC_MAJOR < 6 else "error")


def test_a_file_named_pymc_py_breaks_the_import(runs):
    run = runs["shadowed_pymc"]
    # nutpie imports PyMC too, so it may fail the same way (ENV501).
    assert_only(run, {"ENV107", "ENV110"}, runs, also=frozenset({"ENV501"}))
    failure = run.finding("ENV107")
    assert failure["title"] == "`import pymc` fails"
    assert "partially initialized module 'pymc'" in failure["message"]
    assert failure["fix_code"] == "mv pymc.py my_pymc.py"
    assert run.finding("ENV110")["evidence"]["names"] == ["pymc"]


def test_a_crashing_pytensor_import_becomes_a_finding(runs):
    run = runs["pytensor_crashes"]
    failure = run.finding("ENV107")
    assert failure["evidence"]["failures"][0]["module"] == "pytensor"
    assert "killed by SIGSEGV" in failure["message"]
    # Checks that need PyTensor's configuration say why they could not run.
    assert "PyTensor could not be imported" in run.skipped("ENV201")
    assert run.returncode == 1


# ---------------------------------------------------------------------------------------------
# Compiler, BLAS and the compile directory


def test_no_compiler(runs):
    run = runs["no_compiler"]
    assert_only(run, {"ENV301"}, runs)
    finding = run.finding("ENV301")
    assert finding["evidence"]["compilers_on_path"] == {}
    assert "no C++ compiler (g++, clang++) is on PATH" in finding["message"]
    assert "sudo apt-get install g++" in finding["fix_code"] and "conda create -c conda-forge" in finding["fix_code"]
    assert finding["fix_code"].endswith("unset PYTENSOR_FLAGS")
    assert finding["severity"] == ("error" if PYMC_MAJOR < 6 else "info")
    assert "ENV201" not in run.codes  # the BLAS flags are moot without a compiler


def test_compiler_on_path_turned_off_by_flag(runs):
    finding = runs["conda_environment"].finding("ENV301")
    assert "PYTENSOR_FLAGS sets `cxx=`" in finding["message"] and "is on PATH" in finding["message"]
    assert finding["fix_code"] == "unset PYTENSOR_FLAGS"


def test_blas_flags_that_do_not_link(runs):
    run = runs["blas_does_not_link"]
    assert run.codes == {"ENV202"}
    finding = run.finding("ENV202")
    assert "cannot find -lpymc_doctor_no_such_blas" in finding["message"]
    assert finding["fix_code"] == "unset PYTENSOR_FLAGS"


def test_a_compiler_that_fails(runs):
    run = runs["compiler_broken"]
    assert run.codes == {"ENV302"}
    finding = run.finding("ENV302")
    assert "Compilation failed" in finding["message"]
    assert finding["severity"] == ("error" if PYMC_MAJOR < 6 else "warning")


def test_compile_directory_that_cannot_be_created(runs):
    finding = runs["threads_and_disk"].finding("ENV303")
    assert "not-a-folder is a file, not a folder" in finding["message"]
    assert finding["severity"] == "error"
    assert finding["fix_code"] == 'export PYTENSOR_FLAGS="base_compiledir=$HOME/.pytensor"'


def test_held_compile_lock_is_reported_and_nothing_waits_for_it(runs):
    run = runs["lock_and_spawn"]
    assert_only(run, {"ENV305", "ENV604"}, runs)
    lock = run.finding("ENV305")["evidence"]
    assert lock["stuck"] is True and lock["holder"]["compiling"] is False
    assert "compilelock" in lock["holder"]["command"]
    for code in ("ENV302", "ENV801"):
        assert "compile lock is held" in run.skipped(code)
    assert run.seconds < 120  # PyTensor itself would wait compile__timeout = 120 s per compilation


def _reused(run: Run) -> set[str]:
    return {name for name, probe in run.report["context"]["environment"]["probes"].items() if "reused_from" in probe}


def test_an_unchanged_installation_reuses_the_probes_until_something_changes(tmp_path):
    cache = tmp_path / "probe-cache"
    first = run_doctor(Setup(), tmp_path, cache)
    assert _reused(first) == set() and first.report["context"]["environment"]["probes"]["samplers"]["failure"] is None
    again = run_doctor(Setup(), tmp_path, cache)
    assert _reused(again) == {"base", "samplers"}
    assert again.codes == first.codes and again.report["checks_run"] == first.report["checks_run"]
    assert again.report["context"]["environment"]["blas"] == first.report["context"]["environment"]["blas"]
    # A setting the probes depend on, a new entry in a folder on the path, or --fresh: examined again.
    assert _reused(run_doctor(Setup(env={"OMP_NUM_THREADS": "2"}), tmp_path, cache)) == set()
    site = tmp_path / "site"
    site.mkdir()
    assert _reused(run_doctor(Setup(pythonpath=(site,)), tmp_path, cache)) == set()
    assert _reused(run_doctor(Setup(pythonpath=(site,)), tmp_path, cache)) == {"base", "samplers"}
    (site / "new_module.py").write_text("")
    assert _reused(run_doctor(Setup(pythonpath=(site,)), tmp_path, cache)) == set()
    assert _reused(run_doctor(Setup(args=("--quick", "--fresh")), tmp_path, cache)) == set()


def test_what_looked_wrong_is_examined_again(tmp_path):
    cache = tmp_path / "probe-cache"
    setup = Setup(args=("--select", "ENV3"), env={"PYTENSOR_FLAGS": f"cxx={shutil.which('false')}"})
    assert "ENV302" in run_doctor(setup, tmp_path, cache).codes
    again = run_doctor(setup, tmp_path, cache)
    assert "ENV302" in again.codes
    assert _reused(again) == {"base"}  # the failed compile and the smoke test ran again


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
    assert _reused(locked) == {"base"}
    assert locked.finding("ENV305")["evidence"]["stuck"] is True  # read live, not from the cache
    for code in ("ENV302", "ENV801"):
        assert "compile lock is held" in locked.skipped(code)
    # The lock released: the reused results are whole again.
    assert _reused(run_doctor(Setup(args=NO_SAMPLERS, env=flags), tmp_path, cache)) == {"base", "compile", "smoke"}


# ---------------------------------------------------------------------------------------------
# Channel, threads, resources


def test_pip_packages_in_a_conda_environment(runs):
    run = runs["conda_environment"]
    assert_only(run, {"ENV401", "ENV301", "ENV104", "ENV105", "ENV109"}, runs)
    finding = run.finding("ENV401")
    assert set(finding["evidence"]["installers"]) == {"pymc", "pytensor", "numpy", "scipy"}
    assert "conda install -c conda-forge pymc pytensor numpy scipy" in finding["fix_code"]


def test_thread_oversubscription_and_thread_variables(runs):
    run = runs["threads_and_disk"]
    assert_only(run, {"ENV601", "ENV602", "ENV603", "ENV303", "ENV304"}, runs)
    cores = os.cpu_count() or 1
    oversubscribed = run.finding("ENV601")
    assert oversubscribed["evidence"]["blas_threads"] == 4 * cores
    assert "OPENBLAS_NUM_THREADS" in oversubscribed["fix_code"] and "threadpool_limits" in oversubscribed["fix_code"]
    variables = run.finding("ENV602")["evidence"]
    assert variables["unusable"] == {"MKL_NUM_THREADS": "four"}
    assert variables["above_cores"] == {"OMP_NUM_THREADS": str(4 * cores)}
    assert run.finding("ENV304")["evidence"]["free_mb"] > 0
    assert run.finding("ENV603")["evidence"]["available_gb"] > 0


def test_spawn_start_method_note(runs):
    finding = runs["lock_and_spawn"].finding("ENV604")
    assert finding["evidence"]["start_method"] == "spawn"
    compile(finding["fix_code"], "<fix>", "exec")


def test_every_python_fix_parses(runs):
    for run in runs.values():
        for finding in run.report["findings"]:
            code = finding["fix_code"]
            if code.startswith(("import ", "with ", "def ", "from ")):
                compile(code, finding["code"], "exec")


# ---------------------------------------------------------------------------------------------
# Fixes for platforms this machine is not. These build facts by hand, so they test how a fix is
# spelled for Windows, macOS and conda or pixi environments, not how the facts are detected.


def facts_for(system: str, machine: str = "x86_64", channel: str = "venv", rosetta: bool = False):
    from pymc_doctor.probes import EnvFacts, StaticFacts

    platform = {"system": system, "machine": machine, "rosetta": rosetta, "python": "3.12.1"}
    static = StaticFacts({"platform": platform, "channel": {"kind": channel}, "env_vars": {}}, {})
    return EnvFacts(static=static, probes={})


def test_compiler_fix_per_platform():
    from pymc_doctor.checks.environment import _compiler_fix

    fix, code = _compiler_fix(facts_for("Windows", channel="conda"))
    assert "WSL" in fix and code == "conda install -c conda-forge m2w64-toolchain libpython"
    _, code = _compiler_fix(facts_for("Windows"))
    assert code.startswith("conda create -c conda-forge -n pymc_env pymc m2w64-toolchain libpython")
    _, code = _compiler_fix(facts_for("Darwin", "arm64", channel="pixi"))
    assert code == "xcode-select --install\n# or\npixi add clangxx"
    _, code = _compiler_fix(facts_for("Linux", channel="conda"))
    assert code == "conda install -c conda-forge gxx"


def test_blas_fix_per_platform_and_channel():
    from pymc_doctor.checks.environment import _blas_fix

    fix, code = _blas_fix(facts_for("Darwin", "x86_64"), "pip")
    assert "MKL" in fix and 'conda create -c conda-forge -n pymc_env pymc "libblas=*=*mkl"' in code
    fix, code = _blas_fix(facts_for("Darwin", "arm64"), "pip")
    assert "Accelerate" in fix and '"libblas=*=*accelerate"' in code
    _, code = _blas_fix(facts_for("Linux", channel="conda"), "pip")
    assert code == "python -m pip uninstall -y pytensor pymc\nconda install -c conda-forge pymc libblas"
    _, code = _blas_fix(facts_for("Linux", channel="pixi"), "conda")
    assert code == "pixi add libblas"


def test_environment_variables_are_spelled_for_the_shell():
    from pymc_doctor.checks.environment import _set_variable, _unset_variable

    assert _set_variable(facts_for("Windows"), "OMP_NUM_THREADS", "1") == '$env:OMP_NUM_THREADS = "1"'
    assert _unset_variable(facts_for("Windows"), "PYTENSOR_FLAGS") == "Remove-Item Env:PYTENSOR_FLAGS"
    assert (
        _set_variable(facts_for("Linux"), "PYTENSOR_FLAGS", "cxx=/usr/bin/g++")
        == "export PYTENSOR_FLAGS=cxx=/usr/bin/g++"
    )


# ---------------------------------------------------------------------------------------------
# The Python entry point and usage errors


def test_doctor_env_in_python_returns_a_report():
    import pymc_doctor

    report = pymc_doctor.env(quick=True, select=["legacy-packages", "ENV3"], ignore=["compile-fails"])
    assert report.checks_run and all(code.startswith(("ENV1", "ENV3")) for code in report.checks_run)
    assert "ENV302" not in report.checks_run + [s.code for s in report.checks_skipped]
    assert set(report.context["environment"]["probes"]) == {"base"}  # no sampler, compile or smoke probe


@pytest.mark.parametrize("args", [("--select", "NOPE1"), ("--select", "divergences"), ("--threshold", "nope=1")])
def test_env_usage_errors_exit_2(args):
    from click.testing import CliRunner

    from pymc_doctor.cli import main

    result = CliRunner().invoke(main, ["env", "--quick", *args])
    assert result.exit_code == 2, result.output
