"""The diagnostics table carries ArviZ's own numbers, element by element, on both ArviZ lines."""

from __future__ import annotations

import numpy as np
import pytest

from pymc_doctor.compat import trace_view
from pymc_doctor.diagnostics import diagnostics_of
from tests import oracle
from tests.support import load


@pytest.mark.parametrize("name", ["centered_eight", "nutpie_eight"])
def test_table_matches_arviz(name):
    trace = trace_view(load(name))
    table = diagnostics_of(trace).table
    posterior = trace.posterior[trace.variable_names()]
    expected = {
        "rhat": oracle.rhat(posterior),
        "ess_bulk": oracle.ess(posterior, "bulk"),
        "ess_tail": oracle.ess(posterior, "tail"),
        "mcse_mean": oracle.mcse(posterior, "mean"),
    }
    for column, result in expected.items():
        np.testing.assert_allclose(table.loc["tau", column], float(result["tau"]), rtol=1e-12)
        theta = np.asarray(result["theta"].transpose("school").values)
        labels = [f"theta[{school}]" for school in trace.posterior["theta"].coords["school"].values]
        np.testing.assert_allclose(table.loc[labels, column].to_numpy(), theta, rtol=1e-12)


def test_labels_follow_arviz_style():
    trace = trace_view(load("centered_eight"))
    assert trace.element_labels("theta")[0] == "theta[Choate]"
    assert trace.element_labels("mu") == ["mu"]
    assert len(diagnostics_of(trace).table) == 10
