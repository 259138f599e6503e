"""``pymc-doctor check script.py`` / ``module:attribute`` and ``pymc-doctor explain``: loading, reports, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from pymc_doctor.cli import main
from pymc_doctor.target import TargetError, TargetRaised, is_target, load_target
from tests.support import trace_path

BUGGY = """
import numpy as np
import pandas as pd
import pymc as pm

rng = np.random.default_rng(1)
df = pd.DataFrame({"dose": np.repeat([-0.86, -0.30, -0.05, 0.73], 5), "county": np.tile([1, 2, 3, 3, 1], 4)})
df["weight"] = rng.gamma(20, 5, size=20)

with pm.Model(coords={"county": ["a", "b", "c"]}) as model:
    county_effect = pm.Normal("county_effect", 0, 10, dims="county")
    slope = pm.Normal("slope", 0, 10)
    sigma = pm.Normal("sigma", 0, 1)
    mu = county_effect[df["county"].to_numpy()] + slope * df["dose"].to_numpy()
    pm.Normal("weight", mu=mu, sigma=sigma, observed=df["weight"])

if __name__ == "__main__":
    raise SystemExit("the sampling block must not run")
"""

CENTERED = """
import pymc as pm
from pymc_doctor.examples import SCHOOL_EFFECTS, SCHOOL_SES, SCHOOLS

with pm.Model(coords={"school": SCHOOLS}) as eight:
    mu = pm.Normal("mu", mu=0, sigma=5)
    tau = pm.HalfCauchy("tau", beta=5)
    theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")
    pm.Normal("obs", mu=theta, sigma=SCHOOL_SES, observed=SCHOOL_EFFECTS, dims="school")
"""


def invoke(*args, stdin=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin, catch_exceptions=False)


def script(tmp_path, text, name="model.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_targets_are_told_from_trace_files(tmp_path):
    assert is_target("model.py") and is_target("pkg.models:build") and is_target("model.py:model")
    assert not is_target("trace.nc") and not is_target("C:\\traces\\run.nc")


def test_buggy_script_is_linted_with_its_own_names(tmp_path):
    result = invoke("check", script(tmp_path, BUGGY))
    assert result.exit_code == 1, result.output
    for code in ("MOD101", "MOD403", "MOD301"):
        assert code in result.output
    assert 'sigma = pm.HalfNormal("sigma"' in result.output
    assert 'df["county"] - 1' in result.output
    assert "the sampling block must not run" not in result.output


def test_json_report_names_the_model(tmp_path):
    out = tmp_path / "report.json"
    result = invoke("check", script(tmp_path, BUGGY), "--format", "json", "--output", out)
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    assert data["context"]["model"]["name"] == "model"
    assert "sigma" in data["context"]["model"]["free"]


def test_module_attribute_that_builds_a_healthy_model():
    result = invoke("check", "pymc_doctor.examples:bioassay")
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output


def test_script_with_its_trace_checks_both_together(tmp_path):
    result = invoke("check", script(tmp_path, CENTERED), "--trace", trace_path("centered_eight"))
    assert result.exit_code == 1
    assert "SMP101" in result.output and "MOD501" in result.output
    assert "In the model, `theta` ~ Normal(mu, tau)" in " ".join(result.output.split())


def test_script_that_raises_is_explained(tmp_path):
    broken = script(tmp_path, "import pymc3 as pm\n")
    result = invoke("check", broken)
    assert result.exit_code == 1
    assert "EXP106" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [("x = (\n", "syntax error"), ("x = 1\n", "no pm.Model found")],
    ids=["syntax", "no-model"],
)
def test_unusable_scripts_raise_target_errors(tmp_path, text, message):
    with pytest.raises(TargetError, match=message):
        load_target(str(script(tmp_path, text)))


def test_load_target_collects_models_and_traces(tmp_path):
    path = script(tmp_path, CENTERED + "\nfrom pymc_doctor.examples import bioassay\nother = bioassay()\n")
    target = load_target(str(path))
    assert list(target.models) == ["eight", "other"]
    with pytest.raises(TargetRaised):
        load_target(str(script(tmp_path, "raise ValueError('boom')\n", "boom.py")))
    with pytest.raises(TargetError, match="no attribute"):
        load_target("pymc_doctor.examples:nothing")


def test_missing_script_exits_2_with_one_line(tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "pymc_doctor", "check", str(tmp_path / "missing.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 2
    assert process.stdout == ""
    assert process.stderr.strip().splitlines()[-1].startswith("pymc-doctor: ")
    assert "Traceback" not in process.stderr


def test_explain_reads_a_traceback_from_a_file_and_from_stdin(tmp_path):
    traceback_text = textwrap.dedent(
        """\
        Traceback (most recent call last):
          File "/home/user/analysis.py", line 14, in <module>
            mu = alpha + beta * df["dose"]
        ValueError: setting an array element with a sequence.
        """
    )
    path = tmp_path / "error.txt"
    path.write_text(traceback_text)
    from_file = invoke("explain", path)
    assert from_file.exit_code == 1
    assert "EXP108" in from_file.output and 'pm.Data("dose", df["dose"].to_numpy())' in from_file.output
    from_stdin = invoke("explain", "-", stdin=traceback_text)
    assert "EXP108" in from_stdin.output
    assert invoke("explain", "-", stdin="  \n").exit_code == 2
    assert invoke("explain", tmp_path / "nope.txt").exit_code == 2
