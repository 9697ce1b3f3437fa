"""The starter node catalog, one module per family; `default_registry()` gathers them."""

from __future__ import annotations

from functools import cache

from lambdas.nodes import date, http, io, json, logic, math, text
from lambdas.runtime.registry import Registry

FAMILIES = (
    io.family,
    math.family,
    text.family,
    json.family,
    logic.family,
    date.family,
    http.family,
)


@cache
def default_registry() -> Registry:
    """Every node type of the starter catalog."""
    return Registry(node_type for family in FAMILIES for node_type in family.node_types)
