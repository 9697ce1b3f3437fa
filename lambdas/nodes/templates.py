"""Template nodes: text with `${name}` placeholders filled from a JSON object or from inputs.

A placeholder whose variable is not given stays as it is, and its name is listed in
`missingVariables`; a value is written as JavaScript's String() writes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lambdas.nodes.jsvalues import js_string
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.catalog import DynamicPorts
from statemachine.model import ParameterType

family = NodeFamily("Text")

STRING = ParameterType.STRING
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
TEMPLATE = port("template", STRING, "The text, with variables as ${variableName}", required=True)
RESULT = port("result", STRING, "The text with the variables replaced")
MISSING = port(
    "missingVariables",
    ParameterType.JSON,
    "The names of the template's variables that were not given",
    hidden=True,
)
VARIABLE_INPUTS = DynamicPorts(
    prefix="var",
    type=STRING,
    description="A value for ${var_N} in the template",
    default_count=1,
    lenient=True,
)


@family.node(
    "json-string-template",
    "JSON String Template",
    "Fills the ${name} placeholders of `template` from the JSON object `variables`",
    inputs=(
        TEMPLATE,
        port(
            "variables",
            ParameterType.JSON,
            "An object of the values to fill in, by name",
            required=True,
            fallback=True,
        ),
    ),
    outputs=(RESULT, MISSING),
)
def json_string_template(ctx: NodeContext) -> Mapping[str, Any]:
    template: str = ctx.inputs["template"]
    if template == "":
        return {"result": "", "missingVariables": []}
    variables = ctx.inputs.get("variables")
    if not isinstance(variables, dict | list):
        raise NodeError("Invalid or missing variables object")
    values = (
        {str(index): item for index, item in enumerate(variables)}
        if isinstance(variables, list)
        else variables
    )
    # null fills in as nothing (Dafthunk's template writes "" for null).
    return _fill(template, {name: "" if v is None else js_string(v) for name, v in values.items()})


@family.node(
    "var-string-template",
    "Var String Template",
    "Fills the ${var_1}, ${var_2}, ... placeholders of `template` from the inputs of the "
    "same names",
    inputs=(
        TEMPLATE,
        port(
            "var_1",
            STRING,
            VARIABLE_INPUTS.description,
            required=True,
            fallback=True,
            lenient=True,
        ),
    ),
    outputs=(RESULT, MISSING),
    dynamic_inputs=VARIABLE_INPUTS,
)
def var_string_template(ctx: NodeContext) -> Mapping[str, Any]:
    template: str = ctx.inputs["template"]
    if template == "":
        return {"result": "", "missingVariables": []}
    values = {
        name: js_string(value)
        for name, value in ctx.inputs.items()
        if VARIABLE_INPUTS.matches(name)
    }
    return _fill(template, values)


def _fill(template: str, values: Mapping[str, str]) -> dict[str, Any]:
    missing = [name for name in PLACEHOLDER.findall(template) if name not in values]
    result = PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)
    return {"result": result, "missingVariables": missing}
