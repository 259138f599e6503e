"""EXP101 (shape mismatches) and EXP107 (dims that disagree with the data)."""

from __future__ import annotations

import pytest

from tests.checks.explain.errors import (
    coords_conflict,
    dot_product,
    dot_product_at_run_time,
    only,
    raised,
    shape_mismatch,
)


def test_shape_mismatch():
    finding = only(raised(shape_mismatch), "EXP101")
    assert finding.evidence["shapes"] == ["4,", "3,"]
    assert "(4,) and (3,)" in finding.message


def test_a_shape_error_without_shapes_in_its_message():
    finding = only("ValueError: shape mismatch: objects cannot be broadcast to a single shape", "EXP101")
    assert finding.evidence == {"pattern": "shape mismatch", "shapes": []}
    assert "Two arrays of shapes different shapes met" in finding.message


def test_coordinates_that_disagree_after_sampling():
    finding = only(raised(coords_conflict), "EXP107")
    assert finding.evidence == {"dim": "obs"}
    assert "has 5 values along it, but the model's coordinates for `obs` have 4" in finding.message
    assert 'coords = {"obs": range(5)}' in finding.fix_code


def test_a_coordinate_error_without_sizes():
    finding = only("xarray.core.coordinates.CoordinateValidationError: something else about dims", "EXP107")
    assert finding.evidence == {"dim": "obs"}
    assert finding.message == "A variable's length disagrees with the coordinates of one of its dims."
    assert 'coords = {"obs": range(n)}' in finding.fix_code


def test_a_dot_product_of_mismatched_sizes_when_the_model_is_built():
    finding = only(raised(dot_product), "EXP112")
    assert str(raised(dot_product)) == "Incompatible shared dimension for dot product: (100, 3), (4, 1)"
    assert finding.evidence == {"rows": 100, "columns": 3, "coefficients": 4}
    assert "the matrix has 3 columns but the coefficients have 4 rows" in finding.message
    assert 'pm.Normal("beta", 0, 1, shape=3)' in finding.fix_code


def test_a_dot_product_of_mismatched_sizes_at_run_time():
    # PyMC 5 (NumPy): "shapes (100,3) and (4,) not aligned"; PyMC 6: "gemm: operands have mismatched
    # contraction dimensions", which names no sizes.
    finding = only(raised(dot_product_at_run_time), "EXP112")
    if finding.evidence["columns"] is None:
        assert "mismatched contraction dimensions" in str(raised(dot_product_at_run_time))
        assert "shape=X.shape[1]" in finding.fix_code
    else:
        assert finding.evidence == {"rows": 100, "columns": 3, "coefficients": 4}


@pytest.mark.parametrize(
    "text",
    [
        "ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
        "(n?,k),(k,m?)->(n?,m?) (size 4 is different from 3)",
        "ValueError: shapes (100,3) and (4,1) not aligned: 3 (dim 1) != 4 (dim 0)",
    ],
)
def test_other_wordings_of_a_dot_product_of_mismatched_sizes(text):
    only(text, "EXP112")
