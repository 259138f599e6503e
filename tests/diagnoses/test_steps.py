"""Plan steps: code in the user's names for the installed PyMC line, and the action ``treat`` applies."""

from __future__ import annotations

import ast

from pymc_doctor.diagnoses import steps
from pymc_doctor.subject import Subject
from tests.diagnoses.common import checked


def _subject(name: str) -> Subject:
    return Subject(trace=checked(name).trace)


def test_a_resampling_step_keeps_the_trace_sampler_and_its_action_holds_only_the_options():
    step = steps.resample(_subject("numpyro_eight"), "smaller steps", target_accept=0.95)
    assert 'nuts_sampler="numpyro"' in step.code and "target_accept=0.95" in step.code
    assert step.action == {"kind": "sample", "kwargs": {"target_accept": 0.95}}
    assert step.cost == steps.RESAMPLE and not step.lasting
    ast.parse(step.code)


def test_an_installed_backend_is_sampled_with(monkeypatch):
    monkeypatch.setattr(steps.importlib.util, "find_spec", lambda name: object())
    (step,) = steps.switch_sampler(_subject("centered_eight"), "nutpie", "a reason")
    assert 'nuts_sampler="nutpie"' in step.code and step.action == {"kind": "sampler", "sampler": "nutpie"}
    ast.parse(step.code)


def test_a_backend_that_is_not_installed_is_offered_as_an_install(monkeypatch):
    monkeypatch.setattr(steps.importlib.util, "find_spec", lambda name: None)
    (step,) = steps.switch_sampler(_subject("centered_eight"), "nutpie", "a reason")
    assert step.code.startswith("pip install nutpie") and step.action is None
    assert "Install the nutpie sampler" in step.description


def test_no_backend_switch_for_a_trace_it_made():
    assert steps.switch_sampler(_subject("nutpie_eight"), "nutpie", "a reason") == []


def test_a_model_only_run_spells_the_default_sampler():
    step = steps.resample(Subject(), "longer warm-up", tune=1000)
    assert step.code.endswith("pm.sample(tune=1000)")
