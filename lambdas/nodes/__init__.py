"""The starter node catalog, one module per family; `default_registry()` gathers them."""

from __future__ import annotations

from functools import cache

from lambdas.nodes import io, logic, math
from lambdas.runtime.registry import Registry

FAMILIES = (io.family, math.family, logic.family)


@cache
def default_registry() -> Registry:
    """Every node type of the starter catalog."""
    return Registry(node_type for family in FAMILIES for node_type in family.node_types)
