"""The model's arrays: the shapes of its variables and parameters at the start, and its data."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from pymc_doctor.modelgraph.compile import static_shape
from pymc_doctor.modelgraph.evaluation import ModelEvaluation
from pymc_doctor.modelgraph.graph import dist_params, scalar_op, transparent_base


class ModelArrays(ModelEvaluation):
    """Shapes and data, as the model sees them at its initial point."""

    def _shapes_at_start(self, graphs: Sequence) -> list[tuple[int, ...] | None]:
        """The shape of each of ``graphs`` at the initial point: what PyTensor knows statically, the rest
        evaluated together, or one by one when that fails so that one bad graph keeps its None alone."""
        shapes = [static_shape(graph) for graph in graphs]
        unknown = [index for index, shape in enumerate(shapes) if shape is None]
        if not unknown:
            return shapes
        try:
            values = self.evaluate([graphs[index].shape for index in unknown])
        except Exception:
            values = []
            for index in unknown:
                try:
                    values.append(self.evaluate([graphs[index].shape])[0])
                except Exception:
                    values.append(None)
        for index, value in zip(unknown, values, strict=True):
            shapes[index] = None if value is None else tuple(int(n) for n in value)
        return shapes

    @cached_property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of every named variable at the initial point; variables whose shape fails are left out."""
        variables = {
            name: var
            for name, var in self.model.named_vars.items()
            if var not in self.model.observed_RVs and hasattr(var, "shape")
        }
        shapes = zip(variables, self._shapes_at_start(list(variables.values())), strict=True)
        return {name: shape for name, shape in shapes if shape is not None}

    @cached_property
    def param_shapes(self) -> dict[str, list[tuple[int, ...]] | None]:
        """The shapes of each random variable's parameters at the initial point; None where one fails."""
        params = {rv.name: dist_params(rv) for rv in [*self.free, *self.observed]}
        shapes = iter(self._shapes_at_start([p for ps in params.values() for p in ps]))
        found = {name: [next(shapes) for _ in ps] for name, ps in params.items()}
        return {name: None if None in listed else listed for name, listed in found.items()}

    @cached_property
    def imputed_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of the data of each observed variable PyMC split to impute its NaN (``y`` joined from
        ``y_observed`` and ``y_unobserved``): its mask's. The variable itself takes the shape its dims
        declare, which the data may not fill."""
        from pytensor.graph.basic import Constant
        from pytensor.graph.traversal import applys_between, graph_inputs

        shapes = {}
        for rv in self.observed:
            joined = self.model.named_vars.get(rv.name.removesuffix("_observed"))
            if not rv.name.endswith("_observed") or joined is None:
                continue
            for node in applys_between(list(graph_inputs([joined])), [joined]):
                masks = [i for i in node.inputs[2:] if isinstance(i, Constant) and i.dtype == "bool"]
                if len(node.inputs) > 2 and node.inputs[1] is rv and masks:
                    shapes[joined.name] = tuple(np.shape(masks[0].data))
        return shapes

    # --- data

    @cached_property
    def observed_values(self) -> dict[str, np.ndarray]:
        """Observed data as the likelihood sees it (after PyMC's casts)."""
        terms = [self.model.rvs_to_values[rv] for rv in self.observed]
        values = self.evaluate_static(terms)
        return {rv.name: value for rv, value in zip(self.observed, values, strict=True)}

    @cached_property
    def observed_raw(self) -> dict[str, np.ndarray]:
        """Observed data before PyMC's cast to the likelihood's type (data containers keep the original)."""
        import pytensor.scalar as ps

        raw = {}
        for rv in self.observed:
            value = self.model.rvs_to_values[rv]
            while value.owner is not None and isinstance(scalar_op(value.owner), ps.Cast):
                value = value.owner.inputs[0]
            raw[rv.name] = value
        values = self.evaluate_static(list(raw.values()))
        return dict(zip(raw, values, strict=True))

    @cached_property
    def observed_sources(self) -> dict[str, str]:
        """Observed variable -> the data container it reads, if any."""
        sources = {}
        for rv in self.observed:
            base, _ = transparent_base(self.model.rvs_to_values[rv])
            if self.name(base) and base in self.model.data_vars:
                sources[rv.name] = self.name(base)
        return sources

    @cached_property
    def data_values(self) -> dict[str, np.ndarray]:
        return {var.name: np.asarray(var.get_value(borrow=True)) for var in self.model.data_vars}

    def data_scale(self, name: str) -> float | None:
        """A robust scale of an observed variable's data: its sd, else its typical magnitude."""
        values = np.asarray(self.observed_values.get(name), dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return None
        scale = float(values.std()) if values.size > 1 else 0.0
        return scale if scale > 0 else float(np.abs(values).max()) or None

    @cached_property
    def reference_scale(self) -> float:
        """The scale priors are judged against: the largest observed sd, at least 1."""
        scales = [self.data_scale(rv.name) for rv in self.observed if rv.dtype.startswith("float")]
        return max([1.0, *[s for s in scales if s]])
