"""Fix code as a user pastes it: in the user's name for the model, and runnable on the model it was written for."""

from __future__ import annotations

import ast

import numpy as np
import pymc as pm
import pytest

import pymc_doctor as doctor
from pymc_doctor import remedies
from tests.support import findings_of, load


def _radon():
    """A regression on a plain covariate array with a Normal prior on its sigma: MOD101, MOD201, MOD304."""
    rng = np.random.default_rng(1)
    floor = rng.integers(0, 2, 50).astype(float)
    log_radon = 1 + 0.5 * floor + rng.normal(size=50)
    with pm.Model() as radon_model:
        a = pm.Normal("a", 0, 1)
        b = pm.Normal("b", 0, 1)
        sigma = pm.Normal("sigma", 0, 1)
        pm.Normal("y", a + b * floor, sigma, observed=log_radon)
    return radon_model, {"radon_model": radon_model, "floor": floor, "log_radon": log_radon}


def _with_blocks(report) -> list[str]:
    codes = [f.fix_code for f in report.findings] + [step.code for step in report.plan]
    return [code for code in codes if code and "with " in code]


def test_fix_code_names_the_model_as_the_namespace_does():
    model, namespace = _radon()
    report = doctor.lint(model, namespace={"_": model, **namespace})
    blocks = _with_blocks(report)
    assert len(blocks) >= 2, [f.code for f in report.findings]
    for code in blocks:
        assert "with radon_model:" in code and "with model:" not in code, code
    assert any("radon_model.debug()" in step.code for step in report.plan)


def test_check_reads_the_name_from_the_callers_namespace():
    radon_model, _ = _radon()
    report = doctor.check(model=radon_model)
    assert _with_blocks(report)
    assert all("with radon_model:" in code for code in _with_blocks(report))


def test_fix_code_says_model_when_the_name_is_unknown():
    model, namespace = _radon()
    report = doctor.lint(model, namespace={"floor": namespace["floor"]})
    assert _with_blocks(report)
    assert all("with model:" in code for code in _with_blocks(report))
    # and the name of one run does not leak into the next
    doctor.lint(model, namespace=namespace)
    assert all("with model:" in code for code in _with_blocks(doctor.lint(model, namespace={})))


# --- pasting: a fix's declarations go into the model's source, its other statements run after it


def _target(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id
    return None


def paste(source: str, fix_code: str) -> dict:
    """Run ``source`` (data, then one ``with pm.Model() as name:`` block) with ``fix_code`` pasted as a
    user would: a declaration replaces the model's line that assigns the same name (or joins the end of
    the block), other statements run after the model; sampling is only compiled, never run."""
    tree = ast.parse(source)
    block = next(s for s in tree.body if isinstance(s, ast.With))
    declarations, after = [], []
    for statement in ast.parse(fix_code).body:
        (declarations if _target(statement) or isinstance(statement, ast.Import) else after).append(statement)
    replaced = {_target(s) for s in declarations} - {None}
    body = [s for s in block.body if _target(s) not in replaced]
    at = next((i for i, s in enumerate(block.body) if _target(s) in replaced), len(body))
    block.body = body[:at] + declarations + body[at:]
    namespace: dict = {"pm": pm, "np": np}
    exec(compile(ast.fix_missing_locations(tree), "<model>", "exec"), namespace)
    for statement in after:
        code = ast.unparse(statement)
        compiled = compile(code, "<fix>", "exec")
        if "pm.sample" not in code and "pm.set_data" not in code:
            exec(compiled, namespace)
    return namespace


def builds(model) -> bool:
    """The model compiles and evaluates its log-density at the start (finite or not: a fix that only
    looks, like ``model.debug()``, leaves a model that cannot start as it was)."""
    return np.ndim(model.compile_logp()(model.initial_point())) == 0


RADON_DECLARED = """
rng = np.random.default_rng(2)
floor = rng.integers(0, 2, 50).astype(float)
log_radon = 1 + 0.5 * floor + rng.normal(size=50)
with pm.Model() as radon_model:
    floor_data = pm.Data("floor", floor)
    a = pm.Normal("a", 0, 1)
    b = pm.Normal("b", 0, 1)
    sigma = pm.HalfNormal("sigma", 1)
    y = pm.Normal("y", a + b * floor, sigma, observed=log_radon)
"""


def test_the_container_fix_does_not_recreate_a_name_the_model_has():
    """The user declared ``floor`` as data but multiplied the plain array: the fix's container must not
    be called ``floor`` again (PyMC: "Variable name floor already exists")."""
    namespace = {}
    exec(RADON_DECLARED, {"pm": pm, "np": np}, namespace)
    report = doctor.lint(namespace["radon_model"], namespace=namespace)
    (fix,) = [f.fix_code for f in report.findings if f.code == "MOD304"]
    assert 'pm.Data("floor_data", floor)' in fix and 'pm.set_data({"floor_data": floor_new})' in fix
    assert builds(paste(RADON_DECLARED, fix)["radon_model"])
    # pasted below the model, into its context, too
    declaration = fix.splitlines()[0]
    with namespace["radon_model"]:
        exec(declaration, {"pm": pm, **namespace})
    assert {"floor", "floor_data"} <= set(namespace["radon_model"].named_vars)


# --- re-runs of a Metropolis trace say which sampler they use


def _sample_codes(report) -> list[str]:
    codes = [f.fix_code for f in report.findings] + [r.code for f in report.findings for r in f.rerun]
    return [code for code in codes + [step.code for step in report.plan] if "pm.sample(" in code]


def test_a_metropolis_reruns_keep_its_step_or_say_they_switch_to_nuts():
    report = doctor.check(load("metropolis_stuck"))
    codes = _sample_codes(report)
    assert len(codes) >= 3
    for code in codes:
        compile(code, "<fix>", "exec")
        kept = "step=pm.Metropolis()" in code and "NUTS mixes far better" in code
        assert kept or "this samples with NUTS, not metropolis" in code, code
    stuck = findings_of(report, "SMP105")[0]
    assert "NUTS" in stuck.fix and "this samples with NUTS" in stuck.fix_code


def test_step_notes_per_sampler():
    assert "step=pm.Slice()" in remedies.sample_call("slice", draws=10)
    compound = remedies.sample_call("compound", draws=10)
    assert "step=" not in compound.splitlines()[-1] and "PyMC picks NUTS for the continuous" in compound
    for sampler in ("pymc-nuts", "nutpie", None):
        assert "#" not in remedies.sample_call(sampler, draws=10)
        assert remedies.nuts_instead_call(sampler) == remedies.sample_call(None) or sampler == "nutpie"
    assert "not nutpie" in remedies.nuts_instead_call("nutpie")


# --- every fix, pasted into the model it was written for, leaves a model that builds

SICK_MODELS = {
    "centered_eight": """
from pymc_doctor.examples import SCHOOL_EFFECTS, SCHOOL_SES, SCHOOLS
with pm.Model(coords={"school": SCHOOLS}) as eight_schools:
    mu = pm.Normal("mu", mu=0, sigma=5)
    tau = pm.HalfCauchy("tau", beta=5)
    theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")
    obs = pm.Normal("obs", mu=theta, sigma=SCHOOL_SES, observed=SCHOOL_EFFECTS, dims="school")
""",
    "normal_sigma": """
rng = np.random.default_rng(3)
x = rng.normal(size=40)
y = 2 * x + rng.standard_t(4, size=40)
with pm.Model() as robust:
    beta = pm.Normal("beta", 0, 1)
    sigma = pm.Normal("sigma", 0, 1)
    obs = pm.StudentT("obs", nu=4, mu=beta * x, sigma=sigma, observed=y)
""",
    "radon_declared": RADON_DECLARED,
}


def _fix_codes(report) -> list[str]:
    codes = [f.fix_code for f in report.findings] + [step.code for step in report.plan]
    # a shell line (pip, conda) is not Python to paste
    return [code for code in codes if code and not code.startswith(("pip ", "conda "))]


@pytest.mark.parametrize("name", sorted(SICK_MODELS))
def test_every_fix_pasted_into_its_model_builds(name):
    source = SICK_MODELS[name]
    namespace = {"pm": pm, "np": np}
    exec(source, namespace)
    (model_name,) = [key for key, value in namespace.items() if isinstance(value, pm.Model)]
    report = doctor.lint(namespace[model_name], namespace=namespace)
    codes = _fix_codes(report)
    assert codes, [f.code for f in report.findings]
    for code in codes:
        pasted = paste(source, code)
        assert builds(pasted[model_name]), code
    # a prior that cures the start, pasted in, gives a model that can start
    for finding in findings_of(report, "MOD101"):
        model = paste(source, finding.fix_code)[model_name]
        assert np.isfinite(model.compile_logp()(model.initial_point()))
