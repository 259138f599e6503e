"""What the model rules' tests share: small seeded data, models with one mistake each, and linting a model
once per session."""

from __future__ import annotations

import ast
import warnings
from functools import cache

import numpy as np
import pandas as pd
import pymc as pm

import pymc_doctor
from tests.support import findings_of

RNG = np.random.default_rng(20261125)
N = 40
X = RNG.normal(size=N)
Y = 1 + 2 * X + RNG.normal(size=N)


def lint(model, namespace=None, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyMC's own warnings (ImputationWarning): the doctor reports them
        return pymc_doctor.lint(model, namespace=namespace or {}, **options)


@cache
def report_of(builder, *args, select: tuple[str, ...] = ()):
    """The lint report of the model ``builder(*args)`` returns, with its namespace when it returns one, by
    the rules ``select`` names (all by default); each is made once per session."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = builder(*args)
    model, namespace = built if isinstance(built, tuple) else (built, {})
    return lint(model, namespace, select=list(select) or None)


def only(report, code):
    """The one finding of ``code`` in ``report``."""
    found = findings_of(report, code)
    assert len(found) == 1, f"{code}: {[f.title for f in report.findings]}"
    return found[0]


def silent(report, code) -> bool:
    """Whether ``code`` ran on the model and found nothing."""
    return code in report.checks_run and findings_of(report, code) == []


def parses(code: str) -> None:
    assert code.strip()
    ast.parse(code)


def run_in_model(code: str, coords=None, **names) -> pm.Model:
    """Execute a fix inside a fresh model that holds ``names`` (variables and arrays it reads); the model."""
    with pm.Model(coords=coords) as model:
        exec(code, {"pm": pm, "np": np, "pd": pd, **names})
    return model


# --- models, each with one mistake, shared by several topics


def regression():
    """A correct linear regression (x is a plain array, which only MOD304 notes)."""
    with pm.Model() as model:
        a = pm.Normal("a", 0, 5)
        b = pm.Normal("b", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Normal("y", a + b * X, s, observed=Y)
    return model


def normal_sigma():
    """A Normal prior on a scale: it starts at 0, and the prior predictive cannot be drawn."""
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        sigma = pm.Normal("sigma", 0, 1)
        pm.Normal("y", mu, sigma, observed=Y)
    return model


def normal_probability():
    """A Normal prior on a probability: the start is fine, jittered starts leave [0, 1]."""
    with pm.Model() as model:
        p = pm.Normal("p", 0.5, 0.2)
        pm.Binomial("k", n=10, p=p, observed=RNG.binomial(10, 0.3, size=N))
    return model


def numpy_covariate_with_nan():
    x_nan = X.copy()
    x_nan[4] = np.nan
    with pm.Model() as model:
        a = pm.Normal("a", 0, 5)
        b = pm.Normal("b", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Normal("y", a + b * x_nan, s, observed=Y)
    return model, {"x_nan": x_nan}


def observed_shape():
    """Three means for four observations: the model cannot be evaluated."""
    with pm.Model() as model:
        mu = pm.Normal("mu", shape=3)
        pm.Normal("y", mu=mu, sigma=1, observed=np.zeros(4))
    return model


def filtered_frame():
    """Data from a filtered DataFrame (its index no longer 0..n-1), with a categorical column used as an index."""
    frame = pd.DataFrame({"x": X, "y": Y, "school": pd.Categorical(RNG.choice([10, 20, 30], size=N))})
    frame = frame[frame.x > -1.0]
    with pm.Model(coords={"obs": range(len(frame))}) as model:
        x = pm.Data("x", frame["x"], dims="obs")
        school = pm.Data("school", frame["school"], dims="obs")
        a = pm.Normal("a", 0, 5, shape=3)
        b = pm.Normal("b", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Normal("y", a[school] + b * x, s, observed=frame["y"], dims="obs")
    return model, {"frame": frame}
