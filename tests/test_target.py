"""``pymc-doctor check script.py`` / ``module:attribute`` and ``pymc-doctor explain``: loading, reports, exit codes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pymc_doctor.cli import main
from pymc_doctor.reports import render
from pymc_doctor.target import TargetError, TargetRaised, check_target, is_target, load_target
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


def linted(spec, trace=None):
    """What `pymc-doctor check SPEC` reports, computed in this process (the command runs it in a child)."""
    reports = check_target(str(spec), str(trace) if trace else None, {})
    return max(r.exit_code for r in reports), render(reports, "text", redact=False), reports


def test_buggy_script_is_linted_with_its_own_names(tmp_path):
    exit_code, output, _ = linted(script(tmp_path, BUGGY))
    assert exit_code == 1, output
    for code in ("MOD101", "MOD403", "MOD301"):
        assert code in output
    assert 'sigma = pm.HalfNormal("sigma"' in output
    assert 'df["county"] - 1' in output
    assert "the sampling block must not run" not in output


def test_json_report_names_the_model(tmp_path):
    _, _, reports = linted(script(tmp_path, BUGGY))
    data = json.loads(render(reports, "json"))
    assert data["context"]["model"]["name"] == "model"
    assert "sigma" in data["context"]["model"]["free"]


def test_module_attribute_that_builds_a_healthy_model():
    exit_code, output, _ = linted("pymc_doctor.examples:bioassay")
    assert exit_code == 0, output
    assert "No problems found" in output


def test_script_with_its_trace_checks_both_together(tmp_path):
    exit_code, output, _ = linted(script(tmp_path, CENTERED), trace_path("centered_eight"))
    assert exit_code == 1
    assert "SMP101" in output and "MOD501" in output
    assert "In the model, `theta` ~ Normal(mu, tau)" in " ".join(output.split())


def test_script_that_raises_is_explained(tmp_path):
    exit_code, output, _ = linted(script(tmp_path, "import pymc3 as pm\n"))
    assert exit_code == 1
    assert "EXP106" in output


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


# ---------------------------------------------------------------------------------------------
# The child process that loads a script for the command


def doctor(*args, cwd=None, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "pymc_doctor", *map(str, args)], capture_output=True, text=True, cwd=cwd, **kwargs
    )


HANGS = """
import subprocess, sys
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open("helper.pid", "w").write(str(helper.pid))
print("looping", flush=True)
while True:
    pass
"""


def _gone(pid: int) -> bool:
    """Whether the process ended (a killed orphan may stay a zombie until its new parent reaps it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in "ZX":
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(sys.platform != "linux", reason="process groups and /proc are Linux's here")
def test_a_script_that_never_finishes_is_stopped_at_the_time_limit_with_all_it_started(tmp_path):
    path = script(tmp_path, HANGS, "hangs.py")
    process = doctor("check", path, "--timeout", "3", cwd=tmp_path, timeout=120)
    assert process.returncode == 2, process.stderr
    assert process.stdout == ""
    assert process.stderr.strip().splitlines()[-1].startswith("pymc-doctor: ")
    assert "within 3 s" in process.stderr and "--timeout" in process.stderr
    assert "Loading" in process.stderr and "looping" in process.stderr  # progress and the script's output
    assert _gone(int((tmp_path / "helper.pid").read_text()))


@pytest.mark.skipif(sys.platform != "linux", reason="process groups and /proc are Linux's here")
def test_ctrl_c_stops_the_script_and_all_it_started_with_status_130(tmp_path):
    path = script(tmp_path, HANGS, "hangs.py")
    command = [sys.executable, "-m", "pymc_doctor", "check", str(path)]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / "helper.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "pymc-doctor: interrupted"
    assert "Traceback" not in stderr and stdout == ""
    assert _gone(int((tmp_path / "helper.pid").read_text()))


@pytest.mark.parametrize(
    "text",
    [
        "class Stop(BaseException):\n    pass\n\nraise Stop('not an Exception')\n",
        "class Odd(Exception):\n    def __str__(self):\n        raise RuntimeError('no message')\n\nraise Odd()\n",
        "import os, sys\nsys.stdout.close()\nos.close(1)\nraise ValueError('after closing stdout')\n",
    ],
    ids=["base-exception", "str-raises", "closes-stdout"],
)
def test_a_script_that_fails_oddly_is_explained_not_crashed_into(tmp_path, text):
    process = doctor("check", script(tmp_path, text, "odd.py"), "--format", "json", cwd=tmp_path, timeout=120)
    assert process.returncode in (0, 1), process.stderr
    assert "Traceback" not in process.stderr
    report = json.loads(process.stdout)
    assert report["findings"] and report["context"]["source"].endswith("odd.py")


NOISY_TRACE = """
import os
import numpy as np
import xarray as xr

print("loading the data...")
os.write(1, b"and a C library writes too\\n")
os.makedirs("elsewhere", exist_ok=True)
os.chdir("elsewhere")
draws = np.random.default_rng(0).normal(size=(2, 50))
trace = xr.DataTree.from_dict({"posterior": xr.Dataset({"x": (("chain", "draw"), draws)})})
"""


def test_what_a_script_prints_stays_out_of_the_json_and_the_output_lands_where_asked(tmp_path):
    path = script(tmp_path, NOISY_TRACE, "noisy.py")
    printed = doctor("check", f"{path}:trace", "--format", "json", cwd=tmp_path, timeout=300)
    assert printed.returncode in (0, 1), printed.stderr
    assert json.loads(printed.stdout)["context"]["trace"]["source"] == "trace"
    assert "loading the data..." in printed.stderr and "a C library writes too" in printed.stderr
    # The script changes the working folder while it loads: the report goes where the user meant.
    written = doctor("check", f"{path}:trace", "--format", "json", "--output", "report.json", cwd=tmp_path, timeout=300)
    assert written.returncode in (0, 1), written.stderr
    assert json.loads((tmp_path / "report.json").read_text())["schema"] == "pymc-doctor/1"
    assert not (tmp_path / "elsewhere" / "report.json").exists()


def test_the_script_itself_is_never_overwritten_by_the_report(tmp_path):
    path = script(tmp_path, "raise SystemExit('must not run')\n")
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["check", str(path), "--output", str(path)])
    assert result.exit_code == 2 and "is an input" in result.output
    assert path.read_bytes() == before
