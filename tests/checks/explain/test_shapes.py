"""EXP101 (shape mismatches) and EXP107 (dims that disagree with the data)."""

from __future__ import annotations

from tests.checks.explain.errors import coords_conflict, only, raised, shape_mismatch


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
