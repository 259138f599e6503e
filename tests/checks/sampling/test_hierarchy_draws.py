"""``pymc_doctor.hierarchy``: a centered hierarchy found from the draws, by rank correlations computed with NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pymc_doctor.compat import trace_view
from pymc_doctor.hierarchy import centered_hierarchy
from pymc_doctor.hierarchy.draws import rank_correlation
from tests.checks.sampling.helpers import trace
from tests.support import load


@pytest.mark.parametrize("decimals", [6, 1])  # ties: almost none, then many
def test_rank_correlation_is_spearmans(decimals):
    rng = np.random.default_rng(decimals)
    a = np.round(rng.normal(size=500), decimals)
    b = np.round(np.exp(a) + rng.normal(size=500), decimals)
    assert rank_correlation(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, rel=1e-12)
    assert rank_correlation(a, -b) == pytest.approx(stats.spearmanr(a, -b).statistic, rel=1e-12)


def test_rank_correlation_is_undefined_for_constant_or_missing_values():
    assert np.isnan(rank_correlation(np.ones(5), np.arange(5.0)))
    assert np.isnan(rank_correlation(np.array([1.0, np.nan, 2.0]), np.arange(3.0)))


def test_centered_eight_from_its_draws():
    assert centered_hierarchy(trace_view(load("centered_eight")), "tau") == ("theta", "mu")


def test_a_group_whose_spread_ignores_the_scale_is_no_hierarchy():
    rng = np.random.default_rng(0)
    s = np.exp(rng.normal(size=(2, 300)))
    data = trace({"s": s, "mu": rng.normal(size=(2, 300)), "theta": rng.normal(size=(2, 300, 4))})
    assert centered_hierarchy(trace_view(data), "s") is None


def test_the_location_is_left_out_when_no_scalar_follows_the_group_mean():
    rng = np.random.default_rng(1)
    s = np.exp(rng.normal(size=(2, 300)))
    data = trace({"s": s, "other": rng.normal(size=(2, 300)), "theta": s[..., None] * rng.normal(size=(2, 300, 4))})
    assert centered_hierarchy(trace_view(data), "s") == ("theta", None)
