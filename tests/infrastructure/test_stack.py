"""What the stack holds: storage, one state machine per workflow file, the APIs, outputs, alarms."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match, Template

from cdk.config import Config
from cdk.names import pascal
from lambdas.adapters.schema import TABLES
from local.keys import API_KEYS_OUTPUT, ORGANIZATIONS_OUTPUT, RUNTIME_ROLE_OUTPUT
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


def test_state_machines_are_traced_and_log_errors_without_execution_data(
    template: Template,
):
    template.all_resources_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like(
                {"Level": "ERROR", "IncludeExecutionData": False}
            ),
        },
    )


def test_machines_the_api_deploys_log_to_the_same_group_at_the_same_level_and_are_traced(
    synthesized: Synthesized,
):
    resources = synthesized.template()["Resources"]
    machines = synthesized.resources("AWS::StepFunctions::StateMachine").values()
    (group,) = {
        destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        for machine in machines
        for destination in machine["Properties"]["LoggingConfiguration"]["Destinations"]
    }
    (api,) = [
        r["Properties"]["Environment"]["Variables"]
        for r in synthesized.resources("AWS::Lambda::Function").values()
        if r["Properties"]["Handler"].endswith("http_api.handler")
    ]
    assert api["STATE_MACHINE_LOG_GROUP_ARN"] == {"Fn::GetAtt": [group, "Arn"]}
    assert resources[group]["Type"] == "AWS::Logs::LogGroup"
    assert (api["STATE_MACHINE_LOG_LEVEL"], api["STATE_MACHINE_LOG_EXECUTION_DATA"]) == (
        "ERROR",
        "false",
    )
    assert api["STATE_MACHINE_TRACING"] == "true"


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
    # what `stepthunk machines delete --stack` reads: the role API-deployed machines run as
    (role,) = [r for r in synthesized.resources("AWS::IAM::Role") if r.startswith("Runtime")]
    assert outputs[RUNTIME_ROLE_OUTPUT]["Value"] == {"Fn::GetAtt": [role, "Arn"]}


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


def test_a_form_s_routes_are_their_own_throttled_tighter_and_the_log_keeps_paths_not_tokens(
    synthesized: Synthesized,
):
    (api,) = [
        name
        for name, api in synthesized.resources("AWS::ApiGatewayV2::Api").items()
        if api["Properties"]["ProtocolType"] == "HTTP"
    ]
    routes = sorted(
        route["Properties"]["RouteKey"]
        for route in synthesized.resources("AWS::ApiGatewayV2::Route").values()
        if route["Properties"]["ApiId"] == {"Ref": api}
    )
    assert routes == ["$default", "GET /forms", "POST /forms"]
    (stage,) = [
        stage["Properties"]
        for stage in synthesized.resources("AWS::ApiGatewayV2::Stage").values()
        if stage["Properties"]["ApiId"] == {"Ref": api}
    ]
    default = stage["DefaultRouteSettings"]
    for route in ("GET /forms", "POST /forms"):
        limits = stage["RouteSettings"][route]
        assert 0 < limits["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
        assert 0 < limits["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]
    # every request's path is logged: a form's token is in the query string, which
    # `$context.path` leaves out (no field of the log holds the query string)
    access_log = json.loads(stage["AccessLogSettings"]["Format"])
    assert access_log["path"] == "$context.path"
    assert access_log["routeKey"] == "$context.routeKey"
    assert access_log["method"] == "$context.httpMethod"
    assert not [value for value in access_log.values() if "query" in value.lower()]
    assert not [value for value in access_log.values() if "$context.request.path" in value]


def test_create_form_nodes_are_given_the_http_api_s_url(synthesized: Synthesized):
    (run_node,) = [
        function["Properties"]
        for name, function in synthesized.resources("AWS::Lambda::Function").items()
        if name.startswith("FunctionsRunNode")
    ]
    url = run_node["Environment"]["Variables"]["STEPTHUNK_FORMS_URL"]
    assert "execute-api" in str(url)


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


def watched(alarm: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(namespace, metric, resource) of each metric an alarm watches; the resource of a
    Metrics Insights query over every state machine is "*"."""
    properties = alarm["Properties"]
    metrics = [{"MetricStat": {"Metric": properties}}] if "MetricName" in properties else []
    metrics += properties.get("Metrics", [])
    found = set()
    for metric in metrics:
        expression = metric.get("Expression", "")
        if isinstance(expression, dict):  # a query naming a resource: Fn::Join with its Ref
            parts = expression["Fn::Join"][1]
            (resource,) = [part["Ref"] for part in parts if isinstance(part, dict)]
            text = "".join(part for part in parts if isinstance(part, str))
        else:
            resource, text = "*", expression
        if text.startswith("SELECT"):
            name = text.split("(")[1].split(")")[0]
            namespace = text.split('SCHEMA("')[1].split('"')[0]
            found.add((namespace, name, resource))
        elif "MetricStat" in metric:
            stat = metric["MetricStat"]["Metric"]
            for dimension in stat.get("Dimensions", []):
                if dimension["Name"] in ("FunctionName", "TableName", "ApiId"):
                    found.add((stat["Namespace"], stat["MetricName"], dimension["Value"]["Ref"]))
    return found


def test_alarms_watch_every_machine_function_table_and_api_and_notify_the_output_topic(
    synthesized: Synthesized,
):
    template = synthesized.template()
    alarms = synthesized.resources("AWS::CloudWatch::Alarm").values()
    seen = set().union(*(watched(alarm) for alarm in alarms))
    functions = synthesized.resources("AWS::Lambda::Function")
    tables = synthesized.resources("AWS::DynamoDB::Table")
    (http_api,) = [
        k
        for k, r in synthesized.resources("AWS::ApiGatewayV2::Api").items()
        if r["Properties"]["ProtocolType"] == "HTTP"
    ]
    (websocket_api,) = [
        k
        for k, r in synthesized.resources("AWS::ApiGatewayV2::Api").items()
        if r["Properties"]["ProtocolType"] == "WEBSOCKET"
    ]
    expected = {
        ("AWS/States", name, "*")
        for name in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled")
    }
    expected |= {("AWS/Lambda", m, f) for f in functions for m in ("Errors", "Throttles")}
    expected |= {("AWS/DynamoDB", "ThrottledRequests", table) for table in tables}
    expected |= {("AWS/ApiGateway", "5xx", http_api)}
    expected |= {("AWS/ApiGateway", "IntegrationError", websocket_api)}
    assert seen == expected
    (topic,) = synthesized.resources("AWS::SNS::Topic")
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}]
    assert template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": topic}
    assert not synthesized.resources("AWS::SNS::Subscription")
    assert len(synthesized.resources("AWS::CloudWatch::Dashboard")) == 1
