"""EXP104-106 and EXP111: an installation's missing BLAS or compiler, PyMC3-era code, a locked compile cache."""

from __future__ import annotations

import pytest

from tests.checks.explain.errors import (
    BLAS_MISSING,
    BLAS_OLD,
    LOCKED_CACHE,
    NO_COMPILER,
    THEANO_WITH_NEW_NUMPY,
    only,
    pymc3_import,
    raised,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (BLAS_MISSING, "EXP104"),
        (BLAS_OLD, "EXP104"),
        (NO_COMPILER, "EXP105"),
        (THEANO_WITH_NEW_NUMPY, "EXP106"),
        (LOCKED_CACHE, "EXP111"),
    ],
    ids=["blas", "blas-old", "compiler", "theano-numpy", "lock"],
)
def test_environment_messages(text, code):
    assert only(text, code).category == "env"


def test_the_compiler_message_quotes_what_pytensor_said():
    assert "PyTensor reports `g++ not detected`" in only(NO_COMPILER, "EXP105").message


def test_pymc3_import():
    finding = only(raised(pymc3_import), "EXP106")
    assert "(`No module named 'pymc3'`)" in finding.message
    assert "import pymc as pm" in finding.fix_code


def test_legacy_imports_in_a_pasted_traceback():
    text = 'Traceback (most recent call last):\n  File "old.py", line 1, in <module>\n    import theano\nOSError: x'
    assert "(`import theano`)" in only(text, "EXP106").message


def test_an_unwritable_compile_directory():
    text = "Exception: compiledir '/opt/pytensor' exists but you don't have read, write or listing permissions."
    assert "compiledir '/opt/pytensor' exists but you don't have" in only(text, "EXP111").message
