"""The command line: exit codes, formats, selection, thresholds, rule pages and unusable input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    assert result.exit_code == 0  # R-hat just above 1.01, within its noise, is a note
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


def test_rules_lists_the_diagnoses_and_prints_their_pages():
    from pymc_doctor.diagnoses import all_units

    listing = invoke("rules")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    codes = [line.split()[0] for line in lines]
    assert {unit.code for unit in all_units()} <= set(codes)
    assert codes.index("SMP101") < codes.index("DX101")  # the rules, then the diagnoses
    assert "DX101   funnel               diagnosis A centered hierarchy whose posterior is a funnel." in lines
    page = invoke("rules", "DX101")
    assert page.exit_code == 0
    assert page.output.startswith("DX101 (funnel) · diagnosis")
    for section in ("What it means:", "Evidence:", "Treatment:", "non-centered rewrite"):
        assert section in page.output
    assert invoke("rules", "funnel").output == page.output
    prefix = invoke("rules", "dx")
    assert prefix.exit_code == 0
    assert sorted(line.split()[0] for line in prefix.output.splitlines()) == sorted(u.code for u in all_units())
    assert invoke("rules", "DX999").exit_code == 2


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


def test_the_report_never_replaces_the_trace_it_checks(tmp_path):
    trace = tmp_path / "trace.nc"
    trace.write_bytes(trace_path("bioassay").read_bytes())
    before = trace.read_bytes()
    for output in (trace, tmp_path / "." / "trace.nc"):
        result = CliRunner().invoke(main, ["check", str(trace), "--output", str(output)])
        assert result.exit_code == 2
        assert result.output.strip().splitlines()[-1].startswith("pymc-doctor: --output")
    assert trace.read_bytes() == before


def test_nor_a_file_inside_a_zarr_store(tmp_path):
    store = tmp_path / "trace.zarr"
    (store / "posterior").mkdir(parents=True)
    result = CliRunner().invoke(main, ["check", str(store), "--output", str(store / "posterior" / "zarr.json")])
    assert result.exit_code == 2 and "is an input" in result.output


def test_a_report_file_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    from pymc_doctor import reports

    report = tmp_path / "report.json"
    report.write_text("the previous report")

    def fail(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reports.os, "replace", fail)
    result = CliRunner().invoke(main, ["check", str(trace_path("bioassay")), "--format", "json", "--output", report])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        f"pymc-doctor: cannot write the report to {report}: No space left on device"
    )
    assert report.read_text() == "the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary file left


@pytest.mark.parametrize("where", ["missing-folder/report.json", "a-file/report.json"])
def test_an_output_that_cannot_be_written_is_one_line(tmp_path, where):
    (tmp_path / "a-file").write_text("")
    for args in (["check", str(trace_path("bioassay"))], ["demo", "--draws", "10", "--html"]):
        option = [] if args[0] == "demo" else ["--output"]
        result = CliRunner().invoke(main, [*args, *option, str(tmp_path / where)])
        assert result.exit_code == 2, result.output
        folder = tmp_path / where.split("/")[0]
        assert result.output.strip().splitlines() == [
            f"pymc-doctor: cannot write the report to {tmp_path / where}: no such folder {folder}"
        ]


@pytest.mark.parametrize("args", [("--draws", "0"), ("--draws", "-3"), ("--tune", "-1")])
def test_demo_refuses_counts_pymc_cannot_sample(args):
    result = CliRunner().invoke(main, ["demo", *args])
    assert result.exit_code == 2
    assert "is not in the range" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc/self/mem")
def test_explain_of_a_file_that_cannot_be_read_is_one_line():
    result = CliRunner().invoke(main, ["explain", "/proc/self/mem"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["pymc-doctor: /proc/self/mem: cannot be read (Input/output error)"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a file of mode 000")
def test_explain_of_a_file_without_read_permission_is_one_line(tmp_path):
    locked = tmp_path / "error.txt"
    locked.write_text("ValueError: x")
    locked.chmod(0)
    result = CliRunner().invoke(main, ["explain", str(locked)])
    assert result.exit_code == 2 and "cannot be read" in result.output


def test_explain_reads_text_that_is_not_utf8():
    text = b"Traceback (most recent call last):\nValueError: bad value \xff\xfe in /data/caf\xe9.csv\n"
    result = CliRunner().invoke(main, ["explain", "-", "--format", "json"], input=text)
    assert result.exit_code in (0, 1), result.output
    assert "bad value" in json.dumps(json.loads(result.stdout))


@pytest.mark.parametrize(("variable", "value"), [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_no_colour_where_asked(monkeypatch, variable, value):
    from pymc_doctor import commandline

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert commandline.color()
    monkeypatch.setenv(variable, value)
    assert not commandline.color()
