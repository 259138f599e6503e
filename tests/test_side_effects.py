"""The doctor leaves the user's session as it found it and never touches the network."""

from __future__ import annotations

import importlib.util
import os
import random
import socket

import numpy as np
import pytest

import pymc_doctor
from pymc_doctor.reports.html import render_html
from pymc_doctor.reports.markdown import render_markdown
from tests.oracle import arviz_stats
from tests.support import load


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _pytensor_flags():
    import pytensor

    return {name: str(getattr(pytensor.config, name)) for name in ("floatX", "mode", "linker", "cxx", "optimizer")}


def test_check_and_render_change_nothing_and_stay_offline(no_network):
    # The user's session has PyMC and ArviZ loaded. ArviZ 1.x imports JAX lazily where it is installed
    # (the first plot does it), and JAX sets variables of its own on import: load it first, so that what
    # is measured is what the doctor itself changes.
    import matplotlib
    import pymc  # noqa: F401

    arviz_stats()
    if importlib.util.find_spec("jax"):
        import jax  # noqa: F401

    environment = dict(os.environ)
    np_state = np.random.get_state()
    py_state = random.getstate()
    flags = _pytensor_flags()
    backend = matplotlib.get_backend()

    report = pymc_doctor.check(load("centered_eight"))
    render_html(report)  # draws plots
    render_markdown(report.redacted())

    assert dict(os.environ) == environment
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]
    assert random.getstate() == py_state
    assert _pytensor_flags() == flags
    assert matplotlib.get_backend() == backend
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # every figure drawn for the report was closed
