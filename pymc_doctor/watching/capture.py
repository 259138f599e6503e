"""Build-time capture: while watching, the raw objects handed to PyMC before it converts them.

PyMC turns a ``pd.Series`` into a plain array (its index gone) and casts fractional counts given to a
discrete likelihood to integers; once the model is built, only the user's variables still hold what
was given. When the model is built inside a function those variables are gone too, so each
distribution's creation keeps the variables of the user's code that created it (its DataFrames,
Series and arrays, and the file it stands in): the model lint reads them as it reads a script's
globals. What was handed over is noted too (``facts``), with the line that handed it.
"""

from __future__ import annotations

import contextlib
import sys
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

# The libraries whose objects the model lint traces data back to.
ARRAY_LIBRARIES = ("numpy", "pandas", "polars")
# Kept from the user's globals beside the arrays: the script's file and a notebook's cells, whose code
# says how the data reached PyMC.
SOURCE_NAMES = ("__file__", "In")
# Frames of these packages stand between the user's call and the capture.
INTERNAL = ("pymc", "pytensor", "pymc_doctor")


@dataclass(frozen=True)
class BuildFact:
    """Something about what was handed to PyMC that the model no longer shows."""

    variable: str
    argument: str  # "observed" or a parameter's name
    kind: str  # "pandas", "non-integer" or "non-finite"
    detail: str
    where: str  # "file:line" of the user's call


_state: dict[str, Any] = {}
_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def start() -> None:
    from pymc.distributions.distribution import Distribution

    if "new" in _state:
        return
    original = Distribution.__dict__["__new__"]
    function = original.__func__

    def new(cls, *args, **kwargs):
        # Noting what was given must never stop the model from being built.
        with contextlib.suppress(Exception):
            _record(cls, args, kwargs, sys._getframe(1))
        return function(cls, *args, **kwargs)

    _state["new"] = original
    Distribution.__new__ = new


def stop() -> None:
    original = _state.pop("new", None)
    if original is None:
        return  # never started (PyMC may not even be imported): nothing to put back
    from pymc.distributions.distribution import Distribution

    Distribution.__new__ = original


def namespace(model) -> dict[str, Any]:
    """The variables of the user's code that built ``model``, as captured while watching."""
    entry = _models.get(model) if model is not None else None
    return dict(entry["namespace"]) if entry else {}


def facts(model) -> list[BuildFact]:
    """What was handed to PyMC while ``model`` was built, as captured while watching."""
    entry = _models.get(model) if model is not None else None
    return list(entry["facts"]) if entry else []


def _user_frame(frame):
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in INTERNAL:
        frame = frame.f_back
    return frame


def _record(cls, args: tuple, kwargs: dict, frame) -> None:
    import pymc as pm

    model = pm.Model.get_context(error_if_none=False)
    frame = _user_frame(frame)
    if model is None or frame is None:
        return
    entry = _models.setdefault(model, {"namespace": {}, "facts": []})
    kept = {name: frame.f_globals[name] for name in SOURCE_NAMES if name in frame.f_globals}
    kept.update((name, value) for name, value in frame.f_locals.items() if _array_like(value))
    entry["namespace"].update(kept)
    name = args[0] if args and isinstance(args[0], str) else kwargs.get("name", "?")
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    discrete = issubclass(cls, pm.Discrete)
    given = {"observed": kwargs.get("observed"), **{k: v for k, v in kwargs.items() if k != "observed"}}
    for argument, value in given.items():
        for kind, detail in _notes(value, discrete and argument == "observed"):
            entry["facts"].append(BuildFact(str(name), argument, kind, detail, where))


def _array_like(value: Any) -> bool:
    return type(value).__module__.split(".")[0] in ARRAY_LIBRARIES and hasattr(value, "shape")


def _notes(value: Any, counts: bool) -> list[tuple[str, str]]:
    """What PyMC's conversion of ``value`` will hide: a pandas index and dtype, fractions, NaN and inf."""
    if not (_array_like(value) or isinstance(value, list | tuple)):
        return []
    notes = []
    if type(value).__module__.startswith("pandas"):
        dtypes = value.dtypes.astype(str).tolist() if hasattr(value, "columns") else [str(value.dtype)]
        notes.append(("pandas", f"a {type(value).__name__} (dtype {', '.join(dtypes)}; index {_index(value)})"))
    try:
        numbers = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return notes
    finite = np.isfinite(numbers)
    if not finite.all():
        notes.append(("non-finite", f"{int(np.isnan(numbers).sum())} NaN, {int(np.isinf(numbers).sum())} inf"))
    fractional = finite & (numbers != np.round(numbers))
    if counts and fractional.any():
        first = numbers[fractional].flat[0]
        notes.append(("non-integer", f"{int(fractional.sum())} non-integer values (first {first:g}) for counts"))
    return notes


def _index(value) -> str:
    index = value.index
    labels = index[:3].tolist()
    return f"{type(index).__name__} starting {labels}"
