"""Compute credits: the upfront estimate a workflow must fit before any node runs (SPEC §6)."""

from __future__ import annotations

from statemachine.catalog import Catalog
from statemachine.error_names import INSUFFICIENT_CREDITS
from statemachine.model import Workflow

__all__ = ["INSUFFICIENT_CREDITS", "estimate_usage", "fits_credits"]


def estimate_usage(workflow: Workflow, catalog: Catalog) -> int:
    """The sum of the catalog usage of every node in the workflow."""
    return sum(catalog[node.type].usage for node in workflow.nodes)


def fits_credits(estimate: int, usage: int, compute_credits: int) -> bool:
    """Whether an execution estimated at `estimate` may start."""
    return usage + estimate <= compute_credits
