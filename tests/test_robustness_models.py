"""Unusual but legitimate models: linting never crashes, and every check runs or says why it could not."""

from __future__ import annotations

import numpy as np
import pytest

import pymc_doctor
from pymc_doctor.catalog import all_rules

MODEL_CODES = {r.code for r in all_rules() if r.code.startswith("MOD")}
RNG = np.random.default_rng(11)
DATA = RNG.normal(1.0, 2.0, size=30)


def no_free_variables(pm):
    with pm.Model() as model:
        pm.Normal("y", mu=1.0, sigma=2.0, observed=DATA)
    return model


def only_potential(pm):
    with pm.Model() as model:
        x = pm.Flat("x")
        pm.Potential("well", -0.5 * (x - 1.0) ** 2)
    return model


def custom_dist(pm):
    def logp(value, mu):
        return -0.5 * (value - mu) ** 2

    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 1)
        pm.CustomDist("y", mu, logp=logp, observed=DATA)
    return model


def censored_and_truncated(pm):
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        sigma = pm.HalfNormal("sigma", 2)
        pm.Censored("c", pm.Normal.dist(mu, sigma), lower=-1.0, upper=3.0, observed=np.clip(DATA, -1, 3))
        pm.Truncated("t", pm.Normal.dist(mu, sigma), lower=-5.0, observed=np.clip(DATA, -4.9, None))
    return model


def mixture(pm):
    with pm.Model() as model:
        w = pm.Dirichlet("w", a=np.ones(2))
        mu = pm.Normal("mu", 0, 5, shape=2, transform=pm.distributions.transforms.ordered, initval=[-1.0, 1.0])
        pm.NormalMixture("y", w=w, mu=mu, sigma=1.0, observed=DATA)
    return model


def gaussian_process(pm):
    x = np.linspace(0, 1, 12)[:, None]
    with pm.Model() as model:
        ell = pm.Gamma("ell", alpha=2, beta=4)
        gp = pm.gp.Latent(cov_func=pm.gp.cov.ExpQuad(1, ls=ell))
        f = gp.prior("f", X=x)
        pm.Normal("y", mu=f, sigma=0.5, observed=np.sin(6 * x[:, 0]))
    return model


def discrete_parameter(pm):
    with pm.Model() as model:
        k = pm.Poisson("k", mu=3)
        pm.Normal("y", mu=k, sigma=1.0, observed=DATA)
    return model


def minibatch(pm):
    data = RNG.normal(size=200)
    with pm.Model() as model:
        batch = pm.Minibatch(data, batch_size=20)
        mu = pm.Normal("mu", 0, 1)
        pm.Normal("y", mu=mu, sigma=1.0, observed=batch, total_size=len(data))
    return model


def multivariate(pm):
    with pm.Model(coords={"obs": range(20), "k": range(3)}) as model:
        chol, _, _ = pm.LKJCholeskyCov("chol", n=3, eta=2.0, sd_dist=pm.Exponential.dist(1.0), compute_corr=True)
        pm.MvNormal("y", mu=np.zeros(3), chol=chol, observed=RNG.normal(size=(20, 3)), dims=("obs", "k"))
    return model


MODELS = [
    no_free_variables,
    only_potential,
    custom_dist,
    censored_and_truncated,
    mixture,
    gaussian_process,
    discrete_parameter,
    minibatch,
    multivariate,
]


@pytest.mark.parametrize("build", MODELS, ids=lambda f: f.__name__)
def test_unusual_models_never_crash(build):
    import pymc as pm

    model = build(pm)
    report = pymc_doctor.lint(model)
    internal = [f for f in report.findings if f.code == "INT001"]
    assert internal == [], internal[0].message if internal else ""
    assert set(report.checks_run) | {s.code for s in report.checks_skipped} == MODEL_CODES
    assert all(s.reason for s in report.checks_skipped)
    report.to_json()
