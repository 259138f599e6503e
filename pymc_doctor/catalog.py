"""The catalog: every rule and every diagnosis, found by importing the modules that register them.

Discovery stands here, above the rules and the diagnoses, so that the imports that register them
are plain import statements the layer test sees; the registry, at the bottom, only holds what
registered itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pymc_doctor.registry import RULES, Rule

RULE_PREFIXES = ("ENV", "MOD", "SMP", "EXP", "FIT")
DIAGNOSIS_PREFIX = "DX"


def _rule_module(prefix: str) -> ModuleType:
    """The module whose import registers the rules of ``prefix``.

    A command imports only the modules it runs: `pymc-doctor env` needs neither SciPy (sampling)
    nor PyTensor (model).
    """
    if prefix == "ENV":
        from pymc_doctor.checks import environment as module
    elif prefix == "MOD":
        from pymc_doctor.checks import model as module
    elif prefix == "SMP":
        from pymc_doctor.checks import sampling as module
    elif prefix == "EXP":
        from pymc_doctor.checks import explain as module
    elif prefix == "FIT":
        from pymc_doctor.checks import fit as module
    else:
        raise KeyError(prefix)
    return module


def all_rules(prefixes: Iterable[str] | None = None) -> list[Rule]:
    """Every rule, or those whose codes start with one of ``prefixes`` (``"ENV"``, ``"SMP"``...)."""
    prefixes = tuple(RULE_PREFIXES if prefixes is None else prefixes)
    for prefix in prefixes:
        _rule_module(prefix)
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


# ---------------------------------------------------------------------------------------------
# Pages: what `pymc-doctor rules` lists and prints, rules and diagnoses alike


@dataclass(frozen=True)
class Page:
    """A rule's or a diagnosis' page: ``kind`` is the rule's default severity, or ``diagnosis``."""

    code: str
    name: str
    kind: str
    header: str
    text: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return self.text.splitlines()[0] if self.text else self.name


def pages() -> list[Page]:
    """Every rule's page, by code, then every diagnosis' page, by code."""
    from pymc_doctor.diagnoses import all_units

    rules = [
        Page(r.code, r.name, r.severity, f"{r.category} · default severity {r.severity}", r.page, r.params)
        for r in all_rules()
    ]
    units = sorted(all_units(), key=lambda unit: unit.code)
    diagnoses = [
        Page(u.code, u.name, "diagnosis", "diagnosis: a cause that explains several findings", u.page) for u in units
    ]
    return [*rules, *diagnoses]


def find_page(selector: str) -> Page:
    """A rule's or a diagnosis' page by its code (``SMP101``, ``DX101``) or name (``divergences``, ``funnel``)."""
    for page in pages():
        if page.code == selector.strip().upper() or page.name == selector.strip().lower():
            return page
    raise KeyError(selector)


def pages_of(prefix: str | None) -> list[Page]:
    """The pages whose codes start with ``prefix`` (``MOD``, ``SMP2``, ``DX``), or all of them."""
    return [page for page in pages() if prefix is None or page.code.startswith(prefix.strip().upper())]
