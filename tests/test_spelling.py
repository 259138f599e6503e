"""Names spelled into generated code: whatever a name holds, the code runs nothing but itself."""

from __future__ import annotations

import ast

import pytest

from pymc_doctor.spelling import (
    comment,
    dims_argument,
    name_note,
    posterior_access,
    python_name,
    python_string,
    safe_identifier,
)

INJECTED = "injected"
# Each tries to run `ran.append("injected")` when spliced into code.
HOSTILE = [
    'theta\nran.append("injected")  #',
    'theta"; ran.append("injected"); "',
    "theta'; ran.append('injected'); '",
    'theta\\"; ran.append("injected"); #',
    "theta\r ran.append('injected')",
    'theta\u2028ran.append("injected")',
    '{ran.append("injected")}',
    '"""; ran.append("injected"); """',
    "theta\x00\x1b[31m\u202e\udcff",
    "x" * 10_000 + '\nran.append("injected")',
]


@pytest.mark.parametrize("name", ["theta", "σ", "_x1", "Theta_2"])
def test_identifiers_are_kept(name):
    assert safe_identifier(name) == name
    assert python_name(name) == name
    assert name_note(name) == ""


@pytest.mark.parametrize("name", ["class", "x y", "1x", "a-b", "ﬁ", "a\u200bb", "", *HOSTILE])
def test_anything_else_is_no_identifier(name):
    assert safe_identifier(name) is None
    replacement = python_name(name)
    assert safe_identifier(replacement) == replacement


@pytest.mark.parametrize("name", HOSTILE)
def test_snippets_spelled_with_hostile_names_run_nothing_injected(name):
    placeholder = python_name(name)
    snippet = "\n".join(
        [
            name_note(name),
            comment(f"replace {name} with:"),
            f"{placeholder}_offset = make({python_string(name + '_offset')}, mu=0{dims_argument([name])})",
            f"{placeholder} = make({python_string(name)}, {placeholder}_offset{dims_argument([name, 'b'])})",
            f"values = {posterior_access(name)}",
        ]
    )
    ran: list[str] = []
    made: list[tuple] = []
    namespace = {
        "ran": ran,
        "make": lambda *args, **kwargs: made.append((args, kwargs)) or args[0],
        "idata": type("Trace", (), {"posterior": {name: "draws"}})(),
    }
    exec(compile(snippet, "<fix>", "exec"), namespace)
    assert INJECTED not in ran
    # The names reach the code as the very strings the trace holds.
    assert [args[0] for args, _ in made] == [name + "_offset", name]
    assert made[0][1]["dims"] == name and made[1][1]["dims"] == (name, "b")
    assert namespace["values"] == "draws"


@pytest.mark.parametrize("name", HOSTILE)
def test_a_comment_stays_one_line(name):
    line = comment(name)
    assert len(ast.parse(line + "\nx = 1").body) == 1
    assert line.isprintable()
