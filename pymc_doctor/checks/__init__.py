"""Checks, one module per area; ``registry.all_rules`` imports the modules whose rules it is asked for."""
