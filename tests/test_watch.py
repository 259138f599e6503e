"""watch(): every sampling run checked with its model, PyMC left exactly as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from pymc.distributions.distribution import Distribution

import pymc_doctor
from pymc_doctor.reports import Report
from pymc_doctor.watching import capture
from pymc_doctor.watching import hooks as watching
from tests.support import load

ROOT = Path(__file__).resolve().parent.parent
# Sampler statistics that read the clock, which differ between any two runs.
CLOCKS = ("time", "perf_counter")


def _hooked_objects() -> dict:
    """Every object watch() replaces, as it stands now."""
    found = {}
    for module_name, attribute in watching.SAMPLERS:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attribute):
            found[(module_name, attribute)] = getattr(module, attribute)
    found["Distribution.__new__"] = Distribution.__dict__["__new__"]
    found["Model.__init__"] = vars(pm.Model).get("__init__")  # None where a base class defines it (PyMC 6)
    found["pymc.Data"], found["pymc.data.Data"] = pm.Data, pm.data.Data
    return found


@pytest.fixture
def watched():
    pymc_doctor.watch()
    yield
    pymc_doctor.unwatch()


def test_unwatch_puts_back_the_very_objects_and_watch_twice_wraps_once():
    before = _hooked_objects()
    pymc_doctor.watch()
    pymc_doctor.watch()
    during = _hooked_objects()
    pymc_doctor.unwatch()
    assert _hooked_objects() == before
    assert not watching.watching()
    for key, original in before.items():
        assert during[key] is not original
        if isinstance(key, tuple):  # a sampler
            assert during[key].__pymc_doctor_original__ is original  # one layer: the second watch() did nothing
        elif key.endswith(".Data"):
            assert during[key].__wrapped__ is original
    assert pm.sample is pm.sampling.mcmc.sample  # both ways users reach it lead to the same function


def test_a_crash_of_the_doctor_never_reaches_the_user(capfd):
    trace = load("bioassay")

    def boom(idata, model, namespace):
        raise RuntimeError("the doctor fell over")

    sample = watching._wrapped(lambda **kwargs: trace, boom)
    with pm.Model():
        assert sample(draws=10) is trace
    err = capfd.readouterr().err
    assert "could not check this sampling run (RuntimeError: the doctor fell over)" in err


def test_sampling_the_doctor_starts_itself_is_not_checked(capfd):
    def never(idata, model, namespace):
        raise AssertionError("checked the doctor's own run")

    trace = load("bioassay")
    with pm.Model(), watching.paused():
        assert watching._wrapped(lambda **kwargs: trace, never)() is trace
    assert capfd.readouterr().err == "" and not watching._paused


def test_a_run_without_inferencedata_is_passed_through_unchecked(capfd):
    def never(idata, model, namespace):
        raise AssertionError("checked a MultiTrace")

    multitrace = object()
    with pm.Model():
        assert watching._wrapped(lambda **kwargs: multitrace, never)(return_inferencedata=False) is multitrace
    assert capfd.readouterr().err == ""


def test_the_compact_verdict_is_one_line_when_healthy_and_names_the_cause_otherwise():
    healthy = watching.compact(pymc_doctor.check(load("bioassay")))
    assert healthy.startswith("pymc-doctor: No problems found") and "\n" not in healthy
    sick = pymc_doctor.check(load("centered_eight"))
    text = watching.compact(sick)
    assert sick.diagnoses and all(d.code in text for d in sick.diagnoses)
    assert "1. " in text and "pm.sample" in text  # the plan, with its code
    assert all(f.code in text for f in sick.findings)
    assert text.endswith("pymc_doctor.last_report()")


def test_a_notebook_shows_the_report_itself_healthy_or_not(monkeypatch):
    shown = []
    ipython = pytest.importorskip("IPython")
    monkeypatch.setattr(watching, "_in_notebook", lambda: True)
    monkeypatch.setattr(ipython.display, "display", shown.append)
    sick, healthy = pymc_doctor.check(load("centered_eight")), pymc_doctor.check(load("bioassay"))
    watching.show(sick)
    watching.show(healthy)  # its one line, as HTML
    assert shown == [sick, healthy] and not healthy.findings


# Run with PYMC_DOCTOR_WATCH=1: pymc_doctor waits for PyMC's import, wraps it then, and unwatch() undoes both.
LAZY_WATCH = """
import sys
import pymc_doctor
from pymc_doctor.watching import hooks

def ours():
    return [finder for finder in sys.meta_path if type(finder).__module__.startswith("pymc_doctor")]

print("pymc imported with pymc_doctor:", "pymc" in sys.modules, "watching:", hooks.watching(), len(ours()))
import pymc as pm
from pymc.distributions.distribution import Distribution
from pymc_doctor.watching import capture

print("hook left:", len(ours()), "loader patched:", "exec_module" in vars(pm.__spec__.loader))
originals = {key: getattr(sys.modules[key[0]], key[1]).__pymc_doctor_original__ for key in hooks._patched}
patched = list(capture._patched)
print("wrapped:", sorted(originals), "capture:", sorted(f"{type(o).__name__} {a}" for o, a, _ in patched))
pymc_doctor.unwatch()
restored = all(getattr(sys.modules[module], name) is f for (module, name), f in originals.items())
captured = all(vars(owner).get(name, capture._ABSENT) is f for owner, name, f in patched)
print("restored:", restored, captured, pm.sample is pm.sampling.mcmc.sample, len(ours()))
"""


@pytest.mark.slow
def test_the_environment_variable_watches_without_importing_pymc_until_the_user_does():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYMC_DOCTOR_WATCH": "1"}
    result = subprocess.run([sys.executable, "-c", LAZY_WATCH], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "pymc imported with pymc_doctor: False watching: True 1"
    assert lines[1] == "hook left: 0 loader patched: False"
    captured = ["ContextMeta __init__", "DistributionMeta __new__", "module Data", "module Data"]
    assert lines[2] == f"wrapped: {sorted(watching.SAMPLERS)} capture: {captured}"
    assert lines[3] == "restored: True True True 0"


@pytest.mark.slow
def test_unwatch_before_pymc_is_imported_leaves_no_hook():
    code = (
        "import sys, pymc_doctor\n"
        "pymc_doctor.unwatch()\n"
        "hooks = [f for f in sys.meta_path if type(f).__module__.startswith('pymc_doctor')]\n"
        "print('pymc' in sys.modules, hooks)\n"
        "import pymc as pm\n"
        "print(hasattr(pm.sample, '__pymc_doctor_original__'), pymc_doctor.watching.hooks.watching())"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYMC_DOCTOR_WATCH": "1"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.stdout.splitlines() == ["False []", "False False"], result.stderr


def test_the_ipython_extension_switches_watching_on_and_off():
    pymc_doctor.load_ipython_extension(None)
    try:
        assert watching.watching() and hasattr(pm.sample, "__pymc_doctor_original__")
    finally:
        pymc_doctor.unload_ipython_extension(None)
    assert not watching.watching() and not hasattr(pm.sample, "__pymc_doctor_original__")


def _counts_model_built_in_a_function() -> pm.Model:
    """Fractional counts from a DataFrame whose index was shuffled, in a function's locals only."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"k": rng.integers(0, 10, 20) + 0.5}, index=rng.permutation(20))
    with pm.Model() as model:
        pm.Binomial("k", n=10, p=pm.Beta("p", 1, 1), observed=df["k"])
    return model


def test_while_watching_the_lint_names_what_a_function_handed_to_pymc():
    unwatched = pymc_doctor.lint(_counts_model_built_in_a_function(), select=["MOD301", "MOD307"])
    assert not unwatched.findings  # the function's DataFrame is gone: nothing to trace the data back to
    pymc_doctor.watch()
    try:
        model = _counts_model_built_in_a_function()
        report = pymc_doctor.lint(model, select=["MOD301", "MOD307"])
    finally:
        pymc_doctor.unwatch()
    counts, frame = (next(f for f in report.findings if f.code == code) for code in ("MOD307", "MOD301"))
    assert counts.variables == ("k",) and counts.evidence["source"] == 'df["k"]'
    assert frame.evidence["columns"] == {"k": 'df["k"]'} and "Its index is not 0..19" in frame.message
    facts = {fact.kind: fact for fact in capture.facts(model)}
    assert set(facts) == {"pandas", "non-integer"}
    assert "index Index starting" in facts["pandas"].detail and "20 non-integer values" in facts["non-integer"].detail
    line = _counts_model_built_in_a_function.__code__.co_firstlineno + 5
    assert all(fact.variable == "k" and fact.where == f"{__file__}:{line}" for fact in facts.values())


def test_the_report_of_a_watched_run_carries_what_was_handed_over(watched, capfd):
    model = _counts_model_built_in_a_function()
    seen = {}

    def check(idata, model, namespace):
        seen["namespace"] = namespace
        return Report()

    watching._examine(load("bioassay"), model, {"mine": 1}, check)
    report = pymc_doctor.last_report()
    assert [fact["kind"] for fact in report.context["built_from"]] == ["pandas", "non-integer"]
    assert seen["namespace"]["mine"] == 1 and "df" in seen["namespace"]  # the caller's, and the builder's
    assert capfd.readouterr().err.startswith("pymc-doctor: No problems found")


def _data_model_built_in_a_function() -> pm.Model:
    """``pm.Data`` from a Series with an inf, and coords from a shuffled index, in a function's locals only."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=6)}, index=rng.permutation(6))
    frame.iloc[2, 0] = np.inf  # (PyMC refuses a NaN in pm.Data)
    with pm.Model(coords={"row": frame.index}) as model:
        pm.Data("x", frame["x"], dims="row")
        pm.Normal("mu", 0, 1)
    return model


def test_while_watching_pm_data_and_coords_are_noted_too():
    assert capture.facts(_data_model_built_in_a_function()) == []
    pymc_doctor.watch()
    try:
        model = _data_model_built_in_a_function()
    finally:
        pymc_doctor.unwatch()
    facts = {(fact.variable, fact.argument, fact.kind): fact.detail for fact in capture.facts(model)}
    assert facts == {
        ("row", "coords", "pandas"): "a Index (dtype int64)",
        ("x", "value", "pandas"): "a Series (dtype float64; index Index starting [1, 5, 0])",
        ("x", "value", "non-finite"): "0 NaN, 1 inf",
    }
    assert "frame" in capture.namespace(model)  # no distribution takes the frame, yet it is kept


def test_what_is_handed_to_pymc_is_noted_nan_and_inf_included():
    values = np.array([1.0, np.nan, np.inf, 2.0])
    assert capture._notes(values, counts=False) == [("non-finite", "1 NaN, 1 inf")]
    assert capture._notes(np.array([1.0, 2.0]), counts=True) == []
    assert capture._notes([1.5], counts=True) == [("non-integer", "1 non-integer values (first 1.5) for counts")]
    assert capture._notes([1.5], counts=False) == [] and capture._notes("text", counts=True) == []


def _tiny_model() -> pm.Model:
    rng = np.random.default_rng(7)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 1)
        pm.Normal("y", mu, 1, observed=rng.normal(size=20))
    return model


def _tiny_run(model, **kwargs):
    with model:
        return pm.sample(draws=100, tune=100, chains=2, cores=1, random_seed=11, progressbar=False, **kwargs)


def _posterior(idata) -> np.ndarray:
    return np.asarray(idata["posterior"]["mu"])


def _stats(idata) -> dict[str, np.ndarray]:
    """The sampler statistics, but for the clock's (PyMC 6 may sample with nutpie by default)."""
    group = idata["sample_stats"]
    group = group.to_dataset() if hasattr(group, "to_dataset") else group
    items = group.data_vars.items()
    return {name: np.asarray(value) for name, value in items if not any(clock in str(name) for clock in CLOCKS)}


@pytest.mark.slow
def test_a_watched_run_is_checked_and_its_trace_is_the_unwatched_one(capfd):
    model = _tiny_model()
    state = np.random.get_state()[1].copy()
    plain = _tiny_run(model)
    capfd.readouterr()
    pymc_doctor.watch()
    try:
        watched = _tiny_run(model)
    finally:
        pymc_doctor.unwatch()
    err = capfd.readouterr().err
    assert "pymc-doctor: " in err and "checks ran" in err
    report = pymc_doctor.last_report()
    assert report is not None and report.checks_run and report.context["model"]
    np.testing.assert_array_equal(_posterior(watched), _posterior(plain))
    stats, plain_stats = _stats(watched), _stats(plain)
    assert set(stats) == set(plain_stats) and stats
    for name in stats:
        np.testing.assert_array_equal(stats[name], plain_stats[name])
    assert (np.random.get_state()[1] == state).all()
    again = _tiny_run(model)  # after unwatch(), PyMC samples as it did before watch()
    np.testing.assert_array_equal(_posterior(again), _posterior(plain))


@pytest.mark.slow
def test_a_nutpie_run_is_checked(watched, capfd):
    pytest.importorskip("nutpie")
    idata = _tiny_run(_tiny_model(), nuts_sampler="nutpie")
    assert "pymc-doctor: " in capfd.readouterr().err
    report = pymc_doctor.last_report()
    assert report.context["trace"]["library"] == "nutpie" and idata is not None


@pytest.mark.slow
def test_pymc_doctor_run_watches_a_script(tmp_path):
    """The issue's script: a model built in a function from a DataFrame with a shuffled index, with a
    Binomial observing fractional counts; `run` names both without the script calling the doctor."""
    script = tmp_path / "tiny.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            import numpy as np
            import pandas as pd
            import pymc as pm

            def build():
                rng = np.random.default_rng(0)
                df = pd.DataFrame({"k": rng.integers(0, 10, 20) + 0.5}, index=rng.permutation(20))
                with pm.Model() as model:
                    pm.Binomial("k", n=10, p=pm.Beta("p", 1, 1), observed=df["k"])
                return model

            with build():
                pm.sample(draws=100, tune=100, chains=2, cores=1, random_seed=3, progressbar=False)
            print("argv", sys.argv[1:])
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pymc_doctor", "run", str(script), "--flag", "x"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "argv ['--flag', 'x']" in result.stdout
    assert "error   MOD307 `k` (Binomial) observes non-integer values" in result.stderr
    assert "warning MOD301 The model reads the pandas DataFrame `df`" in result.stderr


@pytest.mark.slow
def test_a_nutpie_run_of_the_centered_eight_schools_shows_the_funnel(watched, capfd):
    pytest.importorskip("nutpie")
    from pymc_doctor.examples import centered_eight

    with centered_eight():
        pm.sample(nuts_sampler="nutpie", chains=4, random_seed=5, progressbar=False)
    err = capfd.readouterr().err
    assert "DX101 A funnel: `theta` is centered on `tau`" in err
    assert pymc_doctor.last_report().context["trace"]["library"] == "nutpie"


def test_a_module_imported_later_runs_the_callback_once_and_leaves_the_import_system_as_it_was(tmp_path, monkeypatch):
    from pymc_doctor.watching import onimport

    (tmp_path / "later_module.py").write_text("VALUE = 1\n")
    (tmp_path / "broken_module.py").write_text("raise ImportError('not today')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    finders, called = list(sys.meta_path), []
    onimport.when_imported("later_module", lambda: called.append(sys.modules["later_module"].VALUE))
    onimport.when_imported("broken_module", lambda: called.append("broken"))
    assert called == [] and onimport.waiting("later_module") and len(sys.meta_path) == len(finders) + 2
    import later_module

    assert called == [1] and not onimport.waiting("later_module")
    assert "exec_module" not in vars(later_module.__spec__.loader)
    with pytest.raises(ImportError, match="not today"):
        import broken_module  # noqa: F401
    assert called == [1] and onimport.waiting("broken_module")  # the user may try again
    onimport.cancel("broken_module")
    assert sys.meta_path == finders
    onimport.when_imported("later_module", lambda: called.append("at once"))  # already imported
    assert called == [1, "at once"] and sys.meta_path == finders
    for name in ("later_module", "broken_module"):
        sys.modules.pop(name, None)


def _compound_model() -> pm.Model:
    """A discrete variable beside a continuous one: PyMC samples it with a compound step."""
    rng = np.random.default_rng(3)
    with pm.Model() as model:
        switch = pm.Bernoulli("switch", 0.5)
        pm.Normal("y", pm.Normal("mu", switch, 1), 1, observed=rng.normal(size=10))
    return model


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sample_smc", "compound step", "numpyro"])
def test_every_way_of_sampling_is_checked(watched, capfd, how):
    watching._last.clear()
    options = {"draws": 100, "chains": 2, "cores": 1, "random_seed": 5, "progressbar": False}
    if how == "sample_smc":
        with _tiny_model():
            idata = pm.sample_smc(**options)
    elif how == "compound step":
        with _compound_model():
            idata = pm.sample(tune=100, nuts_sampler="pymc", **options)
    else:
        pytest.importorskip("numpyro")
        with _tiny_model():
            idata = pm.sample(tune=100, nuts_sampler="numpyro", **options)
    assert "pymc-doctor: " in capfd.readouterr().err
    report = pymc_doctor.last_report()
    assert report is not None and report.checks_run and report.context["model"]
    assert idata is not None
