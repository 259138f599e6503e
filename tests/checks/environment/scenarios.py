"""Broken installations for the env checks, and `pymc-doctor env` run against them for real.

Every scenario builds a real broken set-up (a PATH without a compiler, PyTensor flags, fake legacy
packages with metadata on PYTHONPATH, an extension built for NumPy 1.x, a held compile lock, a
conda-like environment...) and runs `python -m pymc_doctor env --format json` in a child process
with it. ``conftest.py`` runs each one at most once per session, and only for the selected tests.
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
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest

from pymc_doctor.probes.static import ENV_VARS

PYTHON = sys.executable
CHECKOUT = Path(__file__).resolve().parents[3]
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


def doctor_environment(setup: Setup) -> dict[str, str]:
    """The doctor's environment in ``setup``: its variables, and the import path that finds this
    checkout's ``pymc_doctor`` (last, after the set-up's folders), not one installed elsewhere."""
    environ = {name: value for name, value in os.environ.items() if name not in SCRUBBED}
    # Pinned so that many-core machines, where ENV601 would fire for real, give the same baseline.
    environ.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    environ.update(setup.env)
    environ["PYTHONPATH"] = os.pathsep.join(str(path) for path in (*setup.pythonpath, CHECKOUT))
    return {name: value for name, value in environ.items() if value is not None}


def run_doctor(setup: Setup, cwd: Path, cache: Path | None = None) -> Run:
    """Run `pymc-doctor env` in ``setup``; probe results are reused only from ``cache`` (by default
    a cache of this run's own, so that every scenario examines its installation for real)."""
    environ = {**doctor_environment(setup), "PYMC_DOCTOR_CACHE_DIR": str(cache or cwd / "probe-cache")}
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


# ---------------------------------------------------------------------------------------------
# What a scenario may report beside its own findings


@cache
def blas_flags_empty() -> bool:
    """Ground truth, asked of PyTensor directly: does this installation have the BLAS fallback?"""
    code = (
        "import warnings; warnings.simplefilter('ignore'); import pytensor; print(repr(pytensor.config.blas__ldflags))"
    )
    environ = {name: value for name, value in os.environ.items() if name not in SCRUBBED}
    output = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=environ, check=True).stdout
    return output.strip() == "''"


def healthy_codes() -> set[str]:
    """What this machine's healthy installation reports for real: the notes any installation may get,
    the BLAS fallback where PyTensor has it, and a CPU-only JAX on a GPU machine."""
    codes = set(HEALTHY_NOTES)
    if blas_flags_empty():
        codes.add("ENV201")
    if shutil.which("nvidia-smi"):
        codes.add("ENV502")
    return codes


def assert_only(run: Run, expected: set[str], also: frozenset[str] = frozenset()) -> None:
    """``expected`` fire; every other finding is one the healthy installation has too (or one of ``also``)."""
    assert expected <= run.codes, f"missing {sorted(expected - run.codes)}; got {sorted(run.codes)}"
    extra = run.codes - expected - healthy_codes() - also
    assert not extra, f"unexpected findings {sorted(extra)}: {[f['title'] for f in run.report['findings']]}"
    assert not [f for f in run.report["findings"] if f["code"] == "INT001"]
    assert run.returncode == (1 if any(f["severity"] == "error" for f in run.report["findings"]) else 0)


def reused(run: Run) -> set[str]:
    """The probes whose results a run reused from an earlier one."""
    return {name for name, probe in run.report["context"]["environment"]["probes"].items() if "reused_from" in probe}
