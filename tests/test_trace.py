"""The trace view reads no more of a trace than a question needs."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from pymc_doctor.compat import trace_view


def test_one_element_for_a_plot_reads_only_its_chunk():
    # A lazily opened variable whose every chunk but the first fails when read: the draws of one
    # element (a plot of a flagged element) must come from that chunk alone, not the whole variable.
    chains, draws, size, chunk = 2, 50, 40, 10

    def block(block_info=None):
        location = block_info[None]["chunk-location"][2]
        if location:
            raise AssertionError(f"chunk {location} was read")
        return np.arange(chains * draws * chunk, dtype=float).reshape(chains, draws, chunk)

    beta = da.map_blocks(block, chunks=((chains,), (draws,), (chunk,) * (size // chunk)), dtype=float)
    posterior = xr.Dataset(
        {"beta": (("chain", "draw", "beta_dim"), beta)}, coords={"chain": range(chains), "draw": range(draws)}
    )
    elements = trace_view(posterior).elements(["beta[3]"])
    expected = np.arange(chains * draws * chunk, dtype=float).reshape(chains, draws, chunk)[:, :, 3]
    np.testing.assert_array_equal(elements["beta[3]"].values, expected)


def test_an_element_is_found_even_when_its_variable_name_holds_brackets():
    """The robustness corpus once crashed the ridge diagnosis on a variable named `a[0]1`."""
    posterior = xr.Dataset(
        {"a": (("chain", "draw"), np.zeros((2, 5))), "a[0]1": (("chain", "draw", "k"), np.ones((2, 5, 2)))}
    )
    trace = trace_view(posterior)
    assert trace.owner_of("a[0]1[1]") == "a[0]1"
    assert trace.owner_of("a") == "a"
    np.testing.assert_array_equal(trace.elements(["a[0]1[1]"])["a[0]1[1]"].values, np.ones((2, 5)))
    with pytest.raises(KeyError):
        trace.owner_of("a[7]")
