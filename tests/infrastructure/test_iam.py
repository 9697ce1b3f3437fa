"""IAM: permissions come from grants on the stack's own resources, each scoped to them."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.iam import LOG_DELIVERY_ACTIONS, TRACE_ACTIONS
from tests.infrastructure.placeholders import references, resolve

# Actions for which AWS defines no resource type: "*" is the only resource they accept.
UNSCOPABLE_ACTIONS = frozenset({*TRACE_ACTIONS, *LOG_DELIVERY_ACTIONS, "states:ListStateMachines"})
# What the API may manage: state machines it deploys at run time, named stepthunk-...; and
# the rule Step Functions manages to follow the parts a large workflow starts (.sync).
RUNTIME_MACHINES = re.compile(
    r"arn:aws:states:us-east-1:123456789012:(stateMachine:stepthunk-\*|execution:stepthunk-\*:\*)"
    r"|arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"
)
# IAM's limit on the inline policies of one role, in characters without whitespace.
INLINE_POLICY_LIMIT = 10_240


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [
        statement
        for policy in synthesized.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_no_statement_allows_a_wildcard_action(synthesized: Synthesized):
    actions = {action for s in statements(synthesized) for action in listed(s["Action"])}
    assert actions
    assert not {action for action in actions if "*" in action}


def test_every_resource_is_the_stacks_own_except_for_actions_aws_cannot_scope(
    synthesized: Synthesized,
):
    template = synthesized.template()
    resources = template["Resources"]
    for statement in statements(synthesized):
        assert statement["Effect"] == "Allow"
        for resource in listed(statement["Resource"]):
            if resource == "*":
                assert set(listed(statement["Action"])) <= UNSCOPABLE_ACTIONS, statement
            elif referred := references(resource):
                assert referred <= set(resources), statement
            else:
                assert RUNTIME_MACHINES.fullmatch(resolve(resource, resources)), statement


def test_no_role_carries_a_managed_policy(synthesized: Synthesized):
    for name, role in synthesized.resources("AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], name


def test_each_state_machine_may_invoke_exactly_the_task_functions_its_definition_calls(
    synthesized: Synthesized,
):
    policies = synthesized.resources("AWS::IAM::Policy").values()
    functions = set(synthesized.resources("AWS::Lambda::Function"))
    for name, machine in synthesized.resources("AWS::StepFunctions::StateMachine").items():
        role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        invokable = {
            function
            for policy in policies
            if {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if "lambda:InvokeFunction" in listed(statement["Action"])
            for function in references(statement["Resource"])
        }
        called = references(machine["Properties"]["DefinitionString"]) & functions
        assert called, name
        assert invokable == called, name


def test_every_role_policy_fits_the_inline_policy_size_limit(synthesized: Synthesized):
    for name, policy in synthesized.resources("AWS::IAM::Policy").items():
        # Real names and ARNs are longer than the placeholders: count each as 120 characters.
        document = json.dumps(policy["Properties"]["PolicyDocument"], separators=(",", ":"))
        longest = len(re.sub(r'\{"Fn::GetAtt":\[[^]]*\]\}|\{"Ref":"[^"]*"\}', "x" * 120, document))
        assert longest < INLINE_POLICY_LIMIT, (name, longest)
