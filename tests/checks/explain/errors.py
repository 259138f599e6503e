"""Errors that PyMC, PyTensor, NumPy and xarray really raise, and the texts of those only an installation shows."""

from __future__ import annotations

import ast
import logging
import warnings
from functools import cache

import numpy as np
import pandas as pd
import pymc as pm

import pymc_doctor
from tests.support import findings_of

# Warnings and errors of installations this machine does not have, as PyTensor and NumPy word them.
BLAS_MISSING = (
    "WARNING (pytensor.tensor.blas): PyTensor could not link to a BLAS installation. Operations that might "
    "benefit from BLAS will be severely degraded. This usually happens when PyTensor is installed via pip. "
    "We recommend it be installed via conda/mamba/pixi instead."
)
BLAS_OLD = "WARNING (pytensor.tensor.blas): Using NumPy C-API based implementation for BLAS functions."
NO_COMPILER = (
    "WARNING (pytensor.configdefaults): g++ not detected!  PyTensor will be unable to compile "
    "C-implementations and will default to Python. Performance may be severely degraded."
)
THEANO_WITH_NEW_NUMPY = "AttributeError: module 'numpy.distutils.__config__' has no attribute 'blas_opt_info'"
LOCKED_CACHE = "Exception: The file lock '/home/u/.pytensor/compiledir/.lock' could not be acquired."


@cache
def raised(build) -> BaseException:
    """The exception that really comes out of ``build`` (built once per test session)."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build()
    except Exception as exc:
        return exc
    finally:
        logger.setLevel(level)
    raise AssertionError("expected an exception")


def only(error, code):
    """The one finding ``explain`` gives for ``error``, checked to be ``code``'s, with a fix that parses."""
    report = pymc_doctor.explain(error)
    found = findings_of(report, code)
    assert [f.code for f in report.findings] == [code], "one recognizer per error"
    if not found[0].fix_code.startswith(("conda", "pip", "pytensor-cache")):
        ast.parse(found[0].fix_code)
    return found[0]


def tiny_sample():
    return {
        "draws": 5,
        "tune": 5,
        "chains": 1,
        "random_seed": 1,
        "progressbar": False,
        "compute_convergence_checks": False,
        "nuts_sampler": "pymc",
    }


def shape_mismatch():
    with pm.Model() as model:
        mu = pm.Normal("mu", shape=3)
        pm.Normal("y", mu=mu, sigma=1, observed=np.zeros(4))
    model.point_logps()


def negative_count():
    with pm.Model():
        lam = pm.Exponential("lam", 1)
        pm.Poisson("y", lam, observed=np.array([1, -2, 3]))
        pm.sample(**tiny_sample())


def bad_energy():
    with pm.Model():
        s = pm.Normal("s", 0, 1)
        pm.Normal("y", 0, s, observed=np.array([1.0, 2.0]))
        step = pm.NUTS()
    step.step({"s": np.array(-1.0)})


def coords_conflict():
    with pm.Model(coords={"obs": range(4)}):
        mu = pm.Normal("mu", shape=5)
        pm.Deterministic("d", mu * 2, dims="obs")
        pm.sample(**tiny_sample())


def pandas_arithmetic():
    df = pd.DataFrame({"x": [1.0, 2.0]})
    with pm.Model():
        b = pm.Normal("b")
        pm.Deterministic("m", df["x"] * b)


def object_column():
    df = pd.DataFrame({"group": ["a", "b"]})
    with pm.Model():
        pm.Data("group", df["group"])


def nan_container():
    with pm.Model():
        pm.Data("y", np.array([1.0, np.nan]))


def nan_column():
    df = pd.DataFrame({"y": [1.0, np.nan]})
    with pm.Model():
        pm.Data("y", df["y"])


def pymc3_import():
    import pymc3  # noqa: F401


# PyMC 5's error for a keyword PyMC 4 renamed (PyMC 6 accepts the keyword without an error).
SD_KEYWORD = "TypeError: RandomVariable.make_node() got an unexpected keyword argument 'sd'"


def dot_product():
    with pm.Model():
        beta = pm.Normal("beta", shape=(4, 1))
        pm.math.dot(np.ones((100, 3)), beta)


def dot_product_at_run_time():
    # Data containers have no static shape: the product fails only when it is computed.
    with pm.Model() as model:
        beta = pm.Normal("beta", shape=4)
        X = pm.Data("X", np.ones((100, 3)))
        pm.Normal("y", pm.math.dot(X, beta), 1, observed=np.zeros(100))
    model.point_logps()


def outside_model():
    pm.Normal("x", 0, 1)


def name_twice():
    with pm.Model():
        pm.Normal("x")
        pm.Normal("x")


def mutable_data():
    with pm.Model():
        pm.MutableData("x", np.ones(3))
