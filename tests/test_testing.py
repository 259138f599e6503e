"""assert_healthy and the pytest plugin's ``doctor`` fixture: a sick trace or model fails the test."""

from __future__ import annotations

from importlib.metadata import entry_points

import numpy as np
import pymc as pm
import pytest

from pymc_doctor.testing import assert_healthy
from tests.support import load, trace_path

pytest_plugins = ("pytester",)


def test_the_centered_eight_schools_fail_with_the_funnel_and_the_divergences():
    with pytest.raises(AssertionError) as raised:
        assert_healthy(load("centered_eight"))
    message = str(raised.value)
    assert message.startswith("pymc-doctor: not healthy: 1 error, ")
    assert "DX101" in message and "error SMP101" in message
    assert "warning SMP201" not in message  # a warning does not fail at the error level
    assert "First step: " in message


def test_the_bioassay_model_passes_and_its_report_is_returned():
    report = assert_healthy(load("bioassay"))
    assert not report.findings and report.checks_run


def test_warnings_fail_when_asked_and_ignored_rules_do_not():
    assert not assert_healthy(load("short_run")).has_errors
    with pytest.raises(AssertionError, match="warning SMP303"):
        assert_healthy(load("short_run"), level="warning")
    assert_healthy(load("short_run"), level="warning", ignore=["SMP2", "SMP3"])
    assert_healthy(load("centered_eight"), ignore="SMP101")  # a single code, not its letters
    with pytest.raises(ValueError, match="level"):
        assert_healthy(load("bioassay"), level="info")


def test_a_sick_model_fails_with_the_data_the_test_handed_it():
    counts = np.array([1.5, 2.7, 3.0, 4.0])
    with pm.Model() as model:
        pm.Poisson("c", pm.Exponential("lam", 1), observed=counts)
    with pytest.raises(AssertionError, match=r"error MOD307 `c` \(Poisson\) observes non-integer values"):
        assert_healthy(model=model, ignore=["MOD5"])  # the prior predictive checks are slow and beside the point


def _plugin_options() -> list[str]:
    """The plugin comes through its entry point once pymc-doctor is installed; from a checkout, by name."""
    installed = any(point.value == "pymc_doctor.pytest_plugin" for point in entry_points(group="pytest11"))
    return [] if installed else ["-p", "pymc_doctor.pytest_plugin"]


def test_the_doctor_fixture_fails_a_sick_trace_and_passes_a_healthy_one(pytester):
    pytester.makepyfile(
        f"""
        def test_sick(doctor):
            doctor({str(trace_path("centered_eight"))!r})

        def test_healthy(doctor):
            doctor({str(trace_path("bioassay"))!r})
        """
    )
    result = pytester.runpytest(*_plugin_options())
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: pymc-doctor: not healthy: 1 error*", "*DX101*"])
