"""`pymc-doctor demo`, the README's main command, samples both examples and reports on them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pymc_doctor.cli import main


@pytest.mark.slow
def test_demo_reports_a_healthy_bioassay_and_a_sick_centered_eight():
    result = CliRunner().invoke(main, ["demo", "--draws", "500", "--tune", "500", "--format", "json"])
    assert result.exit_code == 0, result.output
    # one JSON document, a list of the two reports
    bioassay, centered = json.loads(result.stdout)
    assert bioassay["context"]["trace"]["source"] == "example: bioassay"
    assert bioassay["findings"] == []
    assert centered["context"]["trace"]["source"] == "example: centered_eight"
    codes = {f["code"] for f in centered["findings"]}
    assert "SMP101" in codes
    divergences = next(f for f in centered["findings"] if f["code"] == "SMP101")
    assert divergences["variables"][0] == "tau"
    assert "theta_offset" in divergences["fix_code"]
    # JSON on a pipe: which example is being sampled, and no steps
    assert result.stderr.splitlines()[:2] == [
        "Sampling the bioassay example (1 of 2)…",
        "Sampling the centered eight example (2 of 2)…",
    ]


def _sampled_instantly(monkeypatch, tmp_path):
    """The demo with sampling replaced by the committed traces, as fast as the checks; each sampling
    run reports its draws through the same callback PyMC calls."""
    from pymc_doctor import demo
    from tests.support import load

    def sample(name, *, seed, draws, tune, progress, every):
        callback = demo.draw_counter(4 * (draws + tune), progress, every)
        for _ in range(4 * (draws + tune)):
            callback(trace=None, draw=None)
        return load(name)

    monkeypatch.setattr(demo, "sample_example", sample)
    return ["demo", "--draws", "10", "--tune", "10", "--html", str(tmp_path / "demo.html")]


def test_demo_shows_what_it_samples_and_how_far_it_is(monkeypatch, tmp_path):
    result = CliRunner().invoke(main, _sampled_instantly(monkeypatch, tmp_path))
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "Sampling the bioassay example (1 of 2)…\n  compiling: 4 chains × 10 draws after 10 tuning steps\n" in err
    assert "Sampling the centered eight example (2 of 2)…" in err
    # a line per quarter where stderr is a log, then the time it took
    assert err.count("  sampling: 80 of 80 draws (100%)") == 2 and "  sampling: 40 of 80 draws (50%)" in err
    assert err.count("  checking the trace\n  done in ") == 2
    assert "Verdict" in result.stdout


def test_demo_in_json_shows_no_steps(monkeypatch, tmp_path):
    result = CliRunner().invoke(main, [*_sampled_instantly(monkeypatch, tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "sampling:" not in result.stderr and "done in" not in result.stderr
    assert len(json.loads(result.stdout)) == 2


def test_the_draw_counter_reports_each_step_once():
    from pymc_doctor.demo import draw_counter

    steps: list[str] = []
    callback = draw_counter(200, steps.append, every=10)
    for _ in range(200):
        callback(trace=None, draw=None)
    assert len(steps) == 11 and steps[0] == "sampling: 1 of 200 draws (0%)" and steps[-1].endswith("(100%)")
