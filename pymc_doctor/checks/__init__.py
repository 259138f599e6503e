"""Checks, one module per area; importing this package registers every rule."""

from pymc_doctor.checks import environment, model, sampling

__all__ = ["environment", "model", "sampling"]
