"""The doctor that comes to the user: while watching, every sampling run is checked, with its model,
and a compact verdict is shown (rich HTML in a notebook, a few lines on standard error elsewhere).

PyMC's sampling functions are wrapped where users reach them (``pm.sample``, ``pymc.sampling.mcmc.sample``,
``pm.sample_smc``...) and the very same objects are put back by ``stop``. The wrapper returns what
PyMC returned, untouched; a failure of the doctor is reported in one line and never reaches the user.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from pymc_doctor.watching import capture, onimport

# Where users reach PyMC's samplers: (module, attribute). A module that a PyMC line lacks is skipped.
SAMPLERS = (
    ("pymc", "sample"),
    ("pymc.sampling", "sample"),
    ("pymc.sampling.mcmc", "sample"),
    ("pymc", "sample_smc"),
    ("pymc.smc", "sample_smc"),
    ("pymc.smc.sampling", "sample_smc"),
)
PREFIX = "pymc-doctor"

# (module, attribute) -> the original object, while watching.
_patched: dict[tuple[str, str], Any] = {}
_last: dict[str, Any] = {}
_paused: list[bool] = []


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Sampling that the doctor starts itself (``treat``'s re-runs) is not checked as the user's."""
    _paused.append(True)
    try:
        yield
    finally:
        _paused.pop()


def watching() -> bool:
    return bool(_patched) or onimport.waiting("pymc")


def last_report():
    """The report of the last sampling run checked while watching, or None."""
    return _last.get("report")


def start(check: Callable) -> None:
    """Wrap PyMC's sampling functions so that each run is checked by ``check(idata, model, namespace)``:
    at once if PyMC is imported, else as soon as it is (watching does not import PyMC); a second call
    changes nothing."""
    if watching():
        return
    onimport.when_imported("pymc", lambda: _wrap_all(check))


def stop() -> None:
    """Put back the very objects that were there before ``start``, and stop waiting for PyMC's import."""
    onimport.cancel("pymc")
    for (module_name, attribute), original in _patched.items():
        setattr(sys.modules[module_name], attribute, original)
    _patched.clear()
    capture.stop()


def _wrap_all(check: Callable) -> None:
    try:
        _wrap_samplers(check)
        capture.start()
    except Exception as exc:  # run from the user's `import pymc`, which must not fail for the doctor
        stop()
        print(f"{PREFIX}: could not watch PyMC ({type(exc).__name__}: {exc})", file=sys.stderr)


def _wrap_samplers(check: Callable) -> None:
    wrappers: dict[int, Any] = {}  # one wrapper per original function, however many places hold it
    for module_name, attribute in SAMPLERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        original = getattr(module, attribute, None)
        if original is None:
            continue
        if id(original) not in wrappers:
            wrappers[id(original)] = _wrapped(original, check)
        _patched[(module_name, attribute)] = original
        setattr(module, attribute, wrappers[id(original)])


def _wrapped(original: Callable, check: Callable) -> Callable:
    @functools.wraps(original)
    def sample(*args, **kwargs):
        result = original(*args, **kwargs)
        if _paused:
            return result
        caller = sys._getframe(1)
        namespace = {**caller.f_globals, **caller.f_locals}
        _examine(result, kwargs.get("model"), namespace, check)
        return result

    sample.__pymc_doctor_original__ = original
    return sample


def _examine(result: Any, model: Any, namespace: dict[str, Any], check: Callable) -> None:
    """Check a sampling run and show the verdict; never raise (the user's run must go on)."""
    try:
        if not _is_trace(result):
            return  # return_inferencedata=False: a MultiTrace, which the doctor does not read
        import pymc as pm

        model = pm.modelcontext(model)
        report = check(result, model, {**namespace, **capture.namespace(model)})
        built = capture.facts(model)
        if built:  # what PyMC's conversion hid, with the line that handed it over
            report.context["built_from"] = [dataclasses.asdict(fact) for fact in built]
        _last["report"] = report
        show(report)
    except Exception as exc:  # the doctor's failure must never become the user's
        print(f"{PREFIX}: could not check this sampling run ({type(exc).__name__}: {exc})", file=sys.stderr)


def _is_trace(result: Any) -> bool:
    return type(result).__name__ in ("InferenceData", "DataTree")


def show(report) -> None:
    """The verdict where the user looks: a notebook gets the report's HTML (one line when healthy)."""
    if _in_notebook():
        from IPython.display import display

        display(report)
        return
    print(compact(report), file=sys.stderr, flush=True)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    shell = shell.get_ipython() if shell is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def compact(report) -> str:
    """One line when healthy; otherwise the diagnoses, the plan and one line per finding."""
    from pymc_doctor.reports.safety import prepare

    report = prepare(report, cap_names=True)
    lines = [f"{PREFIX}: {report.verdict()}"]
    for diagnosis in report.diagnoses:
        lines.append(f"  {diagnosis.code} {diagnosis.title}")
    for number, step in enumerate(report.plan, 1):
        lines.append(f"  {number}. {step.description}")
        lines.extend(f"       {line}" for line in step.code.splitlines())
    for finding in report.findings:
        lines.append(f"  {finding.severity:<7} {finding.code} {finding.title}")
    if report.findings:
        lines.append("  The full report: pymc_doctor.last_report()")
    return "\n".join(lines)
