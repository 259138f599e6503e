"""Small helpers that put numbers and names into the prose of findings, shared by every rule family."""

from __future__ import annotations

from collections.abc import Iterable


def count(number: int, noun: str) -> str:
    """``1 chain``, ``3 chains``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def names(labels: Iterable[str], limit: int = 5) -> str:
    """Labels in backticks, the first ``limit`` of them, then how many more."""
    labels = list(labels)
    shown = ", ".join(f"`{label}`" for label in labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def join_and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def chain_list(chains: Iterable) -> str:
    """``chain 2`` or ``chains 0, 3``."""
    chains = [int(c) for c in chains]
    return f"chain {chains[0]}" if len(chains) == 1 else "chains " + ", ".join(map(str, chains))
