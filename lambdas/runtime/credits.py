"""Compute credits (SPEC §6), in one place: the upfront estimate a workflow must fit before any
node runs (statemachine.catalog's, which the compiler also writes into Check credits), the
check, and the one charge of what an execution used."""

from __future__ import annotations

from lambdas.runtime.ports import OrganizationStore
from lambdas.runtime.record import ExecutionRecord
from statemachine.catalog import estimate_usage
from statemachine.error_names import INSUFFICIENT_CREDITS

__all__ = ["INSUFFICIENT_CREDITS", "charge", "estimate_usage", "fits_credits", "may_start"]


def fits_credits(estimate: int, usage: int, compute_credits: int) -> bool:
    """Whether an execution estimated at `estimate` may start."""
    return usage + estimate <= compute_credits


def may_start(organizations: OrganizationStore, organization_id: str, estimate: int) -> bool:
    """The check: whether the organization's credits cover an execution estimated at
    `estimate` on top of what it used (an unknown organization has none)."""
    organization = organizations.get(organization_id)
    return organization is not None and fits_credits(
        estimate, organization.usage, organization.compute_credits
    )


def charge(organizations: OrganizationStore, record: ExecutionRecord) -> bool:
    """Charge the usage of the record's completed nodes, once per execution.

    False when there was nothing to charge or the execution was charged before.
    """
    if record.usage <= 0:
        return False
    return organizations.charge(record.organization_id, record.id, record.usage)
