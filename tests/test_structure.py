"""The house rules, enforced: small modules and functions, layers that import only downward, no
import cycle (imports inside functions count), and no repeated code in the package."""

from __future__ import annotations

import ast
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pymc_doctor"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80

# Bottom to top: plain data and small helpers; facts about the trace, model, environment and error;
# rules; diagnoses; the runner; renderers; the API and the command line.
LAYERS = (
    ("finding", "registry", "wording", "quiet", "redact", "version", "spelling"),
    (
        "samplers",
        "compat",
        "trace",
        "engine",
        "diagnostics",
        "modelgraph",
        "probes",
        "hierarchy",
        "errortext",
        "subject",
        "remedies",
        "fitstats",
        "fitdata",
        "powerscaling",
        "sensitivitydata",
    ),
    ("checks",),
    ("diagnoses",),
    ("runner", "catalog", "treatment"),
    ("reports",),
    (
        "__init__",
        "__main__",
        "cli",
        "commandline",
        "demo",
        "examples",
        "target",
        "childprocess",
        "watch",
        "watching",
        "testing",
        "pytest_plugin",
    ),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


def _resolve(importer: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The package modules an import statement loads (a name imported from a package may be a module)."""
    known = modules()
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
        return [t for t in targets if t in known]
    base = node.module or ""
    if node.level:
        anchor = importer.split(".") if _is_package(importer) else importer.split(".")[:-1]
        anchor = anchor[: len(anchor) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    found = []
    for alias in node.names:
        if f"{base}.{alias.name}" in known:
            found.append(f"{base}.{alias.name}")
        elif base in known:
            found.append(base)
    return found


# Calls that import a module by its name at run time.
IMPORTS_BY_NAME = frozenset({"import_module", "__import__"})


def _called(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        function = node.func
        return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
    return None


def _literal_start(node: ast.AST) -> str | None:
    """A string's text, or the literal start of an f-string or a sum (``f"pymc_doctor.checks.{x}"``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_start(node.left)
    return None


def _named_imports(tree: ast.AST) -> set[str]:
    """The package modules a file may import by name at run time (``importlib.import_module``).

    In a file that makes such a call, every string that names a package module counts as importing
    it, wherever the string stands (a table of names passed on later), and a string's literal start
    that ends a package path (``"pymc_doctor.checks." + prefix``) as importing every module under it.
    """
    if not any(_called(node) in IMPORTS_BY_NAME for node in ast.walk(tree)):
        return set()
    known = modules()
    found = set()
    for node in ast.walk(tree):
        text = _literal_start(node)
        if not text or not text.startswith("pymc_doctor"):
            continue
        if text in known:
            found.add(text)
        elif not isinstance(node, ast.Constant) or text.endswith("."):
            found.update(name for name in known if name.startswith(text))
    return found


def imports_of(name: str, tree: ast.AST) -> set[str]:
    """The package modules a module imports, wherever in the file, by statement or by name."""
    targets = _named_imports(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            targets.update(_resolve(name, node))
    return targets - {name}


@cache
def import_graph() -> dict[str, set[str]]:
    """Every module's imports of the package's own modules."""
    return {name: imports_of(name, ast.parse(path.read_text(encoding="utf-8"))) for name, path in modules().items()}


def layer_of(name: str) -> int:
    parts = name.split(".")
    key = "__init__" if len(parts) == 1 else parts[1]
    for index, layer in enumerate(LAYERS):
        if key in layer:
            return index
    raise AssertionError(f"{name} belongs to no layer: add it to LAYERS in {Path(__file__).name}")


def test_every_module_is_small():
    big = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"


def _function_lengths(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            # A rule's docstring is its rule page: prose, not logic.
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:] or body
            yield node.name, node.lineno, body[-1].end_lineno - body[0].lineno + 1


def test_every_function_is_short():
    long = [
        f"{_module_name(path)}.{name} (line {line}): {length} lines"
        for path in modules().values()
        for name, line, length in _function_lengths(path)
        if length > MAX_FUNCTION_LINES
    ]
    assert not long, "functions over about 80 lines:\n" + "\n".join(long)


def test_layers_import_only_downward():
    upward = [
        f"{importer} (layer {layer_of(importer)}) imports {target} (layer {layer_of(target)})"
        for importer, targets in import_graph().items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(importer)
    ]
    assert not upward, "\n".join(upward)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph``, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path):
    """The guard itself: a cycle closed only by an import inside a function is found."""
    source = "def late():\n    from pymc_doctor import compat\n"
    tree = ast.parse(source)
    imports = {t for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for t in _resolve("x", node)}
    assert imports == {"pymc_doctor.compat"}
    assert find_cycle({"pymc_doctor.compat": {"pymc_doctor.trace"}, "pymc_doctor.trace": imports})
    assert find_cycle({"pymc_doctor.compat": {"pymc_doctor.trace"}, "pymc_doctor.trace": set()}) is None


@pytest.mark.parametrize(
    "source",
    [
        'RULE_MODULES = {"SMP": "pymc_doctor.checks.sampling"}\n'
        "def all_rules(prefix):\n    importlib.import_module(RULE_MODULES[prefix])\n",
        'def load(area):\n    return import_module(f"pymc_doctor.checks.{area}")\n',
        'def load(area):\n    return __import__("pymc_doctor.checks." + area)\n',
    ],
    ids=["table-of-names", "f-string", "sum"],
)
def test_an_import_by_name_counts_in_the_layer_test(source):
    """The guard itself: a module that imports a rule module by its name imports upward, as
    ``registry`` (layer 0) did when it imported the rule modules through ``importlib``."""
    imported = imports_of("pymc_doctor.registry", ast.parse(source))
    assert "pymc_doctor.checks.sampling" in imported
    assert {layer_of(target) for target in imported} == {LAYERS.index(("checks",))}
    assert layer_of("pymc_doctor.registry") < LAYERS.index(("checks",))


def test_a_module_name_in_a_file_that_imports_nothing_by_name_is_only_text():
    assert imports_of("pymc_doctor.reports.common", ast.parse('LOADER = ("pymc_doctor", "templates")\n')) == set()


@pytest.mark.skipif(shutil.which("duplicates") is None, reason="the duplicates tool is not installed here")
def test_no_repeated_code_in_the_package():
    """No run of six lines stands twice in the package. Runs of the same shape alone (a rule's
    ``@rule(...)`` header beside another's, a dataclass's fields) are the form of the code, not
    repeated logic, and are listed in the tool's output without failing this test."""
    result = subprocess.run(
        ["duplicates", "--repo", str(PACKAGE), "--most", "200"], capture_output=True, text=True, timeout=120
    )
    rows = [line for line in result.stdout.splitlines() if line.startswith("D") and " ~ " in line]
    repeated = [row for row in rows if " shape" not in row]
    assert not repeated, result.stdout
