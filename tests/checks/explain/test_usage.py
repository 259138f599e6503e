"""EXP113 (outside a model), EXP114 (a name used twice) and EXP115 (a removed PyMC name)."""

from __future__ import annotations

import pymc as pm
import pytest

from tests.checks.explain.errors import SD_KEYWORD, mutable_data, name_twice, only, outside_model, raised


def test_a_variable_outside_a_model():
    error = raised(outside_model)
    assert "No model on context stack" in str(error)
    finding = only(error, "EXP113")
    assert "(at errors.py:" in finding.message and 'pm.Normal("x", 0, 1)' in finding.message  # the user's line
    assert "pm.Normal.dist(0, 1)" in finding.fix_code


def test_the_pymc3_wording_of_a_variable_outside_a_model():
    # As PyMC3 worded it (pymc-devs/pymc#3251).
    finding = only("TypeError: No context on context stack", "EXP113")
    assert finding.evidence == {"wording": "No context on context stack"}


def test_a_name_used_twice():
    error = raised(name_twice)
    assert str(error) == "Variable name x already exists."
    finding = only(error, "EXP114")
    assert finding.evidence == {"name": "x"} and finding.title == "Variable name `x` used twice"


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("MutableData", "pm.Data"),
        ("ConstantData", "pm.Data"),
        ("sample_ppc", "pm.sample_posterior_predictive"),
        ("traceplot", "az.plot_trace"),
    ],
)
def test_a_name_pymc_removed(name, replacement):
    try:
        getattr(pm, name)
    except AttributeError as exc:  # the installed PyMC's own error
        finding = only(exc, "EXP115")
    assert finding.evidence == {"removed": name, "replacement": replacement}


def test_a_removed_data_container_in_a_model():
    finding = only(raised(mutable_data), "EXP115")
    assert finding.fix_code.startswith('x = pm.Data("x", x_values)')


def test_a_renamed_keyword():
    finding = only(SD_KEYWORD, "EXP115")
    assert finding.evidence == {"removed": "sd", "replacement": "sigma="}
    assert "sigma=1" in finding.fix_code


def test_an_unexpected_keyword_pymc_never_had_is_not_a_removed_name():
    report_codes = [
        f.code
        for f in __import__("pymc_doctor")
        .explain("TypeError: f() got an unexpected keyword argument 'colour'")
        .findings
    ]
    assert report_codes == ["EXP100"]
