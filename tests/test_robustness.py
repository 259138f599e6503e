"""A corpus of unusual and malformed traces and files: the doctor never crashes and never hides a gap.

On every input, `pymc_doctor.check` either reports findings or says which checks it could not run and
why; no check raises (an internal failure, INT001, is a bug here); the command line exits 2 only for
input it cannot read as a trace.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pymc_doctor
from pymc_doctor.catalog import all_rules
from pymc_doctor.compat import TraceError
from tests.support import trace_path

# The sampling rules that apply to a trace alone (those that also need the model do not apply here).
SAMPLING_CODES = {r.code for r in all_rules() if r.category == "sampling" and "model" not in r.needs}

# Statistic names as each sampler writes them, so the corpus mixes samplers' vocabularies.
STAT_NAMES = {
    "pymc": ["diverging", "tree_depth", "reached_max_treedepth", "energy", "step_size", "acceptance_rate", "lp"],
    "nutpie": ["diverging", "depth", "maxdepth_reached", "energy", "step_size", "mean_tree_accept", "logp"],
    "numpyro": ["diverging", "tree_depth", "energy", "step_size", "acceptance_rate", "lp"],
    "metropolis": ["accept", "accepted", "scaling"],
    "stan": ["divergent__", "treedepth__", "energy__", "stepsize__", "accept_stat__"],
}


FLAG_STATS = ("diverging", "divergent__", "reached_max_treedepth", "maxdepth_reached")


def _values(draw, shape, kind):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "bool":
        return rng.random(shape) < 0.5
    if kind == "int":
        return rng.integers(-3, 4, size=shape)
    values = np.cumsum(rng.normal(size=shape), axis=1) if len(shape) > 1 and shape[1] else rng.normal(size=shape)
    special = draw(st.sampled_from(["none", "nan", "inf", "constant", "huge", "all_nan"]))
    if special == "nan" and values.size:
        values.flat[rng.integers(values.size)] = np.nan
    elif special == "inf" and values.size:
        values.flat[rng.integers(values.size)] = np.inf
    elif special == "constant":
        values = np.full(shape, 3.0)
    elif special == "huge":
        values = values * 1e300
    elif special == "all_nan":
        values = np.full(shape, np.nan)
    return values


@st.composite
def traces(draw):
    chains = draw(st.integers(1, 4))
    draws = draw(st.sampled_from([0, 1, 2, 3, 4, 7, 50]))
    data_vars, coords = {}, {}
    for index in range(draw(st.integers(1, 3))):
        extra = draw(st.sampled_from([(), (0,), (1,), (3,), (2, 2)]))
        dims = ("chain", "draw", *(f"dim_{index}_{k}" for k in range(len(extra))))
        kind = draw(st.sampled_from(["float", "float", "int", "bool"]))
        data_vars[draw(st.sampled_from(["mu", "σ", "x y", "a[0]", "tau_log__", "tau"])) + str(index)] = (
            dims,
            _values(draw, (chains, draws, *extra), kind),
        )
        for dim, size in zip(dims[2:], extra, strict=True):
            coord_kind = draw(st.sampled_from(["none", "strings", "duplicated"]))
            if coord_kind == "strings":
                coords[dim] = [f"<level {k}>" for k in range(size)]
            elif coord_kind == "duplicated":
                coords[dim] = ["same"] * size
    groups = {"posterior": xr.Dataset(data_vars, coords=coords)}
    sampler = draw(st.sampled_from([None, *STAT_NAMES]))
    if sampler:
        names = draw(st.lists(st.sampled_from(STAT_NAMES[sampler]), unique=True, max_size=7))
        stats = {}
        for name in names:
            kind = "bool" if name in FLAG_STATS else "float"
            if name in ("tree_depth", "depth", "treedepth__"):
                kind = "int"
            values = _values(draw, (chains, draws), kind)
            stats[name] = (("chain", "draw"), np.abs(values) if kind == "int" else values)
        groups["sample_stats"] = xr.Dataset(stats, attrs={"inference_library": sampler})
    return xr.DataTree.from_dict(groups)


@settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(traces())
def test_corpus_never_crashes_and_accounts_for_every_check(tree):
    if tree["posterior"].sizes["draw"] == 0:
        with pytest.raises(TraceError, match="no draws"):
            pymc_doctor.check(tree)
        return
    report = pymc_doctor.check(tree)
    internal = [f for f in report.findings if f.code == "INT001"]
    assert internal == [], internal[0].message if internal else ""
    accounted = set(report.checks_run) | {s.code for s in report.checks_skipped}
    assert accounted == SAMPLING_CODES
    assert all(s.reason for s in report.checks_skipped)
    report.to_json()


@pytest.mark.parametrize(
    "case",
    ["no_posterior", "posterior_without_chain", "empty_posterior", "no_sample_stats", "object_stats"],
)
def test_degenerate_structures(case):
    posterior = xr.Dataset({"x": (("chain", "draw"), np.random.default_rng(0).normal(size=(2, 20)))})
    if case == "no_posterior":
        tree = xr.DataTree.from_dict({"prior": posterior})
    elif case == "posterior_without_chain":
        tree = xr.DataTree.from_dict({"posterior": posterior.isel(chain=0)})
    elif case == "empty_posterior":
        tree = xr.DataTree.from_dict({"posterior": xr.Dataset()})
    elif case == "no_sample_stats":
        tree = xr.DataTree.from_dict({"posterior": posterior})
    else:
        stats = xr.Dataset({"diverging": (("chain", "draw"), np.full((2, 20), "no", dtype=object))})
        tree = xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})
    if case in ("no_posterior", "posterior_without_chain", "empty_posterior"):
        with pytest.raises(TraceError):
            pymc_doctor.check(tree)
    else:
        report = pymc_doctor.check(tree)
        assert not any(f.code == "INT001" for f in report.findings)
        assert {s.code for s in report.checks_skipped} >= {"SMP101", "SMP102", "SMP103", "SMP104"}


def _bad_files(tmp_path):
    good = trace_path("bioassay").read_bytes()
    files = {
        "empty.nc": b"",
        "truncated.nc": good[: len(good) // 3],
        "random.nc": np.random.default_rng(1).bytes(4096),
        "text.nc": b"chain,draw,x\n0,0,1.0\n",
        "json.nc": b'{"posterior": {}}',
    }
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        paths.append(path)
    empty_zarr = tmp_path / "empty.zarr"
    empty_zarr.mkdir()
    prior_only = tmp_path / "prior_only.nc"
    xr.DataTree.from_dict({"/prior": xr.Dataset({"x": (("chain", "draw"), np.zeros((1, 5)))})}).to_netcdf(prior_only)
    return [*paths, empty_zarr, prior_only, tmp_path / "missing.nc"]


def test_unusable_files_exit_2_with_one_clear_line(tmp_path):
    for path in _bad_files(tmp_path):
        process = subprocess.run(
            [sys.executable, "-m", "pymc_doctor", "check", str(path)], capture_output=True, text=True, timeout=120
        )
        assert process.returncode == 2, (path.name, process.stdout, process.stderr)
        assert len(process.stderr.strip().splitlines()) == 1, (path.name, process.stderr)
        assert path.name in process.stderr or "posterior" in process.stderr
        assert "Traceback" not in process.stderr
