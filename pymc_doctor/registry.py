"""The rule registry: each check is a function registered with its code, name and thresholds.

The function's docstring is the rule page printed by ``pymc-doctor rules CODE``. Finding, selecting
and configuring the rules is ``catalog``'s work, in the runner's layer.
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
    def page(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "")


# Every rule registered so far: ``catalog.all_rules`` imports the modules that register them.
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


def rule_family(category: Category, *, needs: Iterable[str]):
    """``rule`` for one family of checks: their category, and the parts of the subject they usually read.

    ``_rule = rule_family("sampling", needs=("trace",))``, then ``@_rule(code, name, severity=...)`` over
    each check; a check that reads other parts names its own ``needs``.
    """
    family_needs = tuple(needs)

    def family_rule(
        code: str,
        name: str,
        *,
        severity: Severity,
        needs: Iterable[str] = family_needs,
        params: dict[str, Any] | None = None,
    ) -> Callable[[CheckFunction], CheckFunction]:
        return rule(code, name, category=category, severity=severity, needs=needs, params=params)

    return family_rule
