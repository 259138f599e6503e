"""SMP401: draws that are not finite, on real traces with NaN and infinities planted in a copy."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor.registry import CannotCheck
from tests.checks.sampling.helpers import findings
from tests.support import findings_of, trace_path


def planted(plant, name: str = "noncentered_eight") -> xr.DataTree:
    """A committed trace, its posterior copied and ``plant``-ed; the committed file stays as it is."""
    tree = xr.open_datatree(trace_path(name)).load()
    posterior = tree["posterior"].to_dataset().copy(deep=True)
    plant(posterior)
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": tree["sample_stats"].to_dataset()})


def all_nan(posterior):
    posterior["theta"][:] = np.nan


def every_tenth_nan(posterior):
    posterior["mu"][:, ::10] = np.nan


def some_inf(posterior):
    posterior["tau"][1, 100:150] = np.inf


def one_element_minus_inf(posterior):
    posterior["theta"][0, 3, 2] = -np.inf


def test_the_healthy_trace_is_healthy():
    report = pymc_doctor.check(planted(lambda posterior: None))
    assert report.exit_code == 0
    assert not findings_of(report, "SMP401")


@pytest.mark.parametrize(
    ("plant", "variable", "share", "kind"),
    [
        (all_nan, "theta", 1.0, "nan"),
        (every_tenth_nan, "mu", 0.1, "nan"),
        (some_inf, "tau", 50 / 2000, "+inf"),
        (one_element_minus_inf, "theta", 1 / 2000, "-inf"),
    ],
)
def test_a_sick_trace_is_no_longer_called_healthy(plant, variable, share, kind):
    report = pymc_doctor.check(planted(plant))
    assert report.exit_code == 1
    (found,) = findings_of(report, "SMP401")
    assert found.severity == "error" and found.variables == (variable,)
    assert found.evidence[variable]["share_of_draws"] == pytest.approx(share, abs=1e-4)
    assert set(found.evidence[variable]["values"]) == {kind}
    assert f"`{variable}`: {share:.1%} of draws" in found.message


def test_the_message_says_in_which_elements():
    (found,) = findings("SMP401", planted(one_element_minus_inf))
    assert "1 of its 8 elements" in found.message
    (found,) = findings("SMP401", planted(all_nan))
    assert "all its elements" in found.message and "16,000 nan" in found.message


def test_its_code_counts_the_finite_draws_of_the_variable():
    (found,) = findings("SMP401", planted(some_inf))
    namespace = {"idata": planted(some_inf), "print": lambda value: namespace.setdefault("shown", value)}
    exec(found.fix_code, namespace)
    shares = namespace["shown"]
    assert float(shares.sel(chain=1)) == pytest.approx(1 - 50 / 500) and float(shares.sel(chain=0)) == 1.0


def test_the_other_checks_leave_the_elements_out_and_say_so():
    # Split R-hat of draws that jump to +inf in one half would be a number; it must not be reported.
    def stuck_mu_and_inf_tau(posterior):
        posterior["mu"][0] += 10.0  # one chain far from the others: R-hat on mu
        posterior["tau"][1, 250:] = np.inf

    (rhat,) = findings("SMP201", planted(stuck_mu_and_inf_tau))
    assert "tau" not in rhat.variables and "mu" in rhat.variables
    assert "(`tau` left out: draws that are not finite, SMP401)" in rhat.message


def test_when_no_element_is_finite_the_statistics_are_not_checked():
    def everything_nan(posterior):
        for name in posterior.data_vars:
            posterior[name][:] = np.nan

    trace = planted(everything_nan)
    for code in ("SMP201", "SMP203", "SMP204"):
        with pytest.raises(CannotCheck, match="not finite"):
            findings(code, trace)
    report = pymc_doctor.check(trace)
    skipped = {check.code: check.reason for check in report.checks_skipped}
    assert {"SMP201", "SMP203", "SMP204"} <= set(skipped)
    assert findings_of(report, "SMP401")[0].variables == ("mu", "theta_offset", "tau", "theta")
