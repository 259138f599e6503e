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
import functools
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


# (class or module, attribute, what its own __dict__ held there, or _ABSENT): what start() replaced.
_patched: list[tuple[Any, str, Any]] = []
_ABSENT = object()
_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def start() -> None:
    """Note what is handed to each distribution, to ``pm.Data`` and as a model's ``coords``."""
    import pymc as pm
    from pymc.distributions.distribution import Distribution

    if _patched:
        return
    construct = Distribution.__dict__["__new__"].__func__

    def new(cls, *args, **kwargs):
        # Noting what was given must never stop the model from being built.
        with contextlib.suppress(Exception):
            _record(cls, args, kwargs, sys._getframe(1))
        return construct(cls, *args, **kwargs)

    _patch(Distribution, "__new__", new)
    initialize = pm.Model.__init__  # PyMC 6 defines it on a base class

    def init(self, *args, **kwargs):
        with contextlib.suppress(Exception):
            coords = kwargs.get("coords", args[1] if len(args) > 1 else None)
            _record_values(self, dict(coords or {}), "coords", sys._getframe(1))
        return initialize(self, *args, **kwargs)

    _patch(pm.Model, "__init__", functools.wraps(initialize)(init))
    data = pm.Data
    wrapper = functools.wraps(data)(lambda *args, **kwargs: _data(data, args, kwargs, sys._getframe(1)))
    for module in {sys.modules[data.__module__], pm}:
        if getattr(module, "Data", None) is data:
            _patch(module, "Data", wrapper)


def _patch(owner: Any, attribute: str, replacement: Any) -> None:
    _patched.append((owner, attribute, vars(owner).get(attribute, _ABSENT)))
    setattr(owner, attribute, replacement)


def stop() -> None:
    """Put back what ``start`` replaced: the very objects, or nothing where the attribute was inherited."""
    while _patched:
        owner, attribute, original = _patched.pop()
        if original is _ABSENT:
            delattr(owner, attribute)
        else:
            setattr(owner, attribute, original)


def _data(data, args: tuple, kwargs: dict, frame):
    import pymc as pm

    with contextlib.suppress(Exception):
        name = args[0] if args else kwargs.get("name", "?")
        value = args[1] if len(args) > 1 else kwargs.get("value")
        model = kwargs.get("model") or pm.Model.get_context(error_if_none=False)
        _record_values(model, {str(name): value}, "value", frame)
    return data(*args, **kwargs)


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


def _entry(model, frame) -> tuple[dict | None, str]:
    """The record of ``model``, holding the variables of the user's code at ``frame``, and its line."""
    frame = _user_frame(frame)
    if model is None or frame is None:
        return None, ""
    entry = _models.setdefault(model, {"namespace": {}, "facts": []})
    kept = {name: frame.f_globals[name] for name in SOURCE_NAMES if name in frame.f_globals}
    kept.update((name, value) for name, value in frame.f_locals.items() if _array_like(value))
    entry["namespace"].update(kept)
    return entry, f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _record(cls, args: tuple, kwargs: dict, frame) -> None:
    import pymc as pm

    entry, where = _entry(pm.Model.get_context(error_if_none=False), frame)
    if entry is None:
        return
    name = args[0] if args and isinstance(args[0], str) else kwargs.get("name", "?")
    discrete = issubclass(cls, pm.Discrete)
    given = {"observed": kwargs.get("observed"), **{k: v for k, v in kwargs.items() if k != "observed"}}
    for argument, value in given.items():
        for kind, detail in _notes(value, discrete and argument == "observed"):
            entry["facts"].append(BuildFact(str(name), argument, kind, detail, where))


def _record_values(model, values: dict[str, Any], argument: str, frame) -> None:
    """What ``pm.Data`` (``argument`` "value") or a model's ``coords`` were handed, by name."""
    entry, where = _entry(model, frame)
    if entry is None:
        return
    for name, value in values.items():
        for kind, detail in _notes(value, counts=False):
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
        index = f"; index {_index(value)}" if hasattr(value, "index") else ""  # a pd.Index is its own index
        notes.append(("pandas", f"a {type(value).__name__} (dtype {', '.join(dtypes)}{index})"))
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
