"""The HTTP API: every request goes to the API function (its router has the routes)."""

from __future__ import annotations

import json

import jsii
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk import nag
from cdk.config import Config
from lambdas.runtime.origins import ALLOWED_HEADERS, ALLOWED_METHODS, PREFLIGHT_MAX_AGE

# Requests per second over the stage (steady, burst); past them clients get 429.
THROTTLE = apigwv2.ThrottleSettings(rate_limit=100, burst_limit=200)
# HTTP API context variables ($context.identity.caller and friends exist only in REST APIs).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latency": "$context.responseLatency",
    "integrationError": "$context.integrationErrorMessage",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))


class HttpApi(Construct):
    """The API, its $default route to `handler`, and its throttled, logged $default stage."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: Config, handler: lambda_.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            description="stepthunk API: workflows, executions, secrets",
            create_default_stage=False,
            default_integration=integrations.HttpLambdaIntegration("Handler", handler),
            cors_preflight=_cors(config.cors_origins),
        )
        nag.acknowledge(
            self.api,
            "APIG4",
            "The API function authenticates every request with the organization's API key "
            "(Authorization: Bearer) and answers 401 without one; only /openapi.json is "
            "public, by design.",
        )
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.log_retention, removal_policy=config.removal
        )
        self.stage = apigwv2.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=THROTTLE,
            access_log_settings=_AccessLogs(access_logs),
        )
        self.url = self.stage.url


def _cors(origins: tuple[str, ...]) -> apigwv2.CorsPreflightOptions | None:
    """What browser pages of `origins` may do (API Gateway answers their preflights)."""
    if not origins:
        return None
    return apigwv2.CorsPreflightOptions(
        allow_origins=list(origins),
        allow_methods=[apigwv2.CorsHttpMethod(method) for method in ALLOWED_METHODS],
        allow_headers=list(ALLOWED_HEADERS),
        max_age=Duration.seconds(PREFLIGHT_MAX_AGE),
    )
