"""LOO-PIT calibration (FIT301) on the seeded Poisson and Normal fixtures, and its band and shapes."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from pymc_doctor import fitstats
from tests.checks.fit.helpers import check
from tests.support import load


def test_overdispersed_counts_fire_as_too_narrow_with_the_negative_binomial_fix():
    (finding,) = check(load("fit_overdispersed"), "overdispersed", select=["FIT301"]).findings
    assert finding.evidence["shape"] == "narrow" and "too narrow" in finding.title
    assert 'pm.NegativeBinomial("y", mu=rate, alpha=y_alpha' in finding.fix_code
    ast.parse(finding.fix_code)


def test_outliers_inflate_the_spread_so_the_predictive_is_too_wide():
    (finding,) = check(load("fit_outliers"), "outliers", select=["FIT301"]).findings
    assert finding.evidence["shape"] == "wide"
    assert 'pm.StudentT("y"' in finding.fix_code


@pytest.mark.parametrize("name", ["poisson", "regression"])
def test_well_specified_models_stay_silent(name):
    report = check(load(f"fit_{name}"), name, select=["FIT301"])
    assert report.findings == [] and report.checks_run == ["FIT301"]


def test_a_trace_alone_gets_the_fix_in_words():
    (finding,) = check(load("fit_overdispersed"), select=["FIT301"]).findings
    assert finding.fix_code == "" and "free spread" in finding.fix


def test_the_band_holds_its_level_simultaneously():
    points = np.linspace(0, 1, fitstats.BAND_POINTS + 2)[1:-1]
    low, high = fitstats.ecdf_band(80, 0.9, points)
    samples = np.sort(np.random.default_rng(1).random((2000, 80)), axis=1)
    ecdf = np.stack([np.searchsorted(row, points, side="right") for row in samples]) / 80
    inside = ((ecdf >= low) & (ecdf <= high)).all(axis=1).mean()
    assert 0.87 < inside < 0.93  # pointwise bands alone would hold far fewer at every point


@pytest.mark.parametrize(
    ("a", "b", "shape"), [(0.4, 0.4, "narrow"), (4.0, 4.0, "wide"), (1.0, 2.5, "high"), (2.5, 1.0, "low")]
)
def test_the_shape_reads_the_ecdf_on_each_half(a, b, shape):
    pit = np.random.default_rng(2).beta(a, b, size=300)
    found = fitstats.pit_calibration(pit, 0.99)
    assert found["outside"] and found["shape"] == shape
    assert not fitstats.pit_calibration(np.random.default_rng(3).random(300), 0.99)["outside"]
