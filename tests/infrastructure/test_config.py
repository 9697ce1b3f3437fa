"""The deployment config from CDK context: values as `-c key=value` gives them, checked."""

from __future__ import annotations

import pytest
from aws_cdk import App, RemovalPolicy

from cdk.config import PROJECT_ROOT, Config
from cdk.errors import InvalidConfig
from local.cli import DEFAULT_STACK


def test_context_values_replace_the_defaults():
    app = App(
        context={
            "stackName": "StepthunkDev",
            "stage": "dev",
            "logRetentionDays": "7",
            "removalPolicy": "destroy",
            "memorySize": "512",
            "workflowsDir": "tests/golden",
            "machineLogLevel": "all",
            "machineLogExecutionData": "true",
            "alarmEmail": "ops@example.com",
            "corsOrigins": "https://editor.example.com, http://localhost:5173",
            "allowNetworks": "10.0.0.0/8,wiki.corp.example",
            "anthropicUrl": "https://llm-gateway.corp.example/anthropic",
            "openaiUrl": "https://llm-gateway.corp.example/openai/v1",
            "twilioUrl": "https://sms-gateway.corp.example/twilio",
            "keepIndexes": "byWorkflow, byStatus",
        }
    )

    config = Config.from_context(app.node)

    assert config == Config(
        stack_name="StepthunkDev",
        stage="dev",
        log_retention_days=7,
        removal_policy="destroy",
        memory_mb=512,
        workflows_dir=PROJECT_ROOT / "tests" / "golden",
        machine_log_level="ALL",
        machine_log_execution_data=True,
        alarm_email="ops@example.com",
        cors_origins=("https://editor.example.com", "http://localhost:5173"),
        allow_networks=("10.0.0.0/8", "wiki.corp.example"),
        anthropic_url="https://llm-gateway.corp.example/anthropic",
        openai_url="https://llm-gateway.corp.example/openai/v1",
        twilio_url="https://sms-gateway.corp.example/twilio",
        keep_indexes=("byWorkflow", "byStatus"),
    )
    assert config.removal == RemovalPolicy.DESTROY


def test_without_context_the_stack_keeps_its_data_and_deploys_the_example_workflows():
    config = Config.from_context(App().node)

    assert config.removal == RemovalPolicy.RETAIN
    assert config.workflows_dir == PROJECT_ROOT / "workflows"
    # state machines log errors, without the data executions carry, and nobody is e-mailed
    assert (config.machine_log_level, config.machine_log_execution_data) == ("ERROR", False)
    assert config.alarm_email is None
    assert config.cors_origins == ()  # no browser page may call the API
    assert config.allow_networks == ()  # workflows reach public addresses only
    assert config.keep_indexes == ()  # the executions table has only its current index
    # LLM nodes and the SMS node call the services' public APIs
    assert (config.anthropic_url, config.openai_url, config.twilio_url) == (
        "https://api.anthropic.com",
        "https://api.openai.com/v1",
        "https://api.twilio.com",
    )


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("logRetentionDays", "10", "one of 1, 3, 5, 7, 14, 30"),
        ("logRetentionDays", "a month", "a whole number"),
        ("removalPolicy", "snapshot", "'retain' or 'destroy'"),
        ("memorySize", "64", "128 to 10240"),
        ("stage", "my stage", "letters and digits only"),
        ("workflowsDir", "no/such/dir", "a directory"),
        ("maxOutputBytes", "0", "a number of bytes above 0"),
        ("maxExecutionBytes", "1 GiB", "a whole number"),
        ("machineLogLevel", "debug", "one of ALL, ERROR, FATAL, OFF"),
        ("machineLogExecutionData", "yes", "true or false"),
        ("alarmEmail", "ops", "an e-mail address"),
        ("corsOrigins", "https://a.example.com/path", "origins like https://editor.example.com"),
        ("allowNetworks", "10.0.0.0/33", "networks (CIDR), addresses or host names"),
        ("anthropicUrl", "api.anthropic.com", "an http or https base URL"),
        ("openaiUrl", "https://api.openai.com/v1?key=1", "an http or https base URL"),
        ("twilioUrl", "ftp://api.twilio.com", "an http or https base URL"),
        ("keepIndexes", "byOrganization", "retired executions indexes: byWorkflow, byStatus"),
    ],
)
def test_an_unusable_context_value_is_refused_saying_what_is_expected(
    key: str, value: str, expected: str
):
    with pytest.raises(InvalidConfig) as refused:
        Config.from_context(App(context={key: value}).node)

    assert refused.value.key == key
    assert expected in str(refused.value)


def test_the_admin_commands_default_to_the_stack_make_deploy_creates():
    assert Config.from_context(App().node).stack_name == DEFAULT_STACK


def test_the_limits_on_node_outputs_come_from_context():
    app = App(context={"maxOutputBytes": "1000000", "maxExecutionBytes": "50000000"})

    config = Config.from_context(app.node)

    assert (config.max_output_bytes, config.max_execution_bytes) == (1_000_000, 50_000_000)


def test_without_context_node_outputs_are_held_to_64_mib_each_and_1_gib_an_execution():
    config = Config.from_context(App().node)

    assert (config.max_output_bytes, config.max_execution_bytes) == (64 * 2**20, 2**30)


def test_a_list_in_cdk_json_is_read_like_a_comma_separated_value():
    app = App(context={"keepIndexes": ["byWorkflow", " byStatus "], "corsOrigins": []})

    config = Config.from_context(app.node)

    assert (config.keep_indexes, config.cors_origins) == (("byWorkflow", "byStatus"), ())
