"""Containers and sampler statistics normalize to one TraceView on both library lines."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import pymc_doctor
from pymc_doctor import compat
from pymc_doctor.compat import TraceError, trace_view
from pymc_doctor.remedies import pymc_major
from pymc_doctor.samplers import untransformed_name
from tests.support import load, trace_path

CANONICAL_NUTS = {"diverging", "tree_depth", "max_depth_hit", "energy", "step_size", "accept", "n_steps", "lp"}


@pytest.mark.parametrize(
    ("name", "sampler"),
    [
        ("bioassay", "pymc-nuts"),
        ("nutpie_eight", "nutpie"),
        ("numpyro_eight", "numpyro"),
        ("metropolis_stuck", "metropolis"),
    ],
)
def test_sampler_detected(name, sampler):
    assert trace_view(load(name)).sampler == sampler


@pytest.mark.parametrize("name", ["bioassay", "nutpie_eight", "numpyro_eight"])
def test_nuts_statistics_get_canonical_names(name):
    trace = trace_view(load(name))
    assert set(trace.sample_stats.data_vars) >= CANONICAL_NUTS
    assert trace.is_nuts
    assert trace.stat("diverging").shape == (trace.chains, trace.draws)
    assert trace.tuning_steps == 500


def test_nutpie_names_map_to_canonical():
    trace = trace_view(load("nutpie_eight"))
    raw = load("nutpie_eight")["sample_stats"]
    np.testing.assert_array_equal(trace.stat("tree_depth"), np.asarray(raw["depth"]))
    np.testing.assert_array_equal(trace.stat("max_depth_hit"), np.asarray(raw["maxdepth_reached"]))
    np.testing.assert_array_equal(trace.stat("accept"), np.asarray(raw["mean_tree_accept"]))


def test_metropolis_has_no_nuts_statistics():
    trace = trace_view(load("metropolis_stuck"))
    assert not trace.is_nuts
    assert set(trace.sample_stats.data_vars) == {"accept"}


def test_trace_without_sample_stats():
    posterior = load("bioassay")["posterior"]
    dataset = posterior.to_dataset() if isinstance(posterior, xr.DataTree) else posterior
    trace = trace_view(dataset)
    assert trace.sample_stats is None
    assert trace.sampler == "unknown"


@pytest.mark.parametrize("kind", ["native", "datatree", "path", "str"])
def test_containers(kind):
    native = load("bioassay")
    data = {
        "native": native,
        "datatree": xr.open_datatree(trace_path("bioassay")),
        "path": trace_path("bioassay"),
        "str": str(trace_path("bioassay")),
    }[kind]
    trace = trace_view(data)
    assert (trace.chains, trace.draws) == (4, 500)
    assert {"alpha", "beta", "theta"} <= set(trace.variable_names())


def test_zarr_store_round_trip(tmp_path):
    pytest.importorskip("zarr")
    store = tmp_path / "trace.zarr"
    xr.open_datatree(trace_path("centered_eight")).to_zarr(store)
    trace = trace_view(store)
    assert trace.sampler == "pymc-nuts"
    assert trace.stat("diverging").sum() == trace_view(trace_path("centered_eight")).stat("diverging").sum()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"just some text, not a trace\n", "not a readable netCDF"),
    ],
)
def test_unreadable_files_raise_one_line(tmp_path, content, expected):
    path = tmp_path / "trace.nc"
    path.write_bytes(content)
    with pytest.raises(TraceError, match=expected) as info:
        trace_view(path)
    assert "\n" not in str(info.value)


def test_truncated_file_raises(tmp_path):
    path = tmp_path / "truncated.nc"
    path.write_bytes(trace_path("bioassay").read_bytes()[:2000])
    with pytest.raises(TraceError):
        trace_view(path)


def test_missing_file_and_wrong_type():
    with pytest.raises(TraceError, match="no such file"):
        trace_view("does/not/exist.nc")
    with pytest.raises(TraceError, match="cannot read a trace from a list"):
        trace_view([1, 2, 3])


def test_netcdf_without_posterior(tmp_path):
    path = tmp_path / "prior_only.nc"
    xr.DataTree.from_dict({"/prior": xr.Dataset({"x": (("chain", "draw"), np.zeros((1, 5)))})}).to_netcdf(path)
    with pytest.raises(TraceError, match="no posterior"):
        trace_view(path)


def test_transformed_names():
    assert untransformed_name("tau_log__") == "tau"
    assert untransformed_name("p_logodds__") == "p"
    assert untransformed_name("sigma") == "sigma"


def test_transformed_copies_are_not_diagnosed_twice():
    posterior = xr.Dataset(
        {
            "tau": (("chain", "draw"), np.exp(np.random.default_rng(0).normal(size=(2, 50)))),
            "tau_log__": (("chain", "draw"), np.random.default_rng(0).normal(size=(2, 50))),
        }
    )
    assert trace_view(posterior).variable_names() == ["tau"]


def test_versions_read_from_metadata():
    versions = compat.library_versions()
    assert {"pymc", "arviz", "numpy", "xarray"} <= set(versions)


@pytest.mark.parametrize(("version", "major"), [("6.4.0", 6), ("5.28.5", 5), (None, 3), ("not-a-version", 3)])
def test_a_distribution_major_falls_back_to_the_default_when_missing_or_unreadable(monkeypatch, version, major):
    monkeypatch.setattr(compat, "distribution_version", lambda name: version)
    assert compat.distribution_major("pymc", 3) == major


def test_the_library_lines_are_those_installed():
    import arviz
    import pymc

    assert compat.arviz_major() == int(arviz.__version__.split(".")[0])
    assert pymc_major() == int(pymc.__version__.split(".")[0])


def _nuts_trace(stats: dict, attrs: dict | None = None) -> xr.DataTree:
    rng = np.random.default_rng(0)
    posterior = xr.Dataset({"x": (("chain", "draw"), rng.normal(size=(2, 50)))})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": xr.Dataset(stats, attrs=attrs or {})})


HEALTHY_STATS = {
    "diverging": (("chain", "draw"), np.zeros((2, 50), dtype=bool)),
    "energy": (("chain", "draw"), np.random.default_rng(1).normal(size=(2, 50))),
}


@pytest.mark.parametrize(
    "attrs",
    [
        {"inference_library_settings": '{"settings": "not a mapping"}'},
        {"inference_library_settings": '{"settings": {"maxdepth": "deep", "adapt_options": ["x"]}}'},
        {"inference_library_settings": '{"settings": {"maxdepth": 1e400, "adapt_options": {"step_size_settings": 3}}}'},
        {"inference_library_settings": '{"settings": {"adapt_options": {"step_size_settings": {"target_accept": 7}}}}'},
        {"inference_library_settings": "[1, 2]", "inference_library": np.array([1, 2])},
        {"inference_library_settings": "{" * 100_000},
        {"tuning_steps": "many", "num_tune": np.array([1.5, 2])},
        {"tuning_steps": float("inf")},
        {"tuning_steps": -5},
        {"tuning_steps": np.array(["500"])},
    ],
    ids=lambda attrs: str(attrs)[:40],
)
def test_malformed_sampler_attributes_are_ignored(attrs):
    trace = trace_view(_nuts_trace(HEALTHY_STATS, attrs))
    assert trace.sampler in ("pymc-nuts", "unknown")
    assert trace.max_tree_depth in (None, 10) and trace.target_accept is None
    assert trace.tuning_steps is None or trace.tuning_steps == 500
    assert "SMP101" in pymc_doctor.check(_nuts_trace(HEALTHY_STATS, attrs)).checks_run


@pytest.mark.parametrize(
    ("name", "values", "code"),
    [
        ("tree_depth", np.full((2, 50), "5"), "SMP102"),  # text
        ("tree_depth", np.full((2, 50), None, dtype=object), "SMP102"),
        ("step_size", np.ones((2, 50, 2)), "SMP104"),  # an extra dimension
    ],
    ids=["text", "objects", "extra-dim"],
)
def test_odd_statistics_are_left_out_and_their_checks_skipped_with_a_reason(name, values, code):
    dims = ("chain", "draw", "extra")[: values.ndim]
    stats = {**HEALTHY_STATS, name: (dims, values)}
    trace = trace_view(_nuts_trace(stats))
    assert name not in trace.sample_stats and "diverging" in trace.sample_stats
    report = pymc_doctor.check(_nuts_trace(stats))
    assert not [f for f in report.findings if f.code == "INT001"]
    assert [s.reason for s in report.checks_skipped if s.code == code], report.checks_skipped


@pytest.mark.parametrize("shape", [(2, 40), (3, 50)], ids=["fewer-draws", "more-chains"])
def test_statistics_of_another_run_than_the_posterior_are_left_out(shape):
    stats = {name: (("chain", "draw"), np.zeros(shape, dtype=bool)) for name in ("diverging", "energy")}
    assert trace_view(_nuts_trace(stats)).sample_stats is None
    report = pymc_doctor.check(_nuts_trace(stats))
    assert not [f for f in report.findings if f.code == "INT001"]
    assert "SMP101" in {s.code for s in report.checks_skipped}


def test_flags_stored_as_numbers_are_read_as_flags():
    diverging = np.zeros((2, 50))
    diverging[0, :3] = 1
    trace = trace_view(_nuts_trace({**HEALTHY_STATS, "diverging": (("chain", "draw"), diverging)}))
    assert trace.stat("diverging").dtype == bool and trace.stat("diverging").sum() == 3


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("where", ["chunk", "store"])
def test_a_fifo_is_never_read(tmp_path, where):
    """Reading a FIFO blocks until something writes to it: the doctor refuses it at once."""
    store = tmp_path / "trace.zarr"
    xr.DataTree.from_dict({"posterior": xr.Dataset({"x": (("chain", "draw"), np.zeros((2, 5)))})}).to_zarr(store)
    if where == "chunk":
        chunk = next(p for p in (store / "posterior" / "x").rglob("*") if p.is_file() and not p.name.startswith("."))
        chunk.unlink()
        os.mkfifo(chunk)
        target = store
    else:
        target = tmp_path / "trace.nc"
        os.mkfifo(target)
    process = subprocess.run(
        [sys.executable, "-m", "pymc_doctor", "check", str(target)], capture_output=True, text=True, timeout=120
    )
    assert process.returncode == 2, process.stderr
    assert "not a regular file" in process.stderr and len(process.stderr.strip().splitlines()) == 1
