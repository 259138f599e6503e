"""SMP301-303: the run's chains, draws and warm-up against the thresholds, read from the trace's own shape."""

from __future__ import annotations

import numpy as np
import pytest

from pymc_doctor.compat import trace_view
from pymc_doctor.registry import CannotCheck
from tests.checks.sampling.helpers import committed, findings, smc_stats, trace
from tests.support import load


def test_short_run_flags_chains_draws_and_tuning():
    posterior = load("short_run")["posterior"]
    tuning = trace_view(load("short_run")).tuning_steps
    (chains,) = committed("short_run", "SMP301")
    (draws,) = committed("short_run", "SMP302")
    (warmup,) = committed("short_run", "SMP303")
    assert chains.severity == "warning" and chains.evidence["chains"] == posterior.sizes["chain"] == 1
    assert "chains=4" in chains.fix_code
    assert draws.evidence["draws"] == posterior.sizes["draw"] == 50
    assert warmup.evidence["tuning_steps"] == tuning == 50
    assert "tune=1000" in warmup.fix_code


def test_two_chains_are_a_note():
    (finding,) = committed("nonidentified", "SMP301")
    assert finding.severity == "info" and finding.title == "Only 2 chains"


@pytest.mark.parametrize(
    ("code", "threshold", "at_the_limit"),
    [("SMP301", "min_chains", 1), ("SMP302", "min_draws", 50), ("SMP303", "min_tuning_steps", 50)],
)
def test_setup_thresholds_are_inclusive(code, threshold, at_the_limit):
    assert committed("short_run", code, **{threshold: at_the_limit}) == []
    assert len(committed("short_run", code, **{threshold: at_the_limit + 1})) == 1


@pytest.mark.parametrize("code", ["SMP301", "SMP302", "SMP303"])
def test_setup_checks_silent_on_healthy(code):
    assert committed("bioassay", code) == []


def test_tuning_cannot_be_judged_without_a_record_or_a_warmup():
    with pytest.raises(CannotCheck, match="does not record its number of tuning steps"):
        findings("SMP303", trace({"x": np.zeros((4, 100))}))
    with pytest.raises(CannotCheck, match="SMC has no warm-up"):
        findings("SMP303", trace({"x": np.zeros((4, 100))}, smc_stats(4, 100), tuning_steps=10))
