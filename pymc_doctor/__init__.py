"""pymc-doctor: finds what is wrong with a PyMC installation, model or trace, and says how to fix it.

Heavy libraries (PyMC, ArviZ) are imported only when a check needs them, so the command line and
``pymc-doctor rules`` start fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pymc_doctor.finding import Report

__all__ = ["__version__", "check"]


def check(
    idata: Any,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    thresholds: dict[str, Any] | None = None,
    source: str | None = None,
) -> Report:
    """Check a trace: an ArviZ ``InferenceData``, an ``xarray.DataTree`` or the path of a netCDF/zarr file.

    ``select``/``ignore`` take rule codes, code prefixes or names (``"SMP1"``, ``"divergences"``);
    ``thresholds`` overrides rule parameters by name (``{"max_rhat": 1.05}``; see ``pymc-doctor rules``).
    ``source`` names the trace in reports (by default its file name or type).
    Raises ``pymc_doctor.compat.TraceError`` when the input cannot be read as a trace.
    """
    from pathlib import Path

    from pymc_doctor.compat import trace_view
    from pymc_doctor.runner import Subject, run_checks

    if source is None:
        source = Path(idata).name if isinstance(idata, (str, Path)) else type(idata).__name__
    subject = Subject(trace=trace_view(idata, source=source))
    return run_checks(subject, select=select, ignore=ignore, thresholds=thresholds)
