"""Shareable outputs never carry the home directory, user or host name, or secret values."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor.finding import Finding, Report
from pymc_doctor.redact import Redactor
from tests.support import trace_path

REDACTOR = Redactor(home="/home/jane.doe", user="jane.doe", host="janes-laptop", secrets=("s3cr3t-t0ken-value",))


def test_home_user_host_and_secrets():
    text = REDACTOR.text(
        "/home/jane.doe/OneDrive - Contoso/Ünïcode dir/trace.nc, /srv/jane.doe/x, ssh://jane.doe@janes-laptop:22/, "
        "//janes-laptop/share, token s3cr3t-t0ken-value"
    )
    assert text == (
        "~/OneDrive - Contoso/Ünïcode dir/trace.nc, /srv/<user>/x, ssh://<user>@<host>:22/, //<host>/share, "
        "token <redacted>"
    )


def test_windows_home_with_either_separator():
    redactor = Redactor(home="C:\\Users\\Jane", user="Jane", host="DESKTOP-1", secrets=())
    assert redactor.text("C:\\Users\\Jane\\OneDrive\\x.nc and C:/Users/Jane/y.nc") == "~\\OneDrive\\x.nc and ~/y.nc"


def test_a_user_name_is_redacted_only_in_paths_and_addresses():
    """A user called `model` keeps `pymc_doctor.lint(model)`, `pm.Model` and `model.py` intact."""
    redactor = Redactor(home="/home/model", user="model", host="box", secrets=())
    text = "pymc_doctor.lint(model) with model: model.py in /data/model/x.py, C:\\Users\\model\\y, model@box"
    assert redactor.text(text) == (
        "pymc_doctor.lint(model) with model: model.py in /data/<user>/x.py, C:\\Users\\<user>\\y, <user>@<host>"
    )
    assert redactor.text("annual channel ann box") == "annual channel ann box"


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
                message="read from //janes-laptop/share",
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
    """The centered eight schools with the schools renamed and one chain of `theta` shifted, so that
    R-hat flags its elements and the coordinates reach the findings' element names."""
    posterior = xr.open_dataset(trace_path("centered_eight"), group="posterior").load()
    posterior["theta"] = posterior["theta"] + 50.0 * (posterior["chain"] == 0)
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


# Secrets of well-known shapes (made up), and what must not survive of each.
TOKENS = {
    "github": ("ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"),
    "github-pat": ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopq", "11ABCDEFG0123456789_abcdefghijklmnopq"),
    "huggingface": ("hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567", "aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567"),
    "aws": ("AKIAIOSFODNN7EXAMPL3", "AKIAIOSFODNN7EXAMPL3"),
    "openai": ("sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34", "Ab12Cd34Ef56Gh78Ij90Kl12Mn34"),
    "slack": ("xoxb-123456789012-123456789012-AbCdEfGhIjKlMnOp", "AbCdEfGhIjKlMnOp"),
    "jwt": ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "dozjgNryP4J3jVmNHl0w5N"),
    "url": ("postgresql://alice:hunter2pass@localhost:5432/db", "hunter2pass"),
    "email": ("jane.doe@example.org", "jane.doe@example.org"),
    "key": (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\n-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjE",
    ),
}
NOBODY = Redactor(home="", user="", host="", secrets=())


@pytest.mark.parametrize("kind", TOKENS)
def test_token_shapes_are_redacted_without_an_environment_variable(kind):
    planted, secret = TOKENS[kind]
    text = NOBODY.text(f"before {planted} after")
    assert secret not in text and text.startswith("before ") and text.endswith(" after")
    assert secret not in NOBODY.text(f"my_{planted}")  # inside a variable name


def _walk_trace(variable: str, label: str, attribute: str) -> xr.DataTree:
    """Chains that disagree, so that R-hat and ESS findings name the variable and its elements."""
    walk = np.cumsum(np.random.default_rng(0).normal(size=(2, 100, 2)), axis=1)
    posterior = xr.Dataset({variable: (("chain", "draw", "d"), walk)}, coords={"d": [label, "b"]})
    posterior.attrs = {"inference_library": attribute, "inference_library_version": attribute}
    return xr.DataTree.from_dict({"posterior": posterior})


def shareable_forms(report, folder) -> dict[str, str]:
    forms = {"to_json": report.to_json(), "notebook html": report._repr_html_(), "notebook": report._repr_markdown_()}
    for suffix in (".json", ".md", ".html", ".txt"):
        forms[suffix] = report.save(folder / f"report{suffix}").read_text(encoding="utf-8")
    return forms


@pytest.mark.parametrize("kind", TOKENS)
def test_token_shapes_planted_in_every_input_never_reach_a_shareable_form(tmp_path, monkeypatch, kind):
    from pymc_doctor.reports import plots

    monkeypatch.setattr(plots, "plot_data_uri", lambda request, finding, trace: "data:image/png;base64,")
    planted, secret = TOKENS[kind]
    # A DataTree refuses '/' in a variable's name (and a file name holds none): a URL is planted elsewhere.
    variable = planted if "/" not in planted else "x"
    named = pymc_doctor.check(_walk_trace(f"v_{variable}", f"c {planted}", planted), source=f"{variable}.nc")
    traceback = (
        f'Traceback (most recent call last):\n  File "/srv/{variable}/fit.py", line 3, in <module>\n'
        f"    connect('{planted}')\nValueError: could not log in with {planted}\n"
    )
    explained = pymc_doctor.explain(traceback)
    for report in (named, explained):
        assert secret in report.to_json(redact=False)  # the input reaches the report...
        for form, text in shareable_forms(report, tmp_path).items():
            assert secret not in text, form  # ...and no shareable form
