"""What the diagnoses measure on the draws themselves (NumPy on the posterior and the prior)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from pymc_doctor.diagnostics import diagnostics_of
from pymc_doctor.trace import TraceView

# Elements whose correlations are measured: the least efficient ones, where a ridge shows.
MAX_CORRELATED = 50
# PyMC's, nutpie's and numpyro's default target acceptance.
DEFAULT_TARGET_ACCEPT = 0.8


def correlations(trace: TraceView, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The correlation matrices of elements within chains (each chain's mean removed) and over all draws.

    Chains in different modes correlate elements between chains (two labelings of a mixture put
    ``a`` high where ``b`` is low): only the draws within a chain show a ridge. Over all draws, a
    ridge the chains spread along shows its full length.
    """
    draws = trace.elements(labels)
    values = np.stack([draws[label].values for label in labels]).astype(float)
    within = values - values.mean(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (
            np.atleast_2d(np.corrcoef(within.reshape(len(labels), -1))),
            np.atleast_2d(np.corrcoef(values.reshape(len(labels), -1))),
        )


def strongest_pairs(trace: TraceView, labels: Sequence[str], threshold: float) -> list[tuple[str, str, float, float]]:
    """``(a, b, within, overall)`` for the pairs of elements whose within-chain correlation reaches
    ``threshold`` in size, strongest first."""
    if len(labels) < 2:
        return []
    within, overall = (np.nan_to_num(matrix) for matrix in correlations(trace, labels))
    rows, columns = np.nonzero(np.abs(np.triu(within, k=1)) >= threshold)
    pairs = [
        (labels[i], labels[j], float(within[i, j]), float(overall[i, j])) for i, j in zip(rows, columns, strict=True)
    ]
    return sorted(pairs, key=lambda pair: -abs(pair[2]))


def least_efficient(trace: TraceView, limit: int = MAX_CORRELATED) -> list[str]:
    """The labels of the elements with the lowest bulk ESS."""
    table = diagnostics_of(trace).table
    return list(table.sort_values("ess_bulk", kind="stable")["label"].head(limit))


def size_of(trace: TraceView, name: str) -> int:
    """How many scalar elements a variable has."""
    return math.prod(trace.posterior[name].sizes[dim] for dim in trace.dims_of(name))


def lag_one_autocorrelation(trace: TraceView, label: str) -> np.ndarray:
    """Each chain's lag-1 autocorrelation of one element: near 1 for a chain that crawls rather than mixes."""
    values = trace.elements([label])[label].values.astype(float)
    centered = values - values.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (centered[:, 1:] * centered[:, :-1]).sum(axis=1) / (centered * centered).sum(axis=1)


def is_positive(trace: TraceView, name: str) -> bool:
    return bool((trace.draws_of(name) > 0).all())


def posterior_sds(trace: TraceView) -> dict[str, float]:
    """Each variable's largest posterior sd over its elements (the scale the sampler must cover)."""
    table = diagnostics_of(trace).table
    sds = table.groupby("variable", sort=False)["sd"].max()
    return {str(name): float(sd) for name, sd in sds.items() if np.isfinite(sd) and sd > 0}


def mean_acceptance(trace: TraceView) -> np.ndarray | None:
    """Each chain's mean acceptance statistic, or None when the sampler did not record one."""
    accept = trace.stat("accept")
    return None if accept is None else np.nanmean(accept.astype(float), axis=1)


def target_acceptance(trace: TraceView) -> float:
    return trace.target_accept or DEFAULT_TARGET_ACCEPT


def prior_positions(trace: TraceView, model, names: Sequence[str]) -> list[dict]:
    """Where each element's posterior sits in its prior: its shift and its sd, in prior sds.

    The prior draws are the seeded ones the model checks share (``ModelFacts.prior``).
    """
    from pymc_doctor.modelgraph import facts

    prior = facts(model).prior
    positions = []
    for name in names:
        if name not in prior or name not in trace.posterior:
            continue
        prior_draws = np.asarray(prior[name], dtype=float).reshape(len(prior[name]), -1)
        posterior_draws = trace.draws_of(name).reshape(-1, prior_draws.shape[1])
        prior_sd = prior_draws.std(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            shift = (posterior_draws.mean(axis=0) - prior_draws.mean(axis=0)) / prior_sd
            ratio = posterior_draws.std(axis=0) / prior_sd
        for label, element_shift, element_ratio, sd in zip(
            trace.element_labels(name), shift, ratio, prior_sd, strict=True
        ):
            positions.append(
                {"label": label, "shift": float(element_shift), "sd_ratio": float(element_ratio), "prior_sd": float(sd)}
            )
    return positions
