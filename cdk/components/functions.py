"""The Lambda functions: one factory for their shared defaults, and what each handler uses."""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType, ModuleType
from typing import Literal

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk import bundling, nag
from cdk.components.storage import Storage
from cdk.components.websocket import WebSocket
from cdk.config import Config
from cdk.names import pascal
from lambdas.handlers import http_api, websocket
from lambdas.handlers.observability import SERVICE, metrics
from lambdas.handlers.settings import (
    ANTHROPIC_URL_SETTING,
    EMAIL_SETTING,
    FOR_EACH_SETTING,
    NETWORK_SETTING,
    OPENAI_URL_SETTING,
    TWILIO_URL_SETTING,
)
from lambdas.handlers.tasks import TASKS
from lambdas.runtime.output_limits import EXECUTION_SETTING, OUTPUT_SETTING
from statemachine.compiler import INDIVIDUAL_TIMEOUT_SECONDS, MAX_TASK_TIMEOUT_SECONDS

# The handlers behind API Gateway, next to the tasks of lambdas.handlers.tasks.TASKS.
API_HANDLERS: dict[str, ModuleType] = {"http_api": http_api, "websocket": websocket}
SERVICE_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": SERVICE,
    "POWERTOOLS_METRICS_NAMESPACE": str(metrics.namespace),
    # No pydantic plugin is used: a cold start skips reading every installed package's
    # entry points to look for one (~10 ms of each handler's import).
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
}
# API Gateway gives up on an integration after 30 s.
API_TIMEOUT = Duration.seconds(29)
BOOKKEEPING_TIMEOUT = Duration.seconds(60)
# A task state times out after its TimeoutSeconds; the function must not stop earlier.
TIMEOUTS = {
    "run_node": Duration.seconds(INDIVIDUAL_TIMEOUT_SECONDS),
    "run_inline_group": Duration.seconds(MAX_TASK_TIMEOUT_SECONDS),
    "http_api": API_TIMEOUT,
    "websocket": API_TIMEOUT,
}


@dataclass(frozen=True)
class Access:
    """What one handler uses: tables it reads or writes, the bucket, the key, live updates,
    whether it reads STEPTHUNK_ENV (credit checks are on in a deployment), and whether it
    runs nodes (it reads the limits on their outputs)."""

    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    blobs: Literal["read", "write"] | None = None
    encrypt: bool = False
    decrypt: bool = False
    live_updates: bool = False
    mode: bool = False
    runs_nodes: bool = False


# Running nodes opens secrets and integrations (refreshing tokens seals them anew), and
# keeps what a live update announces in the executions table (lambdas.adapters.progress).
_RUNS_NODES = Access(
    read=("secrets",),
    write=("executions", "integrations"),
    blobs="write",
    encrypt=True,
    decrypt=True,
    live_updates=True,
    runs_nodes=True,
)
# Running a unit's task also runs run-workflow nodes: it finds the workflow each calls and
# stores the child's first record (lambdas.lifecycle.calls).
_RUNS_CALLS = replace(_RUNS_NODES, read=("secrets", "workflows"))
ACCESS = MappingProxyType(
    {
        # It adds one run of each workflow a workflow calls to its estimate (a large
        # definition is in the bucket).
        "check_credits": Access(read=("organizations", "workflows"), blobs="read", mode=True),
        # Initialize preloads for the machines it compiles now; these two stay for the state
        # machines deployed through the API before it did, whose `Preload ...` states call them.
        "preload_secrets": Access(read=("secrets",)),
        "preload_integrations": Access(read=("integrations",)),
        # Initialize persists the start record and resolves the seconds of the wait nodes
        # that open the plan, which runs them.
        "initialize": _RUNS_NODES,
        "persist": Access(write=("executions",), blobs="write", live_updates=True),
        "run_node": _RUNS_CALLS,
        "run_inline_group": _RUNS_NODES,
        "finalize": Access(
            write=("executions", "organizations"), blobs="write", live_updates=True, mode=True
        ),
        "http_api": Access(
            read=("apiKeys",),
            write=("workflows", "executions", "organizations", "secrets"),
            blobs="write",
            encrypt=True,
            live_updates=True,
            mode=True,
        ),
        "websocket": Access(read=("apiKeys", "executions"), blobs="read", live_updates=True),
    }
)


class RuntimeFunction(Construct):
    """The one factory of stepthunk's functions: Python 3.12 on ARM64, the shared code asset,
    active tracing, JSON logs into a log group with the configured retention, and a role
    that may write those logs and nothing else until resources are granted."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        code: lambda_.Code,
        handler: ModuleType,
        timeout: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(
            self, "Logs", retention=config.log_retention, removal_policy=config.removal
        )
        # Our own role: the default one carries the managed AWSLambdaBasicExecutionRole,
        # which lets the function write to every log group of the account.
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"stepthunk {handler.__name__}",
            runtime=bundling.RUNTIME,
            architecture=bundling.ARCHITECTURE,
            code=code,
            handler=f"{handler.__name__}.handler",
            memory_size=config.memory_mb,
            timeout=timeout,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=log_group,
            role=role,
            environment=dict(SERVICE_ENVIRONMENT),
        )
        nag.acknowledge(
            role,
            "IAM5[Resource::*]",
            "Active tracing's xray:PutTraceSegments and xray:PutTelemetryRecords apply to no "
            "resource (AWS defines none for them).",
        )
        nag.acknowledge(
            self.function,
            "L1",
            "Python 3.12 on purpose: the bundle's wheels are selected for CPython 3.12 on "
            "ARM64 and its bytecode is compiled by a Python 3.12 (cdk/bundling.RUNTIME); a "
            "newer runtime changes both and is taken with them, through the bundle tests.",
        )


class Functions(Construct):
    """Every function: `tasks` (by TaskFunctions field), `http_api` and `websocket`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        storage: Storage,
        live_updates: WebSocket,
    ) -> None:
        super().__init__(scope, construct_id)
        code = bundling.code()
        handlers = {**TASKS, **API_HANDLERS}
        functions = {
            name: RuntimeFunction(
                self,
                pascal(name),
                config=config,
                code=code,
                handler=module,
                timeout=TIMEOUTS.get(name, BOOKKEEPING_TIMEOUT),
            ).function
            for name, module in handlers.items()
        }
        for name, function in functions.items():
            access = ACCESS[name]
            storage.use_tables(function, read=access.read, write=access.write)
            if access.blobs is not None:
                storage.use_bucket(function, write=access.blobs == "write")
            if access.encrypt or access.decrypt:
                storage.use_key(function, encrypt=access.encrypt, decrypt=access.decrypt)
            if access.live_updates:
                storage.use_tables(function, write=("connections",))
                live_updates.allow_updates(function)
            if access.mode:
                function.add_environment("STEPTHUNK_ENV", "production")
            if access.runs_nodes:
                function.add_environment(OUTPUT_SETTING, str(config.max_output_bytes))
                function.add_environment(EXECUTION_SETTING, str(config.max_execution_bytes))
                if config.email_sender is not None:
                    _allow_email(function, config)
                if config.allow_networks:
                    function.add_environment(NETWORK_SETTING, ",".join(config.allow_networks))
                if "workflows" in access.read:  # its for-each nodes prepare their items
                    function.add_environment(FOR_EACH_SETTING, str(config.for_each_inline_items))
                _use_model_apis(function, config)
        self.all = MappingProxyType(functions)
        self.tasks = MappingProxyType({name: functions[name] for name in TASKS})
        self.http_api = functions["http_api"]
        self.websocket = functions["websocket"]


def _use_model_apis(function: lambda_.Function, config: Config) -> None:
    """Point a function that runs nodes at the third-party APIs the config names (the model
    providers', Twilio's), when they are not the services' public APIs (the settings'
    defaults)."""
    defaults = Config()
    for setting, url, default in (
        (ANTHROPIC_URL_SETTING, config.anthropic_url, defaults.anthropic_url),
        (OPENAI_URL_SETTING, config.openai_url, defaults.openai_url),
        (TWILIO_URL_SETTING, config.twilio_url, defaults.twilio_url),
    ):
        if url != default:
            function.add_environment(setting, url)


def _allow_email(function: lambda_.Function, config: Config) -> None:
    """Let a function that runs nodes send e-mail from the configured sender, and only it
    (SES authorizes the identity the sender is verified as: the address or its domain)."""
    assert config.email_sender is not None
    function.add_environment(EMAIL_SETTING, config.email_sender)
    stack = Stack.of(function)
    function.add_to_role_policy(
        iam.PolicyStatement(
            # what aws_ses.EmailIdentity.grant_send_email grants, so that a raw (MIME) message
            # is covered whichever of the two SES checks
            actions=["ses:SendEmail", "ses:SendRawEmail"],
            resources=[
                stack.format_arn(service="ses", resource="identity", resource_name=identity)
                for identity in config.email_identities
            ],
            conditions={"StringEquals": {"ses:FromAddress": config.email_sender}},
        )
    )
