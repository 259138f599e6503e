"""pymc-doctor: finds what is wrong with a PyMC installation, model or trace, and says how to fix it.

Heavy libraries (PyMC, ArviZ) are imported only when a check needs them, so the command line and
``pymc-doctor rules`` start fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pymc_doctor.version import __version__

if TYPE_CHECKING:
    from pymc_doctor.reports import Report

__all__ = ["__version__", "check", "env", "explain", "last_report", "lint", "treat", "unwatch", "watch"]
# Set to 1 (or true, yes, on), it switches ``watch()`` on as soon as pymc_doctor is imported; PyMC's
# functions are wrapped when the user imports PyMC, which importing pymc_doctor does not do.
WATCH_VARIABLE = "PYMC_DOCTOR_WATCH"


def check(
    idata: Any = None,
    *,
    model: Any = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    thresholds: dict[str, Any] | None = None,
    source: str | None = None,
    namespace: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Check a trace, a model, or both.

    ``idata`` is an ArviZ ``InferenceData``, an ``xarray.DataTree`` or the path of a netCDF/zarr file;
    a ``pm.Model`` passed in its place is taken as ``model``. With a model the model checks run too,
    and post-sampling findings use its graph (divergences point to the variable to rewrite).
    ``select``/``ignore`` take rule codes, code prefixes or names (``"SMP1"``, ``"divergences"``);
    ``thresholds`` overrides rule parameters by name (``{"max_rhat": 1.05}``; see ``pymc-doctor rules``).
    ``source`` names the trace in reports (by default its file name or type). ``namespace`` holds the
    user's variables, to trace data back to DataFrames and name arrays (by default the caller's).
    ``progress``, when given, is told before a check computes from the model (the fit checks' posterior
    predictive draws and log-likelihood, at most ``draw_seconds``, 30 s, in all).
    Raises ``pymc_doctor.compat.TraceError`` when the input cannot be read as a trace.
    """
    if _is_model(idata):
        if model is not None:
            raise TypeError("pass the model once: check(model) or check(idata, model=model)")
        idata, model = None, idata
    if idata is None and model is None:
        raise TypeError("check() needs a trace, a model, or both")
    if model is not None and namespace is None:
        namespace = _caller_namespace()
    from pymc_doctor.quiet import quiet

    # Reading the trace and describing the model call into the libraries too: none of them speaks past the doctor.
    with quiet("pymc", "pytensor", "arviz"):
        return _check(idata, model, select, ignore, thresholds, source, namespace, progress)


def lint(
    model: Any,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    thresholds: dict[str, Any] | None = None,
    namespace: dict[str, Any] | None = None,
) -> Report:
    """Check a ``pm.Model`` before sampling: priors, starting point, data, shapes and dims,
    parameterization and prior predictive (the ``MOD`` rules).

    The model and every random state are left as they were. ``namespace`` holds the user's
    variables (by default the caller's), to trace data back to DataFrames and name arrays.
    """
    if not _is_model(model):
        raise TypeError(f"lint() takes a pm.Model, not a {type(model).__name__}")
    if namespace is None:
        from pymc_doctor.watching import capture

        # What the model was built from, where it was built while watching (inside a function, say).
        namespace = {**_caller_namespace(), **capture.namespace(model)}
    return _check(None, model, select, ignore, thresholds, None, namespace)


def explain(error: BaseException | str) -> Report:
    """Explain an exception raised while building or sampling a model, or the text of a traceback."""
    from pymc_doctor.errortext import ErrorText
    from pymc_doctor.reports import Report
    from pymc_doctor.runner import run_checks
    from pymc_doctor.subject import Subject

    parsed = ErrorText.from_error(error)
    report = run_checks(Subject(error=parsed), prefixes=["EXP"])
    report.context["error"] = parsed.summary()
    return Report.of(report)


def _is_model(value: Any) -> bool:
    import sys

    pymc = sys.modules.get("pymc")  # an object cannot be a pm.Model unless PyMC is imported
    return pymc is not None and isinstance(value, pymc.Model)


def _caller_namespace() -> dict[str, Any]:
    """The variables of whoever called the public function (a notebook's globals, a function's locals)."""
    import sys

    frame = sys._getframe(2)
    return {**frame.f_globals, **frame.f_locals}


def _name_of(model: Any, namespace: dict[str, Any] | None) -> str | None:
    """The name the caller's namespace binds to ``model`` (not IPython's ``_``-prefixed history)."""
    if model is None or not namespace:
        return None
    return next((name for name, value in namespace.items() if value is model and not name.startswith("_")), None)


def _check(idata, model, select, ignore, thresholds, source, namespace, progress=None) -> Report:
    from pathlib import Path

    from pymc_doctor.compat import trace_view
    from pymc_doctor.reports import Report
    from pymc_doctor.runner import run_checks
    from pymc_doctor.subject import Subject

    trace = None
    if idata is not None:
        if source is None:
            source = Path(idata).name if isinstance(idata, (str, Path)) else type(idata).__name__
        trace = trace_view(idata, source=source)
    subject = Subject(trace=trace, model=model, model_name=_name_of(model, namespace), progress=progress)
    if model is None:
        return Report.of(run_checks(subject, select=select, ignore=ignore, thresholds=thresholds))
    from pymc_doctor.modelgraph import describe, session

    with session(model, namespace):
        report = run_checks(subject, select=select, ignore=ignore, thresholds=thresholds)
        report.context["model"] = describe(model)
    return Report.of(report)


def env(
    *,
    quick: bool = False,
    fresh: bool = False,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    thresholds: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Check this Python installation for PyMC: versions, BLAS, compiler, samplers, threads, a smoke test.

    Probes that import PyTensor or PyMC, compile or sample run in child processes with time limits;
    ``quick`` skips the compile probe and the smoke test. Their results are reused while nothing in
    the installation changes (for a day at most, and only results that found nothing wrong);
    ``fresh`` runs every probe again. ``select``/``ignore``/``thresholds`` work as in ``check``,
    over the ``ENV`` rules. ``progress``, when given, is told what is reused and what each probe
    does as it runs (the command shows it on a terminal).
    """
    from pymc_doctor.catalog import resolve_thresholds, select_rules
    from pymc_doctor.checks.environment import PROBE_READERS
    from pymc_doctor.probes import collect
    from pymc_doctor.reports import Report
    from pymc_doctor.runner import run_checks
    from pymc_doctor.subject import Subject

    rules = select_rules(select or ["ENV"], ignore, prefixes=["ENV"])
    if not rules:
        raise ValueError("no environment rule is selected (see `pymc-doctor rules`)")
    resolve_thresholds(rules, thresholds, ["ENV"])  # a bad threshold fails now, not after the probes ran
    codes = [r.code for r in rules]
    # The optional probes run only for the rules that read them.
    probes = [probe for probe, readers in PROBE_READERS.items() if set(readers) & set(codes)]
    facts = collect(quick=quick, probes=probes, fresh=fresh, progress=progress)
    report = run_checks(Subject(env=facts), select=codes, thresholds=thresholds, prefixes=["ENV"])
    report.context["environment"] = facts.summary()
    return Report.of(report)


def treat(
    model: Any,
    idata: Any = None,
    *,
    budget: float = 600.0,
    random_seed: int = 20261202,
    progress: bool | Callable[[str], None] = False,
    namespace: dict[str, Any] | None = None,
) -> Report:
    """Check a model and its trace, then prove the cure: apply the plan's mechanical steps to a copy
    of the model one at a time, re-sample with the same sampler and seed, and re-check, until every
    symptom is gone or ``budget`` seconds are spent.

    Without ``idata`` the model is sampled first (``pm.sample`` with its defaults and ``random_seed``).
    The returned report carries ``treatment``: each step with its symptoms before and after, the time
    it took, the sampler of its run and whether it cured, and the outcome. The model, the trace and every
    random state are left as they were. ``progress=True`` prints each step, when its sampling starts and
    ends, and PyMC's progress bar to standard error; a function given as ``progress`` hears those lines
    instead (the command line shows them as its progress line), and no bar is drawn.
    """
    import sys
    import time

    from pymc_doctor.compat import trace_view
    from pymc_doctor.treatment import treat as run_treatment
    from pymc_doctor.watching.hooks import paused

    if not _is_model(model):
        raise TypeError(f"treat() takes a pm.Model, not a {type(model).__name__}")
    if namespace is None:
        namespace = _caller_namespace()
    if callable(progress):
        say, progressbar = progress, False
    else:

        def say(message: str) -> None:
            if progress:
                print(message, file=sys.stderr, flush=True)

        progressbar = bool(progress)
    with paused():  # the doctor's own sampling is not shown as the user's while watching
        if idata is None:
            import pymc as pm

            say("Sampling the model first: no trace was given")
            started = time.perf_counter()
            with model:
                idata = pm.sample(random_seed=random_seed, progressbar=progressbar)
            say(f"sampled in {time.perf_counter() - started:.0f} s; checking it")
        report = _check(idata, model, None, None, None, None, namespace)
        report.treatment = run_treatment(
            model,
            trace_view(idata),
            report,
            budget=budget,
            random_seed=random_seed,
            progress=say,
            progressbar=progressbar,
        )
    return report


def watch() -> None:
    """Check every sampling run from now on: after each ``pm.sample`` (any ``nuts_sampler``) or
    ``pm.sample_smc``, the trace is checked with its model and a compact verdict is shown (the report
    in a notebook, a few lines on standard error elsewhere); ``last_report()`` holds the full report.

    While watching, what is handed to PyMC as a model is built (DataFrames, Series, fractional counts)
    is noted, so the model checks name it even when the model was built inside a function. The trace,
    the model and the sampling result are never changed, and a failure of the doctor never stops the
    run. Also switched on by ``%load_ext pymc_doctor``, ``PYMC_DOCTOR_WATCH=1`` and ``pymc-doctor run``.
    """
    from pymc_doctor.watching.hooks import start

    start(_watched_check)


def unwatch() -> None:
    """Stop watching: PyMC's functions are the very objects they were before ``watch()``."""
    from pymc_doctor.watching.hooks import stop

    stop()


def last_report() -> Report | None:
    """The report on the last sampling run checked while watching."""
    from pymc_doctor.watching.hooks import last_report as last

    return last()


def _watched_check(idata, model, namespace) -> Report:
    return _check(idata, model, None, None, None, None, namespace)


def load_ipython_extension(ipython) -> None:
    """``%load_ext pymc_doctor``: watch every sampling run of the session."""
    watch()


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext pymc_doctor``: stop watching."""
    unwatch()


if os.environ.get(WATCH_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on"):
    watch()
