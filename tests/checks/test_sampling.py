"""Each post-sampling check fires on a trace made to trigger it and stays silent on healthy ones."""

from __future__ import annotations

import ast

import numpy as np
import pytest

import pymc_doctor
from pymc_doctor.registry import all_rules
from tests.support import arviz_example, findings_of, load, run

HEALTHY = ("bioassay", "noncentered_eight")
SAMPLING_CODES = [r.code for r in all_rules() if r.category == "sampling"]


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_traces_are_silent(name):
    report = pymc_doctor.check(load(name))
    assert report.findings == []
    assert report.checks_skipped == []
    assert set(report.checks_run) == set(SAMPLING_CODES)


def test_bundled_noncentered_eight_has_no_error():
    report = pymc_doctor.check(arviz_example("non_centered_eight"))
    assert not report.has_errors


def test_bundled_centered_eight_flags_divergences_and_ebfmi():
    report = pymc_doctor.check(arviz_example("centered_eight"))
    codes = {f.code for f in report.findings}
    assert {"SMP101", "SMP103"} <= codes
    (divergences,) = findings_of(report, "SMP101")
    assert divergences.severity == "error"
    assert divergences.variables[0] == "tau"


# --- SMP101 divergences -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["centered_eight", "nutpie_eight", "numpyro_eight"])
def test_divergences_located_at_small_tau_with_noncentered_fix(name):
    (finding,) = findings_of(run(name, "SMP101"), "SMP101")
    trace = load(name)
    diverging = np.asarray(trace["sample_stats"]["diverging"])
    assert finding.severity == "error"
    assert finding.evidence["divergences"] == int(diverging.sum())
    assert finding.evidence["per_chain"] == diverging.sum(axis=1).tolist()
    assert finding.variables[0] == "tau"
    top = finding.evidence["locations"]["tau"]
    assert top["divergent_percentile"] < top["other_percentile"] - 0.15
    assert "theta_offset" in finding.fix_code and "mu + tau * theta_offset" in finding.fix_code
    assert 'dims="school"' in finding.fix_code
    assert "target_accept=0.95" in finding.rerun[0].code


def test_divergences_silent_below_threshold():
    report = run("centered_eight", "SMP101", max_divergences=100_000)
    assert findings_of(report, "SMP101") == []
    assert report.checks_run == ["SMP101"]


def test_few_scattered_divergences_are_a_warning():
    trace = load("centered_eight")
    count = int(np.asarray(trace["sample_stats"]["diverging"]).sum())
    report = run("centered_eight", "SMP101", error_share=1.0, min_to_locate=count + 1)
    (finding,) = findings_of(report, "SMP101")
    assert finding.severity == "warning"
    assert finding.variables == ()


# --- SMP102 tree depth --------------------------------------------------------------------------


def test_tree_depth_saturation_fires():
    (finding,) = findings_of(run("treedepth", "SMP102"), "SMP102")
    assert finding.evidence["max_tree_depth"] == 10  # PyMC does not record a custom limit
    assert finding.evidence["share"] > 0.05
    assert 'init="jitter+adapt_full"' in finding.fix_code


def test_tree_depth_silent_on_healthy():
    assert findings_of(run("bioassay", "SMP102"), "SMP102") == []


def test_numpyro_saturation_is_derived_from_depth():
    trace = pymc_doctor.compat.trace_view(load("numpyro_eight"))
    assert "reached_max_treedepth" not in trace.raw_stat_names
    depth = trace.stat("tree_depth")
    np.testing.assert_array_equal(trace.stat("max_depth_hit"), depth >= 10)


# --- SMP103 E-BFMI ------------------------------------------------------------------------------


def test_low_ebfmi_matches_arviz():
    report = pymc_doctor.check(arviz_example("centered_eight"), select=["SMP103"])
    (finding,) = findings_of(report, "SMP103")
    energy = pymc_doctor.compat.trace_view(arviz_example("centered_eight")).stat("energy")
    expected = pymc_doctor.compat.bfmi(energy)
    np.testing.assert_allclose(finding.evidence["ebfmi"], expected, atol=1e-4)
    assert finding.evidence["chains_below"] == np.flatnonzero(expected < 0.3).tolist()


def test_low_ebfmi_silent_on_healthy():
    assert findings_of(run("noncentered_eight", "SMP103"), "SMP103") == []


# --- SMP104 step size ---------------------------------------------------------------------------


def test_step_size_collapse_fires_on_nonidentified_ridge():
    (finding,) = findings_of(run("nonidentified", "SMP104"), "SMP104")
    assert max(finding.evidence["step_size"]) < 1e-3
    assert finding.evidence["collapsed_chains"] == [0, 1]


def test_step_size_silent_on_healthy():
    assert findings_of(run("bioassay", "SMP104"), "SMP104") == []


# --- SMP105 stuck chains ------------------------------------------------------------------------


def test_stuck_metropolis_chains_fire():
    report = run("metropolis_stuck", "SMP105")
    (finding,) = findings_of(report, "SMP105")
    assert finding.severity == "error"
    assert finding.evidence["stuck_chains"] == [0, 1, 2, 3]
    assert max(finding.evidence["move_share"]) < 0.1
    assert "NUTS" in finding.fix


def test_stuck_chain_silent_on_healthy():
    assert findings_of(run("bioassay", "SMP105"), "SMP105") == []


# --- SMP201 R-hat and SMP202 modes --------------------------------------------------------------


def test_rhat_names_worst_elements_with_arviz_values():
    (finding,) = findings_of(run("bimodal", "SMP201"), "SMP201")
    assert finding.severity == "error"
    assert finding.variables == ("x",)
    assert finding.evidence["rhat"]["x"] > 1.1


def test_rhat_warning_level_just_above_threshold():
    (finding,) = findings_of(run("centered_eight", "SMP201"), "SMP201")
    assert finding.severity == "warning"
    assert all(value > 1.01 for value in finding.evidence["rhat"].values())


def test_rhat_silent_on_healthy():
    assert findings_of(run("noncentered_eight", "SMP201"), "SMP201") == []


def test_rhat_cannot_check_one_draw():
    trace = load("bioassay")
    posterior = trace["posterior"].isel(draw=slice(0, 2))
    posterior = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    report = pymc_doctor.check(posterior, select=["SMP201"])
    assert report.checks_skipped[0].code == "SMP201"
    assert "too few" in report.checks_skipped[0].reason


def test_multimodal_chains_grouped_by_mode():
    (finding,) = findings_of(run("bimodal", "SMP202"), "SMP202")
    (element,) = finding.evidence["elements"]
    assert sorted(map(sorted, element["chains"])) == [[0, 2], [1, 3]]
    assert finding.evidence["label_switching"] == []
    assert "will not" in finding.message


def test_label_switching_gets_ordering_fix():
    (finding,) = findings_of(run("label_switching", "SMP202"), "SMP202")
    assert finding.evidence["label_switching"] == ["centers"]
    assert "transforms.ordered" in finding.fix_code
    assert 'dims="component"' in finding.fix_code
    ast.parse(finding.fix_code)


def test_multimodal_silent_on_merely_slow_chains():
    assert findings_of(run("centered_eight", "SMP202"), "SMP202") == []


# --- SMP203 ESS and SMP204 MCSE -----------------------------------------------------------------


def test_low_ess_reports_bulk_and_tail():
    (finding,) = findings_of(run("centered_eight", "SMP203"), "SMP203")
    assert finding.evidence["threshold"] == 400
    worst = finding.variables[0]
    lowest = min(finding.evidence["ess_bulk"][worst], finding.evidence["ess_tail"][worst])
    assert lowest < 400
    assert finding.evidence["draws_needed"] > 500


def test_low_ess_threshold_is_per_chain():
    report = run("centered_eight", "SMP203", min_ess_per_chain=1)
    assert findings_of(report, "SMP203") == []


def test_low_ess_silent_on_healthy():
    assert findings_of(run("bioassay", "SMP203"), "SMP203") == []


def test_high_mcse_fires_on_stuck_chains():
    (finding,) = findings_of(run("metropolis_stuck", "SMP204"), "SMP204")
    assert finding.severity == "info"
    assert finding.evidence["mcse_over_sd"]["mu"] > 0.1


def test_high_mcse_silent_on_healthy():
    assert findings_of(run("bioassay", "SMP204"), "SMP204") == []


# --- SMP30x run set-up --------------------------------------------------------------------------


def test_short_run_flags_chains_draws_and_tuning():
    report = pymc_doctor.check(load("short_run"), select=["SMP3"])
    by_code = {f.code: f for f in report.findings}
    assert by_code["SMP301"].severity == "warning" and by_code["SMP301"].evidence["chains"] == 1
    assert by_code["SMP302"].evidence["draws"] == 50
    assert by_code["SMP303"].evidence["tuning_steps"] == 50
    assert "chains=4" in by_code["SMP301"].fix_code


def test_two_chains_are_a_note():
    (finding,) = findings_of(run("nonidentified", "SMP301"), "SMP301")
    assert finding.severity == "info"


def test_setup_checks_silent_on_healthy():
    report = pymc_doctor.check(load("bioassay"), select=["SMP3"])
    assert report.findings == []


# --- fixes parse --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["centered_eight", "treedepth", "bimodal", "label_switching", "metropolis_stuck", "short_run", "nonidentified"],
)
def test_every_fix_and_rerun_snippet_parses(name):
    report = pymc_doctor.check(load(name))
    assert report.findings
    for finding in report.findings:
        assert finding.fix
        ast.parse(finding.fix_code)
        for step in finding.rerun:
            ast.parse(step.code)
