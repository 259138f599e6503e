"""EXP108-110: pandas objects, object dtype and NaN, with the DataFrame column on the failing line."""

from __future__ import annotations

from tests.checks.explain.errors import nan_column, nan_container, object_column, only, pandas_arithmetic, raised


def test_pandas_in_arithmetic_names_the_column_on_the_failing_line():
    finding = only(raised(pandas_arithmetic), "EXP108")
    assert finding.evidence == {"column": 'df["x"]'}
    assert '(`df["x"]`)' in finding.message and "errors.py:" in finding.message
    assert finding.fix_code.startswith('x = pm.Data("x", df["x"].to_numpy())')


def test_pandas_in_arithmetic_without_a_line():
    finding = only("ValueError: setting an array element with a sequence.", "EXP108")
    assert finding.evidence == {"column": None}
    assert "A pandas Series met a PyMC variable" in finding.message
    assert finding.fix_code.startswith('x = pm.Data("x", df["x"].to_numpy())')


def test_object_column():
    finding = only(raised(object_column), "EXP109")
    assert finding.evidence == {"column": 'df["group"]'}
    assert 'pd.factorize(df["group"])' in finding.fix_code


def test_object_array_without_a_line():
    finding = only("TypeError: ufunc 'isnan' not supported for the input types", "EXP109")
    assert finding.evidence == {"column": None}
    assert "An array of Python objects reached the model" in finding.message


def test_nan_in_a_data_container():
    finding = only(raised(nan_container), "EXP110")
    assert finding.evidence == {"column": None}
    assert finding.fix_code.startswith("keep = ~np.isnan(values)")


def test_nan_in_a_data_column():
    finding = only(raised(nan_column), "EXP110")
    assert finding.evidence == {"column": 'df["y"]'}
    assert finding.fix_code.startswith('keep = ~np.isnan(df["y"].to_numpy())')
