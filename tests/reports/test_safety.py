"""What a trace's names hold never runs, drives the terminal or breaks a file, in any form of the report."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor.reports import RENDERERS
from pymc_doctor.reports.safety import NAME_CAP, guard, splices, visible
from tests.support import trace_path

PAYLOAD = 'os.system("echo PWNED")'
INJECTING = f"theta\nimport os; {PAYLOAD}  #"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def renamed_eight(name: str) -> xr.DataTree:
    """The centered eight schools, whose funnel makes fixes that splice `theta`, with `theta` renamed."""
    tree = xr.open_datatree(trace_path("centered_eight")).load()
    posterior = tree["posterior"].to_dataset().rename({"theta": name})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": tree["sample_stats"].to_dataset()})


@pytest.fixture(scope="module")
def injecting_report():
    report = pymc_doctor.check(renamed_eight(INJECTING))
    # The premise: the fixes name the variable (inside a string literal, spelled by pymc_doctor.spelling).
    assert any(PAYLOAD in f.fix_code for f in report.findings)
    return report


def code_blocks(fmt: str, text: str) -> list[str]:
    if fmt == "json":
        data = json.loads(text)
        steps = [s["code"] for f in data["findings"] for s in f["rerun"]] + [s["code"] for s in data["plan"]]
        return [f["fix_code"] for f in data["findings"]] + steps
    if fmt.endswith("markdown"):  # Discourse's and GitHub's
        return re.findall(r"^(`{3,})python\n(.*?)\n\1$", text, re.S | re.M)
    if fmt == "html":
        return re.findall(r"<pre><code>(.*?)</code></pre>", text, re.S)
    return re.findall(r"^ {6,}(.*)$", text, re.M)  # the terminal form indents code (and wrapped text) deeper


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_code_with_a_name_that_is_no_identifier_spells_it_safely(injecting_report, fmt):
    text = RENDERERS[fmt](injecting_report)
    blocks = code_blocks(fmt, text)
    assert blocks
    for block in blocks:
        code = block[1] if isinstance(block, tuple) else block
        # The payload appears only escaped (in a string literal or a comment), never as a statement.
        assert not re.search(r"^\W*import os", code, re.M), code
    # Spelled safely, the code is shown: the renderers' guard has nothing to withhold.
    assert "pymc-doctor withheld this code" not in text
    # Nor does the name start a line anywhere else: its line break is shown escaped.
    assert not re.search(r"^\W*import os", text, re.M)


def test_safe_spellings_are_kept_and_raw_splices_found():
    name = 'a"b\nc'
    assert not splices(f"x = idata.posterior[{name!r}]", name)
    assert splices(f'x = idata.posterior["{name}"]', name)
    assert splices(f"{name}_offset = 1", "x y") is False  # a name that is not there
    assert splices("x y_offset = pm.Normal('x y_offset')", "x y")
    assert not splices("pm.Normal('x y_offset')  # x y", "x y")
    assert splices("f'{x y}'", "x y")  # braces of an f-string run code
    assert guard("pm.sample()", ["x y"]) == "pm.sample()"


def test_terminal_gets_no_control_character():
    name = "theta\x1b]0;owned\x07\x1b[2J\u202eevil\x9b31m"
    report = pymc_doctor.check(renamed_eight(name), source="run\x1b[2J.nc")
    text = RENDERERS["text"](report)
    assert CONTROL.search(text) is None
    assert "theta\\x1b]0;owned\\x07" in text  # shown, escaped
    assert "run\\x1b[2J.nc" in text


def test_text_that_is_not_utf8_is_written_and_read_back(tmp_path):
    # A file name that was not UTF-8 reaches Python with its bytes as lone surrogates.
    report = pymc_doctor.check(renamed_eight("theta"), source="run\udcff\udc80.nc")
    for suffix in (".txt", ".md", ".html", ".json"):
        written = report.save(tmp_path / f"report{suffix}", redact=False).read_text(encoding="utf-8")
        assert "run\\xff\\x80.nc" in written.replace("\\\\", "\\")
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["context"]["trace"]["source"]


def test_visible_escapes_what_a_terminal_would_obey():
    assert visible("a\x1b[31mb\u202ec\x85d\udcffe") == "a\\x1b[31mb\\u202ec\\x85d\\xffe"
    assert visible("line\nnext", newlines=True) == "line\nnext"
    assert visible("σ × ·") == "σ × ·"


def _long_named_trace(length: int) -> xr.Dataset:
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=(2, 200)), axis=1)  # chains that disagree: R-hat and ESS findings with plots
    return xr.Dataset({"x" * length: (("chain", "draw"), walk), "mu": (("chain", "draw"), walk[::-1])})


def test_a_long_name_is_capped_in_plots_and_tables_and_shown_in_full_once(monkeypatch):
    from pymc_doctor import compat

    drawn = []
    plot_figure = compat.plot_figure

    def record(kind, posterior, sample_stats):
        drawn.extend(str(name) for name in posterior.data_vars)
        return plot_figure(kind, posterior, sample_stats)

    monkeypatch.setattr(compat, "plot_figure", record)
    name = "x" * 100_000
    report = pymc_doctor.check(_long_named_trace(100_000))
    started = time.monotonic()
    html = RENDERERS["html"](report)
    assert time.monotonic() - started < 60
    assert drawn and max(map(len, drawn)) <= 40
    # The full name once in the text; code keeps it whole, for it must run (shown, and in the
    # Markdown copy the page carries).
    text_only = re.sub(r"<textarea.*?</textarea>|<pre.*?</pre>", "", html, flags=re.S)
    assert text_only.count(name) == 1
    assert len(html) < 2_000_000
    for fmt in ("text", "markdown"):
        text = RENDERERS[fmt](report)
        # Only the code that reads the variable holds the whole name.
        assert all("posterior[" in line for line in text.splitlines() if name in line)
        assert "x" * (NAME_CAP - 1) + "…" in text
