"""What `pymc-doctor env` shows while it runs: each probe's step as it goes, and which results it
reuses from the cache (and from when) instead of claiming to compile and sample."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from pymc_doctor.cli import main
from pymc_doctor.commandline import ProgressLine
from pymc_doctor.probes import cache, collect
from pymc_doctor.probes.protocol import MARK, ProbeResult, run_probes
from tests.test_probecache import base_facts


def _mark(**facts) -> str:
    return f"print({MARK + json.dumps(facts)!r}, flush=True)"


def test_a_probe_tells_each_step_as_it_goes():
    code = "; ".join([_mark(probe="base"), _mark(importing="pytensor"), _mark(done=True), _mark(probe="smoke")])
    steps: list[str] = []
    run_probes(["base", "smoke"], argv=["-c", code], progress=steps.append)
    assert steps == ["importing PyTensor and PyMC", "importing pytensor", "compiling and sampling a tiny model"]


@pytest.fixture
def cached_base(tmp_path, monkeypatch):
    """A probe cache that holds this installation's base probe, examined now."""
    monkeypatch.setenv("PYMC_DOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    compiledir = tmp_path / "compiledir"
    compiledir.mkdir()
    cache.store(cache.fingerprint(), {"base": ProbeResult("base", data=base_facts(compiledir))})


def test_reused_results_are_named_with_their_time_and_nothing_runs(cached_base):
    steps: list[str] = []
    facts = collect(quick=True, probes=(), progress=steps.append)
    assert set(facts.reused) == {"base"}
    assert len(steps) == 1
    assert steps[0].startswith("reusing the cached results of the base probe from 20")
    assert steps[0].endswith("(--fresh runs them again)")


def test_a_cached_env_says_so_and_not_that_it_compiles_and_samples(cached_base):
    result = CliRunner().invoke(main, ["env", "--quick", "--select", "ENV303"])
    assert "reusing the cached results of the base probe from" in result.stderr
    assert "compiling and sampling" not in result.stderr
    quiet = CliRunner().invoke(main, ["env", "--quick", "--select", "ENV303", "--format", "json"])
    assert quiet.stderr.strip() == "Examining this Python environment (quick)…"  # not a terminal: no steps
    assert json.loads(quiet.stdout)["checks_run"] == ["ENV303"]


@pytest.mark.parametrize(
    ("terminal", "fmt", "shown"), [(False, "text", True), (False, "json", False), (True, "json", True)]
)
def test_steps_show_on_a_terminal_or_outside_json(capsys, monkeypatch, terminal, fmt, shown):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    with ProgressLine("Examining", fmt) as progress:
        progress("importing pymc")
    err = capsys.readouterr().err
    assert err.startswith("Examining…\n")
    assert ("importing pymc" in err) is shown
    if terminal:  # rewritten in place, and cleared before the report
        assert "\r" in err and err.endswith("\r") and "\n" not in err.removeprefix("Examining…\n")
