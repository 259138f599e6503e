"""Rules: unique codes and names, complete rule pages, selection and thresholds."""

from __future__ import annotations

import re

import pytest

from pymc_doctor import registry
from pymc_doctor.catalog import all_rules, find_rule, resolve_thresholds, select_rules
from pymc_doctor.registry import Rule, rule_family

PAGE_SECTIONS = ("What it checks:", "Why it matters:", "Threshold:", "Example:", "Fix:")


def test_codes_and_names_are_unique_and_well_formed():
    rules = all_rules()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)
    for r in rules:
        assert re.fullmatch(r"(ENV|MOD|SMP|EXP|FIT)\d{3}", r.code)
        assert re.fullmatch(r"[a-z][a-z0-9-]+", r.name)


# Each package of checks: its code prefix and the categories of its rules (EXP explains errors of both kinds).
PACKAGES = {
    "environment": ("ENV", {"env"}),
    "model": ("MOD", {"model"}),
    "sampling": ("SMP", {"sampling"}),
    "explain": ("EXP", {"model", "env"}),
    "fit": ("FIT", {"fit"}),
}


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_rule_has_the_prefix_and_category_of_its_package(rule):
    package = rule.function.__module__.removeprefix("pymc_doctor.checks.").split(".")[0]
    prefix, categories = PACKAGES[package]
    assert rule.code.startswith(prefix)
    assert rule.category in categories
    if prefix == "EXP":
        assert rule.needs == ("error",)


def test_a_rule_family_registers_its_category_and_needs(monkeypatch):
    monkeypatch.setattr(registry, "RULES", {})
    family = rule_family("sampling", needs=("trace",))

    @family("SMP998", "family-default", severity="info", params={"limit": 1})
    def default(subject, limit): ...

    @family("SMP999", "family-override", severity="error", needs=("nuts",))
    def override(subject): ...

    assert registry.RULES["SMP998"] == Rule(
        "SMP998", "family-default", "sampling", "info", ("trace",), {"limit": 1}, default
    )
    assert registry.RULES["SMP999"] == Rule("SMP999", "family-override", "sampling", "error", ("nuts",), {}, override)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_rule_has_a_complete_page(rule):
    for section in PAGE_SECTIONS:
        assert section in rule.page, f"{rule.code} page lacks {section!r}"
    for parameter in rule.params:
        assert f"`{parameter}`" in rule.page, f"{rule.code} page does not explain {parameter}"


def test_select_by_code_prefix_and_name():
    assert [r.code for r in select_rules(["SMP101"])] == ["SMP101"]
    assert {r.code for r in select_rules(["SMP3"])} == {"SMP301", "SMP302", "SMP303"}
    assert [r.code for r in select_rules(["divergences"])] == ["SMP101"]
    assert "SMP101" not in {r.code for r in select_rules(ignore=["divergences"])}
    assert {r.code for r in select_rules(["SMP2"], ["rhat"])} == {"SMP202", "SMP203", "SMP204"}


def test_unknown_selector_raises():
    with pytest.raises(ValueError, match="no rule matches"):
        select_rules(["XYZ999"])


def test_find_rule():
    assert find_rule("smp201").name == "rhat"
    assert find_rule("low-ebfmi").code == "SMP103"
    with pytest.raises(KeyError):
        find_rule("nope")


def test_thresholds_override_and_convert():
    rules = select_rules(["SMP201", "SMP203"])
    params = resolve_thresholds(rules, {"max_rhat": "1.05", "min_ess_per_chain": "50"})
    assert params["SMP201"]["max_rhat"] == 1.05
    assert params["SMP203"]["min_ess_per_chain"] == 50
    assert params["SMP201"]["error_rhat"] == 1.1


def test_unknown_threshold_raises():
    with pytest.raises(ValueError, match="unknown threshold"):
        resolve_thresholds(all_rules(), {"max_rhatt": 1.0})
