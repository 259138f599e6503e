"""Values in the data that PyMC handles silently: NaN in observed data (imputed), NaN or inf in
covariates, non-integer counts (truncated) (MOD303, MOD306, MOD307)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pymc_doctor.checks.model.common import (
    finding,
    likelihood,
    model_facts,
    model_rule,
    shown_values,
    source_name,
)
from pymc_doctor.finding import Finding
from pymc_doctor.modelgraph import ModelFacts, dist_params, distribution_name, sources
from pymc_doctor.remedies.model import (
    drop_missing_code,
    drop_nonfinite_code,
    integer_counts_code,
    likelihood_code,
)
from pymc_doctor.subject import Subject
from pymc_doctor.wording import count

# --- MOD303


@dataclass(frozen=True)
class Imputed:
    """An observed variable ``base`` whose NaN PyMC imputes: ``missing`` values as a free variable."""

    base: str
    missing: int
    present: int
    array: str  # the user's array that holds the NaN
    likelihood: tuple[str, dict[str, str] | None]


def imputed_observations(f: ModelFacts) -> list[Imputed]:
    """Observed variables PyMC split into ``<name>_observed`` and a free ``<name>_unobserved``."""
    free = {rv.name: rv for rv in f.free}
    found = []
    for rv in f.observed:
        base = rv.name.removesuffix("_observed")
        unobserved = free.get(f"{base}_unobserved")
        if not rv.name.endswith("_observed") or unobserved is None:
            continue
        missing = int(np.prod(f.start_values[unobserved.name].shape))
        present = int(np.size(f.observed_values[rv.name]))
        candidates = [s for s in sources(f.namespace) if s.values is not None and s.values.size == missing + present]
        holding_nan = [s for s in candidates if np.isnan(s.values).sum() == missing]
        array = holding_nan[0].expr if holding_nan else f"{base}_values"
        found.append(Imputed(base, missing, present, array, likelihood(f, rv)))
    return found


@model_rule("MOD303", "missing-observed", severity="warning")
def missing_observed(subject: Subject) -> Iterator[Finding]:
    """NaN in observed data, which PyMC imputes automatically.

    What it checks: observed variables that PyMC split into `<name>_observed` and a free
    `<name>_unobserved` because the observed array held NaN (or was masked).

    Why it matters: every missing value becomes a parameter drawn from the likelihood: the model
    samples more (and discrete ones force a compound step) and predicts the gaps, which may not be
    what was intended; PyMC says so only with an `ImputationWarning`.

    Threshold: any imputed value.

    Example: `pm.Normal("y", mu, sigma, observed=np.array([1.2, np.nan, 0.7]))`.

    Fix: drop the incomplete rows (from every array indexed by row), or keep the imputation
    deliberately.
    """
    for found in imputed_observations(model_facts(subject)):
        base, missing = found.base, found.missing
        refit = likelihood_code(base, *found.likelihood, f"{found.array}[keep]")
        yield finding(
            "MOD303",
            "warning",
            f"{count(missing, 'missing value')} of `{base}` will be imputed",
            (
                f"The observed data of `{base}` hold {count(missing, 'NaN')} among {missing + found.present} "
                f"values, so PyMC imputes them: `{base}_unobserved` ({missing} values) is sampled as a parameter."
            ),
            variables=(base,),
            evidence={"missing": missing, "observed": found.present},
            fix="Drop the incomplete rows (from every array indexed by row) unless imputation is intended.",
            fix_code=drop_missing_code(found.array, refit),
        )


# --- MOD306


@dataclass(frozen=True)
class NonfiniteArray:
    """A data container (``kind`` "data") or a constant of the graph ("constant") holding NaN or inf."""

    label: str  # its name, "" for an unnamed constant
    kind: str
    shape: tuple[int, ...]
    nonfinite: int
    has_nan: bool
    positions: list  # the first five, as indices


def _nonfinite_array(label: str, value: np.ndarray, kind: str) -> NonfiniteArray:
    bad = ~np.isfinite(value)
    positions = [int(i[0]) if len(i) == 1 else tuple(int(j) for j in i) for i in np.argwhere(bad)[:5]]
    return NonfiniteArray(label, kind, value.shape, int(bad.sum()), bool(np.isnan(value).any()), positions)


def nonfinite_arrays(f: ModelFacts) -> list[NonfiniteArray]:
    """Data containers and constants in the graph (observed values aside) that hold NaN or inf; a constant
    all infinite is a legitimate bound (TruncatedNormal's upper)."""
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import ancestors

    found = [
        _nonfinite_array(name, value, "data")
        for name, value in f.data_values.items()
        if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all()
    ]
    observed_values = {id(f.model.rvs_to_values[rv]) for rv in f.observed}
    outputs = [p for rv in [*f.observed, *f.free] for p in dist_params(rv)] + list(f.model.deterministics)
    seen = set()
    for var in ancestors(outputs):
        if not isinstance(var, Constant) or id(var) in observed_values or id(var) in seen:
            continue
        seen.add(id(var))
        value = np.asarray(var.data)
        if not np.issubdtype(value.dtype, np.floating) or value.size == 0:
            continue
        mixed_inf = value.size > 1 and np.isinf(value).any() and np.isfinite(value).any()
        if np.isnan(value).any() or mixed_inf:
            found.append(_nonfinite_array(source_name(f, value, ""), value, "constant"))
    return found


@model_rule("MOD306", "nonfinite-data", severity="error")
def nonfinite_data(subject: Subject) -> Iterator[Finding]:
    """NaN or inf in covariates and other data.

    What it checks: data containers and the constant arrays in the graph (covariates, known
    scales) for NaN and infinite values; observed NaN is MOD303.

    Why it matters: a NaN covariate makes the log-probability nan without any warning (PyMC only
    imputes NaN in observed data): sampling stops at the starting point, far from the cause.

    Threshold: any NaN, or an array mixing finite and infinite values.

    Example: `mu = alpha + beta * x` with `x` holding one NaN.

    Fix: drop the incomplete rows from every per-row array, or impute the covariate explicitly.
    """
    for found in nonfinite_arrays(model_facts(subject)):
        label = found.label
        shown = f"`{label}`" if label else f"A constant array of shape {found.shape}"
        where = "a data container" if found.kind == "data" else "a constant in the graph"
        yield finding(
            "MOD306",
            "error",
            f"{shown} holds {'NaN' if found.has_nan else 'inf'}",
            (
                f"{shown} ({where}) has {count(found.nonfinite, 'non-finite value')} (at index "
                f"{', '.join(map(str, found.positions))}). The log-probability becomes nan without a warning."
            ),
            variables=(label,) if label else (),
            evidence={"nonfinite": found.nonfinite, "positions": found.positions, "kind": found.kind},
            fix="Drop the incomplete rows from every per-row array (data and observed alike), or impute them.",
            fix_code=drop_nonfinite_code(label or "x"),
        )


# --- MOD307


@dataclass(frozen=True)
class FractionalCounts:
    """Non-integer values, from ``source``, observed by the discrete likelihood ``name``."""

    name: str
    distribution: str
    source: str
    non_integer: int
    examples: list[float]  # the first four


def _truncated_source(f: ModelFacts, cast: np.ndarray) -> tuple[np.ndarray, str] | None:
    """The user's array, of non-integer values, that PyMC truncated into ``cast``."""
    for source in sources(f.namespace):
        values = source.values
        if values is None or values.size != cast.size or not np.isfinite(values).all():
            continue
        values = values.reshape(cast.shape)
        if (values != np.round(values)).any() and np.array_equal(np.trunc(values), cast):
            return values, source.expr
    return None


def fractional_counts(f: ModelFacts) -> list[FractionalCounts]:
    """Discrete observed variables whose data, as given (before PyMC's cast), hold non-integer values."""
    found = []
    for rv in f.observed:
        if rv.dtype.startswith("float"):
            continue
        raw = np.asarray(f.observed_raw[rv.name])
        given: tuple[np.ndarray, str] | None = (raw, f.observed_sources.get(rv.name, rv.name))
        if not (np.issubdtype(raw.dtype, np.floating) and (raw != np.round(raw)).any()):
            given = _truncated_source(f, np.asarray(f.observed_values[rv.name], dtype=float))
        if given is None:
            continue
        values, label = given
        fractional = values != np.round(values)
        shown = values[fractional][:4].tolist()
        found.append(FractionalCounts(rv.name, distribution_name(rv), label, int(fractional.sum()), shown))
    return found


@model_rule("MOD307", "non-integer-counts", severity="error")
def non_integer_counts(subject: Subject) -> Iterator[Finding]:
    """Non-integer values observed by a discrete likelihood.

    What it checks: the data of every discrete observed variable (Poisson, Binomial,
    NegativeBinomial, Bernoulli, ...), as given: in a data container before PyMC's cast, or as the
    array in the user's variables that PyMC truncated.

    Why it matters: PyMC casts the data to integers without a word (pymc#8282): 2.7 becomes 2, so
    the model fits data that are not yours.

    Threshold: any value with a fractional part.

    Example: `pm.Poisson("y", mu, observed=np.array([1.5, 2.7, 3.0]))`.

    Fix: round deliberately if the values are counts; otherwise use a continuous likelihood.
    """
    for found in fractional_counts(model_facts(subject)):
        name, label, first = found.name, found.source, found.examples[0]
        yield finding(
            "MOD307",
            "error",
            f"`{name}` ({found.distribution}) observes non-integer values",
            (
                f"{count(found.non_integer, 'value')} of `{label}`, observed by the discrete `{name}`, "
                f"{'is' if found.non_integer == 1 else 'are'} not integers ({shown_values(found.examples)}). PyMC "
                f"truncates them silently: {first:g} becomes {math.trunc(first)}."
            ),
            variables=(name,),
            evidence={"source": label, "non_integer": found.non_integer, "examples": found.examples},
            fix="Round deliberately if these are counts; otherwise use a continuous likelihood.",
            fix_code=integer_counts_code(name, label),
        )
