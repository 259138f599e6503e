"""``pm.sample``'s keyword arguments for the installed PyMC line and the sampler that made a trace."""

from __future__ import annotations

from typing import Any

from pymc_doctor.remedies.lines import pymc_major

EXTERNAL_SAMPLERS = ("nutpie", "numpyro", "blackjax")
# PyMC's gradient-free steps, as ``TraceView.sampler`` names them, and the class (``pm.<name>``) whose
# ``step=`` keeps each: the plan's code spells it, and ``treat`` builds it.
GRADIENT_FREE_STEPS = {"metropolis": "Metropolis", "slice": "Slice"}
# A plan's switch to whatever NUTS ``pm.sample()`` picks with no ``step=`` (nutpie on PyMC 6 where installed).
DEFAULT_NUTS = "nuts"
# Settings only NUTS reads: a re-run that asks for one is a NUTS run (PyMC rejects them beside step=).
NUTS_SETTINGS = ("target_accept", "max_treedepth", "init")


def kept_step(sampler: str | None, options: dict[str, Any]) -> str | None:
    """The class of the gradient-free step a re-run of a ``sampler`` trace keeps, or None: a re-run
    that tunes NUTS (``NUTS_SETTINGS``) samples with NUTS."""
    if sampler not in GRADIENT_FREE_STEPS or any(options.get(key) is not None for key in NUTS_SETTINGS):
        return None
    return GRADIENT_FREE_STEPS[sampler]


def step_note(sampler: str | None) -> tuple[str, str]:
    """What a re-run of a ``sampler`` trace must say, and the ``step=`` argument (code) that keeps it.

    A Metropolis or slice run keeps its step, and says that NUTS mixes continuous variables far better;
    a compound run (NUTS beside other steps) says which steps PyMC picks again when ``step=`` is left out.
    """
    if sampler in GRADIENT_FREE_STEPS:
        name = sampler.capitalize()
        note = f"# keeps the {name} step this trace used; for continuous variables NUTS mixes far better: drop step="
        return note, f"pm.{GRADIENT_FREE_STEPS[sampler]}()"
    if sampler == "compound":
        note = (
            "# no step=: PyMC picks NUTS for the continuous variables and Metropolis-family steps for the discrete"
            " ones; pass the step= you gave to keep your own"
        )
        return note, ""
    return "", ""


def _max_depth(sampler: str | None, depth: int) -> dict[str, Any]:
    """How the installed PyMC passes a maximum tree depth to each NUTS implementation."""
    if pymc_major() >= 6:
        key = "max_tree_depth" if sampler in ("numpyro", "blackjax") else "max_treedepth"
        return {"nuts": {key: depth}}
    if sampler == "nutpie":
        return {"nuts_sampler_kwargs": {"maxdepth": depth}}
    if sampler in ("numpyro", "blackjax"):
        return {"nuts_sampler_kwargs": {"nuts_kwargs": {"max_tree_depth": depth}}}
    return {"nuts": {"max_treedepth": depth}}


def sample_options(
    sampler: str | None = None,
    *,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    target_accept: float | None = None,
    max_treedepth: int | None = None,
    init: str | None = None,
    initvals: Any = None,
) -> dict[str, Any]:
    """``pm.sample`` keywords that keep the sampler the trace used (``sampler`` as ``TraceView.sampler``
    names it) and add these options.

    PyMC 6 picks nutpie when it is installed (and then ignores ``init``), so there a run of PyMC's
    own NUTS, or one that asks for ``init``, pins ``nuts_sampler="pymc"``.
    """
    external = sampler if sampler in EXTERNAL_SAMPLERS and init is None else None
    options: dict[str, Any] = {}
    if external:
        options["nuts_sampler"] = external
    elif pymc_major() >= 6 and (init is not None or sampler == "pymc-nuts"):
        options["nuts_sampler"] = "pymc"
    given = {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "target_accept": target_accept,
        "init": init,
        "initvals": initvals,
    }
    options.update({key: value for key, value in given.items() if value is not None})
    if max_treedepth is not None:
        options.update(_max_depth(external, max_treedepth))
    return options
