"""Fixes for a model's declaration, as code in the user's names: priors, data containers, likelihoods,
dims and indices. Every name comes from the user's model or namespace."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import chain, count

from pymc_doctor.spelling import comment, dims_argument, name_note, python_name, python_string, safe_identifier

# The model's name in generated snippets: what the user called it where the caller's namespace shows it
# (neither traces nor models record it), else ``model``.
_MODEL_NAME: ContextVar[str] = ContextVar("pymc_doctor_model_name", default="model")


def model_variable() -> str:
    """The name fix code gives the user's model in this run."""
    return _MODEL_NAME.get()


@contextmanager
def naming_model(name: str | None) -> Iterator[str]:
    """Spell the model as ``name`` in the fix code written inside; ``model`` when ``name`` is unknown or
    cannot stand in code as it is."""
    token = _MODEL_NAME.set(safe_identifier(name) or "model")
    try:
        yield _MODEL_NAME.get()
    finally:
        _MODEL_NAME.reset(token)


def _noted(name: str, code: str) -> str:
    """``code`` after the comment that says which name its stand-in spells, when ``name`` is no identifier."""
    note = name_note(name)
    return f"{note}\n{code}" if note else code


def prior_code(name: str, distribution: str, params: dict[str, str], dims: Sequence[str] = ()) -> str:
    """``name = pm.Distribution("name", param=value, dims=...)``."""
    args = ", ".join(f"{key}={value}" for key, value in params.items())
    return _noted(name, f"{python_name(name)} = pm.{distribution}({python_string(name)}, {args}{dims_argument(dims)})")


def likelihood_code(
    name: str, distribution: str, params: dict[str, str] | None, observed: str, dims: Sequence[str] = ()
) -> str:
    """An observed variable's declaration with new ``observed`` (and dims); a comment when its parameters
    cannot be spelled."""
    if params is None:
        return comment(
            f"in pm.{distribution}({python_string(name)}, ...), pass observed={observed}{dims_argument(dims)}"
        )
    args = ", ".join(f"{key}={value}" for key, value in params.items())
    return f"pm.{distribution}({python_string(name)}, {args}, observed={observed}{dims_argument(dims)})"


def debug_code(*, verbose: bool) -> str:
    """``model.debug()``, which evaluates each term alone and says what fails."""
    if verbose:
        return f"with {model_variable()}:\n    {model_variable()}.debug(verbose=True)"
    return f"with {model_variable()}:\n    {model_variable()}.debug()  # parameters and values behind each term"


# --- data


def data_container_code(name: str, source: str, dims: Sequence[str] = ()) -> str:
    """Declare data as a container, so that ``pm.set_data`` can swap it for predictions."""
    return _noted(name, f"{python_name(name)} = pm.Data({python_string(name)}, {source}{dims_argument(dims)})")


def set_data_code(name: str, new_values: str | None = None) -> str:
    """Swap the container ``name`` for ``new_values`` (code; ``<name>_new`` by default) and predict."""
    new_values = new_values or f"{python_name(name)}_new"
    return (
        f"with {model_variable()}:\n"
        f"    pm.set_data({{{python_string(name)}: {new_values}}})\n"
        "    predictions = pm.sample_posterior_predictive(idata)"
    )


def unused_name(name: str, taken: Collection[str]) -> str:
    """``name``, or ``name_data``, ``name_data2``, ... : the first the model does not hold already, since
    PyMC refuses a second variable of the same name."""
    candidates = chain([name, f"{name}_data"], (f"{name}_data{n}" for n in count(2)))
    return next(candidate for candidate in candidates if candidate not in taken)


def covariate_container_code(
    name: str, array: str, dims: Sequence[str], replaced: str, taken: Collection[str] = ()
) -> str:
    """A covariate baked into the graph as a container instead, and its swap for predictions. The
    container gets a name none of the model's variables (``taken``) has."""
    spelled = python_name(name)
    container = unused_name(name, taken)
    declaration = f"{spelled}_data = pm.Data({python_string(container)}, {array}{dims_argument(dims)})"
    return _noted(
        name,
        f"{declaration}  {comment(f'use {spelled}_data in place of {replaced}')}\n"
        + set_data_code(container, f"{spelled}_new"),
    )


def index_coords_comment(dim: str, frame: str) -> str:
    """A DataFrame's index as the coordinates of ``dim``."""
    return comment(f"on the model: coords={{{python_string(dim)}: {frame}.index}}")


def category_codes_code(name: str, column: str, dims: Sequence[str]) -> str:
    """A categorical column passed as its codes, with its categories as coordinates."""
    level = python_string(f"{name}_level")
    return (
        comment(f"on the model: coords={{{level}: {column}.cat.categories}}")
        + "\n"
        + data_container_code(name, f"{column}.cat.codes.to_numpy()", dims)
    )


def nullable_column_code(name: str, column: str, dims: Sequence[str]) -> str:
    """A nullable column converted explicitly, its missing values as NaN."""
    return data_container_code(name, f"{column}.to_numpy(dtype=float, na_value=np.nan)", dims)


def drop_missing_code(array: str, refit: str) -> str:
    """Keep the rows without NaN in ``array``, then ``refit`` (the likelihood on the kept rows)."""
    return f"keep = ~np.isnan({array})  # then index every per-row array with keep\n{refit}"


def drop_nonfinite_code(array: str) -> str:
    return f"keep = np.isfinite({array})  # then index every per-row array with keep: {array}[keep], ..."


def standardize_code(array: str, source: str | None = None) -> str:
    """Fit on the unit scale; map draws back with the saved mean and sd. ``source``: where ``array`` comes
    from when the user's data is not a NumPy array of that name (a DataFrame column)."""
    extracted = f"{array} = {source}.to_numpy()\n" if source is not None else ""
    return extracted + (
        f"{array}_mean, {array}_sd = {array}.mean(), {array}.std()\n"
        f"{array}_std = ({array} - {array}_mean) / {array}_sd  # observe this instead\n"
        f"# back on the original scale: {array}_mean + {array}_sd * draws"
    )


def integer_counts_code(name: str, values: str) -> str:
    counts = f"{python_name(name)}_counts"
    return _noted(name, f'{counts} = np.rint({values}).astype("int64")  # then observed={counts}')


# --- shapes, dims and indices


def coords_code(name: str, dim: str, length: int) -> str:
    return f"coords = {{{python_string(dim)}: range({length})}}  " + comment(
        f"or the labels of {name}'s elements, taken from the same table as its values"
    )


Declaration = tuple[str, tuple[str, ...], dict[str, int] | None]


def dims_to_declare(declarations: Sequence[Declaration], shown: int = 6) -> str:
    """What to add to each declaration, as text: ``(name, dims, new coordinates or None)`` for each.
    Text, not code: the declarations are the user's, and only they can be rewritten."""
    parts = [f"{dims_argument(dims).lstrip(', ')} to {python_string(name)}" for name, dims, _ in declarations]
    more = f", and the same for {len(parts) - shown} more" if len(parts) > shown else ""
    return "add " + ", ".join(parts[:shown]) + more


def new_coords_code(declarations: Sequence[Declaration]) -> str:
    """The coordinates the dims need where the model has none of their lengths; empty when it has them all."""
    new = {dim: length for _, _, coords in declarations for dim, length in (coords or {}).items()}
    if not new:
        return ""
    spelled = ", ".join(f"{python_string(dim)}: range({length})" for dim, length in new.items())
    return f"coords = {{{spelled}}}  " + comment("merge into pm.Model(coords=...), with the labels of the elements")


def factorize_code(index: str) -> str:
    return f"codes, levels = pd.factorize({index})  # codes 0..k-1, and levels for the coordinates"


def zero_based_code(index: str) -> str:
    return f"{index} - 1  # 0-based, as NumPy and PyTensor index"


def per_observation_code(name: str) -> str:
    return (
        f"print({model_variable()}[{python_string(name)}].shape.eval())\n"
        "# then align the terms per observation: a[group_idx] + b * x, not a[:, None] + b * x"
    )


def group_index_code(parameter: str) -> str:
    return f"{parameter}[group_idx]  # group_idx: one integer group code per observed value"


def marginalize_code(names: Sequence[str]) -> str:
    return (
        "import pymc_extras as pmx  # pip install pymc-extras\n\n"
        f"{model_variable()} = pmx.marginalize({model_variable()}, [{', '.join(map(python_string, names))}])"
    )


# --- parameterization and the prior predictive


def zero_sum_code(name: str, sigma: str, dims: Sequence[str], size: int) -> str:
    """Effects that sum to zero, beside an intercept that carries the overall level."""
    shape = dims_argument(dims) if dims else f", shape={size}"
    return _noted(name, f"{python_name(name)} = pm.ZeroSumNormal({python_string(name)}, sigma={sigma}{shape})")


def keep_one_code(kept: str, dropped: Sequence[str], sigma: str) -> str:
    """One parameter for what the likelihood sees, instead of several it cannot tell apart."""
    return (
        comment(f"the likelihood cannot tell {kept} from {', '.join(dropped)}: keep {kept}, drop the others")
        + "\n"
        + prior_code(kept, "Normal", {"mu": "0", "sigma": sigma})
    )


def prior_predictive_code(prior_fix: str = "") -> str:
    """Look at the prior predictive again, after ``prior_fix`` where there is one."""
    return (
        prior_fix + "\n" if prior_fix else ""
    ) + f"with {model_variable()}:\n    prior = pm.sample_prior_predictive(random_seed=1)"


def beta_likelihood_code(name: str, mu: str, sigma: str, observed: str) -> str:
    """Proportions observed by a Beta whose mean goes through a logit link."""
    return (
        f"pm.Beta({python_string(name)}, mu=pm.math.invlogit({mu}), sigma={sigma}, observed={observed})"
        "  # sigma < sqrt(mu * (1 - mu))"
    )


def lognormal_likelihood_code(name: str, mu: str, sigma: str, observed: str) -> str:
    return f"pm.LogNormal({python_string(name)}, mu={mu}, sigma={sigma}, observed={observed})  # mu: the mean of log"
