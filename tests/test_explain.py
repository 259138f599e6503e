"""``explain`` recognizes errors that PyMC, PyTensor, NumPy and xarray really raise, and says how to fix them."""

from __future__ import annotations

import ast
import logging
import traceback
import warnings

import numpy as np
import pandas as pd
import pymc as pm
import pytest

import pymc_doctor
from pymc_doctor.explain import ErrorText, explain_error
from tests.support import findings_of


def raised(build) -> BaseException:
    """The exception that really comes out of ``build``."""
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


def only(report, code):
    found = findings_of(report, code)
    assert len(found) == 1, [f.code for f in report.findings]
    assert [f.code for f in report.findings] == [code], "one recognizer per error"
    ast.parse(found[0].fix_code) if not found[0].fix_code.startswith(("conda", "pip", "pytensor-cache")) else None
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


def pymc3_import():
    import pymc3  # noqa: F401


def test_shape_mismatch():
    finding = only(explain_error(raised(shape_mismatch)), "EXP101")
    assert finding.evidence["shapes"] == ["4,", "3,"]
    assert "(4,) and (3,)" in finding.message


def test_starting_point_failure_names_the_term():
    finding = only(explain_error(raised(negative_count)), "EXP102")
    assert finding.variables == ("y",)
    assert finding.evidence["terms"] == {"y": "-inf"}
    assert "lam_log__" in finding.evidence["start"]


def test_bad_initial_energy():
    finding = only(explain_error(raised(bad_energy)), "EXP103")
    assert finding.evidence["terms"] == "-inf"
    assert 'init="adapt_diag"' in finding.fix_code


def test_coordinates_that_disagree_after_sampling():
    finding = only(explain_error(raised(coords_conflict)), "EXP107")
    assert finding.evidence == {"dim": "obs"}
    assert "has 5 values along it, but the model's coordinates for `obs` have 4" in finding.message


def test_pandas_in_arithmetic_names_the_column_on_the_failing_line():
    finding = only(explain_error(raised(pandas_arithmetic)), "EXP108")
    assert finding.evidence == {"column": 'df["x"]'}
    assert "test_explain.py" in finding.message
    assert finding.fix_code.startswith('x = pm.Data("x", df["x"].to_numpy())')


def test_object_column():
    finding = only(explain_error(raised(object_column)), "EXP109")
    assert finding.evidence == {"column": 'df["group"]'}
    assert 'pd.factorize(df["group"])' in finding.fix_code


def test_nan_in_a_data_container():
    only(explain_error(raised(nan_container)), "EXP110")


def test_pymc3_import():
    finding = only(explain_error(raised(pymc3_import)), "EXP106")
    assert "import pymc as pm" in finding.fix_code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "WARNING (pytensor.tensor.blas): PyTensor could not link to a BLAS installation. Operations that might "
            "benefit from BLAS will be severely degraded. This usually happens when PyTensor is installed via pip. "
            "We recommend it be installed via conda/mamba/pixi instead.",
            "EXP104",
        ),
        ("WARNING (pytensor.tensor.blas): Using NumPy C-API based implementation for BLAS functions.", "EXP104"),
        (
            "WARNING (pytensor.configdefaults): g++ not detected!  PyTensor will be unable to compile "
            "C-implementations and will default to Python. Performance may be severely degraded.",
            "EXP105",
        ),
        ("AttributeError: module 'numpy.distutils.__config__' has no attribute 'blas_opt_info'", "EXP106"),
        ("Exception: The file lock '/home/u/.pytensor/compiledir/.lock' could not be acquired.", "EXP111"),
    ],
    ids=["blas", "blas-old", "compiler", "theano-numpy", "lock"],
)
def test_environment_messages(text, code):
    finding = only(explain_error(text), code)
    assert finding.category == "env"


def test_a_pasted_traceback_reads_like_the_exception():
    exc = raised(pandas_arithmetic)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    parsed = ErrorText.from_text(text)
    assert parsed.kind == "ValueError"
    assert parsed.where == ErrorText.from_exception(exc).where
    assert parsed.line and 'df["x"]' in parsed.line
    assert only(explain_error(text), "EXP108").evidence == {"column": 'df["x"]'}


def test_unrecognized_errors_say_so():
    report = explain_error(raised(lambda: {}["missing"]))
    (finding,) = report.findings
    assert finding.code == "EXP100" and finding.severity == "info"
    assert "KeyError" in finding.title
    assert report.exit_code == 0


def test_public_explain_is_the_function():
    assert callable(pymc_doctor.explain)
    report = pymc_doctor.explain(raised(object_column))
    assert report.context["error"]["type"] == "TypeError"
    assert report.has_errors
