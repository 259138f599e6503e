"""Shareable outputs never carry the home directory, user or host name, or secret values."""

from __future__ import annotations

import json
import subprocess
import sys

import xarray as xr

from pymc_doctor.finding import Finding, Report
from pymc_doctor.redact import Redactor
from tests.support import trace_path

REDACTOR = Redactor(home="/home/jane.doe", user="jane.doe", host="janes-laptop", secrets=("s3cr3t-t0ken-value",))


def test_home_user_host_and_secrets():
    text = REDACTOR.text(
        "/home/jane.doe/OneDrive - Contoso/Ünïcode dir/trace.nc on janes-laptop by jane.doe, token s3cr3t-t0ken-value"
    )
    assert text == "~/OneDrive - Contoso/Ünïcode dir/trace.nc on <host> by <user>, token <redacted>"


def test_windows_home_with_either_separator():
    redactor = Redactor(home="C:\\Users\\Jane", user="Jane", host="DESKTOP-1", secrets=())
    assert redactor.text("C:\\Users\\Jane\\OneDrive\\x.nc and C:/Users/Jane/y.nc") == "~\\OneDrive\\x.nc and ~/y.nc"


def test_words_containing_the_user_name_are_kept():
    redactor = Redactor(home="/home/ann", user="ann", host="box", secrets=())
    assert redactor.text("annual channel ann") == "annual channel <user>"


def test_secret_names_pick_values_from_environment():
    redactor = Redactor.from_environment(
        {"HOME": "/home/x", "GITHUB_TOKEN": "ghp_abcdef123", "PATH": "/usr/bin", "PIN": "1"}
    )
    assert redactor.secrets == ("ghp_abcdef123",)


def test_report_redaction_reaches_every_field():
    report = Report(
        findings=[
            Finding(
                code="SMP101",
                severity="error",
                category="sampling",
                title="in /home/jane.doe",
                message="janes-laptop",
                evidence={"path": "/home/jane.doe/x", "n": 3},
                fix_code="open('/home/jane.doe/x')",
            )
        ],
        context={"trace": {"source": "/home/jane.doe/t.nc"}},
    )
    dumped = json.dumps(report.redacted(REDACTOR).to_dict())
    assert "jane.doe" not in dumped and "janes-laptop" not in dumped
    assert report.findings[0].title == "in /home/jane.doe"  # the original is untouched


def _trace_with_private_labels(path, labels):
    """The centered eight schools with the schools renamed: coordinates reach the findings' element names."""
    posterior = xr.open_dataset(trace_path("centered_eight"), group="posterior").load()
    stats = xr.open_dataset(trace_path("centered_eight"), group="sample_stats").load()
    posterior.assign_coords(school=labels).to_netcdf(path, group="posterior", engine="h5netcdf")
    stats.to_netcdf(path, group="sample_stats", mode="a", engine="h5netcdf")


def test_cli_outputs_carry_no_planted_private_values(tmp_path):
    home = tmp_path / "home" / "plantedhome"
    data = home / "My Data"
    data.mkdir(parents=True)
    trace = data / "trace.nc"
    _trace_with_private_labels(trace, [f"{home}/school{i} planted-secret-42" for i in range(8)])
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "MY_API_TOKEN": "planted-secret-42", "USER": "plantedhome"}
    env["PYTHONPATH"] = ":".join(sys.path)

    def run(*args):
        command = [sys.executable, "-m", "pymc_doctor", "check", str(trace), *args]
        process = subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)
        assert process.returncode == 1, process.stderr
        return process.stdout

    # Without redaction the planted values are there: the findings name the schools.
    unredacted = run("--format", "json", "--no-redact")
    assert str(home) in unredacted and "planted-secret-42" in unredacted
    for args in (["--format", "json"], ["--format", "markdown"], ["--format", "html"], ["--share"]):
        shared = run(*args)
        assert str(home) not in shared and "planted-secret-42" not in shared
    assert "~/school" in run("--format", "json")  # what the label says beyond the home stays


def test_env_report_hides_the_planted_home_but_keeps_what_the_path_tells(tmp_path):
    home = tmp_path / "plantedhome user"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "MY_API_TOKEN": "planted-secret-42",
        "PYTHONPATH": ":".join(sys.path),
    }
    for args in (["--format", "json"], ["--share"]):
        process = subprocess.run(
            [sys.executable, "-m", "pymc_doctor", "env", "--quick", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert process.returncode in (0, 1), process.stderr
        assert str(home) not in process.stdout and "planted-secret-42" not in process.stdout
        # PyTensor's compile directory lives under the home: it is shown, from `~` on
        assert "~/.pytensor" in process.stdout
