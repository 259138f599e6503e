"""A latent random walk in its innovations (non-centered) form, in the user's names."""

from __future__ import annotations

from collections.abc import Sequence

from pymc_doctor.spelling import dims_argument, name_note, python_name, python_string


def random_walk_code(walk: str, scale: str, shape: Sequence[int], dims: Sequence[str]) -> str:
    """``walk ~ GaussianRandomWalk(sigma=scale)`` rewritten as ``scale`` times the cumulative sum of
    standard normal innovations: the sampler then moves the innovations, whose scale is fixed, and
    ``scale`` separately, instead of a walk whose every step shrinks and grows with ``scale``."""
    walk_name, scale_name = python_name(walk), python_name(scale, "sigma")
    innovations = f"{walk}_innovations"
    steps = python_name(innovations, "innovations")
    size = dims_argument(tuple(dims)) if dims else f", shape={tuple(int(n) for n in shape)}"
    notes = [note for note in (name_note(walk), name_note(scale, "sigma")) if note]
    return "\n".join(
        [
            *notes,
            "import pytensor.tensor as pt",
            "",
            f"# replace  {walk_name} = pm.GaussianRandomWalk({python_string(walk)}, sigma={scale_name}, ...)  with:",
            f"{steps} = pm.Normal({python_string(innovations)}, mu=0, sigma=1{size})",
            f"{walk_name} = pm.Deterministic(",
            f"    {python_string(walk)}, {scale_name} * pt.cumsum({steps}, axis=-1){size}",
            ")",
            "# the walk then starts at Normal(0, sigma); add a start value if it should begin elsewhere",
        ]
    )
