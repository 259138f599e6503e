"""`pymc-doctor demo`, the README's main command, samples both examples and reports on them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pymc_doctor.cli import main


@pytest.mark.slow
def test_demo_reports_a_healthy_bioassay_and_a_sick_centered_eight():
    result = CliRunner().invoke(main, ["demo", "--draws", "500", "--tune", "500", "--format", "json"])
    assert result.exit_code == 0, result.output
    # one JSON document, a list of the two reports
    bioassay, centered = json.loads(result.stdout)
    assert bioassay["context"]["trace"]["source"] == "example: bioassay"
    assert bioassay["findings"] == []
    assert centered["context"]["trace"]["source"] == "example: centered_eight"
    codes = {f["code"] for f in centered["findings"]}
    assert "SMP101" in codes
    divergences = next(f for f in centered["findings"] if f["code"] == "SMP101")
    assert divergences["variables"][0] == "tau"
    assert "theta_offset" in divergences["fix_code"]
