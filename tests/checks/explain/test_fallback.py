"""EXP100: an error no other rule recognizes is said to be unrecognized, and only then."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import pymc_doctor
from pymc_doctor.catalog import all_rules
from pymc_doctor.finding import Finding
from pymc_doctor.registry import RULES, rule
from tests.checks.explain.errors import BLAS_MISSING, NO_COMPILER, only, raised


def missing_key():
    return {}["missing"]


def test_unrecognized_errors_say_so():
    finding = only(raised(missing_key), "EXP100")
    assert finding.severity == "info" and "KeyError" in finding.title
    assert finding.evidence == {"type": "KeyError"}
    assert "test_fallback.py" in finding.message  # the user's line
    assert pymc_doctor.explain(raised(missing_key)).exit_code == 0


def test_text_without_an_exception_type():
    finding = only("something odd happened", "EXP100")
    assert finding.title == "Unrecognized error: unknown type"


def test_recognized_errors_are_not_also_unrecognized():
    report = pymc_doctor.explain(f"{BLAS_MISSING}\n{NO_COMPILER}")
    assert [f.code for f in report.findings] == ["EXP104", "EXP105"]
    assert "EXP100" in report.checks_run


@pytest.fixture
def extra_rule():
    """Register rules for one test, and forget them after."""
    added = []

    def register(code, function):
        all_rules(["EXP"])  # the explain rules first, as in a real run
        rule(code, f"test-{code.lower()}", category="model", severity="error", needs=("error",))(function)
        added.append(code)

    yield register
    for code in added:
        del RULES[code]


def test_a_new_recognizer_silences_the_fallback_without_touching_it(extra_rule):
    def recognizes_keyerror(subject) -> Iterator[Finding]:
        if subject.error.kind == "KeyError":
            yield Finding("EXP199", "error", "model", "A KeyError", "Recognized.")

    extra_rule("EXP199", recognizes_keyerror)
    report = pymc_doctor.explain(raised(missing_key))
    assert [f.code for f in report.findings] == ["EXP199"]


def test_a_broken_recognizer_is_reported_and_the_fallback_still_speaks(extra_rule):
    def broken(subject) -> Iterator[Finding]:
        raise RuntimeError("a bug in a recognizer")
        yield

    extra_rule("EXP198", broken)
    report = pymc_doctor.explain(raised(missing_key))
    assert sorted(f.code for f in report.findings) == ["EXP100", "INT001"]
    (internal,) = [f for f in report.findings if f.code == "INT001"]
    assert internal.evidence == {"check": "EXP198", "exception": "RuntimeError"}
