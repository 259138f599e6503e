"""Hierarchies in a model: a group whose spread is another variable, read from the draws or from the model's graph."""

from pymc_doctor.hierarchy.draws import centered_hierarchy, spread_follower
from pymc_doctor.hierarchy.graph import CenteredGroup, centered_children, centered_groups

__all__ = ["CenteredGroup", "centered_children", "centered_groups", "centered_hierarchy", "spread_follower"]
