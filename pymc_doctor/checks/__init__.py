"""Checks, one module per area; importing this package registers every rule."""

from pymc_doctor.checks import sampling

__all__ = ["sampling"]
