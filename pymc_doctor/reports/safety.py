"""What every renderer does to a report before it writes a character: the user's text made safe to show.

Names, coordinates, dims, file names and error text come from the user (or from whoever wrote the
trace) and can be any string: control characters that drive a terminal, lone surrogates that no
file can hold, 100,000 characters, or Python that a fix would run. ``prepare`` returns a copy of a
report where every such string is printable and every code snippet that splices a name which is
not a Python identifier is withheld; the renderers then escape for their own syntax.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass, replace
from typing import Any

from pymc_doctor.finding import PlotRequest, Report
from pymc_doctor.spelling import comment, python_string, safe_identifier

# Table cells, plot labels and titles show at most this much of a name; the full name is shown once.
NAME_CAP = 80
# Characters a name may never hold raw in code: those that end a line for Python or an editor (and so
# a comment), and the backslash, which can end a string literal early.
NEVER_RAW = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00\\")
# A coordinate value made only of these cannot call, assign, end a statement, a string or a comment
# when spliced raw, so it is not searched for in code (short labels like "0" are everywhere in code).
INERT_LABEL = re.compile(r"[\w .,+*/%&|^~<>!\[\]-]*")


def short(text: str, cap: int = NAME_CAP) -> str:
    return text if len(text) <= cap else text[: cap - 1] + "…"


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, decoded with surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return repr(char)[1:-1]


def visible(text: str, *, newlines: bool = False) -> str:
    """``text`` with every unprintable character (controls, escape sequences, bidirectional overrides,
    invisible formatting, lone surrogates) written as its escape, ``\\x1b`` or ``\\u202e``."""
    if text.isprintable():
        return text
    keep = "\n" if newlines else ""
    return "".join(c if c.isprintable() or c in keep else _escape(c) for c in text)


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (which UTF-8 cannot encode) written as their escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(_escape(c) if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text


# ---------------------------------------------------------------------------------------------
# Code that splices a name


def _literal_spans(code: str) -> list[tuple[int, int]] | None:
    """(start, end) offsets of the insides of the plain string literals and comments of ``code`` (a name
    there is data, not code); None when it cannot be tokenized. An f-string is not plain: what is
    spliced into its braces runs."""
    offsets = [0]
    for line in code.split("\n"):
        offsets.append(offsets[-1] + len(line) + 1)
    spans = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            start = offsets[token.start[0] - 1] + token.start[1]
            end = offsets[token.end[0] - 1] + token.end[1]
            prefix = token.string[: len(token.string) - len(token.string.lstrip("rRbBuUfF"))]
            if token.type == tokenize.STRING and "f" not in prefix.lower():
                spans.append((start + len(prefix) + 1, end - 1))  # inside the quotes
            elif token.type == tokenize.COMMENT:
                spans.append((start + 1, end))
    except (tokenize.TokenError, SyntaxError):
        return None
    return spans


def splices(code: str, name: str) -> bool:
    """Whether ``name`` stands in ``code`` anywhere but inside a plain string literal or a comment."""
    if not name or name not in code:
        return False
    if NEVER_RAW.intersection(name):
        return True
    spans = _literal_spans(code)
    if spans is None:
        return True
    start = code.find(name)
    while start != -1:
        if not any(first <= start and start + len(name) <= last for first, last in spans):
            return True
        start = code.find(name, start + 1)
    return False


def withheld(name: str) -> str:
    shown = short(python_string(name), NAME_CAP)
    return comment(
        f"pymc-doctor withheld this code: it would use the name {shown} as it is, and that is not a Python "
        "identifier. Rename it to one (letters, digits and _) and check again."
    )


def guard(code: str, names: Iterable[str]) -> str:
    """``code``, or a comment saying why it is withheld when it splices one of ``names`` unescaped."""
    if not code:
        return code
    unsafe = next((name for name in names if splices(code, name)), None)
    return code if unsafe is None else withheld(unsafe)


# ---------------------------------------------------------------------------------------------
# The names a report's code and text may hold


def _trace_names(trace: Any) -> tuple[set[str], set[str]]:
    """(variable and dim names, string coordinate values) of the report's trace."""
    if trace is None:
        return set(), set()
    posterior = trace.posterior
    names = {str(name) for name in posterior.data_vars} | {str(dim) for dim in posterior.dims}
    labels: set[str] = set()
    for coordinate in posterior.coords.values():
        if coordinate.dtype.kind in "OUS" and coordinate.ndim == 1:
            labels.update(str(value) for value in coordinate.values.tolist())
    return names, labels


def user_names(report: Report) -> tuple[set[str], set[str]]:
    """(names that are not Python identifiers and could be spliced into code, every name and label)."""
    names, labels = _trace_names(report.trace)
    for variable in (report.context.get("model") or {}).get("variables") or []:
        names.add(str(variable.get("name", "")))
        names.update(str(dim) for dim in variable.get("dims") or ())
    for finding in report.findings:
        names.update(label.split("[", 1)[0] for label in finding.variables)
        labels.update(finding.variables)
    unsafe = {n for n in names if n and not safe_identifier(n)}
    unsafe |= {label for label in labels if not INERT_LABEL.fullmatch(label)}
    return unsafe, (names | labels) - {""}


# ---------------------------------------------------------------------------------------------
# The prepared copy


# Fields that hold code (fixes, re-run and plan steps), and fields kept as they are: the plot
# requests' labels and a step's action are data the plots and ``treat`` look names up by.
CODE_FIELDS = frozenset({"fix_code", "code"})
KEPT_FIELDS = frozenset({"trace", "action"})


def _walk(value: Any, text: Callable[[str], str], code: Callable[[str], str]) -> Any:
    """``value`` with ``text`` applied to every string in it and ``code`` to every code field."""
    if isinstance(value, str):
        return text(value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in fields(value):
            item = getattr(value, field.name)
            if (
                not field.init
                or field.name in KEPT_FIELDS
                or (isinstance(value, PlotRequest) and field.name != "title")
            ):
                continue
            changes[field.name] = (
                code(item) if field.name in CODE_FIELDS and isinstance(item, str) else _walk(item, text, code)
            )
        return replace(value, **changes)
    if isinstance(value, dict):
        return {_walk(key, text, code): _walk(item, text, code) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_walk(item, text, code) for item in value)
    return value


def _replacer(replacements: dict[str, str]) -> Callable[[str], str]:
    """A function that replaces each of many names in a text by its replacement, longest match first,
    in one pass over the text (a report may name thousands of variables, each in thousands of texts)."""
    if not replacements:
        return lambda text: text
    width = min(16, *map(len, replacements))
    index: dict[str, list[str]] = {}
    for name in sorted(replacements, key=len, reverse=True):
        index.setdefault(name[:width], []).append(name)

    def replace(text: str) -> str:
        parts, position, copied = [], 0, 0
        while position <= len(text) - width:
            candidates = index.get(text[position : position + width])
            match = candidates and next((name for name in candidates if text.startswith(name, position)), None)
            if not match:
                position += 1
                continue
            parts += [text[copied:position], replacements[match]]
            position = copied = position + len(match)
        return "".join([*parts, text[copied:]])

    return replace


def prepare(report: Report, *, controls: bool = True, cap_names: bool = False) -> Report:
    """A copy of ``report`` safe to render: code splicing a non-identifier withheld, text valid Unicode,
    and with ``controls`` every unprintable character escaped; ``cap_names`` shortens long names in text.

    Line breaks of the rules' own text stay (Markdown shows paragraphs); those inside a name do not.
    The plot requests keep their labels: the plots are drawn from the trace by them.
    """
    unsafe, names = user_names(report)
    long = {name: visible(short(name)) for name in names if len(name) > NAME_CAP} if cap_names else {}
    unprintable = {name: visible(name) for name in names if not name.isprintable()} if controls else {}
    replace_names = _replacer({**unprintable, **long})

    def text(value: str) -> str:
        # Only text longer than the cap can hold a long name, and only unprintable text an unprintable one.
        if (long and len(value) > NAME_CAP) or (unprintable and not value.isprintable()):
            value = replace_names(value)
        return visible(value, newlines=True) if controls else valid_unicode(value)

    def code(value: str) -> str:
        value = guard(value, unsafe)
        return visible(value, newlines=True) if controls else valid_unicode(value)

    return _walk(report, text, code)
