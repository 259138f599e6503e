"""Hierarchies in a model: a group whose spread is another variable, read from the draws or from the model's graph."""

from pymc_doctor.hierarchy.draws import centered_hierarchy

__all__ = ["centered_hierarchy"]
