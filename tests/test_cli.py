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
