"""``pymc_doctor.explain``: an exception or a pasted traceback, read as one ``ErrorText``, explained by the EXP rules.

The rules themselves are tested by topic in ``tests/checks/explain``.
"""

from __future__ import annotations

import traceback

import pytest

import pymc_doctor
from pymc_doctor.catalog import all_rules
from pymc_doctor.errortext import ErrorText
from tests.checks.explain.errors import (
    BLAS_MISSING,
    BLAS_OLD,
    LOCKED_CACHE,
    NO_COMPILER,
    THEANO_WITH_NEW_NUMPY,
    bad_energy,
    coords_conflict,
    dot_product,
    mutable_data,
    name_twice,
    nan_container,
    negative_count,
    object_column,
    outside_model,
    pandas_arithmetic,
    pymc3_import,
    raised,
    shape_mismatch,
)

# One error for each recognizer: each is explained by its own rule, and by no other.
CORPUS = {
    "EXP101": shape_mismatch,
    "EXP102": negative_count,
    "EXP103": bad_energy,
    "EXP104": BLAS_MISSING,
    "EXP105": NO_COMPILER,
    "EXP106": pymc3_import,
    "EXP107": coords_conflict,
    "EXP108": pandas_arithmetic,
    "EXP109": object_column,
    "EXP110": nan_container,
    "EXP111": LOCKED_CACHE,
    "EXP112": dot_product,
    "EXP113": outside_model,
    "EXP114": name_twice,
    "EXP115": mutable_data,
}


def as_error(source):
    return source if isinstance(source, str) else raised(source)


@pytest.fixture(scope="module")
def corpus_reports():
    return {code: pymc_doctor.explain(as_error(source)) for code, source in CORPUS.items()}


def test_the_corpus_covers_every_recognizer():
    assert set(CORPUS) | {"EXP100"} == {r.code for r in all_rules(["EXP"])}


@pytest.mark.parametrize("code", CORPUS)
def test_each_error_is_explained_by_its_own_rule_alone(code, corpus_reports):
    report = corpus_reports[code]
    assert [f.code for f in report.findings] == [code]
    assert report.checks_run == sorted(r.code for r in all_rules(["EXP"]))
    assert report.checks_skipped == []


def test_public_explain_is_the_function():
    assert callable(pymc_doctor.explain)
    report = pymc_doctor.explain(raised(object_column))
    assert report.context["error"] == {
        "type": "TypeError",
        "message": report.context["error"]["message"],
        "where": report.context["error"]["where"],
    }
    assert "Unsupported dtype for TensorType: object" in report.context["error"]["message"]
    assert report.context["error"]["where"].startswith("errors.py:")
    assert {"versions", "python", "platform"} <= set(report.context)
    assert report.has_errors


def test_explain_reads_no_trace_and_no_model():
    report = pymc_doctor.explain(BLAS_OLD)
    assert report.trace is None and report.diagnoses == [] and report.plan == []
    assert "trace" not in report.context


def test_a_pasted_traceback_reads_like_the_exception():
    exc = raised(pandas_arithmetic)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    parsed, direct = ErrorText.from_error(text), ErrorText.from_error(exc)
    assert parsed.kind == direct.kind == "ValueError"
    assert parsed.where == direct.where
    assert parsed.line and 'df["x"]' in parsed.line
    assert parsed.column() == direct.column() == 'df["x"]'
    explained = [pymc_doctor.explain(error).findings[0] for error in (exc, text)]
    assert explained[0] == explained[1]


def test_error_text_of_a_message_alone():
    parsed = ErrorText.from_error(THEANO_WITH_NEW_NUMPY)
    assert parsed.kind == "AttributeError"
    assert parsed.message == "module 'numpy.distutils.__config__' has no attribute 'blas_opt_info'"
    assert parsed.where is None and parsed.line is None and parsed.at() == "" and parsed.column() is None
    assert parsed.summary() == {"type": "AttributeError", "message": parsed.message, "where": None}


def test_error_text_skips_library_frames():
    text = (
        "Traceback (most recent call last):\n"
        '  File "/home/u/model.py", line 7, in <module>\n'
        '    pm.Data("y", df["y"])\n'
        '  File "/usr/lib/python3.12/site-packages/pymc/data.py", line 300, in Data\n'
        "    raise NotImplementedError(msg)\n"
        "NotImplementedError: Masked arrays or arrays with `nan` entries are not supported."
    )
    parsed = ErrorText.from_error(text)
    assert parsed.where == "model.py:7" and parsed.line == 'pm.Data("y", df["y"])'
    assert parsed.at() == ' (at model.py:7: `pm.Data("y", df["y"])`)'
    assert parsed.kind == "NotImplementedError"


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("__str__ itself fails")


def test_an_exception_whose_str_raises_is_explained_not_raised():
    try:
        raise _Unprintable()
    except _Unprintable as raised:
        error = raised
    report = pymc_doctor.explain(error)
    assert [f.code for f in report.findings] == ["EXP100"]
    assert ErrorText.from_error(error).message == "<exception str() failed>"
