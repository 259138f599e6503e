"""SMP101: divergences are counted, located by percentile, and traced to the centered hierarchy behind a funnel."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import pymc_doctor
from pymc_doctor import examples
from pymc_doctor.compat import trace_view
from pymc_doctor.modelgraph import session
from pymc_doctor.registry import CannotCheck
from tests.checks.sampling.helpers import committed, committed_view, findings, nuts_stats, trace
from tests.support import findings_of, load


@pytest.mark.parametrize("name", ["centered_eight", "nutpie_eight", "numpyro_eight"])
def test_divergences_located_at_small_tau_with_noncentered_fix(name):
    (finding,) = committed(name, "SMP101")
    view = trace_view(load(name))
    diverging = view.stat("diverging").astype(bool)
    assert finding.severity == "error"
    assert finding.evidence["divergences"] == int(diverging.sum())
    assert finding.evidence["per_chain"] == diverging.sum(axis=1).tolist()
    assert finding.variables[0] == "tau"
    # The mean percentile of the divergent draws of tau, from SciPy's ranks of all its draws.
    percentile = stats.rankdata(view.draws_of("tau").ravel()) / diverging.size
    located = finding.evidence["locations"]["tau"]
    assert located["divergent_percentile"] == pytest.approx(percentile[diverging.ravel()].mean(), abs=5e-4)
    assert located["other_percentile"] == pytest.approx(percentile[~diverging.ravel()].mean(), abs=5e-4)
    assert "The spread of `theta` follows `tau` draw by draw" in finding.message
    assert "theta_offset" in finding.fix_code and "mu + tau * theta_offset" in finding.fix_code
    assert 'dims="school"' in finding.fix_code
    assert "target_accept=0.95" in finding.rerun[0].code
    # the scale the finding names, against the whole group its message names (no one element of it)
    assert (finding.plots[0].kind, finding.plots[0].variables) == ("funnel", ("tau", "theta"))


def test_divergences_silent_up_to_the_threshold():
    count = int(trace_view(load("centered_eight")).stat("diverging").sum())
    assert committed("centered_eight", "SMP101", max_divergences=count) == []
    assert len(committed("centered_eight", "SMP101", max_divergences=count - 1)) == 1
    assert committed("noncentered_eight", "SMP101") == []


def test_few_unlocated_divergences_are_a_warning():
    count = int(trace_view(load("centered_eight")).stat("diverging").sum())
    (finding,) = committed("centered_eight", "SMP101", error_share=1.0, min_to_locate=count + 1)
    assert finding.severity == "warning"
    assert finding.variables == () and finding.evidence["locations"] == {}
    assert "target_accept=0.95" in finding.fix_code


def test_unlocated_divergences_above_the_error_share_are_an_error():
    diverging = trace_view(load("centered_eight")).stat("diverging")
    share, count = diverging.mean(), int(diverging.sum())
    (finding,) = committed("centered_eight", "SMP101", error_share=share / 2, min_to_locate=count + 1)
    assert finding.severity == "error"
    assert finding.variables == ()


def graph_findings(model):
    with session(model, {}):
        return findings("SMP101", committed_view("centered_eight"), model=model)


def test_the_model_graph_names_the_centered_group():
    (finding,) = graph_findings(examples.centered_eight())
    assert "In the model, `theta` ~ Normal(mu, tau)" in finding.message
    assert "mu + tau * theta_offset" in finding.fix_code


def test_a_model_without_a_centered_child_rules_the_rewrite_out():
    # The draws alone would find theta; this model's graph has no centered child of tau.
    (finding,) = graph_findings(examples.noncentered_eight())
    assert "centered hierarchy" not in finding.message
    assert "theta_offset" not in finding.fix_code
    assert "Reparameterize `tau`" in finding.rerun[1].description


def funnel(with_group: bool = True, seed: int = 0):
    """``theta ~ Normal(mu, s)`` made up draw by draw, divergent where ``s`` is smallest."""
    rng = np.random.default_rng(seed)
    s = np.exp(rng.normal(-1, 0.7, size=(4, 200)))
    mu = rng.normal(0, 3, size=(4, 200))
    posterior = {"mu": mu, "s": s}
    if with_group:
        posterior["theta"] = mu[..., None] + s[..., None] * rng.normal(size=(4, 200, 5))
    return trace(posterior, nuts_stats(4, 200, diverging=s < np.quantile(s, 0.03)))


def test_a_funnel_in_the_draws_alone_gets_the_noncentered_rewrite():
    (finding,) = findings("SMP101", funnel())
    assert finding.variables[0] == "s"
    assert "The spread of `theta` follows `s` draw by draw" in finding.message
    assert "mu + s * theta_offset" in finding.fix_code


def test_divergences_at_a_small_scale_without_a_group_get_no_rewrite():
    (finding,) = findings("SMP101", funnel(with_group=False))
    assert "small values of `s`" in finding.message and "centered hierarchy" not in finding.message
    assert "Reparameterize `s`" in finding.rerun[1].description
    assert "target_accept=0.99" in finding.rerun[1].code


def test_divergences_at_large_values_point_to_the_variable():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(4, 200)), rng.normal(size=(4, 200))
    (finding,) = findings("SMP101", trace({"x": x, "y": y}, nuts_stats(4, 200, diverging=x > 1.5)))
    assert "They sit at large values of `x`" in finding.message
    assert finding.variables == ("x",)
    assert "theta_offset" not in finding.fix_code


def test_divergences_spread_over_the_posterior_point_nowhere():
    rng = np.random.default_rng(2)
    diverging = np.zeros((4, 200), dtype=bool)
    diverging.flat[rng.choice(800, 40, replace=False)] = True
    posterior = {"x": rng.normal(size=(4, 200)), "y": rng.normal(size=(4, 200))}
    (finding,) = findings("SMP101", trace(posterior, nuts_stats(4, 200, diverging=diverging)))
    assert "spread over the posterior" in finding.message
    assert finding.variables == () and finding.severity == "error"  # 5% of the draws
    assert finding.plots == ()


def test_divergences_need_the_sampler_to_record_them():
    stats_without = {name: values for name, values in nuts_stats(2, 50).items() if name != "diverging"}
    with pytest.raises(CannotCheck, match="does not record `diverging`"):
        findings("SMP101", trace({"x": np.zeros((2, 50))}, stats_without))


def test_a_report_lists_divergences_with_the_other_findings():
    report = pymc_doctor.check(load("centered_eight"), select=["SMP101"])
    assert report.checks_run == ["SMP101"]
    assert [f.code for f in findings_of(report, "SMP101")] == ["SMP101"]


def _built_by(code: str, **declared):
    """The model ``code`` builds, after ``declared`` (name: function of the model) are declared."""
    import pymc as pm

    namespace = {"pm": pm}
    with pm.Model() as model:
        namespace.update({name: make() for name, make in declared.items()})
        exec(code, namespace)
    return model


def test_in_neals_funnel_the_child_of_the_neck_is_rewritten_with_its_shape():
    import pymc as pm

    from tests.fixtures.make_traces import neal_funnel_model

    model = neal_funnel_model()
    with session(model, {}):
        (finding,) = findings("SMP101", committed_view("neal_funnel"), model=model)
    # The divergences sit at small v, a log-scale that can be negative; the rewrite is of its child x.
    assert finding.variables[0] == "v"
    assert "In the model, `x` ~ Normal(0, pm.math.exp((v / 2)))" in finding.message
    assert "Rewrite `x` non-centered" in finding.fix and "Reparameterize `v`" not in str(finding.rerun)
    rewritten = _built_by(finding.fix_code, v=lambda: pm.Normal("v", 0, 3))
    assert rewritten["x_offset"].type.shape == (9,) and rewritten["x"].type.shape == (9,)
    assert rewritten["x"] in rewritten.deterministics
    lint = pymc_doctor.lint(model)
    (centered,) = findings_of(lint, "MOD501")
    assert _built_by(centered.fix_code, v=lambda: pm.Normal("v", 0, 3))["x"].type.shape == (9,)


def test_in_neals_funnel_a_trace_alone_names_the_child_whose_spread_follows_the_neck():
    """Without the model the doctor cannot see that x's scale is exp(v / 2): it must not tell the user to
    rewrite v, which takes negative values and so is no scale; the spread of x follows v in the draws."""
    (finding,) = committed("neal_funnel", "SMP101")
    assert finding.variables[0] == "v"
    assert "They sit at small values of `v`" in finding.message
    assert "`v` takes negative values, so it is not itself a scale; the spread of `x` follows it" in finding.message
    assert finding.fix.startswith("Rewrite `x` non-centered") and "not `v` itself" in finding.fix
    assert "Reparameterize `v`" not in str(finding.rerun)
    # The scale is the user's to fill in: the draws say it depends on v, not how; x keeps its shape.
    assert "x_scale: the scale the declaration of x gives it, a function of v" in finding.fix_code
    assert 'x_offset = pm.Normal("x_offset", mu=0, sigma=1, shape=9)' in finding.fix_code
    assert "v * x_offset" not in finding.fix_code


def test_divergences_at_low_values_of_a_real_variable_without_a_follower_point_to_what_it_scales():
    rng = np.random.default_rng(3)
    v = rng.normal(0, 3, size=(4, 200))
    posterior = {"v": v, "y": rng.normal(size=(4, 200, 3))}  # y's spread does not follow v
    (finding,) = findings("SMP101", trace(posterior, nuts_stats(4, 200, diverging=v < np.quantile(v, 0.05))))
    assert "`v` takes negative values, so it is not itself a scale" in finding.message
    assert "The draws name none; the model would." in finding.message
    assert "Reparameterize `v`" not in str(finding.rerun)
    assert "the variables whose scale depends on `v`" in finding.rerun[1].description


@pytest.mark.parametrize("installed", [True, False])
def test_nutpie_is_advised_with_its_install_line_where_it_is_missing(monkeypatch, installed):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: (real("json") if installed else None) if name == "nutpie" else real(name, *a),
    )
    (finding,) = committed("centered_eight", "SMP101")
    (step,) = [s for s in finding.rerun if "nutpie" in s.description]
    assert ("pip install nutpie" in step.description) is not installed
    assert "pip install" not in step.code  # a shell line never shares a block with Python
    compile(step.code, "<step>", "exec")
