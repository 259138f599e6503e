"""The installed PyMC line, which decides how fixes are spelled."""

from __future__ import annotations

from functools import cache

from pymc_doctor.compat import distribution_major


@cache
def pymc_major() -> int:
    return distribution_major("pymc", 5)
