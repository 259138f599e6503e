"""Hostile names: whatever a trace's variables, dims and coordinates are called, every form of the report
stays what it claims to be. JSON parses; the Markdown pings nobody, loads no image, runs no HTML, and
its [details] blocks and fences close where they should; the terminal text drives no terminal; the
HTML runs no script but its own; and no code shown to be run splices a name that is no identifier.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import pymc_doctor
from pymc_doctor.reports import RENDERERS, plots
from pymc_doctor.reports.safety import splices
from pymc_doctor.spelling import safe_identifier
from tests.reports.test_safety import CONTROL, renamed_eight
from tests.support_browser import console_errors, open_page

PIECES = [
    "\x1b[2J",
    "\x1b]0;owned\x07",
    "\x9b31m",
    "\u202e",
    "\u2066",
    "\x00",
    "\r",
    "\n",
    "\n\n",
    "@jane",
    "![x](http://example.com/x.png)",
    "[/details]",
    '[details="x"]',
    "</details>",
    "<details>",
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    "```",
    "~~~",
    "`",
    "|",
    "\\",
    '"',
    "'",
    "#",
    "- ",
    "1. ",
    "&amp;",
    "*",
    "_",
    "\nimport os; os.system('echo PWNED')  #",
    "{__import__('os')}",
    "\udcff",
    "\udc80",
    "σ",
    "x" * 300,
]
NAMES = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), min_size=1, max_size=5).map("".join)


def hostile_trace(variable: str, dim: str, labels: tuple[str, str]) -> xr.DataTree:
    """A small trace whose findings (divergences, R-hat, ESS) name the hostile variable and its elements."""
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=(2, 60, 2)), axis=1)
    # A DataTree (and netCDF) refuses '/' in variable and dim names; coordinate values may hold anything.
    variable, dim = f"v{variable}".replace("/", "∕"), f"d{dim}".replace("/", "∕")
    posterior = xr.Dataset(
        {variable: (("chain", "draw", dim), walk), "mu": (("chain", "draw"), walk[..., 0])},
        coords={dim: [f"a{labels[0]}", f"b{labels[1]}"]},
    )
    diverging = np.zeros((2, 60), dtype=bool)
    diverging[:, ::9] = True
    stats = xr.Dataset(
        {"diverging": (("chain", "draw"), diverging), "energy": (("chain", "draw"), rng.normal(size=(2, 60)))}
    )
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})


def check_markdown(markdown: str) -> None:
    """As a CommonMark parser (Discourse's and GitHub's are such parsers) reads it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    assert not [t for t in tokens if t.type == "html_block"], "raw HTML"
    for child in (child for token in tokens for child in token.children or ()):
        assert child.type not in ("image", "html_inline", "link_open"), child
        assert child.type != "text" or "@" not in child.content, f"a live mention in {child.content!r}"
    # BBCode blocks open and close on lines of their own, outside code: only the report's own such lines.
    lines = markdown.split("\n")
    for token in tokens:
        if token.type == "fence":
            lines[token.map[0] : token.map[1]] = [""] * (token.map[1] - token.map[0])
    tags = [line for line in lines if re.match(r"\s*\[/?details", line, re.IGNORECASE)]
    opening = [line for line in tags if re.fullmatch(r'\[details="[^"\n]*"\]', line)]
    assert len(tags) == 2 * len(opening) >= 2 and tags.count("[/details]") == len(opening), tags
    # A fence left open would run to the end and swallow the last [/details]: the document ends in one.
    assert [t.content for t in tokens if t.type == "inline"][-1] == "[/details]"


class Elements(HTMLParser):
    """Every element of a page, with its attributes, as a browser's parser sees them."""

    def __init__(self, page: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def check_html(page: str) -> None:
    elements = Elements(page).elements
    assert [tag for tag, _ in elements].count("script") == 1  # the page's own copy buttons
    for tag, attrs in elements:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("src", "href", "action", "data"):
            assert attrs.get(name) is None or attrs[name].startswith(("data:", "#")), (tag, attrs)
    assert {tag for tag, _ in elements} <= PAGE_ELEMENTS


# What the report's own template writes; a name can add no other element.
PAGE_ELEMENTS = {
    *("html", "head", "meta", "title", "style", "body", "div", "h1", "h2", "h3", "p", "section", "span", "strong"),
    *("table", "thead", "tbody", "tr", "th", "td", "a", "code", "pre", "button", "textarea", "details", "summary"),
    *("dl", "dt", "dd", "ol", "ul", "li", "figure", "img", "figcaption", "script"),
}


def check_all_forms(report) -> None:
    json.loads(RENDERERS["json"](report))
    check_markdown(RENDERERS["markdown"](report))
    assert CONTROL.search(RENDERERS["text"](report)) is None
    check_html(RENDERERS["html"](report))


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example takes a second: no shrinking
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(variable="".join(PIECES[:18]), dim="".join(PIECES[18:]), first="@jane\n[/details]", second="<b>`x`</b>")
@given(variable=NAMES, dim=NAMES, first=NAMES, second=NAMES)
def test_every_form_survives_hostile_names(monkeypatch_plots, variable, dim, first, second):
    report = pymc_doctor.check(hostile_trace(variable, dim, (first, second)), source=f"{variable}.nc")
    assert report.findings
    check_all_forms(report)
    check_all_forms(report.redacted())


@pytest.fixture(scope="module")
def monkeypatch_plots():
    """Plots are drawn from the trace by labels the renderers never show as text; the fuzz test skips them."""
    patch = pytest.MonkeyPatch()
    patch.setattr(plots, "plot_data_uri", lambda request, finding, trace: "data:image/png;base64,")
    yield
    patch.undo()


INJECTING_NAMES = [
    "theta\nimport os; os.system('echo PWNED')  #",
    'theta"); import os; os.system("echo PWNED"); ("',
    "theta school",
    "theta\\",
]


@pytest.mark.parametrize("name", INJECTING_NAMES)
def test_fix_code_spells_every_name_safely(name):
    report = pymc_doctor.check(renamed_eight(name))
    snippets = [f.fix_code for f in report.findings] + [s.code for f in report.findings for s in f.rerun]
    snippets += [step.code for step in report.plan]
    assert any("pm.Deterministic" in code for code in snippets), "the non-centered rewrite is offered"
    assert safe_identifier(name) is None
    assert not [code for code in snippets if splices(code, name)]


@pytest.mark.slow
def test_hostile_names_run_no_script_in_a_browser(tmp_path):
    names = ["<script>document.title='pwned'</script>", "<img src=x onerror=\"document.title='pwned'\">"]
    reports = [pymc_doctor.check(hostile_trace(name, name, (name, "\n" + name)), source=f"{name}.nc") for name in names]
    reports.append(pymc_doctor.check(renamed_eight(INJECTING_NAMES[0])))
    page = Path(tmp_path, "report.html")
    page.write_text(RENDERERS["html"](reports), encoding="utf-8")
    dom = open_page(page, tmp_path, "--dump-dom")
    assert "<title>pymc-doctor report" in dom.stdout
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom.stdout, re.S).group(1)
    assert console_errors(dom.stderr) == []


@pytest.mark.parametrize("name", ["theta\udcff", "theta\udc80\ud800"])
def test_a_name_that_was_not_utf8_is_diagnosed_like_any_other(name):
    # A lone surrogate is how Python holds a byte of a netCDF name that was not UTF-8.
    report = pymc_doctor.check(renamed_eight(name))
    codes = {f.code for f in report.findings}
    assert "INT001" not in codes
    assert {"SMP101", "SMP201", "SMP203"} <= codes
    rewrite = next(f for f in report.findings if f.code == "SMP101").fix_code
    assert "pm.Deterministic" in rewrite and not splices(rewrite, name)
