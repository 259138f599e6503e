"""Test helpers: the committed traces of the installed PyMC line, loaded as that line returns them."""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import xarray as xr

import pymc_doctor
from pymc_doctor import compat
from pymc_doctor.remedies import pymc_major

FIXTURES = Path(__file__).parent / "fixtures"
TRACE_DIR = FIXTURES / "traces" / f"pymc{pymc_major()}"


def trace_path(name: str) -> Path:
    path = TRACE_DIR / f"{name}.nc"
    assert path.exists(), f"missing fixture {path}: run tests/fixtures/make_traces.py {name}"
    return path


@cache
def _native(name: str):
    """InferenceData on the ArviZ 0.x line, DataTree on the 1.x line: what pm.sample returns there."""
    if compat.arviz_major() >= 1:
        return xr.open_datatree(trace_path(name)).load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz

    return arviz.from_netcdf(trace_path(name))


def load(name: str):
    return _native(name)


def arviz_example(name: str) -> Path:
    """ArviZ's bundled example traces (`centered_eight`, `non_centered_eight`)."""
    if compat.arviz_major() >= 1:
        import arviz_base as package
    else:
        import arviz as package
    matches = list(Path(package.__file__).parent.rglob(f"{name}.nc"))
    assert matches, f"ArviZ ships no {name}.nc"
    return matches[0]


def findings_of(report, code: str):
    return [f for f in report.findings if f.code == code]


def run(name: str, code: str, **thresholds):
    """Run one check on a committed trace and return its report."""
    return pymc_doctor.check(load(name), select=[code], thresholds=thresholds or None)
