"""Collecting the facts about the environment that the env checks read.

Facts that need no import of the numerical stack (distribution metadata, platform, hardware,
environment variables, files) are read in this process. Anything that imports PyTensor or PyMC,
compiles or samples runs in a child Python through ``run_probes``, each probe with its own time
limit: a broken installation can segfault, hang on a compile lock or print pages of compiler
output, and none of that may reach the doctor. The child is started with the same interpreter
and environment as the user's own Python, so it sees what their code would see. One child runs
the probes that need PyMC one after another, so that PyMC is imported once; another imports the
sampler backends at the same time.

A child reports facts as marked JSON lines on stdout as it goes, so a probe that crashes or times
out still returns what it learned before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import json
import logging
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

MARK = "@@pymc-doctor-probe@@"

# Seconds each probe may run. `base` imports PyTensor and PyMC (slow on a cold disk), `compile`
# may wait for PyTensor's compile lock, `smoke` compiles and samples a model.
PROBE_TIMEOUTS = {"base": 180.0, "samplers": 120.0, "compile": 240.0, "smoke": 300.0}

# How long the base probe waits for PyTensor's compile lock before calling it held by another process:
# longer than most single compilations of a concurrent Python, short enough not to stall the doctor.
LOCK_WAIT_S = 5.0

STACK = ("pymc", "pytensor", "arviz", "numpy", "scipy", "numba", "nutpie", "numpyro", "blackjax", "jax", "jaxlib")
LEGACY = ("pymc3", "theano", "theano-pymc", "aesara")
LEGACY_MODULES = ("pymc3", "theano", "aesara")
SAMPLER_MODULES = ("numba", "jax", "numpyro", "blackjax", "nutpie")
JAX_GPU_PLUGINS = ("jax-cuda12-plugin", "jax-cuda13-plugin", "jax-rocm-plugin", "jax-metal")
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)
ENV_VARS = (
    *THREAD_VARIABLES,
    "MKL_THREADING_LAYER",
    "PYTENSOR_FLAGS",
    "PYTENSORRC",
    "THEANO_FLAGS",
    "THEANORC",
    "AESARA_FLAGS",
    "AESARARC",
    "CUDA_VISIBLE_DEVICES",
    "JAX_PLATFORMS",
    "XLA_FLAGS",
)
LEGACY_RC_FILES = (".theanorc", ".theanorc.txt", ".aesararc", ".aesararc.txt")

# Limits of the scan for `import pymc3` habits in the current directory: levels, files, file size, time.
SCAN_MAX_FILES = 2000
SCAN_MAX_DEPTH = 4
SCAN_MAX_BYTES = 2_000_000
SCAN_MAX_SECONDS = 2.0
SCAN_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "build", "dist"})
_LEGACY_IMPORT = re.compile(r"^\s*(?:import|from)\s+(pymc3|theano|aesara)\b", re.MULTILINE)


# ---------------------------------------------------------------------------------------------
# Running probes


@dataclass
class ProbeResult:
    """What one child process reported, and how it ended."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    returncode: int | None = None
    timed_out: bool = False
    timeout: float = 0.0
    start_error: str | None = None
    stderr_tail: str = ""

    @property
    def failure(self) -> str | None:
        """Why the probe did not finish, as a phrase, or None when it did."""
        if self.start_error:
            return f"could not start ({self.start_error})"
        if self.timed_out:
            return f"did not finish within {self.timeout:.0f} s"
        if self.returncode:
            return f"crashed ({describe_returncode(self.returncode)})"
        if not self.data.get("done"):
            return "ended without reporting"
        return None

    def summary(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 2), "failure": self.failure}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def describe_returncode(returncode: int) -> str:
    if returncode < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", errors="replace")
    return output or ""


def run_command(argv: list[str], *, timeout: float) -> tuple[int | None, str, str, bool, str | None]:
    """Run a command with a time limit; never raises. Returns (returncode, stdout, stderr, timed_out, start_error)."""
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:  # run() has killed the child; what it printed so far is kept
        return None, _text(exc.stdout), _text(exc.stderr), True, None
    except OSError as exc:
        return None, "", "", False, f"{type(exc).__name__}: {exc}"
    return completed.returncode, completed.stdout, completed.stderr, False, None


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _drain(stream, chunks: list[str]) -> None:
    chunks.extend(stream)


def _kill(process: subprocess.Popen) -> None:
    """Kill the child and what it started (PyMC's sampling workers, a compiler) where the platform allows."""
    with contextlib.suppress(OSError):
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()


def run_probes(
    names: Sequence[str], *, timeouts: Mapping[str, float] | None = None, argv: list[str] | None = None
) -> tuple[dict[str, ProbeResult], dict[str, str]]:
    """Run the probes ``names`` one after another in one child of this interpreter, each within its
    own time limit, so that PyTensor and PyMC are imported once for all of them.

    Returns the result of each probe that started, and why each of the others did not: the child
    stopped early (a stuck compile lock), or crashed or ran out of time in an earlier probe.
    ``argv`` replaces the child's arguments (after the interpreter); the default runs
    ``probe_main(*names)``.
    """
    timeouts = {**PROBE_TIMEOUTS, **(timeouts or {})}
    if argv is None:
        # Appended, not prepended: the child resolves every other import exactly as the user's Python does.
        root = str(Path(__file__).resolve().parent.parent)
        call = f"probe_main({', '.join(map(repr, names))})"
        argv = ["-c", f"import sys; sys.path.append({root!r}); from pymc_doctor.probes import probe_main; {call}"]
    current = ProbeResult(names[0], timeout=timeouts[names[0]])
    results = {current.name: current}
    try:
        process = subprocess.Popen(
            [sys.executable, *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=os.name == "posix",
        )
    except OSError as exc:
        current.start_error = f"{type(exc).__name__}: {exc}"
        return results, {name: f"the probe process could not start ({current.start_error})" for name in names[1:]}
    lines: queue.Queue[str | None] = queue.Queue()
    stderr: list[str] = []
    readers = [
        threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True),
        threading.Thread(target=_drain, args=(process.stderr, stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    stage_start = time.perf_counter()
    stop_reason = None
    while True:
        remaining = stage_start + current.timeout - time.perf_counter()
        try:
            line = lines.get(timeout=max(remaining, 0.0))
        except queue.Empty:
            current.timed_out = True
            _kill(process)
            break
        if line is None:
            break
        mark = parse_mark(line)
        if mark.get("probe") not in (None, current.name):
            current.seconds = time.perf_counter() - stage_start
            stage_start = time.perf_counter()
            current = ProbeResult(mark["probe"], timeout=timeouts[mark["probe"]])
            results[current.name] = current
        mark.pop("probe", None)
        stop_reason = mark.pop("stop", stop_reason)
        current.data.update(mark)
    process.wait()
    for reader in readers:
        reader.join(timeout=5)  # a grandchild that outlived the kill may hold the pipes open
    current.seconds = time.perf_counter() - stage_start
    current.returncode = None if current.timed_out else process.returncode
    current.stderr_tail = "".join(stderr)[-3000:]
    reason = stop_reason or (
        f"the probe process {current.failure} during the {current.name} probe" if current.failure else None
    )
    return results, {name: reason or "the probe process ended early" for name in names if name not in results}


def parse_mark(line: str) -> dict[str, Any]:
    """The facts a child reported on one line of its output, or nothing for any other line."""
    if line.startswith(MARK):
        with contextlib.suppress(ValueError):
            mark = json.loads(line[len(MARK) :])
            if isinstance(mark, dict):
                return mark
    return {}


# ---------------------------------------------------------------------------------------------
# Inside the child


def _emit(key: str, value: Any) -> None:
    # The real stdout: libraries may have redirected sys.stdout.
    sys.__stdout__.write(MARK + json.dumps({key: value}, default=str) + "\n")
    sys.__stdout__.flush()


class _Records(logging.Handler):
    def __init__(self, records: list[dict[str, str]]) -> None:
        super().__init__(logging.WARNING)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append({"source": record.name, "message": record.getMessage()[:2000]})


@contextlib.contextmanager
def _capture() -> Iterator[list[dict[str, str]]]:
    """Record the warnings and the WARNING-level logs raised inside the block."""
    records: list[dict[str, str]] = []
    handler = _Records(records)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield records
    finally:
        root.removeHandler(handler)
        records.extend({"source": w.category.__name__, "message": str(w.message)[:2000]} for w in caught)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:4000]


def _try_import(module: str) -> dict[str, Any]:
    # Said first, so that a crash inside the import still tells which module it was.
    _emit("importing", module)
    # NumPy prints its "compiled using NumPy 1.x" explanation to stderr, not into the exception.
    buffer = io.StringIO()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stderr(buffer):
            importlib.import_module(module)
    except (Exception, SystemExit) as exc:  # a broken package can raise anything on import
        error: str | None = _error_text(exc)
    else:
        error = None
    return {
        "ok": error is None,
        "seconds": time.perf_counter() - start,
        "error": error,
        "stderr": buffer.getvalue()[-3000:],
    }


def _pytensor_config() -> dict[str, Any]:
    import pytensor
    from pytensor.compile.mode import get_mode

    flags: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in ("cxx", "blas__ldflags", "linker", "mode", "base_compiledir", "compiledir", "compile__timeout"):
        try:
            flags[key] = getattr(pytensor.config, key)
        except Exception as exc:  # reading a flag runs PyTensor's detection, which can fail
            errors[key] = _error_text(exc)
    try:
        default_linker = type(get_mode(None).linker).__name__
    except Exception as exc:
        default_linker = None
        errors["default_linker"] = _error_text(exc)
    return {
        "version": pytensor.__version__,
        "flags": flags,
        "errors": errors,
        "default_linker": default_linker,
        "known_flags": sorted(getattr(pytensor.config, "_config_var_dict", {})),
    }


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _compiledir_identity() -> dict[str, Any]:
    """Where PyTensor compiles: its base folder, and the compile folder or why it cannot be made."""
    from pytensor import config

    facts: dict[str, Any] = {"base": str(config.base_compiledir)}
    try:
        facts["path"] = str(config.compiledir)
    except Exception as exc:  # PyTensor raises when it cannot create the directory
        facts["error"] = _error_text(exc)
    return facts


def compiledir_state(identity: dict[str, Any]) -> dict[str, Any]:
    """The compile folder as it is now: writable, free space, and PyTensor's compile lock.

    Needs no PyTensor (its lock is a ``filelock`` on ``<compiledir>/.lock``), so that a report built
    from reused probe results still sees the folder live.
    """
    facts = dict(identity)
    if "path" not in facts:
        ancestor = _nearest_existing(Path(facts["base"]))
        facts["existing_ancestor"] = str(ancestor)
        facts["ancestor_is_dir"] = ancestor.is_dir()
        with contextlib.suppress(OSError):
            facts["free_bytes"] = shutil.disk_usage(ancestor if ancestor.is_dir() else ancestor.parent).free
        return facts
    path = facts["path"]
    try:
        handle, name = tempfile.mkstemp(dir=path, prefix="pymc-doctor-")
        os.close(handle)
        os.remove(name)
        facts["writable"] = True
    except OSError as exc:
        facts["writable"] = False
        facts["write_error"] = _error_text(exc)
    with contextlib.suppress(OSError):
        facts["free_bytes"] = shutil.disk_usage(path).free
    facts["lock"] = _lock_state(path)
    return facts


def _lock_state(path: str) -> dict[str, Any]:
    """Try PyTensor's own compile lock briefly: a lock another process holds makes every compile here wait."""
    from filelock import FileLock

    lock_file = Path(path) / ".lock"
    lock = FileLock(lock_file)
    try:
        lock.acquire(timeout=LOCK_WAIT_S)
    except Exception as exc:  # filelock.Timeout when held; OSError when the lock file cannot be made
        held = type(exc).__name__ == "Timeout"
        state: dict[str, Any] = {"held_by_other": held, "file": str(lock_file), "error": str(exc)}
    else:
        lock.release()
        return {"held_by_other": False, "stuck": False, "file": str(lock_file)}
    holder = _lock_holder(lock_file) if held else None
    state["holder"] = holder
    # A holder running a compiler is busy, not stuck: a compile here just waits its turn.
    state["stuck"] = held and not (holder and holder["compiling"])
    return state


COMPILER_NAMES = ("g++", "gcc", "cc1plus", "cc1", "c++", "clang", "clang++", "ld", "collect2", "cl.exe")


def _lock_holder(lock_file: Path) -> dict[str, Any] | None:
    """The process that has the lock file open, and whether it is running a compiler."""
    import psutil

    target = str(lock_file.resolve())
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        try:
            if process.pid == os.getpid() or not any(f.path == target for f in process.open_files()):
                continue
            children = process.children(recursive=True)
            return {
                "pid": process.pid,
                "command": " ".join(" ".join(process.info["cmdline"] or [process.info["name"] or ""]).split())[:300],
                "compiling": any(child.name() in COMPILER_NAMES for child in children),
                "seconds_running": round(time.time() - process.create_time()),
            }
        except (psutil.Error, OSError):  # a process that ended, or one we may not inspect
            continue
    return None


def _threadpools() -> list[dict[str, Any]]:
    from threadpoolctl import threadpool_info

    keys = ("user_api", "internal_api", "prefix", "version", "num_threads", "threading_layer", "filepath")
    return [{key: info.get(key) for key in keys} for info in threadpool_info()]


STUCK_LOCK = "PyTensor's compile lock is held by a stuck process (see ENV305)"


def _probe_base() -> str | None:
    import multiprocessing

    _emit("start_method", multiprocessing.get_start_method())
    compiledir: dict[str, Any] = {}
    with _capture() as notes:
        _emit("imports", {module: _try_import(module) for module in ("numpy", "scipy.linalg")})
        pytensor_import = _try_import("pytensor")
        _emit("pytensor_import", pytensor_import)
        if pytensor_import["ok"]:
            _emit("pytensor", _pytensor_config())
            try:
                compiledir = compiledir_state(_compiledir_identity())
            except Exception as exc:
                compiledir = {"error": _error_text(exc)}
            _emit("compiledir", compiledir)
        _emit("pymc_import", _try_import("pymc"))
        _emit("threadpools", _threadpools())
    _emit("notes", notes)
    # Compiling while a stuck process holds the lock would only wait out PyTensor's compile timeout.
    return STUCK_LOCK if compiledir.get("lock", {}).get("stuck") else None


def _jax_devices() -> dict[str, Any]:
    import jax

    try:
        devices = jax.devices()
        return {
            "default_backend": jax.default_backend(),
            "devices": [{"platform": d.platform, "kind": getattr(d, "device_kind", "")} for d in devices],
        }
    except Exception as exc:  # no backend could start
        return {"error": _error_text(exc), "devices": []}


def _probe_samplers() -> None:
    from importlib.util import find_spec

    with _capture() as notes:
        imports: dict[str, Any] = {}
        for name in SAMPLER_MODULES:
            if find_spec(name) is not None:
                imports[name] = _try_import(name)
                _emit("imports", imports)  # again after each one: a later crash keeps the earlier results
        _emit("imports", imports)
        if imports.get("jax", {}).get("ok"):
            _emit("jax", _jax_devices())
    _emit("notes", notes)


def _timed(step) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        step()
    except Exception as exc:
        return {"ok": False, "seconds": time.perf_counter() - start, "error": _error_text(exc)}
    return {"ok": True, "seconds": time.perf_counter() - start}


def _build_c_op() -> None:
    """Compile and run a tiny C op, unversioned so that PyTensor really builds it (no cache hit)."""
    import numpy as np
    import pytensor
    import pytensor.tensor as pt
    from pytensor.compile.mode import Mode
    from pytensor.graph.basic import Apply
    from pytensor.link.c.op import COp

    class TwicePlusOne(COp):
        __props__ = ()

        def make_node(self, x):
            x = pt.as_tensor_variable(x).astype("float64")
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            raise RuntimeError("the probe runs the C code only")

        def c_code(self, node, name, inputs, outputs, sub):
            (x,), (z,) = inputs, outputs
            return f"""
            Py_XDECREF({z});
            {z} = (PyArrayObject*)PyArray_FROMANY(
                (PyObject*){x}, NPY_FLOAT64, 0, 0, NPY_ARRAY_ENSURECOPY | NPY_ARRAY_C_CONTIGUOUS);
            if (!{z}) {{ {sub["fail"]} }}
            {{
                double* data = (double*)PyArray_DATA({z});
                for (npy_intp i = 0; i < PyArray_SIZE({z}); ++i) data[i] = 2.0 * data[i] + 1.0;
            }}
            """

    x = pt.dvector("x")
    function = pytensor.function([x], TwicePlusOne()(x), mode=Mode(linker="c", optimizer=None))
    result = function(np.array([1.0, 2.0]))
    if not np.allclose(result, [3.0, 5.0]):
        raise RuntimeError(f"the compiled op computed {result.tolist()} instead of [3.0, 5.0]")


def _build_blas_op() -> None:
    """Compile a matrix-vector product with PyTensor's C BLAS op, which links the `blas__ldflags` libraries."""
    import numpy as np
    import pytensor
    import pytensor.tensor as pt
    from pytensor.compile.mode import Mode

    a, x = pt.dmatrix("a"), pt.dvector("x")
    function = pytensor.function([a, x], pt.dot(a, x), mode=Mode(linker="c", optimizer="fast_run"))
    result = function(np.eye(2), np.array([1.0, 2.0]))
    if not np.allclose(result, [1.0, 2.0]):
        raise RuntimeError(f"the BLAS product computed {result.tolist()} instead of [1.0, 2.0]")


def _probe_compile() -> None:
    with _capture() as notes:
        import pytensor

        cxx = pytensor.config.cxx
        _emit("cxx", cxx)
        if cxx:
            _emit("c_op", _timed(_build_c_op))
            if pytensor.config.blas__ldflags:
                _emit("blas_op", _timed(_build_blas_op))
    _emit("notes", notes)


SMOKE_DRAWS = 200
SMOKE_TUNE = 200


def _probe_smoke() -> None:
    # PyMC's progress and convergence logs are the doctor's to report, not to echo.
    logging.getLogger("pymc").setLevel(logging.ERROR)
    with _capture() as notes:
        stage = "import"
        try:
            import numpy as np
            import pymc as pm

            stage = "model"
            with pm.Model() as model:
                mu = pm.Normal("mu", 0, 1)
                sigma = pm.HalfNormal("sigma", 1)
                pm.Normal("y", mu, sigma, observed=np.array([-0.3, 0.1, 0.4, 1.2, 0.8]))
            stage = "sample"
            start = time.perf_counter()
            with model:
                idata = pm.sample(
                    draws=SMOKE_DRAWS,
                    tune=SMOKE_TUNE,
                    random_seed=20261125,
                    progressbar=False,
                    compute_convergence_checks=False,
                )
            total = time.perf_counter() - start
            posterior = idata.posterior
            attrs = dict(posterior.attrs)
            stats = idata.sample_stats
            diverging = int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else None
            _emit(
                "sample",
                {
                    "seconds": total,
                    "sampling_seconds": attrs.get("sampling_time"),
                    "sampler": attrs.get("inference_library"),
                    "sampler_version": attrs.get("inference_library_version"),
                    "chains": int(posterior.sizes["chain"]),
                    "draws": int(posterior.sizes["draw"]),
                    "divergences": diverging,
                    "mu_mean": float(np.asarray(posterior["mu"]).mean()),
                },
            )
        except Exception as exc:
            tail = "".join(traceback.format_exception(exc)[-3:])[-3000:]
            _emit("error", {"stage": stage, "error": _error_text(exc), "traceback": tail})
    _emit("notes", notes)


PROBES = {"base": _probe_base, "samplers": _probe_samplers, "compile": _probe_compile, "smoke": _probe_smoke}


def probe_main(*names: str) -> None:
    """Entry point of a child process: run the probes in turn, marking where each starts and ends."""
    for name in names:
        _emit("probe", name)
        stop = PROBES[name]()
        _emit("done", True)
        if stop:
            _emit("stop", stop)
            return


# ---------------------------------------------------------------------------------------------
# In this process: facts that need no import of the numerical stack


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installer(dist: metadata.Distribution) -> str | None:
    text = (dist.read_text("INSTALLER") or "").strip()
    return text or None


def _location(dist: metadata.Distribution) -> str:
    return str(Path(str(dist.locate_file(""))))


def _has_extensions(dist: metadata.Distribution) -> bool:
    return any(str(file).endswith((".so", ".pyd", ".dylib")) for file in dist.files or ())


def distributions() -> dict[str, list[dict[str, Any]]]:
    """Every installed copy of the stack's and the legacy distributions, in sys.path order (the first wins)."""
    wanted = {_normalize(name) for name in (*STACK, *LEGACY, *JAX_GPU_PLUGINS)}
    found: dict[str, list[dict[str, Any]]] = {}
    for dist in metadata.distributions():
        name = _normalize(dist.metadata["Name"] or "")
        if name in wanted:
            found.setdefault(name, []).append(
                {"version": dist.version, "location": _location(dist), "installer": _installer(dist)}
            )
    return found


def numpy_requirement_conflicts(numpy_version: str | None) -> list[dict[str, Any]]:
    """Installed distributions whose declared NumPy range excludes the installed NumPy."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    if numpy_version is None:
        return []
    try:
        installed = Version(numpy_version)
    except InvalidVersion:
        return []
    conflicts = []
    seen = set()
    for dist in metadata.distributions():
        name = dist.metadata["Name"] or ""
        if _normalize(name) in seen or _normalize(name) == "numpy":
            continue
        seen.add(_normalize(name))
        for line in dist.requires or ():
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if _normalize(requirement.name) != "numpy" or not requirement.specifier:
                continue
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            if not requirement.specifier.contains(installed, prereleases=True):
                conflicts.append(
                    {
                        "name": name,
                        "version": dist.version,
                        "requires": f"numpy{requirement.specifier}",
                        "compiled": _has_extensions(dist),
                        "location": _location(dist),
                    }
                )
    return conflicts


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pymc_requirements() -> list[dict[str, Any]]:
    """PyMC's declared requirements (optional ones only where installed), each with the installed version."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        dist = metadata.distribution("pymc")
    except metadata.PackageNotFoundError:
        return []
    extras = dist.metadata.get_all("Provides-Extra") or []
    status = []
    for line in dist.requires or ():
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        extra = None
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            extra = next((e for e in extras if requirement.marker.evaluate({"extra": e})), None)
            if extra is None:  # a requirement for another platform or Python
                continue
        installed = _installed_version(requirement.name)
        if extra is not None and installed is None:
            continue
        satisfied = installed is not None and requirement.specifier.contains(installed, prereleases=True)
        status.append(
            {
                "name": requirement.name,
                "specifier": str(requirement.specifier),
                "installed": installed,
                "extra": extra,
                "satisfied": satisfied,
            }
        )
    return status


# Modules a file in the working directory can shadow: `import pymc` in a notebook or `python -c`
# finds ./pymc.py first. Beside the stack, standard modules that NumPy and PyMC import themselves.
SHADOWABLE = ("pymc", "pytensor", "arviz", "numpy", "scipy", "pandas", "xarray", "math", "random", "statistics")
SHADOWABLE += ("datetime", "typing", "copy", "numbers", "inspect", "logging", "json", "types", "tokenize")


def shadowing(root: Path) -> list[str]:
    return [name for name in SHADOWABLE if (root / f"{name}.py").is_file() or (root / name / "__init__.py").is_file()]


def legacy_modules() -> dict[str, str]:
    """Legacy top-level modules importable here (found without importing them), with where they live."""
    from importlib.util import find_spec

    found = {}
    for module in LEGACY_MODULES:
        try:
            spec = find_spec(module)
        except (ImportError, ValueError):
            continue
        if spec is not None:
            found[module] = str(spec.origin or next(iter(spec.submodule_search_locations or []), ""))
    return found


def _rosetta() -> bool:
    """An x86_64 Python translated by Rosetta on Apple silicon."""
    if platform.system() != "Darwin" or platform.machine() != "x86_64":
        return False
    returncode, stdout, _, _, _ = run_command(["sysctl", "-n", "sysctl.proc_translated"], timeout=5)
    return returncode == 0 and stdout.strip() == "1"


def platform_facts() -> dict[str, Any]:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "mac_version": platform.mac_ver()[0] or None,
        "rosetta": _rosetta(),
    }


def channel_facts() -> dict[str, Any]:
    """How this Python environment was made: conda/mamba/pixi (conda-meta) or a pip/uv virtual environment."""
    prefix = Path(sys.prefix)
    conda_meta = (prefix / "conda-meta").is_dir()
    venv = sys.prefix != sys.base_prefix
    config = prefix / "pyvenv.cfg"
    uv = False
    if venv and config.is_file():
        with contextlib.suppress(OSError):
            uv = bool(re.search(r"^uv\s*=", config.read_text(errors="replace"), re.MULTILINE))
    if conda_meta and ".pixi" in prefix.parts:
        kind = "pixi"
    elif conda_meta:
        kind = "conda"
    elif uv:
        kind = "uv"
    elif venv:
        kind = "venv"
    else:
        kind = "system"
    tools = {tool: shutil.which(tool) for tool in ("conda", "mamba", "micromamba", "pixi", "uv")}
    return {
        "kind": kind,
        "conda_meta": conda_meta,
        "venv": venv,
        "base_prefix_conda": (Path(sys.base_prefix) / "conda-meta").is_dir(),
        "tools": {tool: path for tool, path in tools.items() if path},
    }


def _gpus() -> list[str]:
    if shutil.which("nvidia-smi"):
        returncode, stdout, _, _, _ = run_command(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"], timeout=15
        )
        if returncode == 0:
            return [line.strip() for line in stdout.splitlines() if line.strip()]
    gpus = Path("/proc/driver/nvidia/gpus")
    if gpus.is_dir():
        return [f"NVIDIA GPU at {entry.name}" for entry in sorted(gpus.iterdir())]
    return []


def hardware_facts() -> dict[str, Any]:
    import psutil

    memory = psutil.virtual_memory()
    try:
        affinity = len(psutil.Process().cpu_affinity())
    except (AttributeError, psutil.Error):  # macOS has no CPU affinity
        affinity = None
    return {
        "logical_cores": psutil.cpu_count(logical=True) or os.cpu_count() or 1,
        "physical_cores": psutil.cpu_count(logical=False),
        "usable_cores": affinity,
        "memory_total": memory.total,
        "memory_available": memory.available,
        "gpus": _gpus(),
    }


def legacy_imports(root: Path) -> list[dict[str, Any]]:
    """Files under ``root`` that import pymc3, theano or aesara (a bounded scan of .py and .ipynb files)."""
    if root == root.parent:  # never walk a whole filesystem
        return []
    hits: list[dict[str, Any]] = []
    scanned = 0
    deadline = time.monotonic() + SCAN_MAX_SECONDS
    for directory, subdirs, files in os.walk(root):
        if time.monotonic() > deadline:  # a home folder full of data: what was found so far is enough
            return hits
        depth = len(Path(directory).relative_to(root).parts)
        subdirs[:] = [
            d
            for d in subdirs
            if depth < SCAN_MAX_DEPTH
            and not d.startswith(".")
            and d not in SCAN_SKIP_DIRS
            and not (Path(directory, d) / "pyvenv.cfg").exists()
        ]
        for filename in files:
            if not filename.endswith((".py", ".ipynb")):
                continue
            scanned += 1
            if scanned > SCAN_MAX_FILES:
                return hits
            path = Path(directory, filename)
            modules = _legacy_imports_in(path)
            if modules:
                hits.append({"file": str(path.relative_to(root)), "modules": modules})
    return hits


def _legacy_imports_in(path: Path) -> list[str]:
    try:
        if path.stat().st_size > SCAN_MAX_BYTES:
            return []
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            return []
        text = "\n".join(
            "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else str(cell.get("source", ""))
            for cell in cells
            if isinstance(cell, dict) and cell.get("cell_type") == "code"
        )
    return sorted(set(_LEGACY_IMPORT.findall(text)))


class StaticFacts(dict):
    """Facts read in this process. One that could not be read is absent, and a check that needs it
    is skipped with the reason (``CannotCheck``) instead of failing."""

    def __init__(self, facts: dict[str, Any], errors: dict[str, str]) -> None:
        super().__init__(facts)
        self.errors = errors

    def __missing__(self, key: str) -> Any:
        from pymc_doctor.registry import CannotCheck

        raise CannotCheck(f"the {key.replace('_', ' ')} could not be read: {self.errors.get(key, 'not collected')}")


def static_facts() -> StaticFacts:
    gatherers = {
        "platform": platform_facts,
        "channel": channel_facts,
        "hardware": hardware_facts,
        "distributions": distributions,
        "pymc_requirements": pymc_requirements,
        "legacy_modules": legacy_modules,
        "cwd": lambda: str(Path.cwd()),
        "home": lambda: str(Path.home()),
        "env_vars": lambda: {name: os.environ[name] for name in ENV_VARS if name in os.environ},
        "compilers": lambda: {name: path for name in ("g++", "clang++", "c++", "cl") if (path := shutil.which(name))},
        "in_notebook": lambda: "ipykernel" in sys.modules,
    }
    facts: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def gather(name: str, read) -> None:
        try:
            facts[name] = read()
        except Exception as exc:  # an odd installation or file system must not stop the doctor
            errors[name] = f"{type(exc).__name__}: {exc}"

    for name, read in gatherers.items():
        gather(name, read)
    numpy = facts.get("distributions", {}).get("numpy")
    gather("numpy_conflicts", lambda: numpy_requirement_conflicts(numpy[0]["version"] if numpy else None))
    if "cwd" in facts:
        gather("shadowing", lambda: shadowing(Path(facts["cwd"])))
        gather("legacy_imports", lambda: legacy_imports(Path(facts["cwd"])))
    if "home" in facts:
        home = Path(facts["home"])
        gather("legacy_rc_files", lambda: [str(home / name) for name in LEGACY_RC_FILES if (home / name).exists()])
    return StaticFacts(facts, errors)


# ---------------------------------------------------------------------------------------------
# Everything together


@dataclass
class EnvFacts:
    """What the env checks read: facts read here, and each probe's result."""

    static: StaticFacts
    probes: dict[str, ProbeResult]
    quick: bool = False
    # Why each probe that was asked for has no result.
    not_run: dict[str, str] = field(default_factory=dict)
    # The probes whose results were reused from an earlier run (``probecache``), with when they ran.
    reused: dict[str, float] = field(default_factory=dict)

    def version(self, name: str) -> str | None:
        copies = self.static["distributions"].get(_normalize(name))
        return copies[0]["version"] if copies else None

    def reused_from(self, name: str) -> str | None:
        """When a reused probe ran (ISO 8601, UTC), or None when it ran now."""
        if name not in self.reused:
            return None
        return datetime.fromtimestamp(self.reused[name], UTC).isoformat(timespec="seconds")

    def _probe_summary(self, name: str) -> dict[str, Any]:
        summary = self.probes[name].summary()
        if name in self.reused:
            summary["reused_from"] = self.reused_from(name)
        return summary

    def summary(self) -> dict[str, Any]:
        """The facts a report shows as context: platform, install channel, hardware, PyTensor, BLAS, samplers."""
        static = self.static
        hardware = static.get("hardware", {})
        base = self.probes["base"].data
        pytensor = base.get("pytensor", {})
        flags = pytensor.get("flags", {})
        samplers = self.probes["samplers"].data if "samplers" in self.probes else {}
        summary: dict[str, Any] = {
            "platform": static.get("platform"),
            "channel": static.get("channel", {}).get("kind"),
            "hardware": {
                "logical_cores": hardware.get("logical_cores"),
                "physical_cores": hardware.get("physical_cores"),
                "memory_gb": round(hardware.get("memory_total", 0) / 2**30, 1),
                "available_gb": round(hardware.get("memory_available", 0) / 2**30, 1),
                "gpus": hardware.get("gpus", []),
            },
            "pytensor": {
                "default_linker": pytensor.get("default_linker"),
                "cxx": flags.get("cxx"),
                "blas__ldflags": flags.get("blas__ldflags"),
                "compiledir": flags.get("compiledir") or flags.get("base_compiledir"),
            },
            "blas": [
                {
                    "library": pool.get("internal_api"),
                    "version": pool.get("version"),
                    "threading_layer": pool.get("threading_layer"),
                    "threads": pool.get("num_threads"),
                }
                for pool in base.get("threadpools", [])
                if pool.get("user_api") == "blas"
            ],
            "start_method": base.get("start_method"),
            "samplers": {
                name: "ok" if result.get("ok") else "fails to import"
                for name, result in samplers.get("imports", {}).items()
            },
            "jax_devices": [device.get("platform") for device in samplers.get("jax", {}).get("devices", [])],
            "env_vars": static.get("env_vars", {}),
            "probes": {name: self._probe_summary(name) for name in self.probes},
            "unread_facts": static.errors,
        }
        smoke = self.probes.get("smoke")
        if smoke and "sample" in smoke.data:
            summary["smoke_test"] = smoke.data["sample"]
        return summary


OPTIONAL_PROBES = ("samplers", "compile", "smoke")
# Probes that share a child, in this order: the later ones reuse its PyTensor and PyMC imports.
PYMC_LANE = ("base", "compile", "smoke")


def collect(*, quick: bool = False, probes: Iterable[str] = OPTIONAL_PROBES, fresh: bool = False) -> EnvFacts:
    """Gather the facts: the base probe always, the ``probes`` asked for (``quick`` drops compile
    and smoke). Results of an unchanged installation are reused (``probecache``) unless ``fresh``.

    Two children run side by side: one imports PyTensor and PyMC once for the base probe, the
    compile probe and the smoke test; the other imports the sampler backends.
    """
    from pymc_doctor import probecache

    wanted = {"base", *probes} - ({"compile", "smoke"} if quick else set())
    key = probecache.fingerprint()
    reused = {} if fresh else probecache.load(key, wanted)
    results = {name: result for name, (result, _) in reused.items()}
    not_run = {name: "skipped by --quick" for name in ("compile", "smoke") if quick and name in probes}
    pymc_lane = [name for name in PYMC_LANE if name in wanted and name not in reused]
    if "base" in reused:
        # The compile folder is read live: a stuck lock there stops this run's compile and smoke test too.
        base = results["base"] = dataclasses.replace(reused["base"][0], data=dict(reused["base"][0].data))
        identity = {field_name: base.data["compiledir"][field_name] for field_name in ("base", "path")}
        base.data["compiledir"] = compiledir_state(identity)
        if base.data["compiledir"]["lock"].get("stuck"):
            for name in ("compile", "smoke"):
                results.pop(name, None)
                reused.pop(name, None)
                if name in wanted:
                    not_run[name] = STUCK_LOCK
            pymc_lane = []
    lanes = [lane for lane in (pymc_lane, ["samplers"] if "samplers" in wanted - set(reused) else []) if lane]
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = [pool.submit(run_probes, lane) for lane in lanes]
        static = static_facts()
        for future in pending:
            ran, skipped = future.result()
            results.update(ran)
            not_run.update(skipped)
    probecache.store(key, {name: result for name, result in results.items() if name not in reused})
    return EnvFacts(
        static=static,
        probes={name: results[name] for name in ("base", "samplers", "compile", "smoke") if name in results},
        quick=quick,
        not_run=not_run,
        reused={name: examined_at for name, (_, examined_at) in reused.items()},
    )
