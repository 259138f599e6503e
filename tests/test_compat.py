"""Containers and sampler statistics normalize to one TraceView on both library lines."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from pymc_doctor import compat
from pymc_doctor.compat import TraceError, trace_view
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
