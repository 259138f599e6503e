"""The installed PyMC line, which decides how fixes are spelled."""

from __future__ import annotations

from functools import cache

from packaging.version import InvalidVersion, Version

from pymc_doctor.compat import distribution_version


@cache
def pymc_major() -> int:
    try:
        return Version(distribution_version("pymc") or "5").major
    except InvalidVersion:
        return 5
