"""Monitoring: alarms on what a user or an operator would notice, sent to one topic; a dashboard.

Step Functions publishes its metrics per state machine, and the machines the API deploys are
created at run time, after the alarms: the execution alarms are Metrics Insights queries over
every state machine of the account and region (CloudWatch alarms take no name pattern), so
they count stepthunk's alone when it has the account to itself, as AWS advises per workload.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.config import Config
from cdk.names import pascal

PERIOD = Duration.minutes(5)
# Step Functions' execution metrics alarmed on, across every machine, and what each says.
EXECUTION_ALARMS = {
    "ExecutionsFailed": "Executions failed",
    "ExecutionsTimedOut": "Executions timed out",
    "ExecutionThrottled": "Executions were throttled",
}


class Monitoring(Construct):
    """Alarms on executions of every state machine (failed, timed out, throttled), on each
    function's errors and throttles, each table's throttled requests and the APIs' server
    errors, all sent to `topic`; and a dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        functions: Mapping[str, lambda_.Function],
        machines: Mapping[str, sfn.StateMachine],
        tables: Mapping[str, dynamodb.Table],
        http_api: apigwv2.HttpApi,
        websocket_api: apigwv2.WebSocketApi,
    ) -> None:
        super().__init__(scope, construct_id)
        # Not encrypted: it carries alarm notices (name, metric, threshold), no user data, and
        # CloudWatch cannot publish to a topic under the AWS-managed SNS key.
        self.topic = sns.Topic(
            self, "Alarms", display_name=f"stepthunk ({config.stage}) alarms", enforce_ssl=True
        )
        if config.alarm_email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        alarm = _Alarms(self, actions.SnsAction(self.topic))
        for name, text in EXECUTION_ALARMS.items():
            query = f'SELECT SUM({name}) FROM SCHEMA("AWS/States", StateMachineArn)'
            every_machine = cloudwatch.MathExpression(
                expression=query, using_metrics={}, period=PERIOD, label=text
            )
            alarm(name, every_machine, f"{text} (any state machine of the account and region)")
        for name, function in functions.items():
            alarm(
                f"{pascal(name)}Errors",
                function.metric_errors(period=PERIOD),
                f"The {name} function raised errors",
            )
            alarm(
                f"{pascal(name)}Throttles",
                function.metric_throttles(period=PERIOD),
                f"Invocations of the {name} function were throttled",
            )
        for name, table in tables.items():
            # One query over every operation: a sum of per-operation metrics has no value
            # while any operation has none, and so would never alarm.
            query = (
                'SELECT SUM(ThrottledRequests) FROM SCHEMA("AWS/DynamoDB", TableName, Operation) '
                f"WHERE TableName = '{table.table_name}'"
            )
            throttled = cloudwatch.MathExpression(
                expression=query, using_metrics={}, period=PERIOD, label=f"{name} throttled"
            )
            alarm(
                f"{pascal(name)}TableThrottles",
                throttled,
                f"Requests to the {name} table were throttled",
            )
        alarm(
            "HttpApiServerErrors",
            http_api.metric_server_error(period=PERIOD),
            "The HTTP API answered 5xx",
        )
        alarm(
            "WebSocketIntegrationErrors",
            cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name="IntegrationError",
                dimensions_map={"ApiId": websocket_api.api_id},
                period=PERIOD,
                statistic="Sum",
            ),
            "The WebSocket function failed to answer a request",
        )
        _dashboard(self, functions, machines)


class _Alarms:
    """Makes alarms that fire at the first occurrence in a period and notify `action`."""

    def __init__(self, scope: Construct, action: cloudwatch.IAlarmAction) -> None:
        self.scope = scope
        self.action = action

    def __call__(self, construct_id: str, metric: cloudwatch.IMetric, text: str) -> None:
        alarm = cloudwatch.Alarm(
            self.scope,
            construct_id,
            alarm_description=text,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self.action)


def _dashboard(
    scope: Construct,
    functions: Mapping[str, lambda_.Function],
    machines: Mapping[str, sfn.StateMachine],
) -> None:
    dashboard = cloudwatch.Dashboard(scope, "Dashboard")
    dashboard.add_widgets(
        cloudwatch.GraphWidget(
            title="Executions started and failed",
            left=[machine.metric_started(period=PERIOD) for machine in machines.values()],
            right=[machine.metric_failed(period=PERIOD) for machine in machines.values()],
            width=12,
        ),
        cloudwatch.GraphWidget(
            title="Function errors",
            left=[function.metric_errors(period=PERIOD) for function in functions.values()],
            width=12,
        ),
    )
    dashboard.add_widgets(
        cloudwatch.GraphWidget(
            title="Function duration (p99)",
            left=[
                function.metric_duration(period=PERIOD, statistic="p99")
                for function in functions.values()
            ],
            width=12,
        ),
        cloudwatch.GraphWidget(
            title="Function throttles",
            left=[function.metric_throttles(period=PERIOD) for function in functions.values()],
            width=12,
        ),
    )
