"""A real notebook, executed by nbconvert on a kernel that runs this interpreter and this tree: the watch
verdict and the report show as styled HTML, nothing fails, and the doctor writes nothing to stderr.
Then the executed notebook, exported as JupyterLab shows it, is opened in headless Chromium."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tests.support_browser import console_errors, open_page

ROOT = Path(__file__).resolve().parent.parent
KERNEL = "pymc-doctor-test"
CELLS = (
    "%load_ext pymc_doctor",
    # PyMC's own sampler on every line (PyMC 6 would pick nutpie, whose compile is slow), seeded and small.
    """import numpy as np
import pymc as pm

rng = np.random.default_rng(7)
with pm.Model() as model:
    mu = pm.Normal("mu", 0, 1)
    pm.Normal("y", mu, 1, observed=rng.normal(size=20))
    idata = pm.sample(
        draws=200, tune=200, chains=2, cores=1, nuts_sampler="pymc", random_seed=11, progressbar=False
    )""",
    "import pymc_doctor as doctor\ndoctor.check(idata, model=model)",
    "import sys\nprint(sys.executable)\nprint(doctor.__file__)\nprint(doctor.last_report() is not None)",
)
# The notebook viewer's scripts from a CDN (require.js, MathJax): the test machine is offline, and the
# report itself loads nothing from outside.
EXTERNAL_SCRIPT = re.compile(r'<script src="https?://[^"]*">\s*</script>')


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook executed on a kernelspec of its own: this interpreter, importing this tree, with
    Jupyter's and IPython's files in a temporary folder. Returns the notebook and that folder."""
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    from nbconvert.preprocessors import ExecutePreprocessor

    folder = tmp_path_factory.mktemp("notebook")
    spec = folder / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel_json = {"argv": argv, "display_name": KERNEL, "language": "python", "env": {"PYTHONPATH": str(ROOT)}}
    (spec / "kernel.json").write_text(json.dumps(kernel_json))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(folder / "jupyter"))
        patch.setenv("JUPYTER_RUNTIME_DIR", str(folder / "runtime"))
        patch.setenv("IPYTHONDIR", str(folder / "ipython"))
        patch.delenv("PYMC_DOCTOR_WATCH", raising=False)  # watching is switched on by the notebook alone
        ExecutePreprocessor(timeout=600, kernel_name=KERNEL).preprocess(notebook, {"metadata": {"path": str(folder)}})
    nbformat.write(notebook, folder / "watched.ipynb")
    return notebook, folder


def _html(outputs: list, output_type: str) -> list[str]:
    return [o["data"]["text/html"] for o in outputs if o["output_type"] == output_type and "text/html" in o["data"]]


def _scoped(html: str) -> bool:
    """The report's own style, every rule under ``.pymc-doctor-report``, so nothing leaks into the page."""
    assert html.lstrip().startswith('<div class="pymc-doctor-report">')
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{[^{}]*\}", style) for s in block.split(",")]
    return bool(selectors) and all(s.startswith(".pymc-doctor-report") for s in selectors if not s.startswith("@"))


@pytest.mark.slow
def test_a_notebook_shows_the_watch_verdict_and_the_report_styled(executed):
    notebook, _ = executed
    outputs = [cell["outputs"] for cell in notebook.cells]
    assert [o for cell in outputs for o in cell if o["output_type"] == "error"] == []
    streams = [o["text"] for cell in outputs for o in cell if o["output_type"] == "stream" and o["name"] == "stderr"]
    assert not [text for text in streams if "pymc-doctor" in text or "pymc_doctor" in text], streams
    # the kernel ran this interpreter and imported this tree
    assert outputs[3][0]["text"].splitlines() == [sys.executable, str(ROOT / "pymc_doctor" / "__init__.py"), "True"]

    verdicts = _html(outputs[1], "display_data")  # shown by watch() after pm.sample, unasked
    assert len(verdicts) == 1 and _scoped(verdicts[0])
    assert re.search(r'<div class="verdict \w+">', verdicts[0])
    reports = _html(outputs[2], "execute_result")  # doctor.check's report, shown by its _repr_html_
    assert len(reports) == 1 and _scoped(reports[0]) and "checks ran" in reports[0]
    plain = next(o for o in outputs[2] if o["output_type"] == "execute_result")["data"]["text/plain"]
    assert len(plain) < 2_000, plain  # a readable repr beside the HTML, not an object dump


# Writes the computed alignment of the report's first table cell where --dump-dom shows it.
ALIGNMENT_PROBE = (
    "<script>document.body.dataset.cellAlign = "
    "getComputedStyle(document.querySelector('.pymc-doctor-report td')).textAlign;</script>"
)


@pytest.mark.slow
def test_the_executed_notebook_renders_in_chromium_without_console_errors(executed):
    from nbconvert import HTMLExporter

    notebook, folder = executed
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    page = folder / "watched.html"
    page.write_text(EXTERNAL_SCRIPT.sub("", html))
    shot = folder / "notebook.png"  # the test's artifact: the notebook as JupyterLab shows it
    browser = open_page(page, folder, "--window-size=1100,1400", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 20_000, browser.stderr[-2000:]
    assert console_errors(browser.stderr) == []
    dom = open_page(page, folder, "--dump-dom").stdout
    assert dom.count('class="pymc-doctor-report live"') == 2  # both reports' scripts ran: their buttons work
    # JupyterLab right-aligns table cells; the report's own style must win inside the notebook's page.
    measured = folder / "measured.html"
    measured.write_text(page.read_text().replace("</body>", f"{ALIGNMENT_PROBE}</body>"))
    aligned = re.search(r'data-cell-align="(\w+)"', open_page(measured, folder, "--dump-dom").stdout)
    assert aligned is not None and aligned.group(1) == "left"
