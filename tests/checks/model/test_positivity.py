"""MOD101 knows every parameter PyMC refuses below zero, for every scalar distribution in `pm.distributions`:
each parameter is probed with a negative value (PyMC's parameter check or its draw refuses it), and the
constraints the doctor reads from the graph, with its table of those the log-probability misses, must
name the free variable that feeds it."""

from __future__ import annotations

import inspect
import warnings
from functools import cache

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from pymc.distributions.distribution import Distribution, SymbolicRandomVariable
from pytensor.tensor.random.op import RandomVariable

from pymc_doctor.modelgraph.constraints import constraints_of
from pymc_doctor.modelgraph.positivity import domain_error
from tests.checks.model.support import lint, only

# Refused below another parameter (a lower bound), not below zero.
ORDERED = {"Uniform": {1}, "DiscreteUniform": {1}, "Triangular": {1, 2}, "TruncatedNormal": {3}}
# Distributions that draw through an optional package.
OPTIONAL = {"PolyaGamma": "polyagamma"}
# Valid values to start from, tried in turn; a distribution takes the first its draws and density accept.
CANDIDATES = ([0.5], [1.0], [0.2, 0.5, 0.9], [5, 1], [3, 5, 4], [5.0, 1.0, 0.0, 10.0])
# Scalar distributions that PyMC builds symbolically (no single RandomVariable op): their keywords.
SYMBOLIC = {
    "AsymmetricLaplace": dict(b=1.0, kappa=0.5, mu=0.0),
    "DiscreteWeibull": dict(q=0.5, beta=1.0),
    "ExGaussian": dict(mu=0.0, sigma=1.0, nu=1.0),
    "HalfCauchy": dict(beta=1.0),
    "HalfStudentT": dict(nu=3.0, sigma=1.0),
    "Kumaraswamy": dict(a=1.0, b=1.0),
    "Weibull": dict(alpha=1.0, beta=1.0),
    "LogitNormal": dict(mu=0.0, sigma=1.0),
}


def plain_scalar_distributions():
    for name in pm.distributions.__all__:
        cls = getattr(pm.distributions, name)
        op = getattr(cls, "rv_op", None) if inspect.isclass(cls) and issubclass(cls, Distribution) else None
        if (
            isinstance(op, RandomVariable)
            and not isinstance(op, SymbolicRandomVariable)
            and op.ndim_supp == 0
            and all(n == 0 for n in op.ndims_params)
            and op.ndims_params
        ):
            yield name, op


@cache
def _density(op, dtypes: tuple[str, ...]):
    inputs = [pt.scalar(f"p{i}", dtype=dtype) for i, dtype in enumerate(dtypes)]
    observed = pt.scalar("x", dtype=op.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logp = pm.logp(op(*inputs), observed)
        return pytensor.function([*inputs, observed], logp, on_unused_input="ignore", mode="FAST_COMPILE")


def _refused_by_density(op, values, value) -> bool:
    logp = _density(op, tuple(str(np.asarray(v).dtype) for v in values))
    try:
        return not np.isfinite(logp(*values, value))
    except Exception:  # ParameterValueError: PyMC's check
        return True


def _valid(op):
    for candidate in CANDIDATES:
        # NumPy scalars, as PyMC passes them (some samplers call array methods)
        values = [np.asarray(v) for v in (candidate * len(op.ndims_params))[: len(op.ndims_params)]]
        try:
            draw = op.rng_fn(np.random.default_rng(1), *values, None)
        except Exception:
            continue
        if not _refused_by_density(op, values, draw):
            return values, draw
    return None, None


def refused_below_zero(op) -> list[int]:
    """The positions of the parameters that PyMC refuses at a negative value, the others kept valid."""
    values, draw = _valid(op)
    assert values is not None, op
    refused = []
    for position in range(len(values)):
        negative = list(values)
        negative[position] = -abs(values[position]) - 1  # of the same dtype
        try:
            op.rng_fn(np.random.default_rng(1), *negative, None)
        except Exception:
            refused.append(position)
            continue
        if _refused_by_density(op, negative, draw):
            refused.append(position)
    return refused


def constrained_variables(build) -> set[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pm.Model() as model:
            term = build()
        return {c.variable.name for c in constraints_of(model, term) if c.bound in (0.0, 1.0)}


@pytest.mark.parametrize("name,op", list(plain_scalar_distributions()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_parameter_refused_below_zero_is_known(name, op):
    if name in OPTIONAL:
        pytest.importorskip(OPTIONAL[name])
    refused = [p for p in refused_below_zero(op) if p not in ORDERED.get(name, ())]

    def build():
        params = [pm.Normal(f"p{i}", 0, 1) for i in range(len(op.ndims_params))]
        return pm.modelcontext(None).register_rv(op(*params), "term")

    known = constrained_variables(build)
    assert {f"p{p}" for p in refused} <= known, (name, refused, known)


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_every_parameter_of_symbolic_distributions_refused_below_zero_is_known(name):
    cls, keywords = getattr(pm, name), SYMBOLIC[name]
    value = pm.draw(cls.dist(**keywords), random_seed=1)
    refused = []
    for key in keywords:
        negative = {**keywords, key: -abs(keywords[key]) - 1}
        try:
            pm.draw(cls.dist(**negative), random_seed=1)
            refused_here = not np.isfinite(pm.logp(cls.dist(**negative), value).eval())
        except Exception:
            refused_here = True
        if refused_here:
            refused.append(key)
    known = constrained_variables(lambda: cls("term", **{k: pm.Normal(k, 0, 1) for k in keywords}))
    assert refused and set(refused) <= known, (name, refused, known)


@pytest.mark.parametrize("likelihood", ["StudentT", "SkewNormal"])
def test_mod101_sees_the_sigma_that_the_density_check_cannot(likelihood):
    y = np.random.default_rng(3).normal(size=30)
    with pm.Model() as model:
        sigma = pm.Normal("sigma", 0, 1)
        extra = {"nu": 4} if likelihood == "StudentT" else {"alpha": 1}
        getattr(pm, likelihood)("y", mu=0, sigma=sigma, observed=y, **extra)
    found = only(lint(model, select=["MOD101"]), "MOD101")
    assert found.variables == ("sigma",)
    assert found.evidence["constraints"] == ["sigma > 0"]
    # the failed prior predictive draw is evidence of its own
    assert "must be positive" in found.evidence["prior_predictive_error"]
    assert "prior predictive" in found.message


def test_a_positive_scale_prior_on_a_student_t_is_silent():
    y = np.random.default_rng(3).normal(size=30)
    with pm.Model() as model:
        pm.StudentT("y", nu=4, mu=0, sigma=pm.HalfNormal("sigma", 1), observed=y)
    report = lint(model, select=["MOD101"])
    assert "MOD101" in report.checks_run and report.findings == []


@pytest.mark.parametrize(
    "message,expected",
    [
        ("ValueError: Domain error in arguments. The `scale` parameter must be positive", True),
        ("ValueError: scale < 0", True),
        ("ValueError: lam <= 0", True),
        ("TypeError: unsupported operand", False),
        (None, False),
    ],
)
def test_domain_errors_are_told_from_others(message, expected):
    assert domain_error(message) is expected
