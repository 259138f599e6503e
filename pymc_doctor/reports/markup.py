"""Escaping for Markdown as Discourse and GitHub read it.

Text in a report quotes the user's names, coordinates, file names and error text, which can hold
Markdown: a mention (``@name`` pings a user), an image (``![x](http://...)`` loads from anywhere), a
closing ``[/details]`` or ``</details>``, raw HTML, or backticks that end a code span or fence.
Every string reaches the Markdown through one of these functions. Text is already printable
(``safety.prepare``); rule text marks names as `code`, and those spans stay code spans.
"""

from __future__ import annotations

import re

# Backslash-escaped wherever they stand: emphasis, code, links and images, HTML, tables, strikethrough,
# entities, and BBCode tags such as [details]. CommonMark allows escaping any ASCII punctuation.
SPECIAL = re.compile(r"([\\`*_\[\]<>!|~&])")
# What would start a block at the start of a line: a heading, list item, setext underline or ordered item.
LINE_START = re.compile(r"^([ \t]*)(?:([-+=#])|(\d+)([.)]))", re.MULTILINE)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
# A mention is @ followed by a word; in its own code span the @ pings nobody.
MENTION = "`@`"
# [details="..."] titles are attribute values: no quote, bracket, tag or mention may stand there.
ATTRIBUTE = str.maketrans({'"': "'", "[": "(", "]": ")", "<": "‹", ">": "›", "@": "＠", "&": "＆", "`": "'", "\n": " "})


def code(text: str, *, table: bool = False) -> str:
    """A code span for ``text`` on one line, its fence longer than any run of backticks inside it."""
    text = text.replace("\n", "\\n")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") or not text.strip() else text
    span = f"{fence}{padded}{fence}"
    return span.replace("|", "\\|") if table else span


def _plain(value: str) -> str:
    return SPECIAL.sub(r"\\\1", value).replace("@", MENTION)


def _line_start(match: re.Match) -> str:
    indent, sign, number, mark = match.groups()
    return f"{indent}\\{sign}" if sign else f"{indent}{number}\\{mark}"


def text(value: str, *, table: bool = False) -> str:
    """Rule text with `names` in backticks, as Markdown that renders as the same words and nothing else.

    Its lines stay lines (a table cell has none); none of them can start a block.
    """
    if table:
        value = value.replace("\n", " ")
    parts = []
    position = 0
    for match in CODE_SPAN.finditer(value):
        parts.append(_plain(value[position : match.start()]))
        parts.append(code(match.group(1), table=table))
        position = match.end()
    parts.append(_plain(value[position:]))
    return LINE_START.sub(_line_start, "".join(parts))


def attribute(value: str) -> str:
    """Text for a ``[details="..."]`` title."""
    return value.translate(ATTRIBUTE)


def fence(content: str, language: str) -> str:
    """A fenced block, its fence longer than any run of backticks in the content."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{language}\n{content}\n{marks}"
