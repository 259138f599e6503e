"""The doctor is quiet: neither it nor the libraries it calls warn past it while it checks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings

import numpy as np
import pymc as pm
import pytest

import pymc_doctor
from pymc_doctor import compat
from tests.support import load


def _overflowing_model() -> pm.Model:
    # Data at the edge of float64: the model checks' own statistics overflow (numpy RuntimeWarning).
    with pm.Model() as model:
        scale = pm.HalfCauchy("scale", 1e6)
        pm.Normal("y", 0, scale, observed=np.array([1e300, -1e300, 0.0]))
    return model


def _checks():
    return [
        pymc_doctor.check(load("centered_eight")),
        pymc_doctor.check(model=_overflowing_model()),
        pymc_doctor.check(load("bimodal"), model=_overflowing_model()),
    ]


def test_checking_a_trace_and_a_model_warns_nothing(recwarn):
    warnings.simplefilter("always")  # recwarn records every warning that reaches the caller
    _checks()
    assert [f"{w.category.__name__}: {w.message}" for w in recwarn.list] == []


def test_a_caller_that_makes_warnings_errors_gets_the_same_checks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reports = _checks()
    # A warning turned error inside a check would crash it into an internal finding.
    assert [f.message for report in reports for f in report.findings if f.code.startswith("INT")] == []


def test_the_callers_warning_filters_and_log_levels_are_left_as_they_were():
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            filters = list(warnings.filters)
            pymc_doctor.check(model=_overflowing_model())
            assert warnings.filters == filters
        assert logger.level == logging.INFO
    finally:
        logger.setLevel(level)


# --- ArviZ 0.22+ warns of its coming refactor on the day's first import (a FutureWarning); PyMC 5 imports it.


def _python(tmp_path, code: str) -> subprocess.CompletedProcess:
    """``code`` run by a fresh Python whose user cache is empty, so that ArviZ has not shown today's banner."""
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=environment, check=False
    )


def test_pymc_doctor_commands_keep_arvizs_banner_from_the_user(tmp_path):
    # A command, then PyMC imported in its process, as `demo` and `treat` import it.
    command = "from pymc_doctor.cli import main\ntry:\n    main(['rules', 'SMP101'])\nexcept SystemExit:\n    pass\n"
    ran = _python(tmp_path, command + "import pymc")
    assert ran.returncode == 0, ran.stderr
    assert "FutureWarning" not in ran.stderr
    if compat.arviz_major() < 1:  # the line that has the banner: without the command, it shows
        assert "FutureWarning" in _python(tmp_path / "control", "import pymc").stderr


@pytest.mark.slow
def test_the_demo_command_shows_no_future_warning(tmp_path):
    arguments = ["demo", "--draws", "5", "--tune", "5", "--html", str(tmp_path / "report.html")]
    ran = _python(tmp_path, f"from pymc_doctor.cli import main\nmain({arguments!r})")
    assert "Sampling the bioassay example" in ran.stderr
    assert "FutureWarning" not in ran.stderr
