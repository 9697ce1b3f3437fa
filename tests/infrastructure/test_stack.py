"""What the stack holds: storage, one state machine per workflow file, the APIs, outputs, alarms."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

from cdk.config import Config
from cdk.names import pascal
from lambdas.adapters.schema import TABLES
from local.keys import API_KEYS_OUTPUT, ORGANIZATIONS_OUTPUT
from tests.infrastructure.conftest import ROOT, Synthesized

WORKFLOW_FILES = sorted((ROOT / "workflows").glob("*.json"))


def test_the_stack_has_seven_tables_ten_functions_and_two_apis(template: Template):
    template.resource_count_is("AWS::DynamoDB::Table", 7)
    template.resource_count_is("AWS::Lambda::Function", 10)
    template.resource_count_is("AWS::ApiGatewayV2::Api", 2)
    template.resource_count_is("AWS::S3::Bucket", 1)
    template.resource_count_is("AWS::KMS::Key", 1)


def test_every_workflow_file_becomes_one_state_machine(
    template: Template, synthesized: Synthesized
):
    assert WORKFLOW_FILES, "the repository ships example workflows"
    template.resource_count_is("AWS::StepFunctions::StateMachine", len(WORKFLOW_FILES))
    outputs = synthesized.template()["Outputs"]
    for path in WORKFLOW_FILES:
        assert f"{pascal(path.stem)}StateMachineName" in outputs


def test_state_machines_are_traced_and_log_every_event_without_execution_data(
    template: Template,
):
    template.all_resources_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like(
                {"Level": "ALL", "IncludeExecutionData": False}
            ),
        },
    )


def test_each_table_has_its_schema_keys_expiry_and_is_billed_per_request_encrypted_recoverable(
    synthesized: Synthesized,
):
    tables = list(synthesized.resources("AWS::DynamoDB::Table").values())
    schemas = []
    for table in tables:
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["SSESpecification"]["SSEEnabled"] is True
        recovery = properties["PointInTimeRecoverySpecification"]
        assert recovery["PointInTimeRecoveryEnabled"] is True
        keys = {key["KeyType"]: key["AttributeName"] for key in properties["KeySchema"]}
        indexes = sorted(
            index["IndexName"] for index in properties.get("GlobalSecondaryIndexes", [])
        )
        expiry = properties.get("TimeToLiveSpecification", {})
        expires = expiry["AttributeName"] if expiry.get("Enabled") else None
        schemas.append((keys["HASH"], keys.get("RANGE"), indexes, expires))
    expected = [
        (
            spec.partition.name,
            spec.sort.name if spec.sort else None,
            sorted(i.name for i in spec.indexes),
            spec.expiry,
        )
        for spec in TABLES.values()
    ]
    assert sorted(schemas, key=str) == sorted(expected, key=str)


def test_the_bucket_blocks_public_access_refuses_plain_http_and_keeps_versions(
    template: Template,
):
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": Match.any_value(),
            "VersioningConfiguration": {"Status": "Enabled"},
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_the_key_rotates(template: Template):
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_outputs_give_both_urls_and_every_table_name_including_the_api_keys_table(
    synthesized: Synthesized,
):
    outputs = synthesized.template()["Outputs"]
    assert {"HttpApiUrl", "WebSocketUrl"} <= set(outputs)
    assert {f"{pascal(name)}TableName" for name in TABLES} <= set(outputs)
    tables = synthesized.resources("AWS::DynamoDB::Table")
    # what `stepthunk keys create --stack` and `stepthunk credits set --stack` read
    for output in (API_KEYS_OUTPUT, ORGANIZATIONS_OUTPUT):
        assert outputs[output]["Value"]["Ref"] in tables


def test_the_http_api_sends_everything_to_its_function_through_a_throttled_logged_stage(
    template: Template,
):
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Route", {"RouteKey": "$default", "ApiId": Match.any_value()}
    )
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "DefaultRouteSettings": Match.object_like(
                {
                    "ThrottlingRateLimit": Match.any_value(),
                    "ThrottlingBurstLimit": Match.any_value(),
                }
            ),
            "AccessLogSettings": Match.object_like({"DestinationArn": Match.any_value()}),
        },
    )


def test_the_websocket_api_has_connect_disconnect_and_default_routes_and_a_throttled_stage(
    synthesized: Synthesized,
):
    (api,) = [
        name
        for name, api in synthesized.resources("AWS::ApiGatewayV2::Api").items()
        if api["Properties"]["ProtocolType"] == "WEBSOCKET"
    ]
    routes = sorted(
        route["Properties"]["RouteKey"]
        for route in synthesized.resources("AWS::ApiGatewayV2::Route").values()
        if route["Properties"]["ApiId"] == {"Ref": api}
    )
    assert routes == ["$connect", "$default", "$disconnect"]
    (stage,) = [
        stage["Properties"]
        for stage in synthesized.resources("AWS::ApiGatewayV2::Stage").values()
        if stage["Properties"]["ApiId"] == {"Ref": api}
    ]
    assert stage["StageName"] == Config().stage
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


def test_every_state_machine_and_every_function_has_an_alarm_and_there_is_a_dashboard(
    synthesized: Synthesized,
):
    alarms = synthesized.resources("AWS::CloudWatch::Alarm").values()
    watched = {
        (
            alarm["Properties"]["Namespace"],
            alarm["Properties"]["MetricName"],
            dimension["Value"]["Ref"],
        )
        for alarm in alarms
        for dimension in alarm["Properties"]["Dimensions"]
    }
    machines = synthesized.resources("AWS::StepFunctions::StateMachine")
    functions = synthesized.resources("AWS::Lambda::Function")
    assert watched == {("AWS/States", "ExecutionsFailed", name) for name in machines} | {
        ("AWS/Lambda", "Errors", name) for name in functions
    }
    assert len(synthesized.resources("AWS::CloudWatch::Dashboard")) == 1
