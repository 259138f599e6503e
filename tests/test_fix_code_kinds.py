"""Every code block the doctor shows is one kind: Python a user pastes into a script or notebook, or shell
commands typed at a prompt; never both, and never only comments.

The findings come from real reports: every committed trace, models that lint with findings, the error
corpus of ``explain``, and environment facts on which each ENV rule fires, on four platforms and
install channels."""

from __future__ import annotations

import ast
import functools
import warnings
from functools import cache

import numpy as np
import pymc as pm
import pytest

import pymc_doctor as doctor
from pymc_doctor.catalog import all_rules
from pymc_doctor.probes.protocol import ProbeResult
from tests.checks.environment.helpers import DROP, GB, copy_of, facts, failed, pool
from tests.checks.environment.helpers import check as check_env
from tests.checks.explain.errors import BLAS_OLD, THEANO_WITH_NEW_NUMPY
from tests.checks.model import support as model_support
from tests.checks.model import test_data as model_data
from tests.checks.model import test_parameterization as model_parameterization
from tests.checks.model import test_predictive as model_predictive
from tests.checks.model import test_priors as model_priors
from tests.checks.model import test_shapes as model_shapes
from tests.support import TRACE_DIR, load
from tests.test_explain import CORPUS, as_error

# The first word of a shell command: installers, the shell's own commands, and the tools fixes call.
SHELL_COMMANDS = frozenset(
    {
        "pip", "pip3", "conda", "mamba", "micromamba", "uv", "pixi", "apt", "apt-get", "dnf", "yum", "brew",
        "sudo", "export", "unset", "set", "source", "cd", "mv", "rm", "kill", "echo", "xcode-select",
        "nvidia-smi", "pytensor-cache", "Stop-Process", "Remove-Item",
    }
)  # fmt: skip


def is_shell_line(line: str) -> bool:
    """A command for a shell: its first word is a shell command, ``python -m``/``-c`` or a PowerShell
    variable (``$env:X = ...``)."""
    words = line.split()
    if not words:
        return False
    if words[0] in SHELL_COMMANDS or words[0].startswith("$"):
        return True
    return words[0] in ("python", "python3") and len(words) > 1 and words[1] in ("-m", "-c")


def kind_problem(code: str) -> str | None:
    """Why ``code`` is not one kind of block, or None: a block is shell when every line that is not a
    comment is a shell command; Python when it parses and no line is a shell command."""
    lines = [line.strip() for line in code.splitlines()]
    statements = [line for line in lines if line and not line.startswith("#")]
    if not statements:
        return "only comments"
    shell = [line for line in statements if is_shell_line(line)]
    if len(shell) == len(statements):
        return None
    if shell:
        return f"shell ({shell[0]!r}) and Python in one block"
    try:
        ast.parse(code)
    except SyntaxError as error:
        return f"neither shell nor Python: {error.msg} at line {error.lineno}"
    return None


def test_the_criterion():
    assert kind_problem("python -m pip install nutpie\nconda activate pymc_env  # then") is None
    assert kind_problem('$env:OMP_NUM_THREADS = "1"\nRemove-Item Env:X') is None
    assert kind_problem("import pymc as pm\n\nwith model:\n    idata = pm.sample()") is None
    assert kind_problem("pip install pymc\nimport pymc as pm") == "shell ('pip install pymc') and Python in one block"
    assert kind_problem("# nothing to run") == "only comments"
    assert kind_problem("with model:\nidata = pm.sample()").startswith("neither shell nor Python")
    assert kind_problem("set_data = 1") is None  # a Python name that begins like a shell command


# --- findings from real reports


def _quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _schools():
    """A centered hierarchy, with the name a user gives it."""
    with pm.Model(coords={"school": list("ABCDEFGH")}) as schools:
        theta = pm.Normal("theta", pm.Normal("mu", 0, 5), pm.HalfCauchy("tau", 5), dims="school")
        pm.Normal("obs", theta, 15.0, observed=np.array([28, 8, -3, 7, -1, 1, 18, 12.0]), dims="school")
    return schools, {"schools": schools}


def _funnel():
    """Neal's funnel."""
    with pm.Model() as funnel:
        v = pm.Normal("v", 0, 3)
        pm.Normal("x", 0, pm.math.exp(v / 2), shape=9)
    return funnel, {"funnel": funnel}


FRACTIONAL_COUNTS = functools.partial(model_data.fractional_counts, False)
# Models each with a mistake, as the lint tests build them; builders return the model, or it and a namespace.
MODEL_BUILDERS = [
    _schools,
    _funnel,
    model_support.normal_sigma,
    model_support.normal_probability,
    model_support.numpy_covariate_with_nan,
    model_support.observed_shape,
    model_support.filtered_frame,
    model_data.missing_observed,
    model_data.income_in_dollars,
    model_data.infinite_covariates,
    FRACTIONAL_COUNTS,
    model_parameterization.two_intercepts,
    model_parameterization.effects_beside_intercept,
    model_shapes.dims_disagree,
    model_shapes.predictors_without_dims,
    model_shapes.one_based_index,
    model_shapes.outer_broadcast,
    model_shapes.discrete_membership,
    model_predictive.wide_regression,
    model_predictive.custom_positive_likelihood,
    model_priors.flat_priors,
    model_priors.uniform_slope,
]


def _env_cases():
    """Facts on which each ENV rule fires, each on Linux in a venv, Linux in conda, Windows and an arm64 Mac."""
    no_blas = {"pytensor": {"flags": {"blas__ldflags": ""}, "default_linker": "CVMLinker"}}
    stuck_lock = {"held_by_other": True, "file": "/x/.lock", "error": "lock", "stuck": True}
    holder = {"pid": 4242, "command": "python -m ipykernel_launcher", "compiling": False, "seconds_running": 3600}
    requirement = {"name": "arviz", "specifier": ">=0.13.0", "installed": "1.0.0", "extra": None, "satisfied": False}
    conflict = {"name": "old-extension", "version": "0.9", "requires": "numpy<2", "compiled": True, "location": "/e"}
    many_threads = {"threadpools": [pool("blas", "openblas", 8)]}
    stuck_compile = ProbeResult("compile", data={"cxx": "g++"}, timed_out=True, timeout=240, stderr_tail="lock")
    cases = [
        ({"distributions": {"pymc3": [copy_of("3.11.5")]}, "legacy_modules": {"aesara": "/opt/aesara"}}, {}),
        ({"legacy_imports": [{"file": "model.py", "modules": ["pymc3"]}]}, {}),
        ({"env_vars": {"THEANO_FLAGS": "floatX=float32"}, "legacy_rc_files": ["/home/ada/.theanorc"]}, {}),
        ({"distributions": {"pymc": [copy_of("4.4.0")]}}, {}),
        ({"distributions": {"pymc": [copy_of("5.28.5")]}, "hardware": {"memory_available": GB}}, {}),
        ({"pymc_requirements": [requirement]}, {}),
        ({"numpy_conflicts": [conflict]}, {}),
        ({}, {"base": {"pymc_import": failed("ModuleNotFoundError: No module named 'pytensor.tensor'")}}),
        ({"env_vars": {"PYTENSOR_FLAGS": "cxxflags=-O2"}}, {"base": {"notes": [_flag_warning("cxxflags")]}}),
        ({"distributions": {"numpy": [copy_of("2.3.5", "/a"), copy_of("2.1.0", "/b")]}, "shadowing": ["pymc"]}, {}),
        ({"env_vars": {"PYTENSOR_FLAGS": "blas__ldflags="}}, {"base": no_blas}),
        ({}, {"compile": {"blas_op": failed("CompileError: Compilation failed\ncannot find -lnosuchblas")}}),
        ({}, {"base": {"threadpools": []}}),
        ({"env_vars": {"PYTENSOR_FLAGS": "cxx="}, "compilers": {}}, {"base": {"pytensor": {"flags": {"cxx": ""}}}}),
        ({}, {"compile": {"c_op": failed("CompileError: Compilation failed (return status=1):")}}),
        ({}, {"base": {"compiledir": {"writable": False, "free_bytes": 100 * 2**20}}}),
        ({}, {"base": {"compiledir": {"lock": {**stuck_lock, "holder": holder}}}}),
        ({}, {"base": {"compiledir": {"path": "/home/ada/Dropbox/.pytensor/compiledir_x"}}}),
        ({"distributions": {"pytensor": [copy_of("3.0")], "scipy": [copy_of("1", installer="conda")]}}, {}),
        ({"hardware": {"gpus": ["NVIDIA H100"]}}, {"samplers": {"imports": {"nutpie": failed("ImportError: _lib")}}}),
        ({"distributions": {"pymc": [copy_of("5.28.5")]}}, {"samplers": {"imports": {"nutpie": failed("x")}}}),
        ({"env_vars": {"OPENBLAS_NUM_THREADS": "8", "MKL_NUM_THREADS": "four"}}, {"base": many_threads}),
        ({"in_notebook": False}, {"base": {"start_method": "spawn"}}),
        ({"platform": {"rosetta": True}}, {}),
        ({}, {"smoke": {"sample": None, "error": {"stage": "sample", "error": "SamplingError: x", "traceback": ""}}}),
        ({}, {"compile": DROP, "results": {"compile": stuck_compile}}),
    ]  # fmt: skip
    platforms = [
        {"platform": {"system": "Linux"}, "channel": {"kind": "venv"}},
        {"platform": {"system": "Linux"}, "channel": {"kind": "conda", "conda_meta": True}},
        {"platform": {"system": "Windows"}, "channel": {"kind": "pixi", "conda_meta": True}},
        {"platform": {"system": "Darwin", "machine": "arm64"}, "channel": {"kind": "uv"}},
    ]
    for static, probes in cases:
        for platform in platforms:
            changes = {**platform, **static, "platform": {**platform["platform"], **static.get("platform", {})}}
            yield facts(changes, **probes)


def _flag_warning(flag: str) -> dict:
    return {"source": "UserWarning", "message": f"PyTensor does not recognise this flag: {flag}"}


@cache
def collected() -> tuple:
    """(where, finding) for every finding of every report above."""
    found = []
    for path in sorted(TRACE_DIR.glob("*.nc")):
        report = _quietly(doctor.check, load(path.stem))
        found += [(f"trace {path.stem}", finding) for finding in report.findings]
    for builder in MODEL_BUILDERS:
        # The lint tests' own reports of these models, made once per session.
        report = model_support.report_of(builder)
        found += [(f"model of {getattr(builder, '__name__', 'a builder')}", f) for f in report.findings]
    for source in [*CORPUS.values(), BLAS_OLD, THEANO_WITH_NEW_NUMPY, "KeyError: 'a name of the user's own'"]:
        found += [("explain", finding) for finding in doctor.explain(as_error(source)).findings]
    rules = [rule.code for rule in all_rules(["ENV"])]
    for env in _env_cases():
        for code in rules:
            found += [("env", finding) for finding in check_env(code, env).findings]
    return tuple(found)


def blocks(finding) -> list[tuple[str, str]]:
    """The code blocks a finding shows: its fix, and each re-run step's code."""
    shown = [("fix_code", finding.fix_code)] + [(f"rerun {n}", step.code) for n, step in enumerate(finding.rerun, 1)]
    return [(label, code) for label, code in shown if code]


@pytest.mark.slow  # it checks every committed trace, lints 22 models and builds every ENV case
def test_the_reports_cover_most_of_the_catalog():
    fired = {finding.code for _, finding in collected()}
    catalog = {rule.code for rule in all_rules()}
    assert len(fired) >= 0.9 * len(catalog), sorted(catalog - fired)
    assert {rule.code for rule in all_rules(["ENV"])} <= fired, sorted(catalog - fired)


# The ridge diagnosis' by-hand step is two comments (diagnoses/ridge.py, which this change leaves to its owners);
# the findings it explains carry it as their fix.
BY_HAND_ELSEWHERE = "Explained by DX102"


def _problems(keep) -> dict[str, str]:
    problems = {}
    for where, finding in collected():
        if not keep(finding):
            continue
        for label, code in blocks(finding):
            problem = kind_problem(code)
            if problem:
                problems[f"{finding.code} {label} ({where})"] = f"{problem}:\n{code}"
    return problems


@pytest.mark.slow  # it checks every committed trace, lints 22 models and builds every ENV case
def test_every_code_block_is_python_or_shell():
    problems = _problems(lambda finding: not finding.fix.startswith(BY_HAND_ELSEWHERE))
    assert problems == {}, "\n\n".join(f"{key}: {value}" for key, value in problems.items())


@pytest.mark.slow  # it checks every committed trace, lints 22 models and builds every ENV case
def test_the_ridge_diagnosis_by_hand_step_is_code():
    assert _problems(lambda finding: finding.fix.startswith(BY_HAND_ELSEWHERE)) == {}
