"""Monitoring: alarms on failed executions and on function errors, and one dashboard."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.names import pascal

PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    """An alarm per state machine (any failed execution) and per function (any error)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Function],
        machines: Mapping[str, sfn.StateMachine],
    ) -> None:
        super().__init__(scope, construct_id)
        failed = {name: machine.metric_failed(period=PERIOD) for name, machine in machines.items()}
        errors = {
            name: function.metric_errors(period=PERIOD) for name, function in functions.items()
        }
        for name, metric in failed.items():
            _alarm(self, f"{pascal(name)}Failed", metric, f"Executions of {name} failed")
        for name, metric in errors.items():
            _alarm(self, f"{pascal(name)}Errors", metric, f"The {name} function raised errors")
        dashboard = cloudwatch.Dashboard(self, "Dashboard")
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Executions started and failed",
                left=[machine.metric_started(period=PERIOD) for machine in machines.values()],
                right=list(failed.values()),
                width=12,
            ),
            cloudwatch.GraphWidget(title="Function errors", left=list(errors.values()), width=12),
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


def _alarm(scope: Construct, construct_id: str, metric: cloudwatch.Metric, text: str) -> None:
    cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_description=text,
        metric=metric,
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
