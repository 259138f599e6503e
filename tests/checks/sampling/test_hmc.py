"""SMP102-105: tree depth, E-BFMI and step size against the sampler's own statistics, and chains that do not move."""

from __future__ import annotations

import numpy as np
import pytest

from pymc_doctor import compat
from pymc_doctor.registry import CannotCheck
from tests import oracle
from tests.checks.sampling.helpers import committed, findings, nuts_stats, smc_stats, trace
from tests.support import arviz_example, load

# --- SMP102 tree depth --------------------------------------------------------------------------


def test_tree_depth_saturation_matches_the_samplers_flags():
    (finding,) = committed("treedepth", "SMP102")
    hit = np.asarray(load("treedepth")["sample_stats"]["reached_max_treedepth"]).astype(bool)
    assert finding.evidence["share"] == pytest.approx(hit.mean())
    np.testing.assert_allclose(finding.evidence["per_chain_share"], hit.mean(axis=1), atol=5e-5)
    assert finding.evidence["max_tree_depth"] == 10  # PyMC does not record a custom limit
    assert 'init="jitter+adapt_full"' in finding.fix_code


def test_tree_depth_threshold_applies_to_the_worst_chain():
    hit = np.asarray(load("treedepth")["sample_stats"]["reached_max_treedepth"]).astype(bool)
    worst = float(hit.mean(axis=1).max())
    assert worst > hit.mean()  # so a threshold between the two tells the worst chain from the average
    assert committed("treedepth", "SMP102", max_treedepth_share=worst) == []
    (finding,) = committed("treedepth", "SMP102", max_treedepth_share=(worst + hit.mean()) / 2)
    assert f"chain {int(hit.mean(axis=1).argmax())} at {worst:.1%}" in finding.message


def test_tree_depth_silent_on_healthy():
    assert committed("bioassay", "SMP102") == []


def test_numpyro_saturation_is_derived_from_depth():
    trace_ = compat.trace_view(load("numpyro_eight"))
    assert "reached_max_treedepth" not in trace_.raw_stat_names
    depth = trace_.stat("tree_depth")
    np.testing.assert_array_equal(trace_.stat("max_depth_hit"), depth >= 10)


# --- SMP103 E-BFMI ------------------------------------------------------------------------------


def test_low_ebfmi_matches_arviz():
    (finding,) = findings("SMP103", arviz_example("centered_eight"))
    energy = np.asarray(compat.trace_view(arviz_example("centered_eight")).sample_stats["energy"])
    expected = oracle.bfmi(energy)  # ArviZ's own bfmi
    np.testing.assert_allclose(finding.evidence["ebfmi"], expected, atol=1e-4)
    assert finding.evidence["chains_below"] == np.flatnonzero(expected < 0.3).tolist()


def test_low_ebfmi_silent_on_healthy():
    assert committed("noncentered_eight", "SMP103") == []


def test_ebfmi_needs_three_draws():
    with pytest.raises(CannotCheck, match="at least 3 draws"):
        findings("SMP103", trace({"x": np.zeros((2, 2))}, nuts_stats(2, 2)))


# --- SMP104 step size ---------------------------------------------------------------------------


def test_step_size_collapse_fires_on_nonidentified_ridge():
    (finding,) = committed("nonidentified", "SMP104")
    final = np.asarray(load("nonidentified")["sample_stats"]["step_size"])[:, -1]
    np.testing.assert_allclose(finding.evidence["step_size"], final)
    assert finding.evidence["collapsed_chains"] == np.flatnonzero(final < 1e-3).tolist()


def test_step_size_silent_on_healthy():
    assert committed("bioassay", "SMP104") == []


def test_a_step_size_far_below_the_other_chains_collapsed():
    step_size = np.full((4, 50), 0.5)
    step_size[2] = 0.02  # above the absolute floor, 25 times below the others
    data = trace({"x": np.random.default_rng(0).normal(size=(4, 50))}, nuts_stats(4, 50, step_size=step_size))
    (finding,) = findings("SMP104", data)
    assert finding.evidence["collapsed_chains"] == [2]
    assert "chain 2: 0.02 (25x below the others)" in finding.message
    assert findings("SMP104", data, max_step_size_ratio=30.0) == []


# --- SMP105 stuck chains ------------------------------------------------------------------------


def test_stuck_metropolis_chains_fire():
    (finding,) = committed("metropolis_stuck", "SMP105")
    mu = np.asarray(load("metropolis_stuck")["posterior"]["mu"])
    moved = (np.diff(mu, axis=1) != 0).mean(axis=1)
    assert finding.severity == "error"
    np.testing.assert_allclose(finding.evidence["move_share"], moved, atol=5e-5)
    assert finding.evidence["stuck_chains"] == np.flatnonzero(moved < 0.1).tolist() == [0, 1, 2, 3]
    assert "NUTS" in finding.fix


def test_stuck_chain_silent_on_healthy():
    assert committed("bioassay", "SMP105") == []


def test_a_chain_that_moves_but_accepts_almost_nothing_is_stuck():
    rng = np.random.default_rng(3)
    accept = np.full((2, 100), 0.6)
    accept[1] = 0.01
    data = trace({"x": rng.normal(size=(2, 100))}, nuts_stats(2, 100, acceptance_rate=accept))
    (finding,) = findings("SMP105", data)
    assert finding.evidence["stuck_chains"] == [1]
    assert finding.evidence["move_share"] == [1.0, 1.0]
    assert "Check the starting point" in finding.fix  # NUTS, not Metropolis: no advice to drop step=
    assert findings("SMP105", data, min_acceptance=0.005) == []


def test_smc_particles_are_not_chains():
    data = trace({"x": np.zeros((2, 50))}, smc_stats(2, 50))
    with pytest.raises(CannotCheck, match="SMC draws are independent particles"):
        findings("SMP105", data)
