"""Explaining errors: what a PyMC or PyTensor exception (or a pasted traceback) means, and the fix.

Each recognizer is a rule (``EXP`` codes, listed by ``pymc-doctor rules``) that reads an
``ErrorText`` and yields findings; ``explain_error`` runs them all, each inside a guard.
This module imports nothing heavy: it is loaded with the package.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

from pymc_doctor.finding import Finding, Report, Severity, SkippedCheck
from pymc_doctor.registry import RULES, all_rules, rule

FALLBACK = "EXP100"
LIBRARY_PATHS = ("site-packages", "dist-packages", "<frozen", "/pymc/", "/pytensor/", "/arviz", "/xarray/")
_STANDARD_LIBRARY = re.compile(r"/lib/python\d+\.\d+/|/Lib/[^/]+\.py$")  # POSIX and Windows layouts


def _is_library(path: str) -> bool:
    """A frame of an installed package or of Python itself, not of the user's code."""
    path = path.replace("\\", "/")
    return any(part in path for part in LIBRARY_PATHS) or bool(_STANDARD_LIBRARY.search(path))


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)\s*$')
_LAST = re.compile(r"^(?P<kind>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Interrupt|Exit))(?::\s?(?P<message>.*))?$")


@dataclass(frozen=True)
class ErrorText:
    """An error as the recognizers read it: the whole text, its type and message, the user's line."""

    text: str
    kind: str  # the exception's type name, "" when unknown
    message: str
    where: str | None  # "script.py:12", the last frame outside the libraries
    line: str | None  # that frame's source line

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorText:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        where = line = None
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if not _is_library(frame.filename):
                where, line = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}", (frame.line or None)
                break
        return cls(text, type(exc).__name__, str(exc), where, line)

    @classmethod
    def from_text(cls, text: str) -> ErrorText:
        lines = text.rstrip().splitlines()
        kind, message, where, line = "", text.strip(), None, None
        for index in range(len(lines) - 1, -1, -1):
            match = _LAST.match(lines[index].strip())
            if match:
                kind = match.group("kind").rsplit(".", 1)[-1]
                message = "\n".join([match.group("message") or "", *lines[index + 1 :]]).strip()
                break
        for index, raw in enumerate(lines):
            frame = _FRAME.match(raw)
            if frame and not _is_library(frame.group("file")):
                where = f"{frame.group('file').rsplit('/', 1)[-1]}:{frame.group('line')}"
                following = lines[index + 1].strip() if index + 1 < len(lines) else ""
                line = following if following and not _FRAME.match(lines[index + 1]) else None
        return cls(text, kind, message, where, line)

    def has(self, *patterns: str) -> re.Match | None:
        for pattern in patterns:
            match = re.search(pattern, self.text, flags=re.IGNORECASE | re.MULTILINE)
            if match:
                return match
        return None

    def at(self) -> str:
        return f" (at {self.where}: `{self.line}`)" if self.where and self.line else ""


def _finding(code: str, severity: Severity, title: str, message: str, **fields) -> Finding:
    # EXP rules explain model and installation errors alike: a finding takes the category its rule declares.
    category = RULES[code].category
    return Finding(code=code, severity=severity, category=category, title=title, message=message, docs=code, **fields)


def _frame_expression(error: ErrorText) -> str | None:
    """A DataFrame column on the user's failing line, such as ``df["x"]``."""
    if not error.line:
        return None
    match = re.search(r"\b([A-Za-z_]\w*)\[(['\"])([^'\"]+)\2\]", error.line)
    return f'{match.group(1)}["{match.group(3)}"]' if match else None


# ---------------------------------------------------------------------------------------------
# Recognizers


@rule("EXP101", "shape-error", category="model", severity="error", needs=("error",))
def shape_error(error: ErrorText) -> Iterator[Finding]:
    """Shape mismatches and broadcasting errors.

    What it checks: PyTensor's and NumPy's shape errors: "Incompatible Elemwise input shapes",
    "Size length is incompatible with batched dimensions", "shape mismatch", "could not be
    broadcast", "Input dimension mismatch", an `Alloc` whose target shape does not fit.

    Why it matters: shapes are the most common modeling error (the talk's "shapes are hard"):
    two arrays of different lengths meet in one operation, typically group-level parameters
    used per observation without an index, or observed data of another length than the mean.

    Threshold: the error text.

    Example: `mu` of shape (3,) as the mean of `observed` of shape (4,).

    Fix: give every per-observation term one value per observation (index group values with a
    group code, `mu[group_idx]`), and check shapes before sampling with `pymc_doctor.lint(model)`.
    """
    match = error.has(
        r"Incompatible Elemwise input shapes",
        r"Size length is incompatible with batched dimensions",
        r"Alloc static input type and target shape are incompatible",
        r"Input dimension mis-?match",
        r"shape mismatch",
        r"could not be broadcast",
        r"operands could not be broadcast together",
    )
    if not match:
        return
    shapes = re.findall(r"\((\d+(?:,\s*\d*)*)\)", error.message)[:3]
    shown = " and ".join(f"({s})" for s in shapes) if shapes else "different shapes"
    yield _finding(
        "EXP101",
        "error",
        "Shape mismatch",
        (
            f"Two arrays of shapes {shown} met in one operation{error.at()}. A typical cause is a group-level "
            "parameter used per observation without its index, or data of another length than the term it "
            "goes with."
        ),
        evidence={"pattern": match.group(0), "shapes": shapes},
        fix="Give each per-observation term one value per observation: index group-level values with a group code.",
        fix_code=(
            "mu_obs = mu[group_idx]  # group_idx: the group code (0..k-1) of each observation\n"
            "# before sampling, pymc_doctor.lint(model) names the variable whose shapes disagree"
        ),
    )


@rule("EXP102", "start-failed", category="model", severity="error", needs=("error",))
def start_failed(error: ErrorText) -> Iterator[Finding]:
    """The starting point failed: "Initial evaluation of model at starting point failed!".

    What it checks: PyMC's `SamplingError` raised when a term's log-probability is -inf or nan at
    the starting point; the terms and starting values are read from the message.

    Why it matters: the message names the term but not why: an observed value outside the
    likelihood's support (a negative count, a proportion of 1.2), a parameter that starts at an
    invalid value (a scale at 0 from a `Normal` prior), NaN in the data.

    Threshold: the error text.

    Example: `pm.Poisson("y", lam, observed=[1, -2, 3])`.

    Fix: `model.debug()` prints the parameters behind each failing term; `pymc_doctor.lint(model)`
    names the cause (MOD201, MOD101, MOD306).
    """
    if not error.has(r"Initial evaluation of model at starting point failed"):
        return
    results = error.text.split("Logp initial evaluation results", 1)[-1]
    failing = re.findall(r"'([^']+)':\s*(?:np\.float\d+\()?(-inf|inf|nan)", results)
    terms = [name for name, _ in failing]
    starts = re.findall(r"'([^']+)':\s*array\(([^)]*)\)", error.text.split("Logp initial evaluation", 1)[0])
    named = ", ".join(f"`{t}` ({v})" for t, v in failing) or "some terms"
    yield _finding(
        "EXP102",
        "error",
        f"Starting point failed: {', '.join(f'`{t}`' for t in terms) or 'non-finite log-probability'}",
        (
            f"At the starting point the log-probability of {named} is not finite. For an observed variable, "
            "some data lie outside its distribution's support (a negative count, a value above 1 for a "
            "probability) or are NaN; for a parameter, its prior lets it start where another term is invalid "
            "(a scale at or below 0)."
        ),
        variables=tuple(terms),
        evidence={"terms": dict(failing), "start": {name: value.strip() for name, value in starts}},
        fix="Find the cause with model.debug() or pymc_doctor.lint(model), then fix that data or prior.",
        fix_code="model.debug(verbose=True)\n\nimport pymc_doctor\n\npymc_doctor.lint(model).show()",
    )


@rule("EXP103", "bad-energy", category="model", severity="error", needs=("error",))
def bad_energy(error: ErrorText) -> Iterator[Finding]:
    """A chain started where the log-probability is not finite: "Bad initial energy".

    What it checks: NUTS's `SamplingError` when the energy at a chain's start is not finite.

    Why it matters: some chain started (after jitter) where the log-probability is -inf or nan,
    typically a prior that allows values another term forbids (a `Normal` prior on a scale), data
    outside the likelihood's support, or extreme priors that overflow.

    Threshold: the error text.

    Example: `sigma = pm.Normal("sigma", 0, 1)` as the scale of a likelihood.

    Fix: priors with the right support (HalfNormal for scales, Beta for probabilities); then, if
    needed, start without jitter (`init="adapt_diag"`).
    """
    if not error.has(r"Bad initial energy"):
        return
    values = re.search(r"very small:\s*\\?n?\s*\[([^\]]*)\]", error.text)
    yield _finding(
        "EXP103",
        "error",
        "Bad initial energy",
        (
            "A chain started where the log-probability is not finite"
            + (f" (terms: {values.group(1).strip()})" if values else "")
            + ". Usually a prior allows values that another term forbids (a Normal prior on a scale), or "
            "data lie outside the likelihood's support."
        ),
        evidence={"terms": values.group(1).strip() if values else None},
        fix="Give scales and probabilities priors with the right support; then retry without jitter.",
        fix_code=(
            "import pymc_doctor\n\npymc_doctor.lint(model).show()  # names the prior (MOD101, MOD102, MOD201)\n"
            'with model:\n    idata = pm.sample(init="adapt_diag")'
        ),
    )


@rule("EXP104", "blas-warning", category="env", severity="warning", needs=("error",))
def blas_warning(error: ErrorText) -> Iterator[Finding]:
    """PyTensor without an optimized BLAS.

    What it checks: "PyTensor could not link to a BLAS installation" and the older "Using NumPy
    C-API based implementation for BLAS functions".

    Why it matters: matrix operations fall back to slow implementations; models with dot products
    run several times slower.

    Threshold: the warning text.

    Example: `pip install pymc` on a system without OpenBLAS or MKL development libraries.

    Fix: install PyMC from conda-forge (conda, mamba or pixi), which brings a linked BLAS.
    """
    if not error.has(r"could not link to a BLAS", r"NumPy C-API based implementation for BLAS"):
        return
    yield _finding(
        "EXP104",
        "warning",
        "PyTensor has no optimized BLAS",
        "PyTensor could not link to a BLAS library, so matrix operations use slow fallbacks.",
        fix="Install PyMC from conda-forge, which links PyTensor to OpenBLAS or MKL.",
        fix_code='conda create -c conda-forge -n pymc_env "pymc>=5"\nconda activate pymc_env',
    )


@rule("EXP105", "compiler-warning", category="env", severity="warning", needs=("error",))
def compiler_warning(error: ErrorText) -> Iterator[Finding]:
    """No working C compiler for PyTensor.

    What it checks: "g++ not detected", "PyTensor will be unable to compile C-implementations",
    and C compilation failures ("Compilation failed").

    Why it matters: without a compiler PyTensor runs its Python implementations: sampling can be
    ten to a hundred times slower.

    Threshold: the warning text.

    Example: a fresh Windows or macOS install without build tools.

    Fix: install a compiler (conda-forge's `cxx-compiler`), or sample with nutpie or numpyro,
    which do not need one.
    """
    match = error.has(r"g\+\+ not detected", r"unable to compile C-implementations", r"Compilation failed")
    if not match:
        return
    yield _finding(
        "EXP105",
        "warning",
        "No working C compiler for PyTensor",
        f"PyTensor reports `{match.group(0)}`: it falls back to slow Python implementations.",
        fix="Install conda-forge's compilers, or use a sampler that needs no C compiler.",
        fix_code='conda install -c conda-forge cxx-compiler\n# or: pm.sample(nuts_sampler="nutpie")',
    )


@rule("EXP106", "legacy-import", category="env", severity="error", needs=("error",))
def legacy_import(error: ErrorText) -> Iterator[Finding]:
    """Code or packages from PyMC3, Theano or Aesara.

    What it checks: `No module named 'pymc3'` (or `theano`, `aesara`), tracebacks through such
    imports, and errors of old Theano builds with new NumPy (`blas_opt_info`).

    Why it matters: PyMC3 and Theano are unmaintained and do not install on current Python and
    NumPy; code written for them needs the current names (`import pymc as pm`, `pytensor`).

    Threshold: the error text.

    Example: `import pymc3 as pm` in an old tutorial.

    Fix: install `pymc` and use `import pymc as pm` and `import pytensor.tensor as pt`.
    """
    match = error.has(
        r"No module named '(pymc3|theano|aesara|theano_pymc)'",
        r"^\s*(?:import|from) (pymc3|theano|aesara)\b",
        r"has no attribute 'blas_opt_info'",
    )
    if not match:
        return
    yield _finding(
        "EXP106",
        "error",
        "PyMC3 / Theano code",
        f"The error comes from the PyMC3-era stack (`{match.group(0).strip()}`), which no longer installs or runs "
        "with current Python and NumPy.",
        fix="Use PyMC (v5+) and PyTensor: most code only needs the new imports.",
        fix_code=(
            "pip uninstall -y pymc3 theano theano-pymc\npip install pymc\n"
            "# in the code:\nimport pymc as pm\nimport pytensor.tensor as pt  # instead of theano.tensor as tt"
        ),
    )


@rule("EXP107", "coords-conflict", category="model", severity="error", needs=("error",))
def coords_conflict(error: ErrorText) -> Iterator[Finding]:
    """Dims whose coordinates disagree with the data (at the end of sampling).

    What it checks: xarray's `CoordinateValidationError` ("conflicting sizes for dimension"),
    raised when ArviZ builds the trace.

    Why it matters: PyMC does not check dims against coordinates before sampling (pymc#7891): the
    run completes and then fails, and the draws are lost.

    Threshold: the error text.

    Example: `coords={"obs": range(4)}` with a Deterministic of length 5 declared `dims="obs"`.

    Fix: build the coordinates from the same data as the variable; `pymc_doctor.lint(model)`
    finds the variable before sampling (MOD401).
    """
    match = error.has(r"conflicting sizes for dimension '([^']+)': length (\d+) on the data but length (\d+)")
    if not match and not error.has(r"CoordinateValidationError"):
        return
    if match:
        dim, data_length, coord_length = match.group(1), match.group(2), match.group(3)
        message = (
            f"A variable declared with dims `{dim}` has {data_length} values along it, but the model's coordinates "
            f"for `{dim}` have {coord_length}. PyMC noticed only after sampling, when building the trace."
        )
    else:
        dim, data_length, message = "obs", "n", "A variable's length disagrees with the coordinates of one of its dims."
    yield _finding(
        "EXP107",
        "error",
        f"Dims `{dim}` disagree with the data",
        message,
        evidence={"dim": dim},
        fix="Build the coordinates from the same table as the data, and lint the model before sampling.",
        fix_code=(
            f'coords = {{"{dim}": range({data_length})}}  # or the labels, from the same table as the data\n'
            "import pymc_doctor\n\npymc_doctor.lint(model).show()  # MOD401 names the variable"
        ),
    )


@rule("EXP108", "pandas-sequence", category="model", severity="error", needs=("error",))
def pandas_sequence(error: ErrorText) -> Iterator[Finding]:
    """A pandas object used in model arithmetic.

    What it checks: NumPy's "setting an array element with a sequence", which a pandas Series
    multiplied by a PyMC variable raises.

    Why it matters: pandas tries to build an object array of tensors; the error names neither the
    Series nor the variable.

    Threshold: the error text.

    Example: `mu = alpha + beta * df["x"]`.

    Fix: extract NumPy arrays (`df["x"].to_numpy()`), and declare data that will change with `pm.Data`.
    """
    if not error.has(r"setting an array element with a sequence"):
        return
    column = _frame_expression(error)
    source = column or 'df["x"]'
    name = re.sub(r"\W", "", source.split("[", 1)[1]) if column else "x"
    yield _finding(
        "EXP108",
        "error",
        "A pandas object in model arithmetic",
        (
            f"A pandas Series{f' (`{column}`)' if column else ''} met a PyMC variable in an arithmetic "
            f"operation{error.at()}: pandas cannot hold tensors. Work with NumPy arrays inside the model."
        ),
        evidence={"column": column},
        fix="Extract the values with .to_numpy() (inside pm.Data for data that will change).",
        fix_code=f'{name} = pm.Data("{name}", {source}.to_numpy())  # inside the model; then use {name}',
    )


@rule("EXP109", "object-dtype", category="model", severity="error", needs=("error",))
def object_dtype(error: ErrorText) -> Iterator[Finding]:
    """Data of object dtype (strings, mixed types, pandas NA).

    What it checks: "Unsupported dtype for TensorType: object" and NumPy's `isnan` refusing
    object arrays when PyMC looks for missing observed values.

    Why it matters: PyTensor holds numbers only; an object column (strings, a numeric column read
    with stray text, a nullable column with `pd.NA`) cannot become a tensor.

    Threshold: the error text.

    Example: `pm.Data("group", df["group"])` with group names as strings.

    Fix: code categories as integers (`pd.factorize`) with the labels as coordinates; convert
    numeric columns with `pd.to_numeric`.
    """
    if not error.has(r"Unsupported dtype for TensorType: object", r"ufunc 'isnan' not supported for the input types"):
        return
    column = _frame_expression(error)
    source = column or 'df["group"]'
    yield _finding(
        "EXP109",
        "error",
        "Data of object dtype",
        (
            f"An array of Python objects{f' (`{column}`)' if column else ''} reached the model{error.at()}: "
            "strings, mixed types or pandas NA. PyTensor holds numbers only."
        ),
        evidence={"column": column},
        fix="Code categories as integers with the labels as coordinates; convert numeric text with pd.to_numeric.",
        fix_code=(
            f"codes, labels = pd.factorize({source})  # integer codes 0..k-1 and their labels\n"
            'coords = {"group": labels}\n'
            f'values = pd.to_numeric({source}, errors="coerce").to_numpy()  # for a numeric column read as text'
        ),
    )


@rule("EXP110", "nan-in-data", category="model", severity="error", needs=("error",))
def nan_in_data(error: ErrorText) -> Iterator[Finding]:
    """NaN passed to `pm.Data`.

    What it checks: "Masked arrays or arrays with `nan` entries are not supported".

    Why it matters: data containers cannot hold missing values; only `observed` arrays trigger
    PyMC's automatic imputation.

    Threshold: the error text.

    Example: `pm.Data("y", df["y"])` with missing values.

    Fix: drop the incomplete rows (from every per-row array), or pass the array to `observed`
    directly if imputing it is intended.
    """
    if not error.has(r"Masked arrays or arrays with `?nan`? entries are not supported"):
        return
    column = _frame_expression(error)
    source = f"{column}.to_numpy()" if column else "values"
    yield _finding(
        "EXP110",
        "error",
        "NaN in a data container",
        f"`pm.Data` received missing values{error.at()}. Only `observed` arrays can hold NaN (PyMC imputes them).",
        evidence={"column": column},
        fix="Drop the incomplete rows from every per-row array, or pass the array to observed to impute it.",
        fix_code=f"keep = ~np.isnan({source})  # then index every per-row array with keep",
    )


@rule("EXP111", "compile-cache", category="env", severity="error", needs=("error",))
def compile_cache(error: ErrorText) -> Iterator[Finding]:
    """PyTensor's compilation cache is locked or unwritable.

    What it checks: "compiledir ... exists but you don't have read, write or listing permissions"
    and "The file lock ... could not be acquired".

    Why it matters: PyTensor compiles every model into its cache directory; a stale lock (a
    killed process) or a read-only directory stops every model from compiling.

    Threshold: the error text.

    Example: two notebooks compiling at once after one was killed mid-compilation.

    Fix: `pytensor-cache unlock` (or `clear`), or point PyTensor at a writable directory.
    """
    match = error.has(r"compiledir '[^']*' exists but you don't have", r"file lock .* could not be acquired")
    if not match:
        return
    yield _finding(
        "EXP111",
        "error",
        "PyTensor's compile cache is locked or unwritable",
        f"PyTensor reports `{match.group(0)}`.",
        fix="Unlock or clear the cache, or give PyTensor a writable directory.",
        fix_code='pytensor-cache unlock\npytensor-cache clear\nexport PYTENSOR_FLAGS="base_compiledir=$HOME/.pytensor"',
    )


@rule("EXP100", "unrecognized-error", category="model", severity="info", needs=("error",))
def unrecognized_error(error: ErrorText) -> Iterator[Finding]:
    """An error no other EXP rule recognizes.

    What it checks: nothing; it runs only when no other `EXP` rule matched, and reports the
    error's type, message and the line in the user's code.

    Why it matters: saying "not recognized" is better than silence: the next step is the
    model's own lint and the community.

    Threshold: no other rule matched.

    Example: an exception from the user's own code.

    Fix: lint the model (`pymc_doctor.lint(model)`), and ask on discourse.pymc.io with the
    Markdown report (`pymc-doctor check script.py --share`).
    """
    first = error.message.strip().splitlines()[0][:300] if error.message.strip() else "(no message)"
    yield _finding(
        "EXP100",
        "info",
        f"Unrecognized error: {error.kind or 'unknown type'}",
        f"pymc-doctor does not recognize `{error.kind}: {first}`{error.at()}.",
        evidence={"type": error.kind},
        fix="Lint the model, and ask on discourse.pymc.io with the report if the cause stays unclear.",
        fix_code="import pymc_doctor\n\npymc_doctor.lint(model).show()",
    )


def explain_error(error: BaseException | str) -> Report:
    """Run every EXP recognizer on an exception or a traceback's text; never raises for odd input."""
    subject = ErrorText.from_exception(error) if isinstance(error, BaseException) else ErrorText.from_text(str(error))
    from pymc_doctor.compat import library_versions

    report = Report(
        context={
            "versions": library_versions(),
            "error": {"type": subject.kind, "message": subject.message[:500], "where": subject.where},
        }
    )
    recognizers = [r for r in all_rules() if "error" in r.needs]
    for recognizer in sorted(recognizers, key=lambda r: r.code == FALLBACK):
        if recognizer.code == FALLBACK and report.findings:
            continue
        try:
            report.findings.extend(recognizer.function(subject, **recognizer.params))
        except Exception as exc:  # one broken recognizer must not hide the others
            report.checks_skipped.append(SkippedCheck(recognizer.code, recognizer.name, f"raised {exc!r}"))
            continue
        report.checks_run.append(recognizer.code)
    order = {"error": 0, "warning": 1, "info": 2}
    report.findings.sort(key=lambda f: (order[f.severity], f.code))
    return report
