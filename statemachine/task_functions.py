"""The Lambda function each task of a compiled state machine calls."""

from __future__ import annotations

from pydantic import Field

from statemachine.model import WireModel


class TaskFunctions(WireModel):
    """The Lambda function ARN of each task of the state machine."""

    check_credits: str = Field(min_length=1)
    preload_secrets: str = Field(min_length=1)
    preload_integrations: str = Field(min_length=1)
    initialize: str = Field(min_length=1)
    persist: str = Field(min_length=1)
    run_node: str = Field(min_length=1)
    run_inline_group: str = Field(min_length=1)
    finalize: str = Field(min_length=1)
