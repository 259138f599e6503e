"""ENV501-ENV503: sampler backends that do not import, JAX and the GPU, and a faster NUTS."""

from __future__ import annotations

import pytest

from pymc_doctor.checks.environment.samplers import detect_faster_sampler, detect_jax_devices, detect_sampler_broken
from pymc_doctor.probes.protocol import ProbeResult
from tests.checks.environment.helpers import DROP, OK, check, copy_of, facts, failed
from tests.checks.environment.scenarios import PYMC_MAJOR

PYMC_5 = {"distributions": {"pymc": [copy_of("5.28.5")]}}
NO_LIB = "ModuleNotFoundError: No module named 'nutpie._lib'"
CPU = {"default_backend": "cpu", "devices": [{"platform": "cpu", "kind": "cpu"}]}
GPU = {"default_backend": "gpu", "devices": [{"platform": "gpu", "kind": "NVIDIA H100"}]}


def samplers_ended(failure: dict, **data) -> dict:
    """The sampler probe's result, ended by ``failure`` (``timed_out=True``...) with ``data`` reported."""
    return {"samplers": ProbeResult("samplers", data=data, stderr_tail="Fatal Python error: Aborted", **failure)}


@pytest.mark.parametrize(
    ("samplers", "results", "expected"),
    [
        pytest.param({}, None, {}, id="all-import"),
        pytest.param({"imports": {"nutpie": failed(NO_LIB)}}, None, {"nutpie": NO_LIB}, id="nutpie-fails"),
        pytest.param(
            {"imports": {"numba": failed("ImportError: Numba needs NumPy 2.2 or less. Got NumPy 2.3.")}},
            None,
            {},
            id="numpy-abi-is-env106s",
        ),
        pytest.param(
            DROP,
            samplers_ended({"returncode": -6}, importing="jax", imports={"numba": OK}),
            {"jax": "the import crashed (killed by SIGABRT): Fatal Python error: Aborted"},
            id="crash-inside-an-import",
        ),
        pytest.param(
            DROP,
            samplers_ended({"timed_out": True, "timeout": 120}, importing="jax", imports={"jax": OK}),
            {"jax devices": "the probe did not finish within 120 s"},
            id="hang-asking-jax-for-devices",
        ),
        pytest.param(
            DROP,
            samplers_ended({"timed_out": True, "timeout": 120}),
            {"backends": "the probe did not finish within 120 s"},
            id="hang-before-any-import",
        ),
    ],
)
def test_detect_sampler_broken(samplers, results, expected):
    assert detect_sampler_broken(facts(samplers=samplers, results=results)) == expected


@pytest.mark.parametrize(("static", "severity"), [(PYMC_5, "warning"), ({}, "error")])
def test_a_broken_nutpie_breaks_plain_pm_sample_on_pymc_6(static, severity):
    finding = check("ENV501", facts(static, samplers={"imports": {"nutpie": failed(NO_LIB)}})).finding
    assert finding.severity == severity
    assert finding.title == "Sampler backend installed but not importable: nutpie"
    assert finding.message.startswith(f"`import nutpie` fails with {NO_LIB}")
    assert finding.message.endswith("so plain pm.sample() fails too." if severity == "error" else f"{NO_LIB}.")
    assert finding.fix_code == "python -m pip install --force-reinstall nutpie"


def test_a_probe_that_hung_reinstalls_the_usual_backends():
    env = facts(samplers=DROP, results=samplers_ended({"timed_out": True, "timeout": 120}))
    assert check("ENV501", env).finding.fix_code == "python -m pip install --force-reinstall nutpie numpyro"


def test_detect_jax_devices():
    assert detect_jax_devices(facts()) is None
    idle = facts({"hardware": {"gpus": ["NVIDIA H100, 81559 MiB"]}})
    assert detect_jax_devices(idle) == (
        "idle-gpu",
        {"gpus": ["NVIDIA H100, 81559 MiB"], "jax_devices": ["cpu"], "jax_plugins": []},
    )
    assert detect_jax_devices(facts({"hardware": {"gpus": ["NVIDIA H100"]}}, samplers={"jax": GPU})) is None
    plugin = facts({"distributions": {"jax-cuda12-plugin": [copy_of("0.8.1")]}})
    assert detect_jax_devices(plugin) == (
        "no-gpu",
        {"gpus": [], "jax_devices": ["cpu"], "jax_plugins": ["jax-cuda12-plugin"]},
    )


def test_jax_on_the_cpu_beside_a_gpu():
    for kind, fix_code in (
        ("venv", 'python -m pip install -U "jax[cuda12]"'),
        ("conda", 'conda install -c conda-forge "jaxlib=*=*cuda*"'),
    ):
        finding = check("ENV502", facts({"hardware": {"gpus": ["NVIDIA H100"]}, "channel": {"kind": kind}})).finding
        assert (finding.severity, finding.message) == ("warning", "The machine has NVIDIA H100; JAX sees only cpu.")
        assert finding.fix_code == fix_code


def test_a_gpu_build_of_jax_without_a_gpu():
    finding = check("ENV502", facts({"distributions": {"jax-cuda12-plugin": [copy_of("0.8.1")]}})).finding
    assert finding.severity == "info"
    assert finding.message == "jax-cuda12-plugin is installed; JAX sees only cpu and falls back to the CPU."
    assert finding.fix_code == "nvidia-smi\n# or\npython -m pip uninstall -y jax-cuda12-plugin"


def test_jax_devices_needs_jax_and_the_sampler_probe():
    assert check("ENV502", facts(samplers={"jax": DROP})).skipped == "JAX is not installed or does not import"
    hung = facts(samplers=DROP, results=samplers_ended({"timed_out": True, "timeout": 120}))
    assert check("ENV502", hung).skipped == "the sampler probe did not finish within 120 s"
    assert check("ENV502", facts(samplers=DROP, not_run={"samplers": "not selected"})).skipped == "not selected"


@pytest.mark.parametrize(
    ("static", "samplers", "base", "expected"),
    [
        pytest.param({}, {}, {}, None, id="pymc-6-samples-with-nutpie"),
        pytest.param(
            PYMC_5,
            {},
            {},
            {"working": ["jax", "numba", "nutpie"], "default": "pymc", "fastest": "nutpie", "jax_gpu": []},
            id="pymc-5-with-nutpie",
        ),
        pytest.param(
            {},
            {},
            {"pytensor": {"default_linker": "CVMLinker"}},
            {"working": ["jax", "numba", "nutpie"], "default": "pymc", "fastest": "nutpie", "jax_gpu": []},
            id="pymc-6-on-the-c-backend",
        ),
        pytest.param(
            {},
            {"imports": {"numpyro": OK}, "jax": GPU},
            {},
            {
                "working": ["jax", "numba", "numpyro", "nutpie"],
                "default": "nutpie",
                "fastest": "numpyro",
                "jax_gpu": ["gpu"],
            },
            id="numpyro-on-a-gpu",
        ),
        pytest.param(
            PYMC_5,
            {"imports": {"nutpie": failed(NO_LIB), "blackjax": OK}},
            {},
            {"working": ["blackjax", "jax", "numba"], "default": "pymc", "fastest": "blackjax", "jax_gpu": []},
            id="blackjax",
        ),
        pytest.param(
            PYMC_5,
            {"imports": {"nutpie": failed(NO_LIB)}},
            {},
            {"working": ["jax", "numba"], "default": "pymc", "fastest": None, "jax_gpu": []},
            id="none-faster",
        ),
    ],
)
def test_detect_faster_sampler(static, samplers, base, expected):
    assert detect_faster_sampler(facts(static, samplers=samplers, base=base)) == expected


def test_faster_sampler_findings():
    nutpie = check("ENV503", facts(PYMC_5)).finding
    assert nutpie.title == "The nutpie sampler would sample faster here than the default"
    assert nutpie.message == (
        "pm.sample() uses PyMC's NUTS by default here; nutpie is usually several times faster than PyMC's own "
        "NUTS on a CPU."
    )
    assert nutpie.fix_code.endswith('pm.sample(nuts_sampler="nutpie")')
    gpu = check("ENV503", facts(samplers={"imports": {"numpyro": OK}, "jax": GPU})).finding
    assert gpu.message == (
        "pm.sample() uses nutpie's NUTS by default here; JAX sees a GPU (gpu), "
        "where numpyro samples big models fastest."
    )
    none = check("ENV503", facts(PYMC_5, samplers={"imports": {"nutpie": failed(NO_LIB)}})).finding
    assert none.title == "Only PyMC's own NUTS sampler is available"
    assert none.evidence == {"working": ["jax", "numba"], "default": "pymc"}
    # The install command is shell: it goes in the fix's text, and the code block is Python alone.
    assert none.fix == 'Install nutpie (`python -m pip install nutpie`) and sample with nuts_sampler="nutpie".'
    assert none.fix_code == 'with model:\n    idata = pm.sample(nuts_sampler="nutpie")'


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["packages_and_settings"], indirect=True)
def test_sampler_that_does_not_import(scenario):
    finding = scenario.finding("ENV501")
    assert list(finding["evidence"]["failures"]) == ["nutpie"]  # blackjax's ABI failure is ENV106's
    assert "No module named 'nutpie._lib'" in finding["message"]
    # PyMC 6 samples with nutpie by default when it is installed, so plain pm.sample() breaks.
    assert finding["severity"] == ("warning" if PYMC_MAJOR < 6 else "error")


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["packages_and_settings"], indirect=True)
def test_gpu_build_of_jax_without_a_gpu(scenario):
    finding = scenario.finding("ENV502")
    if finding["evidence"]["gpus"]:
        pytest.skip("this machine has a GPU")
    assert finding["severity"] == "info"
    assert finding["evidence"] == {"gpus": [], "jax_devices": ["cpu"], "jax_plugins": ["jax-cuda12-plugin"]}
