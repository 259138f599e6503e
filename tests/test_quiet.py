"""The doctor is quiet: neither it nor the libraries it calls warn past it while it checks."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pymc as pm

import pymc_doctor
from tests.support import load


def _overflowing_model() -> pm.Model:
    # Data at the edge of float64: the model checks' own statistics overflow (numpy RuntimeWarning).
    with pm.Model() as model:
        scale = pm.HalfCauchy("scale", 1e6)
        pm.Normal("y", 0, scale, observed=np.array([1e300, -1e300, 0.0]))
    return model


def _checks():
    return [
        pymc_doctor.check(load("centered_eight")),
        pymc_doctor.check(model=_overflowing_model()),
        pymc_doctor.check(load("bimodal"), model=_overflowing_model()),
    ]


def test_checking_a_trace_and_a_model_warns_nothing(recwarn):
    warnings.simplefilter("always")  # recwarn records every warning that reaches the caller
    _checks()
    assert [f"{w.category.__name__}: {w.message}" for w in recwarn.list] == []


def test_a_caller_that_makes_warnings_errors_gets_the_same_checks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reports = _checks()
    # A warning turned error inside a check would crash it into an internal finding.
    assert [f.message for report in reports for f in report.findings if f.code.startswith("INT")] == []


def test_the_callers_warning_filters_and_log_levels_are_left_as_they_were():
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            filters = list(warnings.filters)
            pymc_doctor.check(model=_overflowing_model())
            assert warnings.filters == filters
        assert logger.level == logging.INFO
    finally:
        logger.setLevel(level)
