"""Deploying workflows at run time: the role their state machines run as, and the API's rights.

`PUT /workflows/{id}` compiles a workflow and creates (or updates) a state machine named
`stepthunk-...` that runs as this role; the API may manage only state machines so named.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk import nag
from cdk.config import Config
from statemachine.compiler import TaskFunctions

# lambdas.handlers.api.workflows.state_machine_name starts every name so (a test checks it).
MACHINE_NAME_PREFIX = "stepthunk-"
MACHINE_ACTIONS = (
    "states:CreateStateMachine",
    "states:UpdateStateMachine",
    # Create and update publish a version each time (publish=True).
    "states:PublishStateMachineVersion",
    "states:DeleteStateMachine",
    "states:StartExecution",
    # A deploy reads a machine's type; a retry reads the definition a version runs.
    "states:DescribeStateMachine",
    # A delivered event ends a wait-for-event node's wait (statemachine.event_waits).
    *("states:SendTaskSuccess", "states:SendTaskFailure"),
)
# What Step Functions needs to deliver a machine's logs and traces (as AWS documents it).
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
TRACE_ACTIONS = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
)
# The EventBridge rule Step Functions manages to follow `.sync` executions.
SYNC_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"
EXECUTION_ACTIONS = (
    "states:DescribeExecution",
    "states:StopExecution",
    "states:GetExecutionHistory",
)


class RuntimeDeployment(Construct):
    """The role of workflows deployed through the API: it may invoke the task functions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        tasks: Mapping[str, lambda_.Function],
        log_group: logs.ILogGroup,
        bucket: s3.Bucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.log_group = log_group
        self.role = iam.Role(
            self,
            "StateMachineRole",
            description="Runs the state machines of workflows deployed through the API",
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com",
                # Only Step Functions acting for this account may take the role.
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
        )
        for function in tasks.values():
            function.grant_invoke(self.role)
            nag.acknowledge_wildcard(
                self.role,
                f"{nag.arn_of(function)}:*",
                "grant_invoke also covers the function's versions and aliases; state "
                "machines call the unqualified ARN of our own task functions.",
            )
        self.task_functions = TaskFunctions(
            **{name: function.function_arn for name, function in tasks.items()}
        )
        self._allow_parts()
        self._allow_logs_and_traces()
        self._allow_reading_items(bucket)

    def _allow_logs_and_traces(self) -> None:
        """What Step Functions needs of a machine's role to deliver its logs and traces (as
        CDK gives the stack's own machines)."""
        iam.Grant.add_to_principal(
            grantee=self.role, actions=[*LOG_DELIVERY_ACTIONS, *TRACE_ACTIONS], resource_arns=["*"]
        )
        nag.acknowledge(
            self.role,
            "IAM5[Resource::*]",
            "Log delivery (logs:CreateLogDelivery and the like) and X-Ray's trace writes "
            "apply to no resource: AWS defines none for them.",
        )

    def _allow_reading_items(self, bucket: s3.Bucket) -> None:
        """A for-each past the items an inline Map runs reads them from the bucket (its
        Distributed Map's ItemReader, a GetObject of the value its task stored); its map
        run's child executions are executions of the machine itself, which _allow_parts
        lets it start, follow and stop (same prefix)."""
        bucket.grants.actions_on_object_keys(self.role, "values/*", "s3:GetObject")
        nag.acknowledge_wildcard(
            self.role,
            f"{nag.arn_of(bucket)}/values/*",
            "The values a for-each's task stored for its Distributed Map, named by their "
            "content at run time.",
        )

    def _allow_parts(self) -> None:
        """A workflow too large for one state machine starts its parts (also named
        `stepthunk-...`) with StartExecution.sync, which Step Functions follows through an
        EventBridge rule it manages; a run-workflow node starts its child the same way."""
        allow_starting_deployed(
            self.role,
            "A large workflow's machine starts its parts, and a run-workflow node its child's "
            "machine, deployed at run time under this prefix; their names are only known then.",
        )

    def allow(self, api: lambda_.Function) -> None:
        """Let the API function deploy, start, stop and delete such state machines."""
        api.add_environment("STATE_MACHINE_ROLE_ARN", self.role.role_arn)
        api.add_environment("STATE_MACHINE_PREFIX", MACHINE_NAME_PREFIX.rstrip("-"))
        api.add_environment("TASK_FUNCTIONS", self.task_functions.model_dump_json())
        api.add_environment("STATE_MACHINE_LOG_GROUP_ARN", self.log_group.log_group_arn)
        api.add_environment("STATE_MACHINE_LOG_LEVEL", self.config.machine_log_level)
        execution_data = str(self.config.machine_log_execution_data).lower()
        api.add_environment("STATE_MACHINE_LOG_EXECUTION_DATA", execution_data)
        api.add_environment("STATE_MACHINE_TRACING", "true")
        self.role.grant_pass_role(api.grant_principal)
        stack = Stack.of(self)
        machines, executions = _machines(stack), _executions(stack)
        # No grant_* exists for state machines that do not exist yet: scope by name instead.
        iam.Grant.add_to_principal(
            grantee=api, actions=list(MACHINE_ACTIONS), resource_arns=[machines]
        )
        iam.Grant.add_to_principal(
            grantee=api, actions=list(EXECUTION_ACTIONS), resource_arns=[executions]
        )
        # The deploy's fallback looks a state machine up by name; listing has no resource.
        # Setting a machine's log delivery up takes the log delivery actions of its caller.
        iam.Grant.add_to_principal(
            grantee=api,
            actions=["states:ListStateMachines", *LOG_DELIVERY_ACTIONS],
            resource_arns=["*"],
        )
        nag.acknowledge_wildcard(
            api,
            "*",
            "states:ListStateMachines and the log delivery actions (logs:CreateLogDelivery and "
            "the like) apply to no resource (AWS defines none for them); nor do active "
            "tracing's X-Ray writes.",
        )
        pattern = "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>"
        nag.acknowledge_wildcard(
            api,
            f"{pattern}:stateMachine:{MACHINE_NAME_PREFIX}*",
            "The API deploys one state machine per organization and workflow at run time; "
            "their names are only known then, and all start with this prefix.",
        )
        nag.acknowledge_wildcard(
            api,
            f"{pattern}:execution:{MACHINE_NAME_PREFIX}*:*",
            "Executions of the state machines the API deployed (same prefix), named by "
            "execution id at run time.",
        )


def allow_starting_deployed(role: iam.IRole, why: str) -> None:
    """Let `role` start the state machines deployed at run time (`why` says what starts
    them) with StartExecution.sync, which follows and stops their executions through the
    EventBridge rule Step Functions manages."""
    stack = Stack.of(role)
    iam.Grant.add_to_principal(
        grantee=role, actions=["states:StartExecution"], resource_arns=[_machines(stack)]
    )
    iam.Grant.add_to_principal(
        grantee=role,
        actions=["states:DescribeExecution", "states:StopExecution"],
        resource_arns=[_executions(stack)],
    )
    rule = stack.format_arn(service="events", resource="rule", resource_name=SYNC_RULE)
    iam.Grant.add_to_principal(
        grantee=role,
        actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
        resource_arns=[rule],
    )
    pattern = "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>"
    nag.acknowledge_wildcard(role, f"{pattern}:stateMachine:{MACHINE_NAME_PREFIX}*", why)
    nag.acknowledge_wildcard(
        role,
        f"{pattern}:execution:{MACHINE_NAME_PREFIX}*:*",
        "StartExecution.sync follows and stops the executions of the machines it starts.",
    )


def _machines(stack: Stack) -> str:
    """The ARNs of the state machines deployed at run time (a wildcard on their prefix)."""
    return stack.format_arn(
        service="states",
        resource="stateMachine",
        resource_name=f"{MACHINE_NAME_PREFIX}*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def _executions(stack: Stack) -> str:
    """The ARNs of their executions."""
    return stack.format_arn(
        service="states",
        resource="execution",
        resource_name=f"{MACHINE_NAME_PREFIX}*:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
