"""Sampling the built-in examples, quietly, with PyMC's own NUTS on either PyMC line."""

from __future__ import annotations

from collections.abc import Callable

from pymc_doctor.examples import EXAMPLES
from pymc_doctor.quiet import quiet


def draw_counter(total: int, progress: Callable[[str], None], every: int) -> Callable:
    """A ``pm.sample`` callback that reports the draws done (tuning included) each ``every`` percent."""
    done, reported = 0, -1

    def callback(trace, draw) -> None:
        nonlocal done, reported
        done += 1
        percent = 100 * done // total
        if percent // every != reported:
            reported = percent // every
            progress(f"sampling: {done} of {total} draws ({percent}%)")

    return callback


def sample_example(
    name: str,
    *,
    seed: int,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    progress: Callable[[str], None] | None = None,
    every: int = 10,
):
    """Sample a built-in example; PyMC's own logs and convergence warnings are muted (the doctor reports),
    and ``progress`` hears how many draws are done."""
    import pymc as pm

    model = EXAMPLES[name]()
    callback = draw_counter(chains * (draws + tune), progress, every) if progress else None
    with quiet("pymc"), model:
        return pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=seed,
            nuts_sampler="pymc",
            progressbar=False,
            compute_convergence_checks=False,
            callback=callback,
        )
