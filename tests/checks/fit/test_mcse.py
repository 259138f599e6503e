"""The Monte Carlo standard error of elpd_loo (R loo's ``mcse_elpd_loo``), which neither ArviZ line computes:
checked against the spread of elpd_loo over independent posterior draws of a conjugate model."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import special, stats

from pymc_doctor import fitstats
from tests.checks.fit.helpers import check
from tests.support import findings_of, load

# A Normal mean with known sd 1 and a N(0, 10²) prior: its posterior is Normal, drawn exactly.
PRIOR_SD = 10.0
CHAINS, DRAWS = 4, 250


def _data() -> np.ndarray:
    y = np.random.default_rng(3).normal(size=30)
    y[0] = 3.0  # an influential observation, whose weights vary: most of the Monte Carlo error
    return y


def _posterior_groups(y: np.ndarray, rng: np.random.Generator) -> dict[str, xr.Dataset]:
    precision = 1 / PRIOR_SD**2 + y.size
    mu = rng.normal(y.sum() / precision, 1 / np.sqrt(precision), size=(CHAINS, DRAWS))
    log_lik = stats.norm.logpdf(y, mu[..., None], 1.0)
    return {
        "posterior": xr.Dataset({"mu": (("chain", "draw"), mu)}),
        "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), log_lik)}),
    }


@pytest.mark.slow
def test_the_mcse_predicts_the_spread_of_elpd_loo_over_independent_draws():
    y, rng = _data(), np.random.default_rng(20261202)
    pointwise, mcse, totals = [], [], []
    for _ in range(100):
        groups = _posterior_groups(y, rng)
        _, log_lik, log_weights, r_eff = fitstats.psis_loo(groups, "y")
        pointwise.append(special.logsumexp(log_lik + log_weights, axis=0))  # elpd_loo_i, as ArviZ's
        mcse.append(fitstats.mcse_elpd_pointwise(log_lik, log_weights, r_eff))
        totals.append(fitstats.loo(groups, "y")["mcse"])
    pointwise, mcse = np.array(pointwise), np.array(mcse)
    spread = pointwise.std(axis=0, ddof=1)
    assert np.median(spread / mcse.mean(axis=0)) == pytest.approx(1, abs=0.15)  # each observation's error
    assert spread[0] > 2 * np.median(spread)  # the influential observation's is the largest, and predicted
    assert spread[0] / mcse[:, 0].mean() == pytest.approx(1, abs=0.2)
    # The total treats the observations as independent, as R's mcse_loo: the root of their summed variances.
    assert np.mean(totals) == pytest.approx(np.sqrt((spread**2).sum()), rel=0.15)
    assert pointwise.sum(axis=1).std(ddof=1) >= np.mean(totals)  # they share the draws: the sum spreads wider


def test_for_a_precise_estimate_the_mcse_is_the_delta_method():
    """With a small relative error the log of N(E, V) has variance V / E²: the normal draws agree with it."""
    groups = _posterior_groups(_data(), np.random.default_rng(1))
    log_lik = groups["log_likelihood"]["y"].values.reshape(CHAINS * DRAWS, -1)
    log_weights = log_lik * 0 - np.log(CHAINS * DRAWS)  # plain Monte Carlo: equal weights
    found = fitstats.mcse_elpd_pointwise(log_lik, log_weights, 0.5)
    likelihood = np.exp(log_lik)
    delta = likelihood.std(axis=0) / likelihood.mean(axis=0) / np.sqrt(CHAINS * DRAWS * 0.5)
    assert found == pytest.approx(delta, rel=0.1)


def test_tiny_densities_do_not_underflow():
    groups = _posterior_groups(_data(), np.random.default_rng(1))
    log_lik = groups["log_likelihood"]["y"].values.reshape(CHAINS * DRAWS, -1)
    log_weights = log_lik * 0 - np.log(CHAINS * DRAWS)
    shifted = fitstats.mcse_elpd_pointwise(log_lik - 2000, log_weights, 1.0)
    assert shifted == pytest.approx(fitstats.mcse_elpd_pointwise(log_lik, log_weights, 1.0))


def test_fit_rules_report_the_mcse_or_why_there_is_none():
    (finding,) = findings_of(check(load("fit_outliers"), select=["FIT201"]), "FIT201")
    assert finding.evidence["mcse_elpd_loo"] is None  # k̂ above 0.7: R's mcse_loo gives NA too
    assert "Monte Carlo error not estimable with k̂ above 0.70" in finding.message
    (finding,) = findings_of(check(load("fit_overdispersed"), select=["FIT202"]), "FIT202")
    mcse = finding.evidence["mcse_elpd_loo"]["y"]
    assert 0 < mcse < 0.5 and f"Monte Carlo se {mcse:.2g}" in finding.message
