"""The executions index functions list through: byWorkflowSummary, or the byWorkflow a stack
keeps while it upgrades (the variable the stack sets), and no other."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lambdas.adapters.schema import BY_WORKFLOW, BY_WORKFLOW_SUMMARY
from lambdas.handlers.settings import LISTING_INDEX_SETTING, ExecutionsTable


def test_without_the_variable_functions_list_through_byworkflowsummary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(LISTING_INDEX_SETTING, raising=False)
    monkeypatch.setenv("EXECUTIONS_TABLE", "executions")

    assert ExecutionsTable.from_environment().executions_listing_index == BY_WORKFLOW_SUMMARY


def test_a_stack_that_keeps_byworkflow_lists_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LISTING_INDEX_SETTING, BY_WORKFLOW)
    monkeypatch.setenv("EXECUTIONS_TABLE", "executions")

    assert ExecutionsTable.from_environment().executions_listing_index == BY_WORKFLOW


def test_an_index_listings_cannot_query_fails_the_cold_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(LISTING_INDEX_SETTING, "byStatus")
    monkeypatch.setenv("EXECUTIONS_TABLE", "executions")

    with pytest.raises(ValidationError, match="executions_listing_index"):
        ExecutionsTable.from_environment()
