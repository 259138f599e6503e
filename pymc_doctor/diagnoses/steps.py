"""The steps of a treatment plan, as code in the user's names and as data that ``treat`` applies."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from pymc_doctor import remedies
from pymc_doctor.finding import PlanStep
from pymc_doctor.subject import Subject

# What a step costs, which orders the plan: cheap first.
LOOK = 0  # read the trace or the model again, no re-run
RESAMPLE = 1  # the same model, other sampler settings
SWITCH = 2  # another sampler, or one to install first
REWRITE = 3  # change the model: where the lasting fixes are


def sampler_of(subject: Subject) -> str | None:
    return subject.trace.sampler if subject.trace is not None else None


def resample(subject: Subject, description: str, *, lasting: bool = False, **options) -> PlanStep:
    """Re-sample the same model with other ``pm.sample`` options (``lasting`` when the setting was the cause).

    The action's keywords are those options alone: ``treat`` keeps the trace's sampler, as the code does.
    """
    return PlanStep(
        description,
        remedies.sample_call(sampler_of(subject), **options),
        lasting=lasting,
        cost=RESAMPLE,
        action={"kind": "sample", "kwargs": dict(options)},
    )


def switch_sampler(subject: Subject, backend: str, reason: str) -> list[PlanStep]:
    """Sample with ``backend`` when it is installed, or install it first; nothing when the trace came from it."""
    if sampler_of(subject) == backend:
        return []
    if importlib.util.find_spec(backend) is None:
        return [
            PlanStep(
                f'Install the {backend} sampler ({reason}), then sample with `nuts_sampler="{backend}"`.',
                f"pip install {backend}  # or: conda install -c conda-forge {backend}",
                cost=SWITCH,
            )
        ]
    return [
        PlanStep(
            f"Sample with {backend}: {reason}.",
            remedies.sample_call(backend),
            cost=SWITCH,
            action={"kind": "sampler", "sampler": backend},
        )
    ]


def sample_smc(description: str) -> PlanStep:
    """Sequential Monte Carlo, whose tempering moves between modes that NUTS chains cannot cross."""
    return PlanStep(
        description,
        f"with {remedies.model_variable()}:\n    idata = pm.sample_smc(chains=4)",
        cost=SWITCH,
        action={"kind": "sample_smc", "kwargs": {"chains": 4}},
    )


def noncentered(
    group: str, scale: str, location: str | None, dims: Sequence[str], shape: Sequence[int] = ()
) -> PlanStep:
    """The non-centered rewrite of ``group``, ``scale`` and ``location`` spelled as code."""
    return PlanStep(
        f"Rewrite `{group}` non-centered: a standard normal offset scaled by `{scale}` (the lasting fix).",
        remedies.noncentered_code(group, scale, location, dims, shape),
        lasting=True,
        cost=REWRITE,
        action={"kind": "noncentered", "group": group, "scale": scale, "location": location},
    )


def ordered(variable: str, size: int, dims: Sequence[str]) -> PlanStep:
    return PlanStep(
        f"Order the components of `{variable}` so that only one labeling exists (the lasting fix).",
        remedies.ordered_code(variable, size, dims),
        lasting=True,
        cost=REWRITE,
        action={"kind": "ordered", "variable": variable},
    )


def weak_prior(description: str, variable: str, code: str) -> PlanStep:
    """The lasting fix of a coefficient only its prior bounds: ``code`` declares it ``Normal(0, 2.5)``."""
    return PlanStep(
        description,
        code,
        lasting=True,
        cost=REWRITE,
        action={
            "kind": "prior",
            "variable": variable,
            "distribution": "Normal",
            "params": {"mu": 0, "sigma": remedies.WEAKLY_INFORMATIVE_SD},
        },
    )


def by_hand(description: str, code: str, *, lasting: bool = False, cost: int = REWRITE) -> PlanStep:
    """A step only a person can take: a change of the model or the data, or a look at the draws."""
    return PlanStep(description, code, lasting=lasting, cost=cost)
