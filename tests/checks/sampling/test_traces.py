"""All sampling rules together: silent on healthy traces, and every fix they write is Python."""

from __future__ import annotations

import ast

import pytest

import pymc_doctor
from pymc_doctor.catalog import all_rules
from pymc_doctor.registry import CannotCheck
from tests.checks.sampling.helpers import committed
from tests.support import arviz_example, findings_of, load

HEALTHY = ("bioassay", "noncentered_eight")
# The sampling rules that read a trace alone (SMP402 also needs the model; its own tests give it one).
SAMPLING_CODES = [r.code for r in all_rules(["SMP"]) if "model" not in r.needs]


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
    assert {"SMP101", "SMP103"} <= {f.code for f in report.findings}
    (divergences,) = findings_of(report, "SMP101")
    assert divergences.severity == "error"
    assert divergences.variables[0] == "tau"


@pytest.mark.parametrize(
    "name",
    ["centered_eight", "treedepth", "bimodal", "label_switching", "metropolis_stuck", "short_run", "nonidentified"],
)
def test_every_fix_and_rerun_snippet_parses(name):
    written = []
    for code in SAMPLING_CODES:
        try:
            written += committed(name, code)
        except CannotCheck:
            continue
    assert written
    for finding in written:
        assert finding.fix
        ast.parse(finding.fix_code)
        for step in finding.rerun:
            ast.parse(step.code)
