"""Spelling a user's names (from a trace, a model or a traceback) safely inside generated Python code.

A trace's variable, dim and coordinate names are any strings, legal in netCDF but not necessarily in
Python: ``'theta\\nimport os; os.system("...")  #'`` spliced raw into a fix would run its second
line. Code that names something the user named goes through these functions: a valid identifier is
kept as it is, anything else is spelled as an escaped string literal or replaced by a placeholder.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

# Longest escaped name shown in a comment; a name can be any length, a comment should stay a line.
COMMENT_NAME_LENGTH = 80
PLACEHOLDER_LENGTH = 40
_NOT_IDENTIFIER = re.compile(r"\W+")


def safe_identifier(name: object) -> str | None:
    """``name`` when it can stand in code as a Python variable name as it is, else None.

    Python reads identifiers in their NFKC form (``ﬁ`` is ``fi``), so a name that normalizes to
    something else is refused, as are keywords and invisible or unprintable characters.
    """
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        return None
    if not name.isprintable() or unicodedata.normalize("NFKC", name) != name:
        return None
    return name


def _literal(text: str) -> str:
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        literal = '"' + literal[1:-1] + '"'
    return literal


def python_string(text: str) -> str:
    """A string literal for ``text`` on one line, every quote, backslash and unprintable character escaped.

    ``repr`` escapes line breaks, control, bidirectional and surrogate characters; the literal is
    double-quoted where that needs no escaping, as the generated code spells strings. A backslash
    stands in a literal of its own (``"a" "\\\\" "b"``, which Python joins), so that no piece of the
    name's text runs into an escape of the literal.
    """
    text = str(text)
    if "\\" not in text:
        return _literal(text)
    pieces = [piece for part in text.split("\\") for piece in (part, "\\")][:-1]
    return " ".join(_literal(piece) for piece in pieces if piece)


def python_name(name: str, placeholder: str = "variable") -> str:
    """An identifier for ``name`` in code: the name itself when it is one, else a safe stand-in made of
    its letters and digits (or ``placeholder``), which code should explain with ``comment``."""
    if safe_identifier(name):
        return name
    folded = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    candidate = _NOT_IDENTIFIER.sub("_", folded).strip("_")[:PLACEHOLDER_LENGTH].rstrip("_")
    if not candidate or candidate[0].isdigit():
        candidate = f"{placeholder}_{candidate}".rstrip("_")
    return candidate if safe_identifier(candidate) else f"{candidate}_"


def comment(text: str) -> str:
    """One comment line that says ``text``: line breaks and unprintable characters escaped."""
    escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return "# " + escaped


def name_note(name: str, placeholder: str | None = None) -> str:
    """A comment saying which of the user's names a placeholder stands for (empty for a valid identifier)."""
    if safe_identifier(name):
        return ""
    shown = python_string(name)
    if len(shown) > COMMENT_NAME_LENGTH:
        shown = shown[: COMMENT_NAME_LENGTH - 1] + "…"
    return comment(f"{placeholder or python_name(name)} stands for the variable {shown}")


def posterior_access(name: str, group: str = "posterior") -> str:
    """``idata.posterior["name"]``: a variable of the trace by its name, whatever the name holds."""
    return f"idata.{group}[{python_string(name)}]"


def dims_argument(dims: tuple[str, ...] | list[str]) -> str:
    """``, dims="school"`` or ``, dims=("a", "b")``, every dim name a safe string literal (empty for none)."""
    if not dims:
        return ""
    if len(dims) == 1:
        return f", dims={python_string(dims[0])}"
    return ", dims=(" + ", ".join(python_string(d) for d in dims) + ")"
