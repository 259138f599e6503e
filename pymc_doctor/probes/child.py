"""The code that runs inside a probe's child process: it imports, compiles and samples, and reports
what it learns as marked JSON lines on stdout as it goes (read by ``pymc_doctor.probes.protocol``).

``probe_main(*names)`` runs the probes in turn in one child, so that PyTensor and PyMC are imported
once for all of them.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from typing import Any

from pymc_doctor.probes.compiledir import STUCK_LOCK, compiledir_state
from pymc_doctor.probes.protocol import MARK, error_text
from pymc_doctor.probes.static import SAMPLER_MODULES

SMOKE_DRAWS = 200
SMOKE_TUNE = 200


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
        error: str | None = error_text(exc)
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
            errors[key] = error_text(exc)
    try:
        default_linker = type(get_mode(None).linker).__name__
    except Exception as exc:
        default_linker = None
        errors["default_linker"] = error_text(exc)
    return {
        "version": pytensor.__version__,
        "flags": flags,
        "errors": errors,
        "default_linker": default_linker,
        "known_flags": sorted(getattr(pytensor.config, "_config_var_dict", {})),
    }


def _compiledir_identity() -> dict[str, Any]:
    """Where PyTensor compiles: its base folder, and the compile folder or why it cannot be made."""
    from pytensor import config

    facts: dict[str, Any] = {"base": str(config.base_compiledir)}
    try:
        facts["path"] = str(config.compiledir)
    except Exception as exc:  # PyTensor raises when it cannot create the directory
        facts["error"] = error_text(exc)
    return facts


def _threadpools() -> list[dict[str, Any]]:
    from threadpoolctl import threadpool_info

    keys = ("user_api", "internal_api", "prefix", "version", "num_threads", "threading_layer", "filepath")
    return [{key: info.get(key) for key in keys} for info in threadpool_info()]


def _probe_base() -> str | None:
    import multiprocessing

    _emit("start_method", multiprocessing.get_start_method())
    _emit("interpreter", sys.executable)  # what a reuse of these facts checks first
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
                compiledir = {"error": error_text(exc)}
            _emit("compiledir", compiledir)
        _emit("pymc_import", _try_import("pymc"))
        if "pymc" in sys.modules:
            _emit("pymc_version", getattr(sys.modules["pymc"], "__version__", None))
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
        return {"error": error_text(exc), "devices": []}


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
        return {"ok": False, "seconds": time.perf_counter() - start, "error": error_text(exc)}
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
            _emit("error", {"stage": stage, "error": error_text(exc), "traceback": tail})
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
