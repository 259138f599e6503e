"""Compiling small PyTensor functions of a model's graphs, and leaving the model as it was.

Evaluations compile functions of their own in PyTensor's FAST_COMPILE mode (no C compiler; the graphs
here are small), never the gradient; ``preserved`` restores every shared variable and NumPy's global
random state afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache

import numpy as np

from pymc_doctor.quiet import quiet

MAX_OPERANDS = 32  # NumPy's ufuncs, which run PyTensor's elementwise operations here, take no more
MAX_LOOP_OUTPUTS = 64  # above this, PyTensor's fast loop spends quadratic time planning its memory


def _shared_variables(model) -> list:
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import ancestors

    graphs = [*model.named_vars.values(), *model.rvs_to_values.values(), *model.data_vars]
    return [var for var in ancestors(graphs) if isinstance(var, SharedVariable)]


@contextmanager
def preserved(model) -> Iterator[None]:
    """Restore every shared variable of the model (data, random generators) and NumPy's global state."""
    saved = [(var, var.get_value(borrow=False)) for var in _shared_variables(model)]
    numpy_state = np.random.get_state()
    try:
        yield
    finally:
        for var, value in saved:
            var.set_value(value, borrow=True)
        np.random.set_state(numpy_state)


def _split_wide_elemwise(fgraph, node):
    """Nest a sum or product of more than 31 terms, which PyTensor's Python implementation cannot
    evaluate; its rewrites make them (``sum(stack(xs))``, ``a + b + c + ...`` become one addition)."""
    import pytensor.scalar as ps
    import pytensor.tensor as pt

    if len(node.inputs) < MAX_OPERANDS or not isinstance(node.op.scalar_op, ps.Add | ps.Mul):
        return None
    (output,) = node.outputs
    terms = [pt.cast(term, output.dtype) for term in node.inputs]
    width = MAX_OPERANDS - 1
    while len(terms) > width:
        chunks = [terms[start : start + width] for start in range(0, len(terms), width)]
        terms = [chunk[0] if len(chunk) == 1 else node.op(*chunk) for chunk in chunks]
    return [output.type.filter_variable(node.op(*terms))]


@cache
def evaluation_mode(invalid: str, many_outputs: bool, simplify: bool = True):
    """FAST_COMPILE, with PyMC's treatment of failed parameter checks and wide sums split for NumPy.

    ``invalid`` is "-inf" (the check's term becomes -inf, as ``pm.compile`` does), "ignore" (a model
    with ``check_bounds=False``) or "raise" (PyMC's ``ParameterValueError``, as ``model.debug`` shows).
    Without ``simplify``, only the rewrites evaluation needs run: FAST_COMPILE's simplifications cost
    about a millisecond per operation, and can multiply them (the sum of a thousand stacked scalars
    becomes a thousand broadcasts).
    """
    from pymc.logprob.utils import local_check_parameter_to_ninf_switch, local_remove_check_parameter
    from pytensor.compile.mode import FAST_COMPILE, Mode
    from pytensor.graph.rewriting.basic import in2out, node_rewriter
    from pytensor.link.vm import VMLinker
    from pytensor.tensor.elemwise import Elemwise

    splitter = in2out(node_rewriter([Elemwise])(_split_wide_elemwise))
    optimizer = FAST_COMPILE.provided_optimizer.register((splitter, 48))  # after the rewrites that merge sums
    if not simplify:
        optimizer = optimizer.excluding("ShapeOpt", "useless", "canonicalize", "stabilize", "specialize", "BlasOpt")
    checks = {
        "-inf": ("local_check_parameter_to_ninf_switch", local_check_parameter_to_ninf_switch),
        "ignore": ("local_remove_check_parameter", local_remove_check_parameter),
    }
    if invalid in checks:  # PyMC registers these rewrites among the simplifications
        name, check = checks[invalid]
        optimizer = optimizer.including(name) if simplify else optimizer.register((in2out(check), 1))
    # Without garbage collection the linker skips a scan of every output per node; the lazy loop skips
    # the memory planning that is quadratic in the outputs, at a small cost per call.
    linker = VMLinker(use_cloop=False, c_thunks=False, allow_gc=False, lazy=True if many_outputs else None)
    return Mode(linker=linker, optimizer=optimizer)


def compile_function(inputs: Sequence, outputs: Sequence, *, invalid: str = "-inf", simplify: bool = True):
    """A PyTensor function of ``inputs`` computing ``outputs``, compiled as ``evaluation_mode`` says."""
    import pytensor

    outputs = list(outputs)
    compiled_mode = evaluation_mode(invalid, len(outputs) > MAX_LOOP_OUTPUTS, simplify)
    with quiet("pytensor"):
        return pytensor.function(list(inputs), outputs, mode=compiled_mode, on_unused_input="ignore")


def static_shape(var) -> tuple[int, ...] | None:
    """The shape PyTensor knows without evaluating anything; None when a dimension is unknown."""
    shape = getattr(var.type, "shape", None)
    return None if shape is None or None in shape else tuple(int(n) for n in shape)
