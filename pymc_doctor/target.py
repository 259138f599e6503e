"""Loading what ``pymc-doctor check`` is pointed at: a script or ``module:attribute`` and its models and traces.

A script runs as a module named ``__pymc_doctor__``, so code under ``if __name__ == "__main__":``
(typically the sampling) does not run. The command line loads and checks it in a child process
(``python -m pymc_doctor.target REQUEST``, see ``run_request``), so that a script that loops, sleeps,
prints or exits cannot hang or garble the command.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymc_doctor.childprocess import Tail, stop, wait

RUN_NAME = "__pymc_doctor__"
# How often a long wait for the child is reported.
PROGRESS_EVERY = 15.0
NEW_GROUP = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)  # Windows' process groups


class TargetError(ValueError):
    """The target cannot be loaded (no such file or module, a syntax error); one line for the user."""


class TargetRaised(Exception):
    """Running the target raised: the model could not be built. ``error`` is the exception to explain."""

    def __init__(self, error: BaseException):
        super().__init__(describe(error))
        self.error = error


def describe(error: BaseException) -> str:
    """``Type: message``, even for an exception whose ``str()`` itself raises."""
    try:
        message = str(error)
    except Exception:  # a user's exception can fail any way; it is still reported
        message = "<its message could not be read>"
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


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
    except BaseException as exc:  # GeneratorExit and the user's own BaseException subclasses too
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


# ---------------------------------------------------------------------------------------------
# The child process of `pymc-doctor check SCRIPT.py`


def say(message: str) -> None:
    """Progress on standard error, which the script may have closed."""
    with suppress(OSError, ValueError, AttributeError):
        print(message, file=sys.__stderr__, flush=True)


def _indented(step: str) -> None:
    say(f"  {step}…")


def _explainable(error: BaseException) -> BaseException | str:
    """The exception, or its traceback as text when the exception cannot even be turned into a string."""
    try:
        str(error)
    except Exception:
        return "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return error


def _loaded(spec: str, tell: Callable[[str], None] = say) -> Any:
    """The target, or the report explaining the error its script raised while it was loaded."""
    from pymc_doctor import explain
    from pymc_doctor.quiet import quiet

    tell(f"Loading {spec}…")
    try:
        with quiet("pymc", "pytensor"):
            return load_target(spec)
    except TargetRaised as raised:
        return explain(_explainable(raised.error))


def check_target(spec: str, trace_path: str | None, options: dict) -> list:
    """Lint each model the target defines; with one model, check it together with its trace."""
    from pymc_doctor import check

    target = _loaded(spec)
    if not isinstance(target, Target):
        target.context["source"] = spec
        return [target]
    traces = {Path(trace_path).name: Path(trace_path)} if trace_path is not None else dict(target.traces)
    if trace_path is not None and len(target.models) != 1:
        raise TargetError(f"{spec} defines {len(target.models)} models; --trace needs exactly one")
    say(f"Checking {len(target.models)} model(s) and {len(traces)} trace(s)…")
    if len(target.models) == 1 and len(traces) == 1:
        (name, model), (trace_name, trace) = *target.models.items(), *traces.items()
        reports = [
            check(trace, model=model, source=trace_name, namespace=target.namespace, progress=_indented, **options)
        ]
        reports[-1].context["model"]["name"] = name
        return reports
    reports = []
    for name, model in target.models.items():
        reports.append(check(model=model, namespace=target.namespace, **options))
        reports[-1].context["model"]["name"] = name
    return reports + [check(trace, source=trace_name, **options) for trace_name, trace in traces.items()]


def progress_writer(path: str) -> Callable[[str], None]:
    """Progress lines appended to a file of their own, which the command line reads as they come."""

    def write(message: str) -> None:
        with open(path, "a", encoding="utf-8") as file:  # the progress line adds its own ellipsis
            file.write(message.replace("\n", " ").removesuffix("…") + "\n")

    return write


def treat_target(spec: str, trace_path: str | None, treatment: dict, progress: str | None = None) -> list:
    """Treat the one model the target defines (or the one ``treatment["model"]`` names), with its trace;
    with a ``progress`` file, the steps are written there (else printed, with PyMC's progress bar)."""
    from pymc_doctor import treat

    tell = progress_writer(progress) if progress else say
    target = _loaded(spec, tell)
    if not isinstance(target, Target):
        return [target]
    models = target.models
    if treatment.get("model"):
        if treatment["model"] not in models:
            raise TargetError(f"{spec} defines no model named {treatment['model']!r} (it has: {', '.join(models)})")
        models = {treatment["model"]: models[treatment["model"]]}
    if len(models) != 1:
        raise TargetError(f"{spec} defines {len(models)} models; name the one to treat with --model NAME")
    (name, model), traces = *models.items(), list(target.traces.values())
    trace = trace_path if trace_path is not None else (traces[0] if len(traces) == 1 else None)
    tell(f"Treating `{name}`: each step samples a copy of the model again; this can take minutes")
    report = treat(
        model,
        trace,
        budget=treatment["budget"],
        random_seed=treatment["seed"],
        progress=tell if progress else True,
        namespace=target.namespace,
    )
    report.context["model"]["name"] = name
    return [report]


def _exit_code(reports: list) -> int:
    """1 for an error-level finding, or for a treatment that did not cure what it treated."""
    treated = [r.treatment for r in reports if getattr(r, "treatment", None) is not None]
    if treated:
        return 0 if all(t.outcome in ("cured", "nothing to apply") for t in treated) else 1
    return max(report.exit_code for report in reports)


def _result(request: dict) -> dict:
    from pymc_doctor.compat import TraceError
    from pymc_doctor.reports import render

    try:
        if request.get("treatment"):
            reports = treat_target(request["spec"], request["trace"], request["treatment"], request.get("progress"))
        else:
            reports = check_target(request["spec"], request["trace"], request["options"])
        text = render(reports, request["format"], redact=request["redact"], color=request["color"])
    except (TargetError, TraceError, ValueError) as exc:
        return {"error": str(exc)}
    except KeyboardInterrupt:
        return {"error": f"{request['spec']} raised KeyboardInterrupt while being loaded"}
    except Exception as exc:  # a bug of the doctor's: one line, with what to report
        return {"error": f"internal error ({describe(exc)}); please report it to pymc-doctor"}
    return {"exit": _exit_code(reports), "text": text}


def run_request(request_file: str) -> None:
    """Load and check what a request (written by the command line) names; write the rendered result
    as JSON where it says. Whatever the script prints goes to this process's output, not the result."""
    from pymc_doctor.reports import write_atomically

    request = json.loads(Path(request_file).read_text(encoding="utf-8"))
    write_atomically(Path(request["result"]), json.dumps(_result(request)))


def check_in_child(
    request: dict,
    timeout: float,
    relay: Callable[[str], None],
    progress: Callable[[str], None] | None = None,
    every: float = PROGRESS_EVERY,
) -> dict:
    """Run ``run_request`` in a child process (``python -m pymc_doctor.target``) and return its result.

    What the child prints goes to ``relay`` as it comes; with ``progress``, the child's progress lines
    (``treat``'s steps) go there one by one, apart from what the script prints, and so does a note
    every ``every`` seconds that the child still runs. The child and whatever it started are killed
    after ``timeout`` seconds (``TargetError``), on Ctrl-C (``KeyboardInterrupt`` propagates), and
    when it is done. Raises ``TargetError`` as well when the child ends without a result.
    """
    with tempfile.TemporaryDirectory(prefix="pymc-doctor-") as folder:
        request = {**request, "result": str(Path(folder, "result.json"))}
        outputs = [(Tail(Path(folder, "output.log")), relay)]
        if progress is not None:
            request["progress"] = str(Path(folder, "progress.log"))
            outputs.append((Tail(Path(request["progress"]), lines=True), progress))
        Path(folder, "request.json").write_text(json.dumps(request), encoding="utf-8")
        command = [sys.executable, "-m", "pymc_doctor.target", str(Path(folder, "request.json"))]
        group = {"start_new_session": True} if os.name == "posix" else {"creationflags": NEW_GROUP}
        with open(Path(folder, "output.log"), "wb") as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, **group)
            try:
                wait(process, outputs, timeout, progress or (lambda note: relay(f"{note}\n")), every)
            except TimeoutError:
                raise TargetError(
                    f"{request['spec']} did not finish loading and checking within {timeout:g} s and was stopped "
                    "(give it longer with --timeout SECONDS)"
                ) from None
            finally:
                stop(process)
        if not Path(request["result"]).exists():
            raise TargetError(
                f"{request['spec']}: the process loading it stopped without a report ({process.returncode})"
            )
        return json.loads(Path(request["result"]).read_text(encoding="utf-8"))


if __name__ == "__main__":
    run_request(sys.argv[1])
    # Threads or handlers the script left behind must not keep this process (and the command) waiting.
    os._exit(0)
