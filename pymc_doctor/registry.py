"""The rule registry: each check is a function registered with its code, name and thresholds.

The function's docstring is the rule page printed by ``pymc-doctor rules CODE``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pymc_doctor.finding import Category, Finding, Severity

CheckFunction = Callable[..., Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    category: Category
    severity: Severity
    needs: tuple[str, ...]
    params: dict[str, Any]
    function: CheckFunction = field(repr=False, compare=False)

    @property
    def summary(self) -> str:
        return self.page.splitlines()[0] if self.page else self.name

    @property
    def page(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "")


RULES: dict[str, Rule] = {}


class CannotCheck(Exception):
    """Raised by a check whose data is present but cannot answer; the message says why."""


def rule(
    code: str,
    name: str,
    *,
    category: Category,
    severity: Severity,
    needs: Iterable[str],
    params: dict[str, Any] | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check.

    ``needs`` names the parts of the subject the check reads (``trace``, ``sample_stats``,
    ``nuts``, ``model``, ``env``); the runner skips the check, saying why, when one is absent.
    ``params`` are the thresholds a user may override; they reach the check as keyword arguments.
    """

    def register(function: CheckFunction) -> CheckFunction:
        if code in RULES:
            raise ValueError(f"rule code {code} registered twice")
        if any(existing.name == name for existing in RULES.values()):
            raise ValueError(f"rule name {name} registered twice")
        RULES[code] = Rule(code, name, category, severity, tuple(needs), dict(params or {}), function)
        return function

    return register


def all_rules() -> list[Rule]:
    import pymc_doctor.checks  # noqa: F401  (registers every check)

    return sorted(RULES.values(), key=lambda r: r.code)


def _matches(rule_: Rule, selector: str) -> bool:
    selector = selector.strip()
    return rule_.name == selector.lower() or rule_.code.startswith(selector.upper())


def select_rules(select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> list[Rule]:
    """Rules chosen by codes, code prefixes (``SMP``, ``SMP1``) or short names; unknown selectors raise."""
    rules = all_rules()
    select = [s for s in (select or []) if s.strip()]
    ignore = [s for s in (ignore or []) if s.strip()]
    for selector in [*select, *ignore]:
        if not any(_matches(r, selector) for r in rules):
            raise ValueError(f"no rule matches {selector!r} (see `pymc-doctor rules`)")
    if select:
        rules = [r for r in rules if any(_matches(r, s) for s in select)]
    return [r for r in rules if not any(_matches(r, s) for s in ignore)]


def find_rule(selector: str) -> Rule:
    for r in all_rules():
        if r.code == selector.upper() or r.name == selector.lower():
            return r
    raise KeyError(selector)


def resolve_thresholds(rules: Iterable[Rule], overrides: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Per-rule parameters with the user's overrides applied; an override no rule knows raises."""
    overrides = dict(overrides or {})
    rules = list(rules)
    known = {key for r in RULES.values() for key in r.params}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown threshold(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    resolved = {}
    for r in rules:
        params = dict(r.params)
        for key, value in overrides.items():
            if key in params:
                params[key] = type(params[key])(value)
        resolved[r.code] = params
    return resolved
