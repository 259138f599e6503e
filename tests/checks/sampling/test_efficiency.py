"""SMP203 (ESS) and SMP204 (MCSE) flag exactly the elements that ArviZ's numbers put past the thresholds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pymc_doctor.reports.common import format_evidence
from tests import oracle
from tests.checks.sampling.helpers import arviz_per_element, committed, findings, trace
from tests.support import load


def arviz_ess(name: str) -> tuple[dict[str, float], dict[str, float]]:
    data = load(name)
    return (
        arviz_per_element(data, lambda posterior: oracle.ess(posterior, "bulk")),
        arviz_per_element(data, lambda posterior: oracle.ess(posterior, "tail")),
    )


# --- SMP203 ESS ---------------------------------------------------------------------------------


def test_low_ess_reports_arviz_bulk_and_tail_and_the_draws_needed():
    (finding,) = committed("centered_eight", "SMP203")
    bulk, tail = arviz_ess("centered_eight")
    chains, draws = (load("centered_eight")["posterior"].sizes[dim] for dim in ("chain", "draw"))
    threshold = 100 * chains
    low = {label for label in bulk if min(bulk[label], tail[label]) < threshold}
    assert finding.evidence["threshold"] == threshold
    assert set(finding.variables) == low
    assert finding.evidence["ess_bulk"] == pytest.approx({label: round(bulk[label]) for label in low}, abs=1)
    assert finding.evidence["ess_tail"] == pytest.approx({label: round(tail[label]) for label in low}, abs=1)
    # One rounding: the message prints the numbers the evidence table shows.
    for label in list(finding.evidence["ess_bulk"])[:5]:
        shown = f"bulk {format_evidence(finding.evidence['ess_bulk'][label])} / tail "
        assert f"`{label}` {shown}{format_evidence(finding.evidence['ess_tail'][label])}" in finding.message
    lowest = min(min(bulk[label], tail[label]) for label in low)
    assert finding.variables[0] == min(low, key=lambda label: min(bulk[label], tail[label]))
    assert finding.evidence["draws_needed"] == math.ceil(draws * threshold / lowest / 100) * 100


def test_low_ess_threshold_is_per_chain():
    bulk, tail = arviz_ess("centered_eight")
    lowest = min(min(bulk.values()), min(tail.values()))
    chains = load("centered_eight")["posterior"].sizes["chain"]
    per_chain = math.floor(lowest / chains)  # the total threshold just at or below the lowest ESS
    assert committed("centered_eight", "SMP203", min_ess_per_chain=per_chain) == []
    assert len(committed("centered_eight", "SMP203", min_ess_per_chain=per_chain + 1)) == 1


def test_low_ess_threshold_counts_the_chains():
    rng = np.random.default_rng(6)
    data = trace({"x": rng.normal(size=(2, 150))})  # independent draws: an ESS of about 300
    bulk = arviz_per_element(data, lambda posterior: oracle.ess(posterior, "bulk"))["x"]
    assert 200 < bulk < 400
    assert findings("SMP203", data) == []  # 100 per chain, 2 chains
    (finding,) = findings("SMP203", data, min_ess_per_chain=200)
    assert finding.evidence["threshold"] == 400


def test_low_ess_silent_on_healthy():
    assert committed("bioassay", "SMP203") == []


# --- SMP204 MCSE --------------------------------------------------------------------------------


def test_high_mcse_is_arviz_mcse_over_the_posterior_sd():
    (finding,) = committed("metropolis_stuck", "SMP204")
    mcse = arviz_per_element(load("metropolis_stuck"), lambda posterior: oracle.mcse(posterior, "mean"))
    sd = float(np.asarray(load("metropolis_stuck")["posterior"]["mu"]).std(ddof=1))
    assert finding.severity == "info"
    assert finding.evidence["mcse_over_sd"]["mu"] == pytest.approx(mcse["mu"] / sd, abs=5e-5)
    assert mcse["mu"] / sd > 0.1


def test_high_mcse_threshold():
    mcse = arviz_per_element(load("metropolis_stuck"), lambda posterior: oracle.mcse(posterior, "mean"))
    ratio = mcse["mu"] / float(np.asarray(load("metropolis_stuck")["posterior"]["mu"]).std(ddof=1))
    assert committed("metropolis_stuck", "SMP204", max_mcse_ratio=ratio * 1.001) == []


def test_high_mcse_silent_on_healthy():
    assert committed("bioassay", "SMP204") == []
