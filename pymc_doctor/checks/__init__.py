"""Checks, one module per area; ``catalog.all_rules`` imports the modules whose rules it is asked for."""
