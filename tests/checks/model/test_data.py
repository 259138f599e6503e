"""MOD301-MOD307: data from DataFrames, imputed and non-finite values, covariates fixed in the graph, data
scale, non-integer counts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pymc as pm

import pymc_doctor
from pymc_doctor import examples
from pymc_doctor.runner import run_checks
from pymc_doctor.subject import Subject
from tests.checks.model.support import (
    RNG,
    N,
    X,
    Y,
    filtered_frame,
    lint,
    numpy_covariate_with_nan,
    only,
    parses,
    regression,
    report_of,
    run_in_model,
    silent,
)


def framed_regression(code: str):
    """A regression on a DataFrame's column, and the code of an IPython session that built it."""
    frame = pd.DataFrame({"y": Y})
    with pm.Model(coords={"obs": frame.index}) as model:
        mu = pm.Normal("mu", 0, 5)
        sigma = pm.HalfNormal("sigma", 2)
        pm.Normal("y", mu, sigma, observed=frame["y"], dims="obs")
    return model, {"frame": frame, "In": [code]}


Y_MISSING = np.where(np.isin(np.arange(N), [3, 7]), np.nan, Y)


def missing_observed():
    with pm.Model() as model:
        a = pm.Normal("a", 0, 5)
        s = pm.HalfNormal("s", 2)
        pm.Normal("y", a, s, observed=Y_MISSING)
    return model, {"y_missing": Y_MISSING}


def income_in_dollars():
    income = RNG.normal(50_000, 10_000, size=N)
    with pm.Model() as model:
        mu = pm.Normal("mu", 50_000, 10_000)
        s = pm.HalfNormal("s", 10_000)
        pm.Normal("income", mu, s, observed=income)
    return model, {"table": pd.DataFrame({"income": income})}


def nan_through_set_data():
    """A covariate container that ``pm.set_data`` filled with a NaN (``pm.Data`` itself refuses them)."""
    x_new = X.copy()
    x_new[3] = np.nan
    with pm.Model() as model:
        x = pm.Data("x", X)
        a = pm.Normal("a", 0, 5)
        pm.Normal("y", a * x, 1, observed=Y)
    with model:
        pm.set_data({"x": x_new})
    return model


def infinite_covariates():
    """A covariate mixing finite and infinite values, beside an infinite bound, which is legitimate."""
    x_inf = np.where(np.arange(N) == 2, np.inf, X)
    with pm.Model() as model:
        a = pm.Normal("a", 0, 5)
        b = pm.TruncatedNormal("b", 0, 1, lower=0, upper=np.inf)
        pm.Normal("y", a + b * x_inf, 1, observed=Y)
    return model, {"x_inf": x_inf}


def fractional_counts(container: bool):
    counts = np.array([1.5, 2.7, 3.0, 4.0])
    with pm.Model() as model:
        lam = pm.Exponential("lam", 1)
        pm.Poisson("c", lam, observed=pm.Data("counts", counts) if container else counts)
    return model, {"counts": counts}


# --- MOD301


def test_dataframe_with_a_filtered_index():
    finding = only(report_of(filtered_frame), "MOD301")
    assert finding.severity == "warning" and finding.title == "The model reads the pandas DataFrame `frame`"
    assert set(finding.variables) == {"x", "school", "y"}
    assert "Its index is not 0.." in finding.message
    lines = finding.fix_code.splitlines()
    assert lines[0] == '# on the model: coords={"obs": frame.index}'
    assert 'x = pm.Data("x", frame["x"].to_numpy(), dims="obs")' in lines
    assert 'pm.Normal("y", mu=a[school] + (b * x), sigma=s, observed=frame["y"].to_numpy(), dims="obs")' in lines
    parses(finding.fix_code)


def test_dataframe_passed_as_it_is_is_a_note_and_to_numpy_is_silent():
    code = 'pm.Normal("y", mu, sigma, observed=frame["y"])'  # an IPython session's cells
    finding = only(report_of(framed_regression, code, select=("MOD301", "MOD302")), "MOD301")
    assert finding.severity == "info" and finding.evidence["index"] is None
    assert 'observed=frame["y"].to_numpy(), dims="obs")' in finding.fix_code
    fixed = code.replace('frame["y"]', 'frame["y"].to_numpy()')
    assert silent(report_of(framed_regression, fixed, select=("MOD301", "MOD302")), "MOD301")


def test_fractional_counts_that_pymc_truncated_are_traced_to_their_column():
    frame = pd.DataFrame({"k": [1.5, 2.7, 3.0, 4.0]}, index=[3, 1, 0, 2])
    with pm.Model() as model:
        pm.Poisson("k", pm.Exponential("lam", 1), observed=frame["k"])
    finding = only(lint(model, {"frame": frame}, select=["MOD301"]), "MOD301")
    assert finding.variables == ("k",) and finding.evidence["columns"] == {"k": 'frame["k"]'}
    assert "Its index is not 0..3" in finding.message


def test_coordinates_that_follow_the_index_are_silent():
    namespace = filtered_frame()[1]
    frame = namespace["frame"]
    with pm.Model(coords={"obs": frame.index}) as model:
        pm.Normal("y", pm.Normal("mu"), 1, observed=frame["y"], dims="obs")
    assert silent(lint(model, namespace, select=["MOD301"]), "MOD301")


def test_dataframe_is_found_among_the_callers_variables_and_skipped_without_them():
    model, namespace = filtered_frame()
    frame = namespace["frame"]  # a local of the caller, as in a notebook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = pymc_doctor.check(model, select=["MOD301"])
    assert only(report, "MOD301").evidence["source"] == "frame" and len(frame) < N
    without = run_checks(Subject(model=model), select=["MOD301"])
    assert [s.code for s in without.checks_skipped] == ["MOD301"]


# --- MOD302


def test_categorical_values_are_not_codes():
    report = report_of(filtered_frame)
    finding = only(report, "MOD302")
    assert finding.variables == ("school",) and finding.evidence["dtype"] == "category"
    assert "category values (10, 20, 30)" in finding.message
    frame = filtered_frame()[1]["frame"]
    model = run_in_model(finding.fix_code, coords={"obs": range(len(frame))}, frame=frame)
    assert set(np.unique(model["school"].get_value())) == {0, 1, 2}
    assert only(report, "MOD403").evidence["max"] == 30  # the same column used as an index runs past the groups


def test_nullable_column_is_converted_explicitly():
    frame = pd.DataFrame({"v": pd.array(np.linspace(0, 1, N), dtype="Float64")})
    with pm.Model() as model:
        v = pm.Data("v", frame["v"])
        pm.Normal("y", pm.Normal("a") * v, 1, observed=Y)
    finding = only(lint(model, {"frame": frame}, select=["MOD302"]), "MOD302")
    assert finding.title == "`v` comes from a nullable column" and finding.evidence["dtype"] == "Float64"
    fixed = run_in_model(finding.fix_code, frame=frame)
    assert fixed["v"].get_value().dtype == np.float64


def test_plain_columns_are_not_flagged():
    assert silent(report_of(framed_regression, "", select=("MOD301", "MOD302")), "MOD302")


# --- MOD303


def test_missing_observed_values_are_imputed():
    finding = only(report_of(missing_observed, select=("MOD303",)), "MOD303")
    assert finding.evidence == {"missing": 2, "observed": N - 2} and finding.variables == ("y",)
    assert finding.title == "2 missing values of `y` will be imputed"
    assert finding.fix_code == (
        "keep = ~np.isnan(y_missing)  # then index every per-row array with keep\n"
        '# in pm.Normal("y", ...), pass observed=y_missing[keep]'  # PyMC's split parameters cannot be spelled
    )
    namespace = {"np": np, "y_missing": Y_MISSING}
    exec(finding.fix_code, namespace)
    assert namespace["keep"].sum() == N - 2


def test_complete_data_are_not_imputed():
    assert silent(report_of(regression), "MOD303")


# --- MOD304


def test_covariates_as_constants_with_the_users_name():
    finding = only(lint(regression(), {"X": X}, select=["MOD304"]), "MOD304")
    assert finding.variables == ("X",) and finding.title == "`X` is fixed in the graph"
    assert finding.fix_code.startswith('X_data = pm.Data("X", X)  # use X_data in place of X\n')
    parses(finding.fix_code)
    assert run_in_model(finding.fix_code.splitlines()[0], X=X)["X"].get_value().shape == (N,)


def test_an_unnamed_covariate_is_described_by_its_shape():
    finding = only(report_of(regression), "MOD304")
    assert finding.variables == () and finding.title == "a constant array of shape (40,) is fixed in the graph"
    assert finding.fix_code.startswith('x_data = pm.Data("x", x)')


def test_data_containers_are_not_flagged():
    assert silent(lint(examples.bioassay()), "MOD304")


# --- MOD305


def test_observed_scale_far_from_unit_with_the_column_extracted():
    finding = only(report_of(income_in_dollars, select=("MOD305",)), "MOD305")
    assert finding.evidence["median"] > 10_000
    assert finding.fix_code.startswith('income = table["income"].to_numpy()\n')
    namespace = {"table": income_in_dollars()[1]["table"]}
    exec(finding.fix_code, namespace)
    assert abs(namespace["income_std"].mean()) < 1e-9 and abs(namespace["income_std"].std() - 1) < 1e-9


def test_data_of_order_one_are_not_flagged():
    assert silent(report_of(regression), "MOD305")


# --- MOD306


def test_nan_in_a_constant_covariate():
    finding = only(report_of(numpy_covariate_with_nan), "MOD306")
    assert finding.variables == ("x_nan",)
    assert finding.evidence == {"nonfinite": 1, "positions": [4], "kind": "constant"}
    namespace = {"np": np, "x_nan": numpy_covariate_with_nan()[1]["x_nan"]}
    exec(finding.fix_code, namespace)
    assert namespace["keep"].sum() == N - 1


def test_nan_given_through_set_data():
    finding = only(report_of(nan_through_set_data, select=("MOD306",)), "MOD306")
    assert finding.title == "`x` holds NaN" and finding.variables == ("x",)
    assert finding.evidence == {"nonfinite": 1, "positions": [3], "kind": "data"}


def test_infinite_values_among_finite_ones_but_not_an_infinite_bound():
    found = [f for f in report_of(infinite_covariates, select=("MOD306",)).findings if f.code == "MOD306"]
    assert [(f.title, f.evidence["positions"]) for f in found] == [("`x_inf` holds inf", [2])]


def test_finite_data_are_not_flagged():
    assert silent(report_of(regression), "MOD306")


# --- MOD307


def test_fractional_counts_are_truncated():
    for container in (False, True):  # the user's array PyMC truncated; a container keeps the values given
        finding = only(report_of(fractional_counts, container, select=("MOD307",)), "MOD307")
        assert finding.evidence["examples"] == [1.5, 2.7] and "1.5 becomes 1" in finding.message
        assert finding.evidence["source"] == "counts"
    namespace = {"np": np, "counts": fractional_counts(False)[1]["counts"]}
    exec(finding.fix_code, namespace)
    assert namespace["c_counts"].tolist() == [2, 3, 3, 4]


def test_integer_counts_are_not_flagged():
    assert silent(lint(examples.bioassay()), "MOD307")
