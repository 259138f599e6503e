"""The terminal and JSON forms."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

import pymc_doctor
from pymc_doctor import compat
from pymc_doctor.reports.json import render_json
from pymc_doctor.reports.markdown import render_markdown
from pymc_doctor.reports.terminal import render_terminal
from tests.support import load


def test_terminal_marks_each_finding_and_ends_with_verdict():
    report = pymc_doctor.check(load("centered_eight"))
    text = render_terminal(report)
    lines = text.splitlines()
    assert lines[0].startswith("pymc-doctor · centered_eight") or "sampler pymc-nuts" in lines[0]
    assert "[✗] SMP101 error" in text
    assert "[!] SMP203 warning" in text
    assert lines[-1] == f"Verdict: {report.verdict()}"
    assert "\x1b[" not in text  # no color codes unless asked
    assert "\x1b[" in render_terminal(report, color=True)


def test_terminal_lists_what_was_not_checked():
    text = render_terminal(pymc_doctor.check(load("metropolis_stuck")))
    assert "Not checked:" in text
    assert "SMP101 divergences: the trace was not sampled with NUTS (sampler: metropolis)" in text


def test_json_is_strict_and_complete():
    report = pymc_doctor.check(load("short_run"))
    text = render_json(report)
    data = json.loads(text)  # strict JSON: NaN would fail in other parsers
    assert "NaN" not in text and "Infinity" not in text
    assert data["schema"] == "pymc-doctor/1"
    assert {f["code"] for f in data["findings"]} >= {"SMP301", "SMP302", "SMP303"}
    assert data["checks_run"] and data["checks_skipped"]
    assert all({"kind", "variables", "title"} <= set(p) for f in data["findings"] for p in f["plots"])


def test_the_diagnosis_and_the_plan_come_before_the_symptoms():
    report = pymc_doctor.check(load("centered_eight"))
    text = render_terminal(report)
    assert text.index("Diagnosis DX101 (funnel") < text.index("Treatment plan, in order:") < text.index("] SMP101")
    # the rewrite is printed once, in the plan, not again under each symptom it explains
    assert text.count("theta_offset = pm.Normal") == 1
    markdown = render_markdown(report)
    assert markdown.index("**Diagnosis DX101 (funnel") < markdown.index("**Treatment plan, in order:**")
    assert markdown.index("**Treatment plan, in order:**") < markdown.index('[details="')
    data = json.loads(render_json(report))
    assert [d["code"] for d in data["diagnoses"]] == ["DX101"]
    assert data["plan"][0]["lasting"] and "theta_offset" in data["plan"][0]["code"]


def _trace_with(attrs: dict) -> xr.DataTree:
    posterior = xr.Dataset({"x": (("chain", "draw"), np.random.default_rng(0).normal(size=(2, 50)))}, attrs=attrs)
    return xr.DataTree.from_dict({"posterior": posterior})


def test_header_shows_the_versions_the_trace_records_and_says_which():
    installed = compat.library_versions()
    made_by_older = {"inference_library": "pymc", "inference_library_version": "4.0.1", "arviz_version": "0.11.0"}
    report = pymc_doctor.check(_trace_with(made_by_older), select=["SMP201"])
    for text in (render_terminal(report), render_markdown(report)):
        header = text.splitlines()[0] if text.startswith("pymc-doctor") else text
        assert f"pymc 4.0.1 (trace; {installed['pymc']} installed)" in header
        assert f"arviz 0.11.0 (trace; {installed['arviz']} installed)" in header
        assert f"pymc {installed['pymc']} (installed)" not in header
    # ArviZ 1.x records itself as the creation library.
    report = pymc_doctor.check(_trace_with({"creation_library": "ArviZ", "creation_library_version": "1.0.0"}))
    assert f"arviz 1.0.0 (trace; {installed['arviz']} installed)" in render_terminal(report)
    # A trace that records nothing: the installed versions, said to be so.
    report = pymc_doctor.check(_trace_with({}), select=["SMP201"])
    assert f"pymc {installed['pymc']} (installed)" in render_terminal(report).splitlines()[0]
