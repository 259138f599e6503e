"""The rule registry: each check is a function registered with its code, name and thresholds.

The function's docstring is the rule page printed by ``pymc-doctor rules CODE``.
"""

from __future__ import annotations

import importlib
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

# The module whose import registers the rules of each code prefix. A command imports only the
# modules it runs: `pymc-doctor env` needs neither SciPy (sampling) nor PyTensor (model).
RULE_MODULES = {
    "ENV": "pymc_doctor.checks.environment",
    "MOD": "pymc_doctor.checks.model",
    "SMP": "pymc_doctor.checks.sampling",
    "EXP": "pymc_doctor.checks.explain",
    "FIT": "pymc_doctor.checks.fit",
}


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
    ``nuts``, ``model``, ``env``, and for the fit rules ``predictive`` and ``log_likelihood``: the trace's
    groups, or a model to compute them); the runner skips the check, saying why, when one is absent.
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


def all_rules(prefixes: Iterable[str] | None = None) -> list[Rule]:
    """Every rule, or those whose codes start with one of ``prefixes`` (``"ENV"``, ``"SMP"``...)."""
    prefixes = tuple(RULE_MODULES if prefixes is None else prefixes)
    for prefix in prefixes:
        importlib.import_module(RULE_MODULES[prefix])
    return sorted((r for r in RULES.values() if r.code.startswith(prefixes)), key=lambda r: r.code)


def _matches(rule_: Rule, selector: str) -> bool:
    selector = selector.strip()
    return rule_.name == selector.lower() or rule_.code.startswith(selector.upper())


def select_rules(
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    prefixes: Iterable[str] | None = None,
) -> list[Rule]:
    """Rules chosen by codes, code prefixes (``SMP``, ``SMP1``) or short names, among those of
    ``prefixes`` (all by default); unknown selectors raise."""
    rules = all_rules(prefixes)
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


def resolve_thresholds(
    rules: Iterable[Rule], overrides: dict[str, Any] | None, prefixes: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Per-rule parameters with the user's overrides applied; an override that no rule of
    ``prefixes`` (all by default) knows raises."""
    overrides = dict(overrides or {})
    rules = list(rules)
    known = {key for r in all_rules(prefixes) for key in r.params}
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
