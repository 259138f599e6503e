"""Loading what ``pymc-doctor check`` is pointed at: a script or ``module:attribute`` and its models and traces.

A script runs as a module named ``__pymc_doctor__``, so code under ``if __name__ == "__main__":``
(typically the sampling) does not run.
"""

from __future__ import annotations

import importlib
import runpy
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUN_NAME = "__pymc_doctor__"


class TargetError(ValueError):
    """The target cannot be loaded (no such file or module, a syntax error); one line for the user."""


class TargetRaised(Exception):
    """Running the target raised: the model could not be built. ``error`` is the exception to explain."""

    def __init__(self, error: BaseException):
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


@dataclass
class Target:
    spec: str
    models: dict[str, Any] = field(default_factory=dict)  # name -> pm.Model
    traces: dict[str, Any] = field(default_factory=dict)  # name -> InferenceData or DataTree
    namespace: dict[str, Any] = field(default_factory=dict)


def is_target(spec: str) -> bool:
    """A script (``.py``) or ``module:attribute``, as opposed to a trace file."""
    path, colon, _ = spec.partition(":")
    if path.endswith(".py"):
        return True
    is_drive = len(path) == 1 and path.isalpha()  # C:\\traces\\run.nc
    return bool(colon) and not is_drive and not Path(spec).exists()


def _is_model(obj: Any) -> bool:
    pymc = sys.modules.get("pymc")
    return pymc is not None and isinstance(obj, pymc.Model)


def _is_trace(obj: Any) -> bool:
    if type(obj).__name__ == "InferenceData":
        return hasattr(obj, "posterior")
    xarray = sys.modules.get("xarray")
    datatree = getattr(xarray, "DataTree", None) if xarray is not None else None
    return datatree is not None and isinstance(obj, datatree) and "posterior" in obj.children


def _collect(target: Target, name: str, obj: Any) -> None:
    if any(obj is known for known in (*target.models.values(), *target.traces.values())):
        return
    if _is_model(obj):
        target.models[name] = obj
    elif _is_trace(obj):
        target.traces[name] = obj


@contextmanager
def _script_context(directory: Path, argv: list[str]):
    """Run as ``python script.py`` would: its folder importable, ``sys.argv`` its own."""
    saved_path, saved_argv = list(sys.path), list(sys.argv)
    sys.path.insert(0, str(directory))
    sys.argv = argv
    try:
        yield
    finally:
        sys.path[:] = saved_path
        sys.argv = saved_argv


def _run(load) -> Any:
    try:
        return load()
    except SyntaxError as exc:
        raise TargetError(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}") from exc
    except SystemExit as exc:
        raise TargetError(f"the target exited (status {exc.code}) while being loaded") from exc
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise TargetRaised(exc) from exc


def load_target(spec: str) -> Target:
    """Run a script or import ``module[:attribute]``, and collect its models and traces.

    Raises ``TargetError`` for unusable input and ``TargetRaised`` when the code itself raised.
    """
    location, _, attribute = spec.partition(":")
    target = Target(spec)
    if location.endswith(".py"):
        path = Path(location)
        if not path.is_file():
            raise TargetError(f"{location}: no such file")
        with _script_context(path.resolve().parent, [str(path)]):
            namespace = _run(lambda: runpy.run_path(str(path), run_name=RUN_NAME))
    else:
        with _script_context(Path.cwd(), [location]):
            try:
                module = _run(lambda: importlib.import_module(location))
            except TargetRaised as raised:
                error = raised.error
                if isinstance(error, ModuleNotFoundError) and location.startswith(error.name or "\0"):
                    raise TargetError(f"no module named {location!r}") from error
                raise
        namespace = vars(module)
    target.namespace = dict(namespace)
    if attribute:
        obj: Any = namespace
        for part in attribute.split("."):
            try:
                obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
            except (KeyError, AttributeError) as exc:
                raise TargetError(f"{spec}: no attribute {part!r}") from exc
        if callable(obj) and not _is_model(obj):
            obj = _run(obj)
        name = attribute.rsplit(".", 1)[-1]
        items = list(obj) if isinstance(obj, (tuple, list)) else [obj]
        for index, item in enumerate(items):
            _collect(target, name if len(items) == 1 else f"{name}[{index}]", item)
        if not target.models and not target.traces:
            raise TargetError(f"{spec} is a {type(obj).__name__}, not a pm.Model or a trace")
    else:
        for name, obj in namespace.items():
            if not name.startswith("_"):
                _collect(target, name, obj)
        if not target.models:
            raise TargetError(f"{spec}: no pm.Model found (models built inside functions are not visible)")
    return target
