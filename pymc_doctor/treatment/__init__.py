"""``treat``: apply the plan's mechanical steps to a copy of the model, re-sample, and prove the cure.

Each step is applied on top of the ones before it, to a copy of the model, never the user's object.
After each, the model is sampled again with the same sampler, chains, draws, warm-up and seed, and
the sampling checks and diagnoses run again. It stops at the first step after which every symptom
is gone together (a step that only hides divergences while R-hat stays high has not cured), or when
the time budget is spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pymc_doctor.compat import trace_view
from pymc_doctor.finding import PlanStep, Report, Treatment, TreatmentStep
from pymc_doctor.quiet import quiet
from pymc_doctor.remedies.sampling import DEFAULT_NUTS, kept_step, sample_options
from pymc_doctor.runner import run_checks
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from pymc_doctor.treatment.rewrite import CannotApply, apply
from pymc_doctor.treatment.symptoms import is_better, is_cured, measure
from pymc_doctor.wording import count

Progress = Callable[[str], None]


def recheck(trace: TraceView, model: Any) -> Report:
    """The sampling checks and the diagnoses of a new run."""
    return run_checks(Subject(trace=trace, model=model), prefixes=["SMP"])


def sampling_call(
    model: Any, trace: TraceView, options: dict[str, Any], random_seed: int, progressbar: bool
) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The PyMC function and keywords that sample ``model`` as ``trace`` was sampled (sampler, chains,
    draws, warm-up), with ``options`` added.

    ``options`` may name another sampler (``sampler``) or ask for SMC (``smc``, its keywords). A
    Metropolis or slice trace keeps its step, built in the model's context, as the plan's code spells
    it (``step=pm.Metropolis()``), unless a step switched the sampler or tunes NUTS (``target_accept``...,
    which PyMC refuses beside ``step=``). A compound trace gets no
    ``step=``: PyMC assigns NUTS and Metropolis-family steps again, which is all a trace tells of them.
    """
    import pymc as pm

    options = dict(options)
    shape = {"draws": trace.draws, "chains": trace.chains}
    common = {"random_seed": random_seed, "progressbar": progressbar}
    smc = options.pop("smc", None)
    if smc is not None:
        return pm.sample_smc, {**common, **shape, **smc}
    switched = options.pop("sampler", None)
    step = None if switched else kept_step(trace.sampler, options)
    # ``sample_options`` gives a gradient-free or compound trace's name the line's default NUTS, as it
    # gives DEFAULT_NUTS: what pm.sample() picks with no step=.
    sampler = None if switched == DEFAULT_NUTS else switched or trace.sampler
    kwargs = {
        **common,
        **shape,
        # The doctor checks the run itself; PyMC's own warnings would only interrupt the progress lines.
        "compute_convergence_checks": False,
        "tune": trace.tuning_steps if trace.tuning_steps is not None else 1000,
        **sample_options(sampler, **options),
    }
    if step is not None:
        with model:
            kwargs["step"] = getattr(pm, step)()
    return pm.sample, kwargs


def sample(model: Any, trace: TraceView, options: dict[str, Any], random_seed: int, progressbar: bool) -> Any:
    """Sample ``model`` as ``sampling_call`` spells it; PyMC's logs and warnings, which the checks of the
    run repeat, are muted."""
    function, kwargs = sampling_call(model, trace, options, random_seed, progressbar)
    with quiet("pymc"), model:
        return function(**kwargs)


def treat(
    model: Any,
    trace: TraceView,
    report: Report,
    *,
    budget: float = 600.0,
    random_seed: int = 20261202,
    progress: Progress | None = None,
    progressbar: bool = False,
) -> Treatment:
    """Try the plan's mechanical steps in order on a copy of ``model`` until one cures (see the module).

    ``progress`` hears which step is tried, when its sampling starts and ends, and how it went;
    ``progressbar`` shows PyMC's own bar while sampling.
    """
    say = progress or (lambda message: None)
    steps = [step for step in report.plan if step.action is not None]
    by_hand = tuple(step.description for step in report.plan if step.action is None)
    if not steps:
        return Treatment(steps=(), outcome="nothing to apply", by_hand=by_hand)
    start, initial = time.perf_counter(), measure(trace, report)
    symptoms = initial
    current, options, done, last_seconds = model, {}, [], 0.0
    for number, step in enumerate(steps, 1):
        if time.perf_counter() - start + last_seconds > budget:
            note = f"The time budget ({budget:.0f} s) was spent before {len(steps) - len(done)} step(s) could run."
            say(note)
            return _finish(done, initial, by_hand, note)
        say(f"Step {number}/{len(steps)}: {step.description}")
        result = _try(step, current, options, trace, random_seed, symptoms, say, progressbar)
        done.append(result.record)
        say(f"Step {number}/{len(steps)} done in {result.record.seconds:.0f} s: {_verdict(result.record)}")
        last_seconds = result.record.seconds
        if result.record.error:
            continue
        current, options, symptoms = result.model, result.options, result.record.after
        if result.record.cured:
            break
    return _finish(done, initial, by_hand, "")


class _Result:
    def __init__(self, record: TreatmentStep, model: Any = None, options: dict[str, Any] | None = None):
        self.record, self.model, self.options = record, model, options


def _try(step: PlanStep, model, options, trace, random_seed, symptoms, say: Progress, progressbar: bool) -> _Result:
    started = time.perf_counter()

    def record(after: dict[str, Any], cured: bool, error: str = "", sampler: str = "") -> TreatmentStep:
        seconds = round(time.perf_counter() - started, 1)
        return TreatmentStep(step.description, step.code, symptoms, after, seconds, cured, error, sampler)

    try:
        treated, added = apply(model, step.action, trace.posterior)
    except CannotApply as exc:
        return _Result(record({}, False, f"not applied: {exc}"))
    combined = {**options, **added}
    say(f"sampling: {count(trace.chains, 'chain')} × {trace.draws} draws")
    sampling = time.perf_counter()
    try:
        idata = sample(treated, trace, combined, random_seed, progressbar)
        new_trace = trace_view(idata, source="treat")
    except Exception as exc:  # a step that breaks sampling is reported, and the next one tried
        return _Result(record({}, False, f"sampling failed: {type(exc).__name__}: {exc}"))
    say(f"sampled with {new_trace.sampler} in {time.perf_counter() - sampling:.0f} s; checking the new run")
    after_report = recheck(new_trace, treated)
    after = measure(new_trace, after_report)
    return _Result(record(after, is_cured(after_report), sampler=new_trace.sampler), treated, combined)


def _verdict(record: TreatmentStep) -> str:
    if record.error:
        return record.error
    return "cured" if record.cured else "not cured yet"


def _finish(done: list[TreatmentStep], initial: dict[str, Any], by_hand: tuple[str, ...], note: str) -> Treatment:
    if any(step.cured for step in done):
        outcome = "cured"
    elif any(step.after and is_better(initial, step.after) for step in done):
        outcome = "improved"
    else:
        outcome = "not cured"
    return Treatment(steps=tuple(done), outcome=outcome, by_hand=by_hand, note=note)
