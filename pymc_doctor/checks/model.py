"""Model checks: what is wrong with a ``pm.Model`` before the sampler runs.

Every check reads the model through ``modelgraph.facts``, which evaluates small pieces of the graph
at the initial point (never the gradient) and leaves the model and every random state as they were.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence

import numpy as np

from pymc_doctor import remedies
from pymc_doctor.finding import Finding, PlotRequest
from pymc_doctor.modelgraph import (
    ModelFacts,
    Source,
    batch_shape,
    centered_groups,
    constant_value,
    dist_params,
    distribution_name,
    expression,
    facts,
    matching_sources,
    nice,
    parameter_names,
    plain_scalar_rv,
    sources,
    transparent_base,
)
from pymc_doctor.registry import CannotCheck, rule
from pymc_doctor.subject import Subject

MODEL = "model"
SCALE_PARAMETERS = {"sigma", "tau", "sd", "b", "s", "scale"}
CAUCHY_LIKE = {"Cauchy", "HalfCauchy", "Gumbel"}  # whose `beta` is a scale
HALF_NORMAL_MEDIAN = 0.674  # the median of |Normal(0, 1)|: turns a typical magnitude into a sigma


def _facts(subject: Subject) -> ModelFacts:
    return facts(subject.model)


def _names(labels: Sequence[str], limit: int = 5) -> str:
    labels = list(labels)
    shown = ", ".join(f"`{label}`" for label in labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _values(values: np.ndarray, limit: int = 4) -> str:
    shown = ", ".join(f"{v:.4g}" for v in np.ravel(values)[:limit])
    return shown + (", …" if np.size(values) > limit else "")


def _example(values: Sequence[float]) -> float:
    """A readable one among the test values a prior allows: not the one a hair past the bound."""
    ordered = sorted(values, key=abs)
    return ordered[min(1, len(ordered) - 1)]


def _finding(code: str, severity: str, title: str, message: str, **fields) -> Finding:
    return Finding(code=code, severity=severity, category=MODEL, title=title, message=message, docs=code, **fields)


def _typical_magnitude(f: ModelFacts, name: str) -> float | None:
    """How large a variable's prior draws typically are (their median absolute value)."""
    draws = f.prior.get(name)
    if draws is None:
        return None
    values = np.abs(np.asarray(draws, dtype=float))
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size and np.median(values) > 0 else None


def _source_name(f: ModelFacts, values: np.ndarray, fallback: str) -> str:
    """The user's name for an array of the model, from their namespace; ``fallback`` when not found."""
    found = matching_sources(values, sources(f.namespace))
    return found[0].expr if found else fallback


def _as_array(f: ModelFacts, values: np.ndarray, fallback: str) -> str:
    """The user's spelling of an array of the model as a NumPy array (DataFrame columns get ``.to_numpy()``)."""
    found = matching_sources(values, sources(f.namespace))
    if not found:
        return fallback
    return found[0].expr if found[0].library == "numpy" else f"{found[0].expr}.to_numpy()"


def _identifier(expr: str, fallback: str) -> str:
    """A Python name for an array the user spells ``expr``: itself, a DataFrame column's name, or ``fallback``."""
    if expr.isidentifier():
        return expr
    column = re.fullmatch(r'\w+\["(\w+)"\]', expr)
    return column.group(1) if column and column.group(1).isidentifier() else fallback


def _dims_for_length(f: ModelFacts, length: int) -> list[str]:
    return [dim for dim, size in f.coord_lengths.items() if size == length]


def _likelihood_call(f: ModelFacts, rv, observed: str, dims: Sequence[str] = ()) -> str:
    """The observed variable's declaration in the user's names, with new ``observed`` (and dims)."""
    params = dist_params(rv)
    names = parameter_names(rv)
    spelled = [expression(p, f.names) for p in params]
    dims_arg = remedies.dims_argument(dims)
    if names and all(spelled):
        args = ", ".join(f"{n}={e}" for n, e in zip(names, spelled, strict=True))
        return f'pm.{distribution_name(rv)}("{rv.name}", {args}, observed={observed}{dims_arg})'
    return f'# in pm.{distribution_name(rv)}("{rv.name}", ...), pass observed={observed}{dims_arg}'


# ---------------------------------------------------------------------------------------------
# Priors and support


def _probability_pairs(f: ModelFacts) -> set[tuple[int, int]]:
    """(term, variable) pairs whose constraint bounds the variable above by 1: a probability."""
    return {
        (id(c.term), id(c.variable))
        for c in f.constraints
        if c.relation in ("<", "<=") and c.bound == 1 and not c.sign_only
    }


def _role(constraint) -> str:
    term = constraint.term
    dist = distribution_name(term)
    if constraint.parameter:
        return f"the `{constraint.parameter}` of `{term.name}` ({dist})"
    return f"a parameter of `{term.name}` ({dist})"


def _positive_kind(constraint) -> str:
    dist = distribution_name(constraint.term)
    parameter = constraint.parameter or ""
    if parameter in SCALE_PARAMETERS or (parameter == "beta" and dist in CAUCHY_LIKE):
        return "scale"
    return "rate"


@rule("MOD101", "scale-prior-sign", category=MODEL, severity="error", needs=("model",))
def scale_prior_sign(subject: Subject) -> Iterator[Finding]:
    """A scale, rate or other positive parameter whose prior allows negative values.

    What it checks: every parameter that PyMC requires to be positive (it checks `sigma > 0`,
    `mu >= 0` for a Poisson rate, `alpha > 0, beta > 0` for a Gamma), found in the graph from how
    a variable is used, not from its name; the check fires when the free variable feeding it
    (directly, indexed, broadcast or rescaled) has a prior that puts mass below zero.

    Why it matters: wherever the sampler proposes a negative value the log-probability is -inf.
    PyMC's jitter often finds a positive start, so the model may run, with divergences, or stop
    with "Bad initial energy" (the talk's `Normal` prior on `sigma`).

    Threshold: any prior that gives a finite density to a value below the bound.

    Example: `sigma = pm.Normal("sigma", 0, 1)` used as `pm.Normal("y", mu, sigma, observed=y)`.

    Fix: a prior on positive values: `HalfNormal` (or `Exponential`) for a scale, `Gamma` for a
    rate, at a scale read from the data or from the prior you gave.
    """
    f = _facts(subject)
    probabilities = _probability_pairs(f)
    flagged: dict[int, list] = {}
    for constraint in f.constraints:
        if constraint.relation not in (">", ">=") or constraint.bound != 0:
            continue
        if (id(constraint.term), id(constraint.variable)) in probabilities:
            continue
        flagged.setdefault(id(constraint.variable), []).append(constraint)
    for uses in flagged.values():
        variable = uses[0].variable
        allowed = f.allows(variable, uses[0].violations())
        if not allowed:
            continue
        name = variable.name
        dims = f.dims_of(name)
        roles = "; ".join(dict.fromkeys(f"{_role(c)}, which must satisfy {c.message}" for c in uses))
        kind = _positive_kind(uses[0])
        observed_terms = [c.term.name for c in uses if c.term in f.observed]
        if kind == "scale":
            data_scale = f.data_scale(observed_terms[0]) if observed_terms else None
            magnitude = _typical_magnitude(f, name)
            if data_scale:
                sigma, reason = data_scale, f"the sd of the data of `{observed_terms[0]}`"
            elif magnitude:
                sigma, reason = magnitude / HALF_NORMAL_MEDIAN, "the magnitude of the prior you gave"
            else:
                sigma, reason = 1.0, "unit scale"
            code = remedies.prior_code(name, "HalfNormal", {"sigma": nice(sigma)}, dims)
            fix = f"Give `{name}` a prior on positive values: HalfNormal (or Exponential), here at {reason}."
        else:
            mean = _typical_magnitude(f, name) or 1.0
            code = remedies.prior_code(name, "Gamma", {"alpha": "2", "beta": nice(2 / mean)}, dims)
            fix = (
                f"Give `{name}` a prior on positive values: a Gamma with the mean of the prior you gave ({nice(mean)})."
            )
        yield _finding(
            "MOD101",
            "error",
            f"`{name}` must be positive but its prior allows negative values",
            (
                f"`{name}` has a {distribution_name(variable)} prior, which allows values such as "
                f"{_example(allowed):g}, but it is {roles}. Wherever the sampler proposes such a value the "
                'log-probability is -inf: expect divergences or "Bad initial energy".'
            ),
            variables=(name,),
            evidence={
                "prior": distribution_name(variable),
                "used_by": sorted({c.term.name for c in uses}),
                "constraints": sorted({c.message for c in uses}),
                "allowed_values": allowed,
            },
            fix=fix,
            fix_code=code,
        )


@rule("MOD102", "probability-prior", category=MODEL, severity="error", needs=("model",))
def probability_prior_range(subject: Subject) -> Iterator[Finding]:
    """A probability whose prior leaves [0, 1].

    What it checks: every parameter PyMC requires to lie in [0, 1] (`p` of a Bernoulli, Binomial,
    Geometric, ...) that a free variable feeds directly (indexed or broadcast), and whether that
    variable's prior puts mass below 0 or above 1.

    Why it matters: outside [0, 1] the likelihood is -inf; the sampler diverges or cannot start.

    Threshold: any prior with a finite density outside [0, 1].

    Example: `p = pm.Normal("p", 0.5, 0.2)` used as `pm.Binomial("k", n=10, p=p, observed=k)`.

    Fix: a `Beta` prior (with the mean and sd of the prior you gave), or a real-valued variable
    passed through `pm.math.invlogit`.
    """
    f = _facts(subject)
    pairs = _probability_pairs(f)
    grouped: dict[int, list] = {}
    for constraint in f.constraints:
        if (id(constraint.term), id(constraint.variable)) in pairs:
            grouped.setdefault(id(constraint.variable), []).append(constraint)
    for uses in grouped.values():
        variable = uses[0].variable
        allowed = sorted({v for c in uses for v in f.allows(variable, c.violations())})
        if not allowed:
            continue
        name = variable.name
        terms = sorted({c.term.name for c in uses})
        below, above = [v for v in allowed if v < 0], [v for v in allowed if v > 1]
        alpha, beta = 1.0, 1.0
        if name in f.prior:  # match the mean and sd of the prior given; else Beta(1, 1), uniform on [0, 1]
            draws = np.clip(np.asarray(f.prior[name], dtype=float), 1e-3, 1 - 1e-3)
            mean, var = float(draws.mean()), float(draws.var())
            common = mean * (1 - mean) / var - 1 if var > 0 else 0
            if common > 0:
                alpha, beta = mean * common, (1 - mean) * common
        yield _finding(
            "MOD102",
            "error",
            f"Probability `{name}` has a prior outside [0, 1]",
            (
                f"`{name}` is used as {_role(uses[0])}, a probability (PyMC checks {uses[0].message}), but its "
                f"{distribution_name(variable)} prior allows values such as "
                f"{' and '.join(f'{_example(side):g}' for side in (below, above) if side)}. "
                "Outside [0, 1] the log-probability is -inf."
            ),
            variables=(name,),
            evidence={"prior": distribution_name(variable), "used_by": terms, "allowed_values": allowed},
            fix=f"Give `{name}` a Beta prior (here with the mean and sd of the prior you gave).",
            fix_code=remedies.prior_code(name, "Beta", {"alpha": nice(alpha), "beta": nice(beta)}, f.dims_of(name)),
        )


def _top_level(f: ModelFacts, rv) -> bool:
    """A prior whose parameters are constants (not a hierarchical child)."""
    return not any(f.depends_on_free(param) for param in dist_params(rv))


@rule(
    "MOD103",
    "flat-prior",
    category=MODEL,
    severity="warning",
    needs=("model",),
    params={"max_width_ratio": 1000.0},
)
def flat_prior(subject: Subject, max_width_ratio: float) -> Iterator[Finding]:
    """Flat, improper or extremely wide priors.

    What it checks: `Flat` and `HalfFlat` priors, and priors with constant parameters whose
    central 90% interval (from seeded prior draws) is wider than `max_width_ratio` times the data's
    scale (the largest sd among continuous observed data, at least 1).

    Why it matters: an improper prior leaves the posterior improper unless the data identify the
    parameter; prior predictive checks cannot run; an extremely wide prior (`Normal(0, 1e6)`,
    `Uniform(-1e8, 1e8)`) is not "uninformative": it puts almost all its mass on absurd values,
    slows warm-up and, for scales, can dominate a hierarchy.

    Threshold: 90% prior width above `max_width_ratio` (default 1000) times the data's scale.

    Example: `beta = pm.Normal("beta", 0, 1e6)` with data of sd 10.

    Fix: a weakly informative prior at the data's scale: `Normal(0, 2.5 * sd)` for a coefficient,
    `HalfNormal(sd)` for a scale.
    """
    f = _facts(subject)
    reference = f.reference_scale
    for rv in f.free:
        name = rv.name
        op = type(rv.owner.op).__name__
        support = f.support(rv)
        positive = support is not None and support[0] >= 0
        width = None
        if op in ("FlatRV", "HalfFlatRV"):
            why = (
                f"`{name}` has an improper {distribution_name(rv)} prior: the posterior is improper wherever the "
                "data say little, and the prior predictive cannot be drawn"
            )
        else:
            if not _top_level(f, rv) or not rv.dtype.startswith("float"):
                continue
            if name not in f.prior:  # it depends on an improper prior
                continue
            draws = np.asarray(f.prior[name], dtype=float)
            low, high = np.quantile(draws, [0.05, 0.95])
            width = float(high - low)
            if width <= max_width_ratio * reference:
                continue
            why = (
                f"`{name}` has a {distribution_name(rv)} prior whose central 90% spans {width:.3g}, "
                f"{width / reference:.3g} times the data's scale ({reference:.3g}): such a prior is not "
                "uninformative, it puts almost all its mass on absurd values and slows warm-up"
            )
        scale = nice(reference if positive else 2.5 * reference)
        code = remedies.prior_code(
            name,
            "HalfNormal" if positive else "Normal",
            {"sigma": scale} if positive else {"mu": "0", "sigma": scale},
            f.dims_of(name),
        )
        yield _finding(
            "MOD103",
            "warning",
            f"{'Improper' if width is None else 'Extremely wide'} prior on `{name}`",
            f"{why}.",
            variables=(name,),
            evidence={"prior": distribution_name(rv), "width_90": width, "data_scale": reference},
            fix=f"Use a weakly informative prior at the data's scale ({scale}).",
            fix_code=code,
        )


@rule(
    "MOD104",
    "uniform-bounds",
    category=MODEL,
    severity="warning",
    needs=("model",),
    params={"max_width_ratio": 1000.0},
)
def uniform_bounds(subject: Subject, max_width_ratio: float) -> Iterator[Finding]:
    """Hard `Uniform` bounds on a quantity that has none.

    What it checks: `Uniform` priors on variables that are not used as a probability or a scale
    (nothing in the graph bounds them), such as regression coefficients and means; priors already
    reported as extremely wide (`max_width_ratio`, as in MOD103) are left to that rule.

    Why it matters: the posterior piles up against an arbitrary wall when the data favour values
    near it, and the sampler works on a logit-transformed scale that stretches near the bounds.

    Threshold: any such `Uniform`.

    Example: `slope = pm.Uniform("slope", -10, 10)`.

    Fix: a `Normal` prior with the same center that keeps about 95% of its mass inside the old bounds.
    """
    f = _facts(subject)
    bounded = {id(c.variable) for c in f.constraints}
    for rv in f.free:
        if type(rv.owner.op).__name__ != "UniformRV" or id(rv) in bounded or not _top_level(f, rv):
            continue
        low, high = (constant_value(p) for p in dist_params(rv))
        if low is None or high is None:
            continue
        low, high = float(np.min(low)), float(np.max(high))
        if high - low > max_width_ratio * f.reference_scale:
            continue
        name = rv.name
        yield _finding(
            "MOD104",
            "warning",
            f"Hard bounds on `{name}`",
            (
                f"`{name}` has a Uniform({low:g}, {high:g}) prior, but nothing in the model bounds it: it is "
                "not used as a probability or a scale. If the data favour values near a bound, the posterior "
                "piles up against it."
            ),
            variables=(name,),
            evidence={"lower": low, "upper": high},
            fix=f"Use a Normal prior centered at {nice((low + high) / 2)} that keeps about 95% inside the old bounds.",
            fix_code=remedies.prior_code(
                name,
                "Normal",
                {"mu": nice((low + high) / 2), "sigma": nice((high - low) / 4)},
                f.dims_of(name),
            ),
        )


# ---------------------------------------------------------------------------------------------
# Initial point


def _why_nonfinite(f: ModelFacts, rv, point: dict, bad: np.ndarray) -> str:
    """Why a term is not finite: PyMC's own parameter check (as ``model.debug`` reports it), a
    parameter that is itself NaN or infinite there, or values outside the distribution's support."""
    from pymc.logprob.utils import ParameterValueError

    model = f.model
    params = dist_params(rv)
    names = parameter_names(rv) or [f"parameter {i}" for i in range(len(params))]
    values = f.evaluate(params, point)
    try:
        f.check_term(rv, point)
    except ParameterValueError as exc:
        shown = "; ".join(f"{n} = {_values(v, 3)}" for n, v in zip(names, values, strict=True))
        return f"its parameters break PyMC's check `{str(exc).splitlines()[0]}` ({shown})"
    except Exception as exc:
        return f"it cannot be evaluated ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
    for name, value in zip(names, values, strict=True):
        value = np.asarray(value, dtype=float)
        if value.size and not np.isfinite(value).all():
            where = np.broadcast_to(value, bad.shape)[bad] if value.ndim else value
            shown = _values(where[~np.isfinite(where)], 1)
            return f"its `{name}` is {shown} there (NaN or inf in the data it is built from)"
    if rv in model.observed_RVs:
        return "those observed values lie outside the support of its distribution"
    return "its starting value lies outside the support of its distribution"


@rule(
    "MOD201",
    "initial-point",
    category=MODEL,
    severity="error",
    needs=("model",),
    params={"jitter_starts": 8},
)
def initial_point(subject: Subject, jitter_starts: int) -> Iterator[Finding]:
    """Terms whose log-probability is -inf or nan at the starting point.

    What it checks: the log-probability of every free, observed and potential term at the model's
    initial point, element by element, and why a term fails (PyMC's own parameter check, such as
    `sigma > 0`, or observed values outside the distribution's support); then the total at
    `jitter_starts` seeded starts jittered as `pm.sample` jitters them (uniform in [-1, 1] on the
    sampler's scale).

    Why it matters: a non-finite term stops `pm.sample` with "Initial evaluation of model at
    starting point failed!" or "Bad initial energy", after compilation and with little
    explanation; jittered starts that fail make some chains fail at random.

    Threshold: any non-finite term at the initial point (error); half or more of the jittered
    starts non-finite (warning).

    Example: a Poisson likelihood observing a negative count; `sigma = pm.Normal("sigma", 0, 1)`,
    which starts at 0.

    Fix: correct the data or the prior the message names; `model.debug()` prints the details.
    """
    f = _facts(subject)
    model = f.model
    terms = f.terms
    names = [term.name or f"potential {i}" for i, term in enumerate(terms)]
    if f.start_error:
        yield _finding(
            "MOD201",
            "error",
            "The model cannot be evaluated at its starting point",
            f"Computing the initial point or the log-probability there raised {f.start_error}.",
            evidence={"exception": f.start_error.split(":", 1)[0]},
            fix="Fix that error first: the other findings (shapes, indices, dims) usually name the variable; "
            "`model.debug()` evaluates each term alone.",
            fix_code=f"with {remedies.MODEL}:\n    {remedies.MODEL}.debug(verbose=True)",
        )
        return
    point = f.initial_point
    failing = []
    for rv, name, value in zip(terms, names, f.start_logps, strict=True):
        bad = ~np.isfinite(value)
        if not bad.any():
            continue
        detail = {"term": name, "nonfinite": int(bad.sum()), "size": int(bad.size)}
        if rv in model.observed_RVs:
            observed = np.broadcast_to(f.observed_values[name], bad.shape)
            detail["observed_values"] = np.unique(observed[bad])[:5].tolist()
        elif rv in model.free_RVs:
            detail["start"] = _values(f.start_values[name])
        detail["value"] = "nan" if np.isnan(value).any() else "-inf"
        detail["why"] = _why_nonfinite(f, rv, point, bad) if rv in model.basic_RVs else "the potential is not finite"
        failing.append(detail)
    if failing:
        parts = []
        for item in failing:
            where = f"{item['nonfinite']} of {item['size']} elements" if item["size"] > 1 else "its value"
            extra = ""
            if "observed_values" in item:
                extra = f" (observed values {_values(np.asarray(item['observed_values']))})"
            elif "start" in item:
                extra = f" (starting at {item['start']})"
            parts.append(f"`{item['term']}` is {item['value']} for {where}{extra}: {item['why']}")
        yield _finding(
            "MOD201",
            "error",
            f"Non-finite log-probability at the starting point: {_names([i['term'] for i in failing])}",
            "At the initial point " + "; ".join(parts) + '. `pm.sample` would stop with "Initial evaluation of '
            'model at starting point failed!" or "Bad initial energy".',
            variables=tuple(i["term"] for i in failing),
            evidence={"terms": failing},
            fix="Correct the data or the prior named above; a scale that starts at or below zero needs a "
            "positive prior (see MOD101).",
            fix_code=f"with {remedies.MODEL}:\n    {remedies.MODEL}.debug()  # parameters and values behind each term",
        )
        return
    rng = np.random.default_rng(20261125)
    failures = 0
    for _ in range(jitter_starts):
        # as pm.sample: continuous variables only
        jittered = {
            k: v + rng.uniform(-1, 1, size=np.shape(v)) if np.issubdtype(np.asarray(v).dtype, np.floating) else v
            for k, v in point.items()
        }
        if not np.isfinite(sum(float(np.sum(logp)) for logp in f.logp_terms(jittered))):
            failures += 1
    if jitter_starts and failures * 2 >= jitter_starts:
        yield _finding(
            "MOD201",
            "warning",
            "Jittered starting points fail",
            (
                f"The initial point is fine, but {failures} of {jitter_starts} starts jittered as `pm.sample` "
                "jitters them have a non-finite log-probability: chains may fail to start."
            ),
            evidence={"jittered_failures": failures, "jitter_starts": jitter_starts},
            fix="Start without jitter, or fix the prior whose support the jitter leaves.",
            fix_code=remedies.sample_call(None, init="adapt_diag"),
        )


# ---------------------------------------------------------------------------------------------
# Data


def _model_arrays(f: ModelFacts) -> dict[str, tuple[str, np.ndarray]]:
    """What the user passed as data: data containers and observed values, by model name."""
    arrays = {name: ("data", value) for name, value in f.data_values.items()}
    for name, value in f.observed_raw.items():
        if name not in f.observed_sources:
            arrays[name] = ("observed", value)
    return arrays


def _dataframe_matches(f: ModelFacts) -> list[tuple[str, str, Source]]:
    candidates = [s for s in sources(f.namespace) if s.library in ("pandas", "polars")]
    if not candidates:
        return []
    matches = []
    for name, (kind, value) in _model_arrays(f).items():
        found = matching_sources(value, candidates)
        if found:
            matches.append((name, kind, found[0]))
    return matches


def _needs_start(f: ModelFacts) -> None:
    if f.start_error:
        raise CannotCheck(f"the model cannot be evaluated at its initial point ({f.start_error}; see MOD201)")


def _needs_namespace(f: ModelFacts) -> None:
    if f.namespace is None:
        raise CannotCheck("the user's variables were not given (pass namespace=, or lint from a script)")


def _follows_index(f: ModelFacts, name: str, owner: str) -> bool:
    """Whether the variable's first dim is labeled with the DataFrame's own index."""
    dims = f.dims_of(name)
    frame = (f.namespace or {}).get(owner)
    coords = f.model.coords.get(dims[0]) if dims else None
    index = getattr(frame, "index", None)
    return coords is not None and index is not None and list(coords) == list(index)


@rule("MOD301", "dataframe-input", category=MODEL, severity="warning", needs=("model",))
def dataframe_input(subject: Subject) -> Iterator[Finding]:
    """Data taken from pandas or polars: a dropped index, or DataFrame objects handed to PyMC.

    What it checks: which data containers and observed values hold exactly the values of a
    DataFrame column or Series (pandas or polars) in the user's variables (the script's, or the
    caller's for `doctor.lint`); whether such a DataFrame's index is not 0..n-1 while the
    variable's coordinates do not follow it; and, where the code is at hand (a script, an IPython
    session), whether the column itself is passed to `pm.Data` or `observed=`.

    Why it matters: PyMC keeps only the values, so rows align by position. After filtering or
    sorting, the index no longer matches the positions, and data and coordinates can silently
    disagree. The talk's advice: extract NumPy arrays (`.to_numpy()`), with coordinates taken
    from the index.

    Threshold: a warning for an index that the coordinates do not follow; a note for a column
    passed as it is.

    Example: `pm.Normal("y", mu, sigma, observed=df["y"], dims="obs")` after
    `df = df[df.year > 2000]`, with `coords={"obs": range(len(df))}`.

    Fix: `.to_numpy()` inside `pm.Data`, and the index as the coordinates.
    """
    from pymc_doctor.modelgraph import data_arguments, passed_directly, source_texts

    f = _facts(subject)
    _needs_namespace(f)
    arguments = data_arguments(source_texts(f.namespace))
    by_owner: dict[str, list[tuple[str, str, Source]]] = {}
    for name, kind, source in _dataframe_matches(f):
        misaligned = source.index is not None and not _follows_index(f, name, source.owner)
        if misaligned or passed_directly(source, arguments):
            by_owner.setdefault(source.owner, []).append((name, kind, source))
    for owner, matches in by_owner.items():
        first = matches[0][2]
        warned = first.index is not None and any(not _follows_index(f, n, owner) for n, _, _ in matches)
        lines = []
        for name, kind, source in matches:
            dims = f.dims_of(name) or ("obs",)
            values = f"{source.expr}.to_numpy()"
            if kind == "observed":
                lines.append(_likelihood_call(f, subject.model[name], values, dims))
            else:
                lines.append(remedies.data_container_code(name, values, dims))
        if first.library == "pandas":
            dims = next((f.dims_of(n) for n, _, _ in matches if f.dims_of(n)), ("obs",))
            lines.insert(0, f'# on the model: coords={{"{dims[0]}": {owner}.index}}')
        uses = ", ".join(f"`{name}` (`{source.expr}`)" for name, _, source in matches)
        if warned:
            note = (
                f" Its index {first.index}, but the coordinates do not follow it and PyMC aligns rows by "
                "position only: data and coordinates can silently disagree."
            )
        else:
            note = " PyMC keeps only the values, aligned by position: pass NumPy arrays, with the index as coordinates."
        kind_name = "Series" if first.expr == owner else "DataFrame"
        yield _finding(
            "MOD301",
            "warning" if warned else "info",
            f"The model reads the {first.library} {kind_name} `{owner}`",
            f"{uses} {'come' if len(matches) > 1 else 'comes'} from the {first.library} {kind_name} `{owner}`." + note,
            variables=tuple(name for name, _, _ in matches),
            evidence={
                "source": owner,
                "library": first.library,
                "columns": {name: source.expr for name, _, source in matches},
                "index": first.index,
            },
            fix="Pass NumPy arrays (.to_numpy()) in data containers, with the index as coordinates.",
            fix_code="\n".join(lines),
        )


@rule("MOD302", "data-dtype", category=MODEL, severity="warning", needs=("model",))
def data_dtype(subject: Subject) -> Iterator[Finding]:
    """Categorical or nullable columns passed to the model.

    What it checks: data and observed values that come from a pandas column of categorical dtype
    or of a nullable dtype (`Int64`, `Float64`, `boolean`); object columns never get this far
    (PyMC raises "Unsupported dtype for TensorType: object", which `pymc-doctor explain` reads).

    Why it matters: PyMC receives a categorical's values, not its codes: categories 10, 20, 30
    used as an index reach far past the three groups. A nullable column's missing values become
    NaN or an error depending on how it is converted.

    Threshold: any such column.

    Example: `group_idx = pm.Data("group_idx", df["school"])` with `df["school"]` categorical.

    Fix: `.cat.codes.to_numpy()` for a categorical used as an index, with its categories as
    coordinates; `.to_numpy(dtype=float, na_value=np.nan)` (and a decision about the NaNs) for a
    nullable column.
    """
    f = _facts(subject)
    _needs_namespace(f)
    for name, _kind, source in _dataframe_matches(f):
        if not (source.categorical or source.nullable):
            continue
        dims = f.dims_of(name)
        if source.categorical:
            message = (
                f"`{name}` is `{source.expr}`, a categorical column: PyMC received its category values "
                f"({_values(np.unique(source.values))}), not its codes 0..k-1."
            )
            fix = "Pass the codes, and the categories as coordinates."
            code = (
                f'# on the model: coords={{"{name}_level": {source.expr}.cat.categories}}\n'
                + remedies.data_container_code(name, f"{source.expr}.cat.codes.to_numpy()", dims)
            )
        else:
            message = (
                f"`{name}` is `{source.expr}`, of nullable dtype {source.dtype}: how its missing values convert "
                "depends on the call (NaN, an error, or object arrays)."
            )
            fix = "Convert explicitly and decide what a missing value means."
            code = remedies.data_container_code(name, f"{source.expr}.to_numpy(dtype=float, na_value=np.nan)", dims)
        yield _finding(
            "MOD302",
            "warning",
            f"`{name}` comes from a {'categorical' if source.categorical else 'nullable'} column",
            message,
            variables=(name,),
            evidence={"source": source.expr, "dtype": source.dtype},
            fix=fix,
            fix_code=code,
        )


@rule("MOD303", "missing-observed", category=MODEL, severity="warning", needs=("model",))
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
    f = _facts(subject)
    free = {rv.name: rv for rv in f.free}
    for rv in f.observed:
        if not rv.name.endswith("_observed"):
            continue
        base = rv.name.removesuffix("_observed")
        unobserved = free.get(f"{base}_unobserved")
        if unobserved is None:
            continue
        missing = int(np.prod(f.start_values[unobserved.name].shape))
        present = int(np.size(f.observed_values[rv.name]))
        candidates = [s for s in sources(f.namespace) if s.values is not None and s.values.size == missing + present]
        holding_nan = [s for s in candidates if np.isnan(s.values).sum() == missing]
        array = holding_nan[0].expr if holding_nan else f"{base}_values"
        yield _finding(
            "MOD303",
            "warning",
            f"{_count(missing, 'missing value')} of `{base}` will be imputed",
            (
                f"The observed data of `{base}` hold {_count(missing, 'NaN')} among {missing + present} values, so "
                f"PyMC imputes them: `{base}_unobserved` ({missing} values) is sampled as a parameter."
            ),
            variables=(base,),
            evidence={"missing": missing, "observed": present},
            fix="Drop the incomplete rows (from every array indexed by row) unless imputation is intended.",
            fix_code=(
                f"keep = ~np.isnan({array})  # then index every per-row array with keep\n"
                + _likelihood_call(f, rv, f"{array}[keep]").replace(f'"{rv.name}"', f'"{base}"')
            ),
        )


def _covariate_constants(f: ModelFacts) -> list:
    """Non-scalar constants multiplied with something that depends on a free variable."""
    import pytensor.scalar as ps
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import applys_between, graph_inputs

    outputs = [p for rv in f.observed for p in dist_params(rv)] + list(f.model.deterministics)
    found: dict[int, Constant] = {}
    for node in applys_between(list(graph_inputs(outputs)), outputs):
        scalar = getattr(node.op, "scalar_op", None)
        op_name = type(node.op).__name__ + type(getattr(node.op, "core_op", None)).__name__
        if not (isinstance(scalar, ps.Mul) or "Dot" in op_name or "Matmul" in op_name or "Gemv" in op_name):
            continue
        constants = [transparent_base(i)[0] for i in node.inputs]
        constants = [c for c in constants if isinstance(c, Constant) and np.asarray(c.data).size > 1]
        varying = [np.unique(np.asarray(c.data)).size > 1 for c in constants]
        if constants and any(varying) and any(f.depends_on_free(i) for i in node.inputs):
            for constant, varies in zip(constants, varying, strict=True):
                if varies:
                    found.setdefault(id(constant), constant)
    return list(found.values())


@rule("MOD304", "data-not-container", category=MODEL, severity="info", needs=("model",))
def data_not_container(subject: Subject) -> Iterator[Finding]:
    """Covariates baked into the graph instead of declared with `pm.Data`.

    What it checks: non-scalar arrays passed as plain NumPy constants and multiplied with
    parameters (`beta * x`, `X @ beta`): the covariates of a regression.

    Why it matters: a constant cannot be swapped, so predicting for new covariates means
    rebuilding the model; `pm.Data` makes it `pm.set_data` plus `sample_posterior_predictive`.

    Threshold: any such array.

    Example: `mu = alpha + beta * x` with `x` a NumPy array.

    Fix: `x_data = pm.Data("x", x, dims=...)` and use it in place of `x`.
    """
    f = _facts(subject)
    for constant in _covariate_constants(f):
        values = np.asarray(constant.data)
        user = _source_name(f, values, "")
        name = _identifier(user, "x")
        dims = _dims_for_length(f, values.shape[0])
        shown = f"`{user}`" if user else f"a constant array of shape {values.shape}"
        yield _finding(
            "MOD304",
            "info",
            f"{shown} is fixed in the graph",
            (
                f"{shown[0].upper()}{shown[1:]} multiplies a parameter but is a plain array, so it cannot be replaced: "
                "predicting for new values means rebuilding the model."
            ),
            variables=(user,) if user else (),
            evidence={"shape": list(values.shape)},
            fix="Declare it with pm.Data and swap it with pm.set_data for predictions.",
            fix_code=(
                f'{name}_data = pm.Data("{name}", {_as_array(f, values, name)}{remedies.dims_argument(dims[:1])})'
                f"  # use {name}_data in place of {user or name}\n" + remedies.set_data_code(name)
            ),
        )


@rule(
    "MOD305",
    "data-scale",
    category=MODEL,
    severity="info",
    needs=("model",),
    params={"max_scale_orders": 3.0},
)
def data_scale(subject: Subject, max_scale_orders: float) -> Iterator[Finding]:
    """Observed data far from unit scale.

    What it checks: the magnitude (the larger of |median| and sd) of each continuous observed
    variable's data.

    Why it matters: default and weakly informative priors assume quantities of order one;
    data in the millions (or millionths) need priors scaled to match, and the sampler's warm-up
    has to learn extreme scales.

    Threshold: magnitude above 10^`max_scale_orders` or below 10^-`max_scale_orders` (default 3).

    Example: incomes in dollars, `observed=income` with values around 50,000.

    Fix: standardize (or rescale) the data and put priors on the unit scale; transform draws back.
    """
    f = _facts(subject)
    for rv in f.observed:
        if not rv.dtype.startswith("float"):
            continue
        values = np.asarray(f.observed_values[rv.name], dtype=float)
        values = values[np.isfinite(values)]
        if values.size < 2:
            continue
        magnitude = max(abs(float(np.median(values))), float(values.std()))
        if magnitude == 0 or abs(math.log10(magnitude)) <= max_scale_orders:
            continue
        source = _source_name(f, f.observed_values[rv.name], rv.name)
        array = _identifier(source, rv.name)
        code = remedies.standardize_code(array)
        if source != array:
            code = f"{array} = {source}.to_numpy()\n{code}"
        yield _finding(
            "MOD305",
            "info",
            f"The data of `{rv.name}` are on a scale of {magnitude:.2g}",
            (
                f"`{rv.name}` observes values of magnitude {magnitude:.3g} (median {np.median(values):.3g}, sd "
                f"{values.std():.3g}). Priors at unit scale do not fit them, and warm-up has to learn the scale."
            ),
            variables=(rv.name,),
            evidence={"median": float(np.median(values)), "sd": float(values.std())},
            fix="Standardize the data and set priors on the unit scale.",
            fix_code=code,
        )


def _nonfinite_inputs(f: ModelFacts) -> list[tuple[str, np.ndarray, str]]:
    """(label, values, kind) of data and constants in the graph that hold NaN or inf."""
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import ancestors

    found = []
    for name, value in f.data_values.items():
        if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
            found.append((name, value, "data"))
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
        has_nan = np.isnan(value).any()
        mixed_inf = value.size > 1 and np.isinf(value).any() and np.isfinite(value).any()
        if has_nan or mixed_inf:  # an all-inf scalar is a legitimate bound (TruncatedNormal's upper)
            found.append((_source_name(f, value, ""), value, "constant"))
    return found


@rule("MOD306", "nonfinite-data", category=MODEL, severity="error", needs=("model",))
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
    f = _facts(subject)
    for label, value, kind in _nonfinite_inputs(f):
        bad = ~np.isfinite(value)
        array = label or "x"
        shown = f"`{label}`" if label else f"A constant array of shape {value.shape}"
        positions = [int(i[0]) if len(i) == 1 else tuple(int(j) for j in i) for i in np.argwhere(bad)[:5]]
        yield _finding(
            "MOD306",
            "error",
            f"{shown} holds {'NaN' if np.isnan(value).any() else 'inf'}",
            (
                f"{shown} ({'a data container' if kind == 'data' else 'a constant in the graph'}) has "
                f"{_count(int(bad.sum()), 'non-finite value')} (at index {', '.join(map(str, positions))}). The "
                "log-probability becomes nan without a warning."
            ),
            variables=(label,) if label else (),
            evidence={"nonfinite": int(bad.sum()), "positions": positions, "kind": kind},
            fix="Drop the incomplete rows from every per-row array (data and observed alike), or impute them.",
            fix_code=f"keep = np.isfinite({array})  # then index every per-row array with keep: {array}[keep], ...",
        )


@rule("MOD307", "non-integer-counts", category=MODEL, severity="error", needs=("model",))
def non_integer_counts(subject: Subject) -> Iterator[Finding]:
    """Non-integer values observed by a discrete likelihood.

    What it checks: the data of every discrete observed variable (Poisson, Binomial,
    NegativeBinomial, Bernoulli, ...), as given: in a data container before PyMC's cast, or as the
    array in the user's variables that PyMC truncated.

    Why it matters: PyMC casts the data to integers without a word (pymc#8282): 2.7 becomes 2, so
    the model fits data that are not yours.

    Threshold: any value with a fractional part.

    Example: `pm.Poisson("y", mu, observed=np.array([1.5, 2.7, 3.0]))`.

    Fix: round deliberately if the values are counts, or use a continuous likelihood.
    """
    f = _facts(subject)
    candidates = sources(f.namespace)
    for rv in f.observed:
        if rv.dtype.startswith("float"):
            continue
        raw = np.asarray(f.observed_raw[rv.name])
        label = f.observed_sources.get(rv.name, rv.name)
        if not (np.issubdtype(raw.dtype, np.floating) and (raw != np.round(raw)).any()):
            cast = np.asarray(f.observed_values[rv.name], dtype=float)
            raw, label = None, None
            for source in candidates:
                values = source.values
                if values is None or values.size != cast.size or not np.isfinite(values).all():
                    continue
                values = values.reshape(cast.shape)
                if (values != np.round(values)).any() and np.array_equal(np.trunc(values), cast):
                    raw, label = values, source.expr
                    break
            if raw is None:
                continue
        fractional = raw != np.round(raw)
        shown = raw[fractional][:4]
        yield _finding(
            "MOD307",
            "error",
            f"`{rv.name}` ({distribution_name(rv)}) observes non-integer values",
            (
                f"{_count(int(fractional.sum()), 'value')} of `{label}`, observed by the discrete `{rv.name}`, "
                f"{'is' if fractional.sum() == 1 else 'are'} not integers ({_values(shown)}). PyMC truncates "
                f"them silently: {shown[0]:g} becomes {math.trunc(shown[0])}."
            ),
            variables=(rv.name,),
            evidence={"source": label, "non_integer": int(fractional.sum()), "examples": shown.tolist()},
            fix="Round deliberately if these are counts; otherwise use a continuous likelihood.",
            fix_code=f'{rv.name}_counts = np.rint({label}).astype("int64")  # then observed={rv.name}_counts',
        )


# ---------------------------------------------------------------------------------------------
# Shapes and dims


def _variable_shape(f: ModelFacts, name: str) -> tuple[int, ...] | None:
    if name in f.observed_values:
        return tuple(np.shape(f.observed_values[name]))
    return f.shapes.get(name)


@rule("MOD401", "dims-length", category=MODEL, severity="error", needs=("model",))
def dims_length(subject: Subject) -> Iterator[Finding]:
    """Dims whose coordinates disagree with a variable's length.

    What it checks: for every variable declared with `dims`, its length along each dim against
    the number of coordinate values (or the dim's declared length), and the shapes of a random
    variable's parameters against its dims.

    Why it matters: PyMC only notices after sampling, when ArviZ builds the trace
    (`CoordinateValidationError: conflicting sizes for dimension`, pymc#7891): the whole run is
    lost. A parameter longer than its dims fails at the first draw.

    Threshold: any disagreement.

    Example: `coords={"obs": range(4)}` with `pm.Data("x", np.arange(5.0), dims="obs")`.

    Fix: build the coordinates from the same array as the data (`coords={"obs": df.index}`), or
    correct the dims.
    """
    f = _facts(subject)
    random_variables = {id(rv) for rv in [*f.free, *f.observed]}
    for name, dims in f.dims.items():
        shape = _variable_shape(f, name)
        if shape is None or not dims:
            continue
        problems = []
        if len(dims) != len(shape):
            problems.append(f"{len(dims)} dims {dims} for a variable of shape {shape}")
        else:
            for dim, length in zip(dims, shape, strict=True):
                expected = f.coord_lengths.get(dim)
                if expected is not None and expected != length:
                    problems.append(f"length {length} along `{dim}`, which has {expected} coordinates")
        var = subject.model[name]
        if not problems and id(var) in random_variables and plain_scalar_rv(var):
            param_shapes = f.param_shapes.get(name) or []  # parameters that fail: MOD201 reports it
            labels = parameter_names(var) or [f"parameter {i}" for i in range(len(param_shapes))]
            for index, (label, pshape) in enumerate(zip(labels, param_shapes, strict=False)):
                pshape = batch_shape(var, index, pshape)
                try:
                    fits = np.broadcast_shapes(pshape, shape) == shape
                except ValueError:
                    fits = False
                if not fits:
                    problems.append(
                        f"its `{label}` has shape {pshape}, which does not fit dims {dims} of shape {shape}"
                    )
        if not problems:
            continue
        dim = dims[0]
        when = (
            "The first draw fails (Size length is incompatible with batched dimensions)."
            if problems[0].startswith("its ")
            else "PyMC samples to the end and then fails building the trace (CoordinateValidationError)."
        )
        yield _finding(
            "MOD401",
            "error",
            f"`{name}` disagrees with its dims",
            f"`{name}` has " + "; ".join(problems) + f". {when}",
            variables=(name,),
            evidence={
                "dims": list(dims),
                "shape": list(shape),
                "coord_lengths": {d: f.coord_lengths.get(d) for d in dims},
            },
            fix="Build each coordinate from the same array as the data it labels.",
            fix_code=(
                f'coords = {{"{dim}": range({shape[0] if shape else 0})}}  # or the labels of {name}\'s elements, '
                "taken from the same table as its values"
            ),
        )


@rule("MOD402", "missing-dims", category=MODEL, severity="info", needs=("model",))
def missing_dims(subject: Subject) -> Iterator[Finding]:
    """Variables without dims in a model that uses coordinates.

    What it checks: non-scalar free, observed, deterministic and data variables declared without
    `dims` when the model has `coords`.

    Why it matters: ArviZ labels their axes `x_dim_0` with integer coordinates; plots and
    summaries lose the labels, and a length mistake cannot be caught against coordinates (MOD401).

    Threshold: any such variable (imputation's `_observed`/`_unobserved` parts excepted).

    Example: `pm.Normal("beta", 0, 1, shape=3)` in a model with `coords={"predictor": [...]}`.

    Fix: add `dims=`; a coordinate of the right length is suggested when one exists.
    """
    f = _facts(subject)
    if not f.model.coords:
        return
    missing = []
    for name, var in f.model.named_vars.items():
        if f.dims.get(name) or name.endswith(("_observed", "_unobserved")):
            continue
        if var in f.model.potentials:
            continue
        shape = _variable_shape(f, name)
        if not shape or int(np.prod(shape)) <= 1:
            continue
        missing.append((name, shape))
    if not missing:
        return
    lines = []
    for name, shape in missing:
        candidates = [_dims_for_length(f, length) for length in shape]
        if all(candidates):
            lines.append(f"{name}:{remedies.dims_argument(tuple(c[0] for c in candidates)).lstrip(',')}")
        else:
            new = tuple(f"{name}_dim" if len(shape) == 1 else f"{name}_dim_{i}" for i in range(len(shape)))
            coords = ", ".join(f'"{d}": range({n})' for d, n in zip(new, shape, strict=True))
            lines.append(f"{name}:{remedies.dims_argument(new).lstrip(',')}, with coords={{{coords}}} on the model")
    yield _finding(
        "MOD402",
        "info",
        f"{_count(len(missing), 'variable')} without dims",
        f"The model uses coordinates, but {_names([n for n, _ in missing])} "
        f"{'has' if len(missing) == 1 else 'have'} no dims: their axes will be labeled by position.",
        variables=tuple(n for n, _ in missing),
        evidence={"variables": {n: list(s) for n, s in missing}},
        fix="Declare dims for every non-scalar variable.",
        fix_code="# add to each declaration:\n" + "\n".join(f"#   {line}" for line in lines),
    )


def _index_nodes(f: ModelFacts):
    """(indexing node, axis, index variable) for integer-array indexing by data or constants."""
    from pytensor.graph.traversal import applys_between, graph_inputs

    from pymc_doctor import compat

    outputs = [p for rv in [*f.observed, *f.free] for p in dist_params(rv)]
    outputs += list(f.model.deterministics) + list(f.model.potentials)
    for node in applys_between(list(graph_inputs(outputs)), outputs):
        for axis, index in compat.integer_index_axes(node):
            if not f.depends_on_free(index):
                yield node, axis, index


@rule("MOD403", "index-range", category=MODEL, severity="error", needs=("model",))
def index_range(subject: Subject) -> Iterator[Finding]:
    """Integer index vectors out of range for the variable they index.

    What it checks: every integer-array index made of data or constants (`a[group_idx]`),
    against the length of the indexed variable along that axis.

    Why it matters: an index past the end raises an IndexError at the first evaluation, far from
    the line at fault; negative indices silently wrap around to the last groups; codes starting
    at 1 (from R or a spreadsheet) shift every group by one and leave group 0 unused.

    Threshold: any index >= the length or below 0.

    Example: `a = pm.Normal("a", 0, 1, shape=3)` indexed by `county_idx` holding 1, 2, 3.

    Fix: code groups 0..k-1 (`pd.factorize`), with the labels as coordinates.
    """
    f = _facts(subject)
    seen = set()
    for node, axis, index in _index_nodes(f):
        try:
            length = int(f.evaluate([node.inputs[0].shape[axis]])[0])
            values = f.evaluate([index])[0]
        except Exception:
            continue
        if values.size == 0:
            continue
        low, high = int(values.min()), int(values.max())
        if low >= 0 and high < length:
            continue
        target = expression(node.inputs[0], f.names) or "the indexed variable"
        named = f.name(transparent_base(index)[0]) or _source_name(f, values, "")
        label = named or "an integer index"
        shown = f"`{named}`" if named else "An integer index"
        if (target, label) in seen:
            continue
        seen.add((target, label))
        one_based = low == 1 and high == length
        if one_based:
            why = "it looks 1-based (values 1..k): every group is shifted by one and the last is past the end"
        elif low < 0:
            why = "negative indices silently wrap around to the last elements"
        else:
            why = f"index {high} is past the end"
        source = _source_name(f, values, named or "group_idx")
        code = f"codes, levels = pd.factorize({source})  # codes 0..k-1, and levels for the coordinates"
        if one_based:
            code = f"{source} - 1  # 0-based, as NumPy and PyTensor index"
        yield _finding(
            "MOD403",
            "error",
            f"{shown} indexes past `{target}`",
            (
                f"{shown} indexes `{target}` along axis {axis}, which has length {length}, with values "
                f"{low}..{high}: {why}."
            ),
            variables=tuple(v for v in (f.name(node.inputs[0]), f.name(transparent_base(index)[0])) if v),
            evidence={"length": length, "min": low, "max": high, "axis": axis},
            fix="Code the groups 0..k-1 and declare the labels as coordinates.",
            fix_code=code,
        )


@rule(
    "MOD404",
    "broadcast-blowup",
    category=MODEL,
    severity="warning",
    needs=("model",),
    params={"max_size_ratio": 10.0},
)
def broadcast_blowup(subject: Subject, max_size_ratio: float) -> Iterator[Finding]:
    """Broadcasting that makes a variable much larger than the data.

    What it checks: free, deterministic and potential variables with more elements than
    `max_size_ratio` times the largest data array, of at least 2 dims: the signature of a column
    (n, 1) meeting a row (n,), which makes an n×n matrix instead of n values.

    Why it matters: the model computes (and a Deterministic stores, for every draw) n² values;
    memory and time explode and the likelihood may be counted n times.

    Threshold: more than `max_size_ratio` (default 10) times the largest data size, and 1000 elements.

    Example: `mu = pm.Deterministic("mu", a[:, None] + b * x)` with `a` and `x` of length n.

    Fix: index per observation (`a[group_idx] + b * x`) instead of broadcasting a column against a row.
    """
    f = _facts(subject)
    sizes = [np.size(v) for v in [*f.observed_values.values(), *f.data_values.values()]]
    largest = max([1, *sizes])
    for name, var in f.model.named_vars.items():
        if var in f.observed or var in f.model.data_vars:
            continue
        shape = f.shapes.get(name)
        if not shape or len(shape) < 2:
            continue
        size = int(np.prod(shape))
        if size <= max(1000, max_size_ratio * largest):
            continue
        yield _finding(
            "MOD404",
            "warning",
            f"`{name}` has {size} elements",
            (
                f"`{name}` has shape {shape}: {size} elements, {size / largest:.0f} times the largest data array "
                f"({largest}). A column (n, 1) broadcast against a row (n,) makes n×n values."
            ),
            variables=(name,),
            evidence={"shape": list(shape), "size": size, "largest_data": largest},
            fix="Index per observation instead of broadcasting a column against a row.",
            fix_code=(
                f'print({remedies.MODEL}["{name}"].shape.eval())\n'
                "# then align the terms per observation: a[group_idx] + b * x, not a[:, None] + b * x"
            ),
        )


@rule("MOD405", "discrete-free", category=MODEL, severity="warning", needs=("model",))
def discrete_free(subject: Subject) -> Iterator[Finding]:
    """Discrete free variables, which force a compound step instead of NUTS.

    What it checks: free variables of integer type (including imputed discrete data).

    Why it matters: NUTS needs gradients; PyMC samples discrete variables with Metropolis or
    Gibbs steps in a compound step, which mixes far worse and gives no divergence diagnostics;
    nutpie, numpyro and blackjax refuse such models.

    Threshold: any discrete free variable.

    Example: `z = pm.Categorical("z", p=w, shape=n)` for mixture memberships.

    Fix: marginalize it out (`pymc_extras.marginalize`) or write the model as a mixture
    (`pm.Mixture`, `pm.NormalMixture`).
    """
    f = _facts(subject)
    discrete = [rv for rv in f.free if not rv.dtype.startswith("float")]
    if not discrete:
        return
    names = [rv.name for rv in discrete]
    yield _finding(
        "MOD405",
        "warning",
        f"{_count(len(discrete), 'discrete free variable')}: no NUTS for {_names(names)}",
        (
            f"{_names(names)} ({', '.join(distribution_name(rv) for rv in discrete)}) "
            f"{'is' if len(discrete) == 1 else 'are'} discrete: PyMC samples {'it' if len(discrete) == 1 else 'them'} "
            "with a compound "
            "Metropolis/Gibbs step, which mixes slowly, and nutpie, numpyro and blackjax cannot sample the model."
        ),
        variables=tuple(names),
        evidence={"variables": names},
        fix="Marginalize the discrete variables out (pymc-extras) or write the model as a mixture.",
        fix_code=(
            "import pymc_extras as pmx  # pip install pymc-extras\n\n"
            f"{remedies.MODEL} = pmx.marginalize({remedies.MODEL}, {json.dumps(names)})"
        ),
    )


@rule("MOD406", "shape-mismatch", category=MODEL, severity="error", needs=("model",))
def shape_mismatch(subject: Subject) -> Iterator[Finding]:
    """Parameters whose shapes do not fit the observed data or the variable's size.

    What it checks: for each random variable without dims, whether its parameters' shapes
    broadcast to its own shape (for observed variables: the data's shape).

    Why it matters: the model builds, then fails at the first evaluation with "Incompatible
    Elemwise input shapes" or "Size length is incompatible with batched dimensions", inside
    PyTensor, far from the line at fault.

    Threshold: any parameter that does not broadcast.

    Example: `mu` of shape (3,) for `observed` of shape (4,).

    Fix: index group parameters per observation (`mu[group_idx]`), or correct `shape=`.
    """
    f = _facts(subject)
    for rv in [*f.free, *f.observed]:
        if f.dims_of(rv.name) or not plain_scalar_rv(rv):
            continue
        shape = _variable_shape(f, rv.name) if rv in f.observed else tuple(np.shape(f.start_values[rv.name]))
        params = dist_params(rv)
        labels = parameter_names(rv) or [f"parameter {i}" for i in range(len(params))]
        bad = []
        for index, (label, param, pshape) in enumerate(
            zip(labels, params, f.param_shapes.get(rv.name) or [], strict=False)
        ):
            pshape = batch_shape(rv, index, pshape)
            try:
                fits = np.broadcast_shapes(pshape, shape) == shape
            except ValueError:
                fits = False
            if not fits:
                bad.append((label, pshape, expression(param, f.names)))
        if not bad:
            continue
        label, pshape, expr = bad[0]
        what = "the observed data" if rv in f.observed else "the variable"
        yield _finding(
            "MOD406",
            "error",
            f"`{rv.name}`: `{label}` of shape {pshape} does not fit shape {shape}",
            (
                f"`{rv.name}` ({distribution_name(rv)}) has {what} of shape {shape}, but its `{label}`"
                f"{f' (`{expr}`)' if expr else ''} has shape {pshape}. The first evaluation will fail with "
                '"Incompatible Elemwise input shapes".'
            ),
            variables=(rv.name,),
            evidence={"shape": list(shape), "parameters": {lab: list(s) for lab, s, _ in bad}},
            fix="Give the parameter one value per observation, e.g. by indexing group values with a group index.",
            fix_code=f"{expr or label}[group_idx]  # group_idx: one integer group code per observed value",
        )


# ---------------------------------------------------------------------------------------------
# Parameterization


@rule("MOD501", "centered-hierarchy", category=MODEL, severity="warning", needs=("model",))
def centered_hierarchy(subject: Subject) -> Iterator[Finding]:
    """A centered hierarchical parameterization.

    What it checks: free `Normal(mu, sigma)` variables whose `sigma` depends on another free
    variable (a hierarchical scale), found in the graph.

    Why it matters: with little data per group, the posterior of the group values and their
    scale is a funnel: NUTS diverges at small scales and cannot reach the funnel's neck, so the
    sample is biased (the eight schools' divergences). With much data per group the centered form
    is fine, even better.

    Threshold: any such variable.

    Example: `theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")`.

    Fix: the non-centered form: a standard normal offset, scaled and shifted deterministically.
    """
    f = _facts(subject)
    for group in centered_groups(subject.model):
        code = remedies.noncentered_code(group.group, group.scale, group.location, group.dims)
        yield _finding(
            "MOD501",
            "warning",
            f"`{group.group}` is centered on a free scale `{group.scale}`",
            (
                f"`{group.group}` ~ Normal({group.location or 0}, {group.scale}) and `{group.scale}` is itself "
                "sampled: with few data per group the posterior is a funnel that NUTS cannot enter (divergences "
                f"at small `{group.scale}`). Keep the centered form only if every group has plenty of data."
            ),
            variables=(group.group, *group.scale_variables),
            evidence={
                "group": group.group,
                "scale": group.scale,
                "location": group.location,
                "size": f.shapes.get(group.group),
            },
            fix=f"Rewrite `{group.group}` non-centered.",
            fix_code=code,
        )


def _element_labels(f: ModelFacts, value_name: str, shape: tuple[int, ...]) -> list[str]:
    from pymc_doctor.compat import untransformed_name

    name = untransformed_name(value_name)
    if not shape:
        return [name]
    dims = f.dims_of(name)
    labels = []
    for index in np.ndindex(*shape):
        parts = []
        for axis, i in enumerate(index):
            coords = f.model.coords.get(dims[axis]) if axis < len(dims) else None
            parts.append(str(coords[i]) if coords is not None and i < len(coords) else str(i))
        labels.append(f"{name}[{', '.join(parts)}]")
    return labels


def _location_terms(f: ModelFacts):
    """For each observed variable of a plain scalar distribution, its first parameter that free variables
    reach (what the data see)."""
    for rv in f.observed:
        if not plain_scalar_rv(rv):
            continue
        location = next((p for p in dist_params(rv) if f.depends_on_free(p)), None)
        if location is not None:
            yield rv, location


def _fisher_weights(f: ModelFacts, rv, location, start: np.ndarray) -> np.ndarray | None:
    """Information per element of ``location``: minus the second derivative of the log-likelihood there."""
    import pymc as pm
    from pytensor.graph.replace import graph_replace

    from pymc_doctor.quiet import quiet

    placeholder = location.type()
    with quiet("pymc"):
        logp = pm.logp(rv, f.model.rvs_to_values[rv], warn_rvs=False)
    fn = f.compile([graph_replace(logp, {location: placeholder}, strict=False)], extra_inputs=[placeholder])
    point = [f.initial_point[v.name] for v in f.model.value_vars]
    h = 1e-4 * max(1.0, float(np.abs(start).max()))
    up, mid, down = (np.asarray(fn(*point, start + d)[0]) for d in (h, 0.0, -h))
    weights = -(up - 2 * mid + down) / h**2
    if weights.size != start.size:
        if start.size != 1:
            return None
        weights = np.asarray(weights.sum())
    return np.clip(np.ravel(weights), 0, None)


@rule(
    "MOD502",
    "non-identified",
    category=MODEL,
    severity="warning",
    needs=("model",),
    params={"max_correlation": 0.95, "max_parameters": 200},
)
def non_identified(subject: Subject, max_correlation: float, max_parameters: int) -> Iterator[Finding]:
    """Highly correlated or non-identified parameters.

    What it checks: what the data see of each parameter at the initial point: how the
    likelihood's location (the mean, the probability) moves with each parameter (finite
    differences of a compiled forward function, no gradient), weighted by the likelihood's
    information and added to the priors' curvature. A parameter that the others nearly determine
    is one the data cannot tell apart from them.

    Why it matters: when the data inform only a combination (two intercepts whose sum is all the
    likelihood sees, collinear predictors, group effects beside an intercept with wide priors), the
    posterior is a long ridge held only by the priors: NUTS needs tiny steps and long
    trajectories, R-hat and ESS suffer, and each parameter's posterior is mostly its prior.

    Threshold: a parameter whose multiple correlation with the others exceeds `max_correlation`
    (default 0.95; for two parameters, their correlation); models with more than `max_parameters`
    (default 200) scalar parameters are skipped.

    Example: `a = pm.Normal("a", 0, 10); b = pm.Normal("b", 0, 10)` with `observed=y` of mean `a + b`.

    Fix: remove the redundancy (one intercept; group effects that sum to zero beside an intercept),
    or combine collinear predictors.
    """
    import pytensor.tensor as pt

    f = _facts(subject)
    _needs_start(f)
    model = f.model
    point = f.initial_point
    names = [n for n, v in point.items() if np.issubdtype(np.asarray(v).dtype, np.floating)]  # NUTS' variables
    sizes = [int(np.size(point[n])) for n in names]
    shapes = [np.shape(point[n]) for n in names]
    total = sum(sizes)
    if total > max_parameters:
        raise CannotCheck(f"{total} scalar parameters exceed max_parameters={max_parameters}")
    terms = list(_location_terms(f))
    if total < 2 or not f.observed:
        return
    if not terms:
        raise CannotCheck("no likelihood has a location this check can read (scalar distributions, one per datum)")
    x0 = np.concatenate([np.ravel(point[n]).astype(float) for n in names])

    def unpack(x: np.ndarray) -> dict[str, np.ndarray]:
        values, offset = dict(point), 0
        for n, size, shape in zip(names, sizes, shapes, strict=True):
            values[n] = x[offset : offset + size].reshape(shape)
            offset += size
        return values

    starts = f.evaluate([location for _, location in terms])
    weighted = [(term, _fisher_weights(f, *term, start)) for term, start in zip(terms, starts, strict=True)]
    weighted = [(term, weights) for term, weights in weighted if weights is not None]
    if not weighted:
        raise CannotCheck("no likelihood has a location this check can read (scalar distributions, one per datum)")
    locations = f.compile([location for (_, location), _ in weighted])
    weights = [w for _, w in weighted]

    def location_values(x: np.ndarray) -> np.ndarray:
        return np.concatenate([np.ravel(v) for v in locations(**unpack(x))])

    prior = f.compile([pt.add(*[term.sum() for term in model.logp(vars=f.free, sum=False)])])

    def prior_at(x: np.ndarray) -> float:
        return float(prior(**unpack(x))[0])

    h, h_prior = 1e-4, 1e-3  # central differences: small for the (smooth) locations, larger for a log-density
    unit = np.eye(total)
    jacobian = np.column_stack([(location_values(x0 + h * e) - location_values(x0 - h * e)) / (2 * h) for e in unit])
    information = jacobian.T @ (np.concatenate(weights)[:, None] * jacobian)
    p0 = prior_at(x0)
    curvature = np.array(
        [-(prior_at(x0 + h_prior * e) - 2 * p0 + prior_at(x0 - h_prior * e)) / h_prior**2 for e in unit]
    )
    precision = information + np.diag(np.clip(curvature, 0, None))
    keep = (np.abs(jacobian).sum(axis=0) > 0) & (np.diag(precision) > 0)
    if keep.sum() < 2:
        return
    precision = precision[np.ix_(keep, keep)]
    labels = [label for n, shape in zip(names, shapes, strict=True) for label in _element_labels(f, n, shape)]
    labels = [label for label, kept in zip(labels, keep, strict=True) if kept]
    scale = np.sqrt(np.diag(precision))
    normalized = precision / np.outer(scale, scale)
    try:
        covariance = np.linalg.inv(normalized)
    except np.linalg.LinAlgError as exc:
        raise CannotCheck("the data and priors leave a direction with no information at all") from exc
    # With a unit-diagonal precision, covariance[i, i] is i's variance inflation: 1 / (1 - R_i^2), R_i its
    # multiple correlation with all the others; this also catches ridges shared among many parameters.
    inflation = np.diag(covariance)
    i = int(np.argmax(inflation))
    multiple = float(np.sqrt(max(0.0, 1 - 1 / inflation[i])))
    if multiple <= max_correlation:
        return
    slopes = -normalized[i] / normalized[i, i]  # how i moves when each other parameter moves (its regression)
    slopes[i] = 0
    partners = [int(k) for k in np.argsort(-np.abs(slopes)) if abs(slopes[k]) >= 0.5 * np.abs(slopes).max()]
    a, others = labels[i], [labels[k] for k in partners]
    together = "sum" if all(slopes[k] < 0 for k in partners) else "difference"
    if len(others) == 1:
        informed = f"the data inform little more than `{a} {'+' if together == 'sum' else '-'} {others[0]}`"
    else:
        informed = f"shifting `{a}` against {_names(others)} leaves the fit almost unchanged"
    bases = list(dict.fromkeys(label.split("[")[0] for label in [a, *others]))
    vector = next((n for n in bases if f.start_values.get(n) is not None and f.start_values[n].size > 1), None)
    if vector:
        dims = f.dims_of(vector)
        size = f.start_values[vector].size
        spread = nice((_typical_magnitude(f, vector) or HALF_NORMAL_MEDIAN) / HALF_NORMAL_MEDIAN)
        shape_arg = remedies.dims_argument(dims) if dims else f", shape={size}"
        fix = f"Let `{vector}` sum to zero, so that the intercept carries the overall level."
        code = f'{vector} = pm.ZeroSumNormal("{vector}", sigma={spread}{shape_arg})'
    else:
        fix = f"Keep one parameter for what the data see instead of `{a}` and {_names(others)}."
        combined = sum(np.asarray(f.prior[n], dtype=float) for n in bases) if all(n in f.prior for n in bases) else None
        spread = nice(float(combined.std())) if combined is not None else "1"
        code = f"# the likelihood cannot tell {a} from {', '.join(others)}: keep {a}, drop the others\n"
        code += remedies.prior_code(a, "Normal", {"mu": "0", "sigma": spread})
    yield _finding(
        "MOD502",
        "warning",
        f"`{a}` is nearly non-identified beside {_names(others, 2)}",
        (
            f"At the initial point `{a}` is determined by {_names(others)} up to a multiple correlation of "
            f"{multiple:.4f}: {informed}, and only the priors hold the rest. "
            "NUTS will crawl along the ridge."
        ),
        variables=tuple(bases),
        evidence={
            "multiple_correlation": round(multiple, 6),
            "variable": a,
            "partners": {label: round(float(slopes[k]), 3) for label, k in zip(others, partners, strict=True)},
        },
        fix=fix,
        fix_code=code,
    )


# ---------------------------------------------------------------------------------------------
# Prior predictive


def _prior_predictive(f: ModelFacts, rv) -> tuple[np.ndarray, np.ndarray]:
    draws = f.prior.get(rv.name)
    if draws is None:
        raise CannotCheck(f"the prior predictive cannot be drawn ({f.prior_error}); fix the errors above first")
    observed = np.asarray(f.observed_values[rv.name], dtype=float)
    return np.asarray(draws, dtype=float), observed[np.isfinite(observed)]


def _finite(values: np.ndarray) -> np.ndarray:
    """The finite values, flattened: a view when all are (copying a large prior predictive is slow)."""
    keep = np.isfinite(values)
    return values.ravel() if keep.all() else values[keep]


def _culprit(f: ModelFacts, spread: np.ndarray) -> str | None:
    """The top-level prior whose draws most drive the predictive spread (rank correlation)."""
    from scipy import stats

    best, best_name = 0.3, None
    for rv in f.free:
        draws = f.prior.get(rv.name)
        if draws is None or not _top_level(f, rv):
            continue
        magnitude = np.abs(np.asarray(draws, dtype=float)).reshape(len(spread), -1).mean(axis=1)
        correlation = stats.spearmanr(magnitude, spread).statistic
        if np.isfinite(correlation) and correlation > best:
            best, best_name = float(correlation), rv.name
    return best_name


@rule(
    "MOD601",
    "predictive-range",
    category=MODEL,
    severity="warning",
    needs=("model",),
    params={"max_range_ratio": 100.0},
)
def prior_predictive_range(subject: Subject, max_range_ratio: float) -> Iterator[Finding]:
    """Prior predictive data far outside the observed range.

    What it checks: 300 seeded prior predictive draws of each observed variable (the model's
    random state is left untouched; fewer, at least 50, when a variable of the model has more than
    33,000 values, to keep to 10 million values): the width of their central 90% against the
    observed range, and whether the observed data fall inside the prior predictive at all.

    Why it matters: the prior predictive is what the model says before seeing data (the talk's
    dose-response curves). Data implied thousands of times wider than anything plausible, or a
    prior that cannot produce the observed values, mean priors on the wrong scale: slow warm-up,
    divergences, or a posterior dragged by the prior.

    Threshold: a 90% prior predictive interval wider than `max_range_ratio` (default 100) times
    the observed range, or most observed values outside the prior predictive's 99.8% interval.

    Example: `beta = pm.Normal("beta", 0, 1000)` in a regression whose data span 10.

    Fix: priors at the data's scale; the finding names the prior that drives the spread.
    """
    f = _facts(subject)
    for rv in f.observed:
        draws, observed = _prior_predictive(f, rv)
        finite = _finite(draws)
        if observed.size < 2 or finite.size == 0:
            continue
        span = float(observed.max() - observed.min()) or float(np.abs(observed).max()) or 1.0
        outer_low, low, high, outer_high = np.quantile(finite, [0.001, 0.05, 0.95, 0.999])  # one pass over them
        wide = (high - low) > max_range_ratio * span
        outside = float(np.mean((observed < outer_low) | (observed > outer_high)))
        if not wide and outside <= 0.5:
            continue
        center, spread = float(np.median(observed)), float(observed.std()) or span
        code = ""
        if wide:
            per_draw = np.abs(draws.reshape(draws.shape[0], -1) - center).mean(axis=1)
            culprit = _culprit(f, per_draw)
            message = (
                f"Before seeing data, the model implies `{rv.name}` between {low:.3g} and {high:.3g} (90%), "
                f"{(high - low) / span:.3g} times the observed range ({observed.min():.3g} to {observed.max():.3g})."
            )
            if culprit:
                # shrink the prior until the implied range is a few times the data's
                magnitude = _typical_magnitude(f, culprit) or 1.0
                support = f.support(subject.model[culprit])
                positive = support is not None and support[0] >= 0
                scale = nice(magnitude / HALF_NORMAL_MEDIAN / ((high - low) / span / 5))
                params = {"sigma": scale} if positive else {"mu": "0", "sigma": scale}
                code = remedies.prior_code(culprit, "HalfNormal" if positive else "Normal", params, f.dims_of(culprit))
        else:
            location = next((p for p in dist_params(rv) if f.depends_on_free(p)), None)
            base = transparent_base(location)[0] if location is not None else None
            culprit = base.name if base is not None and base in f.free and _top_level(f, base) else None
            message = (
                f"{outside:.0%} of the observed `{rv.name}` ({observed.min():.3g} to {observed.max():.3g}) lie "
                f"outside what the prior predictive produces ({outer_low:.3g} to {outer_high:.3g}): the priors "
                "exclude the data."
            )
            if culprit:
                params = {"mu": nice(center), "sigma": nice(2.5 * spread)}
                code = remedies.prior_code(culprit, "Normal", params, f.dims_of(culprit))
        if culprit:
            message += f" The prior of `{culprit}` {'drives most of it' if wide else 'sets where the data should be'}."
        yield _finding(
            "MOD601",
            "warning",
            f"Prior predictive `{rv.name}` is far from the data's range",
            message,
            variables=(rv.name, *((culprit,) if culprit else ())),
            evidence={
                "prior_predictive_90": [float(low), float(high)],
                "prior_predictive_998": [float(outer_low), float(outer_high)],
                "observed_range": [float(observed.min()), float(observed.max())],
                "share_outside": outside,
                "culprit": culprit,
            },
            plots=(PlotRequest("prior_predictive", (rv.name,), f"Prior predictive `{rv.name}` against the data"),),
            fix="Set priors at the data's scale, then look at the prior predictive again.",
            fix_code=(code + "\n" if code else "")
            + f"with {remedies.MODEL}:\n    prior = pm.sample_prior_predictive(random_seed=1)",
        )


@rule(
    "MOD602",
    "predictive-sign",
    category=MODEL,
    severity="warning",
    needs=("model",),
    params={"max_impossible_share": 0.1},
)
def prior_predictive_sign(subject: Subject, max_impossible_share: float) -> Iterator[Finding]:
    """Prior predictive data of impossible sign or range.

    What it checks: for continuous observed variables whose data are never negative (or are
    proportions in [0, 1]), the share of seeded prior predictive draws below 0 (or outside [0, 1]).

    Why it matters: the likelihood allows values the quantity cannot take (negative weights,
    proportions above 1): probability mass is wasted on impossible data, and predictions include them.

    Threshold: more than `max_impossible_share` (default 10%) of the draws impossible.

    Example: `pm.Normal("weight", mu, sigma, observed=weights)` with a prior that puts `mu` near 0.

    Fix: a likelihood on the right support (LogNormal or Gamma for positive data, Beta for
    proportions) or a link function (`pm.math.exp`, `pm.math.invlogit`) for the mean.
    """
    f = _facts(subject)
    for rv in f.observed:
        if not rv.dtype.startswith("float"):
            continue
        draws, observed = _prior_predictive(f, rv)
        finite = _finite(draws)
        if observed.size < 2 or finite.size == 0 or observed.min() < 0 or observed.max() == 0:
            continue
        proportion = observed.max() <= 1 and distribution_name(rv) != "Beta"
        impossible = (finite < 0) | (finite > 1) if proportion else finite < 0
        share = float(impossible.mean())
        if share <= max_impossible_share:
            continue
        params = dist_params(rv)
        spelled = [expression(p, f.names) for p in params]
        array = _source_name(f, f.observed_values[rv.name], f"{rv.name}_data")
        if proportion:
            kind, suggestion = "proportions in [0, 1]", "Beta"
        else:
            kind, suggestion = "never negative", "LogNormal"
        code = ""
        if distribution_name(rv) == "Normal" and all(spelled):
            mu, sigma = spelled
            if proportion:
                code = f'pm.Beta("{rv.name}", mu=pm.math.invlogit({mu}), sigma={sigma}, observed={array})'
                code += "  # sigma < sqrt(mu * (1 - mu))"
            else:
                code = f'pm.LogNormal("{rv.name}", mu={mu}, sigma={sigma}, observed={array})  # mu: the mean of log'
        yield _finding(
            "MOD602",
            "warning",
            f"Prior predictive `{rv.name}` takes impossible values",
            (
                f"The data of `{rv.name}` are {kind}, but {share:.0%} of the prior predictive draws of its "
                f"{distribution_name(rv)} likelihood are not: the model spends probability on impossible data."
            ),
            variables=(rv.name,),
            evidence={"impossible_share": share, "data": kind},
            fix=f"Use a likelihood on the data's support ({suggestion}) or a link function for the mean.",
            fix_code=code,
        )
