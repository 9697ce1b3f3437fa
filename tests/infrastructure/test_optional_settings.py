"""A stack with the optional settings: nodes send e-mail only with a configured sender, only
by the functions that run nodes, only from that sender; alarms reach the address the config
names; browser pages of the configured origins may call the HTTP API; a throwaway stage
(removalPolicy destroy) leaves nothing behind; a stack that upgrades keeps the retired indexes
it names, and lists executions through byWorkflow while it keeps it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cdk.components.functions import ACCESS
from lambdas.adapters.schema import BY_WORKFLOW, EXECUTION_SUMMARY, RETIRED
from lambdas.handlers.settings import (
    ANTHROPIC_URL_SETTING,
    EMAIL_SETTING,
    LISTING_INDEX_SETTING,
    NETWORK_SETTING,
    OPENAI_URL_SETTING,
    TWILIO_URL_SETTING,
)
from tests.infrastructure.conftest import Synthesized, synthesize

SENDER = "workflows@mail.example.com"
ALARMS_TO = "ops@example.com"
ORIGINS = ("https://editor.example.com", "http://localhost:5173")
NETWORKS = ("10.0.0.0/8", "wiki.corp.example")
KEPT = ("byWorkflow", "byStatus")
GATEWAY = "https://llm-gateway.corp.example"  # the deployment's own gateway to the providers
SMS_GATEWAY = "https://sms-gateway.corp.example/twilio"  # and to Twilio


@pytest.fixture(scope="module")
def with_sender(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    context = {
        "emailSender": SENDER,
        "alarmEmail": ALARMS_TO,
        "corsOrigins": ",".join(ORIGINS),
        "allowNetworks": ",".join(NETWORKS),
        "anthropicUrl": f"{GATEWAY}/anthropic",
        "openaiUrl": f"{GATEWAY}/openai/v1",
        "twilioUrl": SMS_GATEWAY,
        "removalPolicy": "destroy",
        "keepIndexes": ",".join(KEPT),
        "forEachInlineItems": "100",
    }
    return synthesize(tmp_path_factory.mktemp("cdk.out"), context)


def senders(synthesized: Synthesized) -> dict[str, str | None]:
    """Each function's logical id -> the sender in its environment (None: none)."""
    return {
        name: function["Properties"].get("Environment", {}).get("Variables", {}).get(EMAIL_SETTING)
        for name, function in synthesized.resources("AWS::Lambda::Function").items()
    }


def email_statements(synthesized: Synthesized) -> dict[str, list[dict[str, Any]]]:
    """Each role's logical id -> its policy statements that allow an SES action."""
    found: dict[str, list[dict[str, Any]]] = {}
    for policy in synthesized.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if any(action.startswith("ses:") for action in actions):
                for role in policy["Properties"]["Roles"]:
                    found.setdefault(role["Ref"], []).append(statement)
    return found


def test_without_a_sender_no_function_may_send(synthesized: Synthesized):
    assert set(senders(synthesized).values()) == {None}
    assert email_statements(synthesized) == {}


def test_with_a_sender_each_function_that_runs_nodes_may_send_from_it_alone(
    with_sender: Synthesized,
):
    sending = {name for name, sender in senders(with_sender).items() if sender == SENDER}
    assert len(sending) == sum(access.runs_nodes for access in ACCESS.values())
    statements = email_statements(with_sender)
    assert len(statements) == len(sending)  # one role per function
    for (statement,) in statements.values():
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == ["ses:SendEmail", "ses:SendRawEmail"]
        assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": SENDER}}
        identities = [_tail(resource) for resource in statement["Resource"]]
        assert identities == [f"identity/{SENDER}", "identity/mail.example.com"]


def _tail(resource: Any) -> str:
    """The resource part of an ARN CDK wrote as Fn::Join of its parts."""
    if isinstance(resource, str):
        return resource.split(":", 5)[5]
    parts = resource["Fn::Join"][1]
    return str(parts[-1]).split(":")[-1].lstrip(":")


def test_an_invalid_sender_is_refused(tmp_path: Path):
    from cdk.errors import InvalidConfig

    with pytest.raises(InvalidConfig, match="emailSender"):
        synthesize(tmp_path, {"emailSender": "not an address"})


def test_the_alarm_address_from_the_config_is_subscribed_to_the_alarm_topic(
    with_sender: Synthesized,
):
    (topic,) = with_sender.resources("AWS::SNS::Topic")
    (subscription,) = with_sender.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == ALARMS_TO
    assert subscription["Properties"]["TopicArn"] == {"Ref": topic}


def test_pages_of_the_configured_origins_may_call_the_http_api_and_of_none_by_default(
    with_sender: Synthesized, synthesized: Synthesized
):
    def cors(stack: Synthesized) -> dict[str, Any] | None:
        (api,) = [
            r["Properties"]
            for r in stack.resources("AWS::ApiGatewayV2::Api").values()
            if r["Properties"]["ProtocolType"] == "HTTP"
        ]
        found: dict[str, Any] | None = api.get("CorsConfiguration")
        return found

    assert cors(synthesized) is None
    assert cors(with_sender) == {
        "AllowOrigins": list(ORIGINS),
        "AllowMethods": ["GET", "POST", "PUT", "DELETE"],
        "AllowHeaders": ["Authorization", "Content-Type", "Idempotency-Key"],
        "MaxAge": 600,
    }


def test_the_functions_that_run_nodes_reach_the_configured_networks_and_by_default_none(
    with_sender: Synthesized, synthesized: Synthesized
):
    def allowed(stack: Synthesized) -> dict[str, str | None]:
        return {
            r["Properties"]["Handler"]: r["Properties"]["Environment"]["Variables"].get(
                NETWORK_SETTING
            )
            for r in stack.resources("AWS::Lambda::Function").values()
            if r["Properties"].get("Handler", "").startswith("lambdas.handlers.")
        }

    assert set(allowed(synthesized).values()) == {None}  # public addresses only
    configured = allowed(with_sender)
    running = {
        f"lambdas.handlers.{name}.handler" for name, access in ACCESS.items() if access.runs_nodes
    }
    assert {h for h, value in configured.items() if value == ",".join(NETWORKS)} == running
    assert {h for h, value in configured.items() if value is None} == set(configured) - running


def test_the_functions_that_run_nodes_call_the_configured_third_party_apis(
    with_sender: Synthesized, synthesized: Synthesized
):
    settings = (ANTHROPIC_URL_SETTING, OPENAI_URL_SETTING, TWILIO_URL_SETTING)

    def urls(stack: Synthesized) -> dict[str, tuple[str | None, ...]]:
        return {
            r["Properties"]["Handler"]: tuple(
                r["Properties"]["Environment"]["Variables"].get(setting) for setting in settings
            )
            for r in stack.resources("AWS::Lambda::Function").values()
            if r["Properties"].get("Handler", "").startswith("lambdas.handlers.")
        }

    public = (None, None, None)  # the services' public APIs, the settings' defaults
    assert set(urls(synthesized).values()) == {public}
    configured = urls(with_sender)
    running = {
        f"lambdas.handlers.{name}.handler" for name, access in ACCESS.items() if access.runs_nodes
    }
    gateways = (f"{GATEWAY}/anthropic", f"{GATEWAY}/openai/v1", SMS_GATEWAY)
    assert {h for h, value in configured.items() if value == gateways} == running
    assert {h for h, value in configured.items() if value == public} == set(configured) - running


def test_a_throwaway_stage_empties_its_bucket_when_destroyed_and_a_kept_one_keeps_it(
    with_sender: Synthesized, synthesized: Synthesized
):
    def emptied(stack: Synthesized) -> set[str]:
        (bucket,) = stack.resources("AWS::S3::Bucket")
        return {
            name
            for name, resource in stack.template()["Resources"].items()
            if resource["Type"] == "Custom::S3AutoDeleteObjects"
            and resource["Properties"]["BucketName"] == {"Ref": bucket}
        }

    assert len(emptied(with_sender)) == 1
    assert emptied(synthesized) == set()
    for stack, policy in ((with_sender, "Delete"), (synthesized, "Retain")):
        for kind in ("AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::KMS::Key"):
            for resource in stack.resources(kind).values():
                assert resource["DeletionPolicy"] == policy, kind


def executions_indexes(stack: Synthesized) -> dict[str, dict[str, Any]]:
    """The executions table's indexes: name -> (keys, projection)."""
    (table,) = [
        resource["Properties"]
        for name, resource in stack.resources("AWS::DynamoDB::Table").items()
        if name.startswith("StorageExecutions")
    ]
    return {
        index["IndexName"]: {
            "keys": [key["AttributeName"] for key in index["KeySchema"]],
            "projection": index["Projection"],
        }
        for index in table["GlobalSecondaryIndexes"]
    }


def listing_indexes(stack: Synthesized) -> dict[str, str | None]:
    """Each function that reads the executions table -> the listing index its environment
    names (None: the default)."""
    return {
        resource["Properties"]["Handler"]: variables.get(LISTING_INDEX_SETTING)
        for resource in stack.resources("AWS::Lambda::Function").values()
        if "EXECUTIONS_TABLE"
        in (variables := resource["Properties"].get("Environment", {}).get("Variables", {}))
    }


def test_the_executions_table_has_one_index_projecting_the_summary_by_default(
    synthesized: Synthesized,
):
    assert executions_indexes(synthesized) == {
        "byWorkflowSummary": {
            "keys": ["orgWorkflow", "createdAt"],
            "projection": {
                "ProjectionType": "INCLUDE",
                "NonKeyAttributes": list(EXECUTION_SUMMARY),
            },
        }
    }
    assert "lambdas.handlers.http_api.handler" in listing_indexes(synthesized)
    assert set(listing_indexes(synthesized).values()) == {None}


def test_an_upgrading_stack_keeps_the_retired_indexes_and_lists_through_byworkflow(
    with_sender: Synthesized,
):
    indexes = executions_indexes(with_sender)
    assert set(indexes) == {"byWorkflowSummary", *KEPT}
    for name in KEPT:
        index = RETIRED[name]
        assert indexes[name] == {
            "keys": [index.partition.name, index.sort.name if index.sort else None],
            "projection": {"ProjectionType": "ALL"},
        }
    listing = listing_indexes(with_sender)
    assert listing["lambdas.handlers.http_api.handler"] == BY_WORKFLOW
    assert set(listing.values()) == {BY_WORKFLOW}


def test_an_index_that_was_never_retired_is_not_kept(tmp_path: Path):
    from cdk.errors import InvalidConfig

    with pytest.raises(InvalidConfig, match="byOrganization") as refused:
        synthesize(tmp_path, {"keepIndexes": "byWorkflow,byOrganization"})
    assert refused.value.key == "keepIndexes"
    assert "byWorkflow, byStatus" in str(refused.value)


def test_run_node_runs_the_configured_items_inline_and_by_default_500(
    with_sender: Synthesized, synthesized: Synthesized
):
    def inline_items(stack: Synthesized) -> dict[str, str]:
        return {
            r["Properties"]["Handler"]: r["Properties"]["Environment"]["Variables"][
                "STEPTHUNK_FOR_EACH_INLINE_ITEMS"
            ]
            for r in stack.resources("AWS::Lambda::Function").values()
            if "STEPTHUNK_FOR_EACH_INLINE_ITEMS"
            in r["Properties"].get("Environment", {}).get("Variables", {})
        }

    assert inline_items(synthesized) == {"lambdas.handlers.run_node.handler": "500"}
    assert inline_items(with_sender) == {"lambdas.handlers.run_node.handler": "100"}


def test_more_inline_items_than_a_map_state_holds_are_refused(tmp_path: Path):
    from cdk.errors import InvalidConfig

    with pytest.raises(InvalidConfig, match="forEachInlineItems"):
        synthesize(tmp_path, {"forEachInlineItems": "501"})
