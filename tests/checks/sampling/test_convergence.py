"""SMP201 (R-hat) against ArviZ, and SMP202: chains, or halves of chains, that sit in separate modes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pymc_doctor.checks.sampling.convergence import shown_rhat
from pymc_doctor.registry import CannotCheck
from pymc_doctor.reports.common import format_evidence
from tests import oracle
from tests.checks.sampling.helpers import arviz_per_element, committed, findings, trace
from tests.support import load

# --- SMP201 R-hat -------------------------------------------------------------------------------


def test_rhat_names_worst_elements_with_arviz_values():
    (finding,) = committed("bimodal", "SMP201")
    expected = arviz_per_element(load("bimodal"), oracle.rhat)
    assert expected["x"] > 1.1
    assert finding.severity == "error"
    assert finding.variables == ("x",)
    assert finding.evidence["rhat"] == {"x": float(f"{expected['x']:.4g}")}


def test_rhat_within_the_noise_of_its_ess_is_a_note():
    # centered_eight's `mu` sits just above 1.01, at an ESS where healthy chains often put it there.
    (finding,) = committed("centered_eight", "SMP201")
    expected = arviz_per_element(load("centered_eight"), oracle.rhat)
    above = {label: value for label, value in expected.items() if value > 1.01}
    assert finding.severity == "info"
    assert set(finding.variables) == set(above)
    assert finding.evidence["rhat"] == {label: float(f"{value:.4g}") for label, value in above.items()}
    assert all(chance > 0.01 for chance in finding.evidence["chance_healthy"].values())
    assert "as healthy chains give" in finding.message


def ar1(params: int, rho: float, shifted: int = 0, shift: float = 1.0, seed: int = 0) -> np.ndarray:
    """4 x 1,000 stationary AR(1) draws (unit variance) of ``params`` elements; chain 1 of the first
    ``shifted`` elements sits ``shift`` sds higher."""
    rng = np.random.default_rng(seed)
    x = np.empty((4, 1000, params))
    x[:, 0] = rng.standard_normal((4, params))
    for draw in range(1, 1000):
        x[:, draw] = rho * x[:, draw - 1] + np.sqrt(1 - rho**2) * rng.standard_normal((4, params))
    x[1, :, :shifted] += shift
    return x


def test_rhat_of_healthy_chains_at_scale_is_a_note_not_a_warning():
    x = ar1(100, rho=0.9)
    above = {label for label, value in arviz_per_element(trace({"x": x}), oracle.rhat).items() if value > 1.01}
    assert len(above) > 20  # the plain threshold would warn for all of these
    (finding,) = findings("SMP201", trace({"x": x}))
    assert finding.severity == "info"
    assert finding.evidence["count"] == len(above)


def test_rhat_flags_exactly_the_shifted_chains_among_healthy_ones():
    x = ar1(100, rho=0.5, shifted=5, shift=0.6)
    (finding,) = findings("SMP201", trace({"x": x}))
    assert finding.severity == "warning"
    assert set(finding.variables) == {f"x[{i}]" for i in range(5)}
    assert "beyond what healthy chains give" in finding.message


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.5, 0.75])
def test_rhat_at_ten_thousand_parameters(rho):
    x = ar1(10_000, rho=rho, shifted=10, shift=1.5)
    (finding,) = findings("SMP201", trace({"x": x}))
    assert set(finding.variables) == {f"x[{i}]" for i in range(10)}
    assert finding.evidence["count"] == 10
    if rho == 0.75:  # about 1,400 healthy elements above 1.01, all within the noise
        assert finding.evidence["within_noise"] > 1000


def test_rhat_is_rounded_once_for_the_message_and_the_table():
    # 1.01251 printed as 1.013 in a message but kept as 1.0125 (a binary 1.01249...) read 1.012 in the table.
    rhat = shown_rhat(pd.Series({"x": 1.01251, "y": 1.2}))
    assert format_evidence(rhat) == "x 1.013, y 1.2"
    (finding,) = findings("SMP201", trace({"x": ar1(100, rho=0.9)}))
    for label, value in finding.evidence["rhat"].items():
        if label in finding.message:
            assert f"`{label}` {format_evidence(value)}" in finding.message


def test_rhat_lists_the_worst_first():
    rng = np.random.default_rng(5)
    # Chains 1 and 3 sit higher than 0 and 2, the more so the later the element: the worst is last in the trace.
    shift = np.array([0.0, 1.0, 0.0, 1.0])[:, None, None] * np.array([0.2, 0.4, 0.7, 1.0])
    data = trace({"x": rng.normal(size=(4, 200, 4)) + shift})
    (finding,) = findings("SMP201", data)
    above = {label: value for label, value in arviz_per_element(data, oracle.rhat).items() if value > 1.01}
    assert list(finding.variables) == sorted(above, key=above.get, reverse=True)
    assert finding.variables[0] == "x[3]"


def test_rhat_severity_follows_the_error_threshold():
    (finding,) = committed("bimodal", "SMP201", error_rhat=100.0)
    assert finding.severity == "warning"


def test_rhat_silent_on_healthy():
    assert max(arviz_per_element(load("noncentered_eight"), oracle.rhat).values()) <= 1.01
    assert committed("noncentered_eight", "SMP201") == []


def test_rhat_cannot_check_too_few_draws_or_constant_draws():
    with pytest.raises(CannotCheck, match="too few"):
        findings("SMP201", trace({"x": np.random.default_rng(0).normal(size=(4, 3))}))
    with pytest.raises(CannotCheck, match="undefined"):
        findings("SMP201", trace({"x": np.ones((4, 50))}))


# --- SMP202 modes -------------------------------------------------------------------------------


def test_multimodal_chains_grouped_by_mode():
    (finding,) = committed("bimodal", "SMP202")
    x = np.asarray(load("bimodal")["posterior"]["x"])
    means = x.mean(axis=1)
    (element,) = finding.evidence["elements"]
    assert sorted(map(sorted, element["chains"])) == [
        np.flatnonzero(means < 0).tolist(),
        np.flatnonzero(means > 0).tolist(),
    ]
    # Each chain stays in its mode: the mean it sits at is its own mean.
    for chains, values in zip(element["chains"], element["modes"], strict=True):
        np.testing.assert_allclose(values, means[chains], atol=1e-4)
    assert finding.evidence["label_switching"] == []
    assert "will not" in finding.message
    # Advice that deals with the modes: look at them, weight them with SMC; never one starting point.
    assert finding.fix_code == 'print(idata.posterior["x"].mean("draw"))'
    assert [step.code.splitlines()[-1].strip() for step in finding.rerun] == ["idata = pm.sample_smc(chains=4)"]
    assert "adapt_diag" not in finding.fix_code + "".join(step.code for step in finding.rerun)


def test_label_switching_gets_ordering_fix():
    (finding,) = committed("label_switching", "SMP202")
    assert finding.evidence["label_switching"] == ["centers"]
    assert "transforms.ordered" in finding.fix_code
    assert 'dims="component"' in finding.fix_code
    assert finding.rerun == ()  # ordering is the cure; a rerun as it is would switch again


def test_multimodal_silent_on_merely_slow_chains():
    assert committed("centered_eight", "SMP202") == []


def switching(levels: list[tuple[float, float]], draws: int, with_others: bool, seed: int = 0):
    """Chains of ``x`` around ``(first, second)``: the level of their first half, then of their second."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(levels), draws))
    for chain, (first, second) in enumerate(levels):
        x[chain, : draws // 2] += first
        x[chain, draws // 2 :] += second
    posterior = {"x": x}
    if with_others:
        posterior["y"] = rng.normal(size=(len(levels), draws, 3))
    return trace(posterior)


ORDERS = {"high then low": (10.0, 0.0), "low then high": (0.0, 10.0)}


@pytest.mark.parametrize("with_others", [False, True], ids=["x alone", "x among others"])
@pytest.mark.parametrize("draws", [9, 40, 1000])
@pytest.mark.parametrize("order", ORDERS)
def test_chains_that_all_move_from_one_mode_to_the_other(order, draws, with_others):
    # Every chain's mean lies between the modes: whole chains look alike, their halves do not.
    (finding,) = findings("SMP202", switching([ORDERS[order]] * 4, draws, with_others))
    (element,) = finding.evidence["elements"]
    assert element["label"] == "x"
    assert [sorted(chains) for chains in element["chains"]] == [[0, 1, 2, 3], [0, 1, 2, 3]]
    assert [round(float(np.mean(values))) for values in element["modes"]] == [0, 10]


@pytest.mark.parametrize("draws", [9, 1000])
@pytest.mark.parametrize("order", ORDERS)
def test_one_chain_moving_between_the_modes_of_the_others(order, draws):
    first, second = ORDERS[order]
    levels = [(first, first), (first, first), (first, second), (second, second)]
    (finding,) = findings("SMP202", switching(levels, draws, with_others=False))
    (element,) = finding.evidence["elements"]
    chains_at = {
        round(float(np.mean(values))): sorted(chains)
        for chains, values in zip(element["chains"], element["modes"], strict=True)
    }
    assert chains_at == {round(first): [0, 1, 2], round(second): [2, 3]}


@pytest.mark.parametrize("draws", [9, 1000])
def test_chains_that_stay_in_one_mode_are_silent(draws):
    assert findings("SMP202", switching([(0.0, 0.0)] * 4, draws, with_others=True)) == []


def test_a_chain_drifting_alone_is_one_mode_not_two():
    # Chain 0 creeps from 0 to 1 with tiny steps; its halves differ by many of its sds, but no other chain
    # is there: one mode for it, another for chain 1.
    rng = np.random.default_rng(4)
    x = np.stack([np.linspace(0, 1, 200) + rng.normal(0, 0.01, 200), rng.normal(50, 0.01, 200)])
    (finding,) = findings("SMP202", trace({"x": x}))
    (element,) = finding.evidence["elements"]
    assert element["chains"] == [[0], [1]]
    np.testing.assert_allclose(element["modes"], [[x[0].mean()], [x[1].mean()]], atol=1e-4)


def test_modes_need_two_chains():
    with pytest.raises(CannotCheck, match="one chain"):
        findings("SMP202", trace({"x": np.zeros((1, 50))}))
