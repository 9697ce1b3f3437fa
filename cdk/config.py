"""The deployment's settings, read once from CDK context (`-c key=value`) with defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Node

from cdk.errors import InvalidConfig
from lambdas.adapters.schema import RETIRED
from lambdas.runtime.model_apis import ANTHROPIC_API, OPENAI_API, TWILIO_API, base_url_fault
from lambdas.runtime.network import entry_fault
from lambdas.runtime.origins import origin_fault
from lambdas.runtime.output_limits import MAX_EXECUTION_BYTES, MAX_OUTPUT_BYTES
from statemachine.for_each import INLINE_ITEMS

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# CloudWatch Logs accepts only these retention periods (days).
RETENTION_DAYS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}

RemovalChoice = Literal["retain", "destroy"]
MachineLogLevel = Literal["ALL", "ERROR", "FATAL", "OFF"]
MACHINE_LOG_LEVELS: tuple[MachineLogLevel, ...] = ("ALL", "ERROR", "FATAL", "OFF")
# An address SES can send from: ASCII, one @, a dot in the domain.
SENDER = re.compile(r"[!-?A-~]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_REMOVAL: dict[str, RemovalPolicy] = {
    "retain": RemovalPolicy.RETAIN,
    "destroy": RemovalPolicy.DESTROY,
}


@dataclass(frozen=True)
class Config:
    """One deployment of stepthunk.

    `removal_policy` applies to what holds data (tables, bucket, key, logs): "retain" keeps
    them when the stack is deleted, "destroy" (for throwaway stages) deletes them.
    `max_output_bytes` and `max_execution_bytes` cap the data of node outputs, one output and
    all of one execution's (lambdas.runtime.output_limits). `email_sender` is the SES
    identity (an address, verified by itself or by its domain) nodes send e-mail from; None:
    no node can send, and no function may. Every state machine (the stack's and those the API
    deploys) logs at `machine_log_level`, its execution data (inputs and outputs: user data)
    only with `machine_log_execution_data`. `alarm_email` is subscribed to the alarm topic.
    Browser pages of `cors_origins` may call the HTTP API (none: only other programs).
    Workflows' requests reach public addresses and `allow_networks` (networks, addresses,
    host names) only: not the Lambda runtime, the metadata service or private networks.
    LLM nodes call the providers' APIs at `anthropic_url` and `openai_url`, the SMS node
    Twilio's at `twilio_url` (default: their public APIs; a gateway of the deployment's own,
    for one).
    A for-each runs up to `for_each_inline_items` items in an inline Map state, more in a
    Distributed Map (statemachine.for_each).
    `keep_indexes` names the retired indexes (lambdas.adapters.schema.RETIRED) a stack
    deployed before byWorkflowSummary keeps while it upgrades, one index per deploy (README).
    """

    stack_name: str = "Stepthunk"
    stage: str = "prod"
    log_retention_days: int = 30
    removal_policy: RemovalChoice = "retain"
    memory_mb: int = 1024
    max_output_bytes: int = MAX_OUTPUT_BYTES
    max_execution_bytes: int = MAX_EXECUTION_BYTES
    workflows_dir: Path = field(default=PROJECT_ROOT / "workflows")
    email_sender: str | None = None
    machine_log_level: MachineLogLevel = "ERROR"
    machine_log_execution_data: bool = False
    alarm_email: str | None = None
    cors_origins: tuple[str, ...] = ()
    allow_networks: tuple[str, ...] = ()
    anthropic_url: str = ANTHROPIC_API
    openai_url: str = OPENAI_API
    twilio_url: str = TWILIO_API
    keep_indexes: tuple[str, ...] = ()
    for_each_inline_items: int = INLINE_ITEMS

    def __post_init__(self) -> None:
        if self.log_retention_days not in RETENTION_DAYS:
            allowed = ", ".join(map(str, RETENTION_DAYS))
            raise InvalidConfig("logRetentionDays", self.log_retention_days, f"one of {allowed}")
        if self.removal_policy not in _REMOVAL:
            raise InvalidConfig("removalPolicy", self.removal_policy, "'retain' or 'destroy'")
        if not 128 <= self.memory_mb <= 10_240:
            raise InvalidConfig("memorySize", self.memory_mb, "128 to 10240 (MB)")
        for key, limit in (
            ("maxOutputBytes", self.max_output_bytes),
            ("maxExecutionBytes", self.max_execution_bytes),
        ):
            if limit < 1:
                raise InvalidConfig(key, limit, "a number of bytes above 0")
        if not 1 <= self.for_each_inline_items <= INLINE_ITEMS:
            expected = f"1 to {INLINE_ITEMS} (items a for-each runs in an inline Map)"
            raise InvalidConfig("forEachInlineItems", self.for_each_inline_items, expected)
        if not self.stage.isalnum():
            raise InvalidConfig("stage", self.stage, "letters and digits only")
        if not self.workflows_dir.is_dir():
            raise InvalidConfig("workflowsDir", str(self.workflows_dir), "a directory")
        if self.email_sender is not None and not SENDER.fullmatch(self.email_sender):
            raise InvalidConfig("emailSender", self.email_sender, "an e-mail address")
        if self.machine_log_level not in MACHINE_LOG_LEVELS:
            allowed = ", ".join(MACHINE_LOG_LEVELS)
            raise InvalidConfig("machineLogLevel", self.machine_log_level, f"one of {allowed}")
        if self.alarm_email is not None and not SENDER.fullmatch(self.alarm_email):
            raise InvalidConfig("alarmEmail", self.alarm_email, "an e-mail address")
        for entry in self.allow_networks:
            if entry_fault(entry) is not None:
                expected = "networks (CIDR), addresses or host names, comma-separated"
                raise InvalidConfig("allowNetworks", entry, expected)
        for key, url in (
            ("anthropicUrl", self.anthropic_url),
            ("openaiUrl", self.openai_url),
            ("twilioUrl", self.twilio_url),
        ):
            if base_url_fault(url) is not None:
                raise InvalidConfig(key, url, "an http or https base URL, without a query")
        for origin in self.cors_origins:
            if origin_fault(origin) is not None:
                raise InvalidConfig(
                    "corsOrigins",
                    origin,
                    "origins like https://editor.example.com, comma-separated",
                )
        for index in self.keep_indexes:
            if index not in RETIRED:
                expected = f"retired executions indexes: {', '.join(RETIRED)}, comma-separated"
                raise InvalidConfig("keepIndexes", index, expected)

    @classmethod
    def from_context(cls, node: Node) -> Config:
        """The config from the app's context; absent keys take the defaults above."""
        defaults = cls()

        def text(key: str, default: str) -> str:
            value = node.try_get_context(key)
            return default if value is None else str(value)

        def number(key: str, default: int) -> int:
            value = text(key, str(default))
            try:
                return int(value)
            except ValueError:
                raise InvalidConfig(key, value, "a whole number") from None

        def listed(key: str) -> tuple[str, ...]:
            value = node.try_get_context(key)
            # `-c key=a,b` gives a string, cdk.json a string or a list
            items = value if isinstance(value, list) else text(key, "").split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())

        def flag(key: str, default: bool) -> bool:
            value = text(key, str(default)).lower()
            if value not in ("true", "false"):
                raise InvalidConfig(key, value, "true or false")
            return value == "true"

        workflows = Path(text("workflowsDir", str(defaults.workflows_dir)))
        return cls(
            stack_name=text("stackName", defaults.stack_name),
            stage=text("stage", defaults.stage),
            log_retention_days=number("logRetentionDays", defaults.log_retention_days),
            removal_policy=cast(RemovalChoice, text("removalPolicy", defaults.removal_policy)),
            memory_mb=number("memorySize", defaults.memory_mb),
            max_output_bytes=number("maxOutputBytes", defaults.max_output_bytes),
            max_execution_bytes=number("maxExecutionBytes", defaults.max_execution_bytes),
            workflows_dir=workflows if workflows.is_absolute() else PROJECT_ROOT / workflows,
            email_sender=node.try_get_context("emailSender") or None,
            machine_log_level=cast(
                MachineLogLevel, text("machineLogLevel", defaults.machine_log_level).upper()
            ),
            machine_log_execution_data=flag(
                "machineLogExecutionData", defaults.machine_log_execution_data
            ),
            alarm_email=node.try_get_context("alarmEmail") or None,
            cors_origins=listed("corsOrigins"),
            allow_networks=listed("allowNetworks"),
            anthropic_url=text("anthropicUrl", defaults.anthropic_url),
            openai_url=text("openaiUrl", defaults.openai_url),
            twilio_url=text("twilioUrl", defaults.twilio_url),
            keep_indexes=listed("keepIndexes"),
            for_each_inline_items=number("forEachInlineItems", defaults.for_each_inline_items),
        )

    @property
    def email_identities(self) -> tuple[str, ...]:
        """The SES identities the sender may be verified as: the address, its domain."""
        if self.email_sender is None:
            return ()
        return (self.email_sender, self.email_sender.rpartition("@")[2])

    @property
    def log_retention(self) -> logs.RetentionDays:
        return RETENTION_DAYS[self.log_retention_days]

    @property
    def removal(self) -> RemovalPolicy:
        return _REMOVAL[self.removal_policy]
