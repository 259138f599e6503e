"""The command line: exit codes, formats, selection, thresholds, rule pages and unusable input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pymc_doctor.cli import main
from tests.support import trace_path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_check_sick_trace_exits_1():
    result = invoke("check", trace_path("centered_eight"))
    assert result.exit_code == 1
    assert "SMP101" in result.output
    assert "Verdict: " in result.output


def test_check_healthy_trace_exits_0():
    result = invoke("check", trace_path("bioassay"))
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output


def test_json_output_file(tmp_path):
    out = tmp_path / "report.json"
    result = invoke("check", trace_path("centered_eight"), "--format", "json", "--output", out)
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    assert data["schema"] == "pymc-doctor/1"
    assert data["context"]["trace"]["sampler"] == "pymc-nuts"
    codes = [f["code"] for f in data["findings"]]
    assert "SMP101" in codes
    assert data["counts"]["error"] >= 1


def test_select_ignore_and_threshold():
    result = invoke("check", trace_path("centered_eight"), "--select", "SMP2", "--ignore", "low-ess,high-mcse")
    assert "SMP101" not in result.output and "SMP203" not in result.output
    assert "SMP201" in result.output
    assert result.exit_code == 0  # R-hat just above 1.01 is a warning
    relaxed = invoke("check", trace_path("centered_eight"), "--select", "rhat", "--threshold", "max_rhat=1.5")
    assert "SMP201" not in relaxed.output


@pytest.mark.parametrize(
    "args",
    [
        ("--select", "NOPE1"),
        ("--threshold", "max_rhat"),
        ("--threshold", "no_such_threshold=1"),
        ("--threshold", "max_rhat=abc"),
    ],
)
def test_bad_arguments_exit_2(args):
    result = CliRunner().invoke(main, ["check", str(trace_path("bioassay")), *args])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "content",
    [b"", b"\x89HDF\r\n\x1a\n" + b"\x00" * 64, b"this is a CSV,not,a,trace\n1,2,3\n"],
    ids=["empty", "truncated", "text"],
)
def test_unusable_files_exit_2_with_one_line(tmp_path, content):
    path = tmp_path / "bad.nc"
    path.write_bytes(content)
    process = subprocess.run(
        [sys.executable, "-m", "pymc_doctor", "check", str(path)], capture_output=True, text=True, timeout=120
    )
    assert process.returncode == 2
    assert process.stdout == ""
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pymc-doctor: ")
    assert "Traceback" not in process.stderr


def test_rules_list_and_page():
    listing = invoke("rules")
    assert listing.exit_code == 0
    assert "SMP101  divergences" in listing.output
    page = invoke("rules", "divergences")
    assert page.exit_code == 0
    for section in ("What it checks:", "Why it matters:", "Threshold:", "Example:", "Fix:", "max_divergences = 0"):
        assert section in page.output
    assert invoke("rules", "SMP000").exit_code == 2


def test_rules_of_a_prefix():
    listing = invoke("rules", "MOD")
    assert listing.exit_code == 0
    codes = [line.split()[0] for line in listing.output.splitlines()]
    assert codes and all(code.startswith("MOD") for code in codes)
    assert "MOD101" in codes and "MOD602" in codes


def test_a_selected_rule_whose_input_is_absent_is_listed_as_not_checked(tmp_path):
    out = tmp_path / "report.json"
    result = invoke("check", trace_path("bioassay"), "--select", "MOD101,SMP101", "--format", "json", "--output", out)
    assert result.exit_code == 0
    data = json.loads(out.read_text())
    assert data["checks_run"] == ["SMP101"]
    assert data["checks_skipped"] == [{"code": "MOD101", "name": "scale-prior-sign", "reason": "no model was given"}]


SCRIPT_HEALTHY_THEN_SICK = """
import numpy as np
import pymc as pm

y = np.random.default_rng(0).normal(size=20)
with pm.Model() as healthy:
    pm.Normal("y", pm.Normal("mu"), pm.HalfNormal("sigma"), observed=y)

with pm.Model() as sick:
    pm.Normal("y", pm.Normal("mu"), pm.Normal("sigma"), observed=y)
"""


def test_a_script_whose_second_model_is_sick_exits_1(tmp_path):
    script = tmp_path / "two_models.py"
    script.write_text(SCRIPT_HEALTHY_THEN_SICK)
    out = tmp_path / "report.json"
    result = invoke("check", script, "--select", "MOD101", "--format", "json", "--output", out)
    assert result.exit_code == 1
    # one report per model, in the order the script defines them
    reports = json.loads(out.read_text())
    assert [r["context"]["model"]["name"] for r in reports] == ["healthy", "sick"]
    assert [r["counts"]["error"] for r in reports] == [0, 1]
