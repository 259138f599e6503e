"""EXP102 (the starting point failed) and EXP103 (bad initial energy)."""

from __future__ import annotations

from tests.checks.explain.errors import bad_energy, negative_count, only, raised


def test_starting_point_failure_names_the_term():
    finding = only(raised(negative_count), "EXP102")
    assert finding.variables == ("y",)
    assert finding.evidence["terms"] == {"y": "-inf"}
    assert "lam_log__" in finding.evidence["start"]
    assert finding.title == "Starting point failed: `y`"


def test_starting_point_failure_without_the_evaluation_results():
    finding = only("SamplingError: Initial evaluation of model at starting point failed!", "EXP102")
    assert finding.variables == ()
    assert finding.title == "Starting point failed: non-finite log-probability"
    assert "the log-probability of some terms is not finite" in finding.message


def test_bad_initial_energy():
    finding = only(raised(bad_energy), "EXP103")
    assert finding.evidence["terms"] == "-inf"
    assert "(terms: -inf)" in finding.message
    assert 'init="adapt_diag"' in finding.fix_code


def test_bad_initial_energy_without_the_terms():
    finding = only("SamplingError: Bad initial energy: inf", "EXP103")
    assert finding.evidence == {"terms": None}
    assert finding.message.startswith("A chain started where the log-probability is not finite. Usually")
