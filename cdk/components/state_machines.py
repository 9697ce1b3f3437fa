"""One Step Functions state machine per workflows/*.json, compiled at synth time.

The definition embeds the task functions' ARNs as CloudFormation references (not
DefinitionSubstitutions, which moto's CloudFormation does not apply). A workflow that does not
validate or compile stops the synth with its problems.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk import nag
from cdk.components.deployment import allow_starting_deployed
from cdk.config import Config
from cdk.errors import InvalidWorkflowFile
from cdk.names import pascal
from lambdas.nodes import default_registry
from statemachine.asl import definition_json
from statemachine.calls import START_CHILD_RESOURCE
from statemachine.catalog import Catalog
from statemachine.compiler import TaskFunctions, compile_workflow, machine_type
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.event_waits import WAIT_FOR_TOKEN_RESOURCE
from statemachine.for_each import ITEMS_READER, MAP_RUN_LABEL
from statemachine.limits import TooLarge
from statemachine.validation import validate_workflow


def compiled(path: Path, catalog: Catalog, functions: TaskFunctions) -> tuple[str, str]:
    """The definition of the workflow in `path` and its state machine type (STANDARD, or
    EXPRESS for a short-lived workflow), or InvalidWorkflowFile."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidWorkflowFile(path, f"not a readable JSON file: {error}") from None
    try:
        workflow = validate_workflow(document, catalog)
        definition = definition_json(compile_workflow(workflow, catalog, functions))
        return definition, machine_type(workflow)
    except TooLarge as error:
        raise InvalidWorkflowFile(
            path,
            f"{error}. A workflow this large is deployed through the HTTP API "
            "(PUT /workflows/{id}), which runs it in parts",
        ) from None
    except (WorkflowValidationError, CompileError) as error:
        raise InvalidWorkflowFile(path, str(error)) from None


class WorkflowStateMachines(Construct):
    """`machines[file stem]`: traced, logged state machines calling the task functions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        tasks: Mapping[str, lambda_.Function],
        bucket: s3.Bucket,
    ) -> None:
        super().__init__(scope, construct_id)
        catalog = default_registry().catalog
        functions = TaskFunctions(**{name: fn.function_arn for name, fn in tasks.items()})
        # Every state machine's logs: the stack's and those the API deploys.
        log_group = logs.LogGroup(
            self, "Logs", retention=config.log_retention, removal_policy=config.removal
        )
        self.log_group = log_group
        self._waiting: list[sfn.StateMachine] = []  # machines with a wait-for-event node
        machines = {}
        for path in sorted(config.workflows_dir.glob("*.json")):
            definition, kind = compiled(path, catalog, functions)
            machine = sfn.StateMachine(
                self,
                pascal(path.stem),
                definition_body=sfn.DefinitionBody.from_string(definition),
                state_machine_type=sfn.StateMachineType(kind),
                tracing_enabled=True,
                # Execution data (inputs, node outputs) stays out of the logs unless the
                # config says otherwise; the execution history shows it to those allowed.
                logs=sfn.LogOptions(
                    destination=log_group,
                    level=sfn.LogLevel(config.machine_log_level),
                    include_execution_data=config.machine_log_execution_data,
                ),
            )
            if config.machine_log_level != "ALL":
                nag.acknowledge(
                    machine,
                    "SF1",
                    f"Logged at {config.machine_log_level} (the stack's machineLogLevel): every "
                    "event of an execution is in its history already, and logging each one "
                    "costs per GB ingested on every execution; machineLogLevel=ALL logs them.",
                )
            nag.acknowledge(
                machine.role,
                "IAM5[Resource::*]",
                "Log delivery (logs:CreateLogDelivery and the like) and X-Ray's trace writes "
                "apply to no resource: AWS defines none for them.",
            )
            for name, function in tasks.items():
                if getattr(functions, name) in definition:  # only the tasks it calls
                    function.grant_invoke(machine)
                    nag.acknowledge_wildcard(
                        machine,
                        f"{nag.arn_of(function)}:*",
                        "grant_invoke also covers the function's versions and aliases; the "
                        "definition calls the unqualified ARN of our own task function.",
                    )
            if START_CHILD_RESOURCE in definition:  # it runs workflows deployed through the API
                allow_starting_deployed(
                    machine.role,
                    "Its run-workflow nodes start the machines of the organization's workflows, "
                    "deployed through the API under this prefix; their names are only known then.",
                )
            if ITEMS_READER in definition:  # a for-each's Distributed Map
                _allow_map_runs(machine, bucket)
            machines[path.stem] = machine
            if WAIT_FOR_TOKEN_RESOURCE in definition:
                self._waiting.append(machine)
        self.machines = MappingProxyType(machines)

    def allow_ending_waits(self, *grantees: iam.IGrantable) -> None:
        """Let `grantees` (the API) end the waits of the machines' wait-for-event nodes:
        IAM authorizes a task response against the machine whose task the token names."""
        for machine in self._waiting:
            for grantee in grantees:
                machine.grant_task_response(grantee)


def _allow_map_runs(machine: sfn.StateMachine, bucket: s3.Bucket) -> None:
    """A for-each past the items an inline Map runs: its Distributed Map reads them from the
    bucket (a value its task stored) and runs each as a child workflow execution of the
    machine itself, which Step Functions starts, follows and stops. A policy of its own:
    in the role's default policy, the machine's own ARN would make a dependency cycle."""
    bucket.grants.actions_on_object_keys(machine.role, "values/*", "s3:GetObject")
    stack = Stack.of(machine)
    runs = stack.format_arn(
        service="states",
        resource="execution",
        resource_name=f"{machine.state_machine_name}/{MAP_RUN_LABEL}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    iam.Policy(
        machine,
        "MapRuns",
        roles=[machine.role],
        statements=[
            iam.PolicyStatement(
                actions=["states:StartExecution"], resources=[machine.state_machine_arn]
            ),
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"], resources=[runs]
            ),
        ],
    )
    nag.acknowledge_wildcard(
        machine,
        f"{nag.arn_of(bucket)}/values/*",
        "The values a for-each's task stored for its Distributed Map, named by their "
        "content at run time.",
    )
    name = f"{nag.ref_of(machine)[:-1]}.Name>"
    nag.acknowledge(
        machine,
        "IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
        f"{name}/{MAP_RUN_LABEL}:*]",
        "The child workflow executions of the machine's own map runs, named at run time.",
    )
