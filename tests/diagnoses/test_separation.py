"""DX303 separation: from the data when the model is given, from the trace alone otherwise."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor.diagnoses import diagnose, separation
from pymc_doctor.modelgraph.separation import find_separations
from pymc_doctor.subject import Subject
from tests.diagnoses.common import only

RNG = np.random.default_rng(1)
X = np.concatenate([RNG.normal(-1, 0.5, 20), RNG.normal(1, 0.5, 20)])
Z = RNG.normal(size=40)
SEPARATED = (X > 0).astype(int)
OVERLAPPING = (X + RNG.normal(0, 1, 40) > 0).astype(int)


def _logistic(y: np.ndarray):
    import pymc as pm

    with pm.Model() as model:
        intercept = pm.Normal("intercept", 0, 10)
        slope = pm.Normal("slope", 0, 10)
        pm.Bernoulli("y", logit_p=intercept + slope * X, observed=y)
    return model


def _design_matrix():
    import pymc as pm

    with pm.Model(coords={"predictor": ["z", "x"]}) as model:
        design = pm.Data("design", np.column_stack([Z, X]))
        beta = pm.Normal("beta", 0, 10, dims="predictor")
        pm.Bernoulli("y", p=pm.math.invlogit(pm.math.dot(design, beta)), observed=SEPARATED)
    return model


def _binomial(x: np.ndarray, trials: int):
    import pymc as pm

    with pm.Model() as model:
        dose = pm.Data("dose", x)
        slope = pm.Normal("slope", 0, 10)
        pm.Binomial("y", n=trials, p=pm.math.sigmoid(slope * dose), observed=SEPARATED * trials)
    return model


def test_the_separating_column_and_its_coefficient_are_found_in_the_graph():
    (scalar,) = find_separations(_logistic(SEPARATED))
    assert scalar["coefficient"] == "slope" and scalar["column"] is None and scalar["predictor"] is None
    assert scalar["ones"] == "above" and scalar["complete"]
    assert X[SEPARATED == 0].max() < scalar["threshold"] < X[SEPARATED == 1].min()
    # a design matrix in pm.Data: the column that separates, not the noise column next to it
    (matrix,) = find_separations(_design_matrix())
    assert (matrix["coefficient"], matrix["column"], matrix["predictor"]) == ("beta", 1, "design")
    # ones below the threshold, ties at it
    tied = np.where(SEPARATED == 1, -1.0, 1.0)
    tied[0] = -1.0
    (quasi,) = find_separations(_binomial(tied, 1))
    assert quasi["predictor"] == "dose" and quasi["ones"] == "below" and not quasi["complete"]


def test_outcomes_the_predictors_do_not_split_are_not_separation():
    assert find_separations(_logistic(OVERLAPPING)) == []
    assert find_separations(_binomial(X, 3)) == []  # three trials each: not a 0/1 outcome


def _trace(slope: np.ndarray, y: np.ndarray, stats: xr.Dataset | None = None):
    chains, draws = slope.shape
    posterior = xr.Dataset(
        {
            "intercept": (("chain", "draw"), np.random.default_rng(2).normal(0, 0.5, (chains, draws))),
            "slope": (("chain", "draw"), slope),
        }
    )
    groups = {"posterior": posterior, "observed_data": xr.Dataset({"y": (("y_dim",), y)})}
    return xr.DataTree.from_dict(groups | ({"sample_stats": stats} if stats is not None else {}))


def _separated_draws() -> np.ndarray:
    """Draws as separation leaves them: far out on the logit scale, each chain wandering its own stretch."""
    walk = np.cumsum(np.random.default_rng(3).normal(0, 1.0, (4, 500)), axis=1)
    return 20 + 4 * np.arange(4)[:, None] + np.abs(walk)


def _healthy_draws() -> np.ndarray:
    return np.random.default_rng(4).normal(1.5, 0.4, (4, 500))


def _diagnosed(slope: np.ndarray, y: np.ndarray, model=None, stats: xr.Dataset | None = None):
    report = pymc_doctor.check(_trace(slope, y, stats))
    return report, diagnose(report.findings, Subject(trace=report.trace, model=model))


def test_a_separating_predictor_explains_the_coefficients_symptoms():
    _, result = _diagnosed(_separated_draws(), SEPARATED, _logistic(SEPARATED))
    found = only(result, "DX303")
    assert found.variables == ("slope",) and found.confidence == "high"
    assert found.evidence["source"] == "data" and found.evidence["separations"][0]["coefficient"] == "slope"
    assert {"SMP201", "SMP203"} <= set(found.findings)
    assert "splits `y`: every 1 lies above" in found.cause
    (step,) = found.steps
    assert step.lasting and step.action["variable"] == "slope" and step.action["params"]["sigma"] == 2.5
    assert step.code.endswith('slope = pm.Normal("slope", mu=0, sigma=2.5)')
    rhat = next(f for f in result.findings if f.code == "SMP201")
    assert rhat.fix.startswith("Explained by DX303")


def _nuts_stats(slope: np.ndarray) -> xr.Dataset:
    """NUTS statistics whose divergences sit at the smallest draws of ``slope``, where the data bound it."""
    dims = ("chain", "draw")
    return xr.Dataset(
        {
            "diverging": (dims, slope < np.quantile(slope, 0.05)),
            "tree_depth": (dims, np.full(slope.shape, 3)),
            "step_size": (dims, np.full(slope.shape, 0.3)),
            "energy": (dims, np.random.default_rng(5).normal(size=slope.shape)),
            "acceptance_rate": (dims, np.full(slope.shape, 0.8)),
        }
    )


def test_divergences_at_the_separated_coefficient_defer_to_separation():
    slope = _separated_draws()
    _, result = _diagnosed(slope, SEPARATED, _logistic(SEPARATED), _nuts_stats(slope))
    assert "SMP101" in only(result, "DX303").findings
    divergences = next(f for f in result.findings if f.code == "SMP101")
    assert divergences.variables[0] == "slope" and divergences.fix.startswith("Explained by DX303")


def test_no_separation_in_the_data_leaves_the_symptoms_to_other_causes():
    _, result = _diagnosed(_separated_draws(), OVERLAPPING, _logistic(OVERLAPPING))
    assert "DX303" not in [d.code for d in result.diagnoses]


def test_a_trace_alone_shows_separation_by_a_coefficient_beyond_any_plausible_effect():
    _, result = _diagnosed(_separated_draws(), SEPARATED)
    found = only(result, "DX303")
    assert found.evidence["source"] == "trace"
    assert found.evidence["largest_abs_mean"]["slope"] > separation.LOGIT_EXTREME
    assert found.confidence == "medium" and found.steps[0].action["variable"] == "slope"


def test_a_trace_alone_stays_silent_when_healthy_or_not_binary():
    _, result = _diagnosed(_healthy_draws(), SEPARATED)
    assert "DX303" not in [d.code for d in result.diagnoses]
    # the same far-out draws of a coefficient of a continuous outcome: no logit scale to judge them on
    _, continuous = _diagnosed(_separated_draws(), X)
    assert "DX303" not in [d.code for d in continuous.diagnoses]


@pytest.mark.slow
def test_a_sampled_separated_logistic_regression_is_diagnosed():
    import pymc as pm

    from pymc_doctor.quiet import quiet

    model = _logistic(SEPARATED)
    with quiet("pymc"), model:
        idata = pm.sample(
            draws=300, tune=300, chains=2, cores=1, random_seed=1, progressbar=False, compute_convergence_checks=False
        )
    report = pymc_doctor.check(idata)
    found = only(diagnose(report.findings, Subject(trace=report.trace, model=model)), "DX303")
    assert found.variables == ("slope",) and found.evidence["largest_abs_mean"]["slope"] > separation.LOGIT_EXTREME


def test_the_fix_code_standardizes_the_predictor_and_builds_the_model():
    import pymc as pm

    _, result = _diagnosed(_separated_draws(), SEPARATED, _binomial(X, 1))
    (step,) = only(result, "DX303").steps
    namespace = {"pm": pm, "dose": X.copy()}
    with pm.Model() as fixed:
        exec(step.code, namespace)  # the code as the user would paste it, before the likelihood
        pm.Bernoulli("y", logit_p=namespace["slope"] * namespace["dose"], observed=SEPARATED)
    assert abs(namespace["dose"].mean()) < 1e-9 and namespace["dose"].std() == pytest.approx(1.0)
    assert fixed["slope"].owner.op.name == "normal" and np.isfinite(fixed.compile_logp()(fixed.initial_point()))
