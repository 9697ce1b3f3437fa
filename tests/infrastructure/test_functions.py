"""The functions: each one's environment satisfies its handler's settings; shared defaults."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from pydantic import BaseModel

from cdk.components.deployment import MACHINE_NAME_PREFIX
from cdk.components.functions import SERVICE_ENVIRONMENT
from cdk.config import Config
from lambdas.handlers import http_api, websocket
from lambdas.handlers.settings import (
    ANTHROPIC_URL_SETTING,
    EMAIL_SETTING,
    LISTING_INDEX_SETTING,
    NETWORK_SETTING,
    OPENAI_URL_SETTING,
    TWILIO_URL_SETTING,
)
from lambdas.handlers.tasks import TASKS, runs_nodes
from lambdas.lifecycle.deploy import state_machine_name
from lambdas.nodes import default_registry
from statemachine.compiler import TaskFunctions, compile_workflow
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.placeholders import resolve
from tests.support.workflows import node, workflow

HANDLERS: list[ModuleType] = [*TASKS.values(), http_api, websocket]
# Read by Powertools and pydantic, not by our settings models: what every function gets
# besides its settings (Powertools' names, pydantic without plugins).
SERVICE = frozenset(SERVICE_ENVIRONMENT)

# Settings a function gets only when the stack config names them (the e-mail sender, model
# APIs other than the providers' public ones).
CONFIGURED_ONLY = frozenset(
    {
        EMAIL_SETTING,
        NETWORK_SETTING,
        LISTING_INDEX_SETTING,
        ANTHROPIC_URL_SETTING,
        OPENAI_URL_SETTING,
        TWILIO_URL_SETTING,
    }
)


def functions_by_handler(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """Each function's resolved properties, by the handler module it runs."""
    resources = synthesized.template()["Resources"]
    by_handler = {}
    for name, function in synthesized.resources("AWS::Lambda::Function").items():
        properties = resolve(function["Properties"], resources)
        properties["LogicalId"] = name
        by_handler[properties["Handler"].removesuffix(".handler")] = properties
    return by_handler


def settings_fields(model: type[BaseModel]) -> set[str]:
    return {name.upper() for name in model.model_fields}


def test_every_handler_runs_in_exactly_one_function(synthesized: Synthesized):
    assert sorted(functions_by_handler(synthesized)) == sorted(m.__name__ for m in HANDLERS)


@pytest.mark.parametrize("module", HANDLERS, ids=lambda module: module.__name__.split(".")[-1])
def test_the_environment_of_each_function_satisfies_its_handler_settings_exactly(
    module: ModuleType, synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch
):
    environment = functions_by_handler(synthesized)[module.__name__]["Environment"]["Variables"]
    settings: type[BaseModel] = module.Settings
    for name in settings_fields(settings):  # nothing from this process may fill a gap
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    settings()  # raises ValidationError naming whatever is missing or malformed

    assert set(environment) - SERVICE <= settings_fields(settings)
    # only what the stack config may leave out may be missing (test_optional_settings.py
    # sets it)
    assert settings_fields(settings) - set(environment) <= CONFIGURED_ONLY
    assert (
        set(environment) >= SERVICE >= {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
    )


def test_the_functions_that_run_nodes_hold_their_outputs_to_the_configured_limits(
    synthesized: Synthesized,
):
    functions = functions_by_handler(synthesized)
    running = [module for module in TASKS.values() if runs_nodes(module)]
    assert running
    for module in running:
        variables = functions[module.__name__]["Environment"]["Variables"]
        assert variables["STEPTHUNK_MAX_OUTPUT_BYTES"] == str(Config().max_output_bytes)
        assert variables["STEPTHUNK_MAX_EXECUTION_BYTES"] == str(Config().max_execution_bytes)


def test_functions_that_send_live_updates_post_to_the_websocket_stage(synthesized: Synthesized):
    for handler, function in functions_by_handler(synthesized).items():
        variables = function["Environment"]["Variables"]
        if "CONNECTIONS_TABLE" in variables:
            endpoint = variables.get("WEBSOCKET_ENDPOINT", "")
            assert endpoint.startswith("https://"), handler
            assert endpoint.endswith(f"/{Config().stage}"), handler


def test_the_api_deploys_workflows_with_the_task_functions_and_the_runtime_role(
    synthesized: Synthesized,
):
    functions = functions_by_handler(synthesized)
    variables = functions[http_api.__name__]["Environment"]["Variables"]
    deployed = TaskFunctions.model_validate(json.loads(variables["TASK_FUNCTIONS"]))
    for task, module in TASKS.items():
        assert getattr(deployed, task).endswith(
            f":function:{functions[module.__name__]['LogicalId'].lower()}"
        )
    role = variables["STATE_MACHINE_ROLE_ARN"].rsplit("/", 1)[-1]
    roles = {name.lower(): r for name, r in synthesized.resources("AWS::IAM::Role").items()}
    trust = roles[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "states.amazonaws.com"}]


def test_state_machines_the_api_deploys_carry_the_prefix_its_permissions_name():
    assert state_machine_name("org", "a/workflow").startswith(MACHINE_NAME_PREFIX)


def test_every_function_runs_python_3_12_on_arm64_traced_with_json_logs(template: Template):
    template.all_resources_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.12",
            "Architectures": ["arm64"],
            "TracingConfig": {"Mode": "Active"},
            "LoggingConfig": {"LogFormat": "JSON", "LogGroup": {"Ref": Match.any_value()}},
            "MemorySize": Config().memory_mb,
        },
    )


def test_every_function_logs_to_its_own_group_kept_for_the_configured_retention(
    synthesized: Synthesized,
):
    groups = synthesized.resources("AWS::Logs::LogGroup")
    used = [
        function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        for function in synthesized.resources("AWS::Lambda::Function").values()
    ]
    assert len(set(used)) == len(used) == 10
    for name in used:
        assert groups[name]["Properties"]["RetentionInDays"] == Config().log_retention_days


def test_task_functions_outlast_the_timeouts_of_the_states_that_call_them(
    synthesized: Synthesized,
):
    resources = synthesized.template()["Resources"]
    timeouts = {
        resolve({"Fn::GetAtt": [name, "Arn"]}, resources): function["Properties"]["Timeout"]
        for name, function in synthesized.resources("AWS::Lambda::Function").items()
    }
    checked = 0
    for machine in synthesized.resources("AWS::StepFunctions::StateMachine").values():
        definition = json.loads(resolve(machine["Properties"]["DefinitionString"], resources))
        for state in definition["States"].values():
            # a task waiting for its token times out when the wait does: its function
            # returns once the token is kept, within its own timeout
            if state["Type"] == "Task" and "TimeoutSeconds" in state and not waits(state):
                assert timeouts[state["Resource"]] >= state["TimeoutSeconds"]
                checked += 1
    assert checked


def waits(state: dict[str, Any]) -> bool:
    return str(state["Resource"]).endswith(".waitForTaskToken")


def task_timeouts(states: dict[str, Any]) -> list[tuple[str, int]]:
    """(Resource, TimeoutSeconds) of every Task state in `states` and their Parallel branches."""
    found = []
    for state in states.values():
        for branch in state.get("Branches", []):
            found += task_timeouts(branch["States"])
        if state["Type"] == "Task" and "TimeoutSeconds" in state:
            found.append((state["Resource"], state["TimeoutSeconds"]))
    return found


def test_task_functions_outlast_the_longest_timeout_the_compiler_can_give_their_states(
    synthesized: Synthesized,
):
    # Workflows deployed through the API are compiled after the deploy: every state the
    # compiler can make must fit its function, the largest inline group too (its timeout
    # grows with its members, up to a cap).
    catalog = default_registry().catalog
    additions = [node(f"n{i}", "addition", a=i, b=1) for i in range(200)]
    valid = validate_workflow(
        workflow(node("f", "fetch", url="https://example.test/"), *additions), catalog
    )
    field_of = {getattr(FUNCTIONS, field): field for field in TaskFunctions.model_fields}
    longest: dict[str, int] = {}
    for group_size in (DEFAULT_MAX_GROUP_SIZE, len(additions)):
        definition = compile_workflow(valid, catalog, FUNCTIONS, max_group_size=group_size)
        for resource, seconds in task_timeouts(definition["States"]):
            field = field_of[resource]
            longest[field] = max(longest.get(field, 0), seconds)
    assert {"run_node", "run_inline_group"} <= set(longest)
    functions = functions_by_handler(synthesized)
    for field, seconds in longest.items():
        assert functions[TASKS[field].__name__]["Timeout"] >= seconds, field
