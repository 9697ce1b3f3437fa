"""Forms a person answers, Dafthunk's human-in-the-loop pair: `create-form` opens a form
(its `url` to answer it at, its `token`), `wait-for-form` pauses its execution until the form
is answered and gives the answer as its `response`.

The waiting is the engine's, as a wait-for-event node's is (lambdas.lifecycle.event_wait);
the form itself is kept by lambdas.runtime.forms, its answer checked against its schema
(lambdas.runtime.schema_fields) before it resumes the execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from lambdas.runtime.schema_fields import form_fields
from statemachine.model import ParameterType

family = NodeFamily("Logic")  # Dafthunk files the pair under logic


@family.node(
    "create-form",
    "Create Form",
    "Opens a form a person answers at `url` (GET it for the page, POST the answer), asking "
    "for the schema's fields; `token` identifies it to a wait-for-form node. The token is "
    "the form's credential: used once, it expires with the wait",
    inputs=(
        port("title", ParameterType.STRING, "The form's title", required=True),
        port("description", ParameterType.STRING, "What the form is for, shown below its title"),
        port(
            "schema",
            ParameterType.SCHEMA,
            "The fields to ask for: {name, fields: [{name, type, required?, description?}]}, "
            "each of type string, integer, number, boolean or datetime",
            required=True,
            hidden=True,
        ),
    ),
    outputs=(
        port("url", ParameterType.STRING, "Where the form is answered"),
        port("token", ParameterType.STRING, "The form's token, for a wait-for-form node"),
    ),
    inlinable=False,
)
def create_form(ctx: NodeContext) -> Mapping[str, Any]:
    desk = ctx.environment.forms
    if desk is None:
        raise NodeError("This host keeps no forms: create-form cannot run here")
    schema = ctx.inputs["schema"]
    form_fields(schema)  # a form asks for what it can: checked before anyone is asked
    environment = ctx.environment
    url, token = desk.open(
        environment.organization_id,
        environment.execution_id,
        ctx.inputs["title"],
        ctx.inputs.get("description"),
        schema,
    )
    return {"url": url, "token": token}


@family.node(
    "wait-for-form",
    "Wait for Form",
    "Waits until the form of `token` (a create-form node's, of this execution) is answered, "
    "at most the node's `timeoutSeconds` (a week by default): `response` is the answer, an "
    "object of the form's fields. Unanswered in time, the node fails",
    inputs=(port("token", ParameterType.STRING, "A create-form node's token", required=True),),
    outputs=(port("response", ParameterType.JSON, "The answer: the form's fields' values"),),
    inlinable=False,
)
def wait_for_form(ctx: NodeContext) -> Mapping[str, Any]:
    return {}  # the engine waits and settles the output
