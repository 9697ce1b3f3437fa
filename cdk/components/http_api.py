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
from lambdas.handlers.settings import FORMS_URL_SETTING
from lambdas.runtime.forms import FORM_BURST_LIMIT, FORM_RATE_LIMIT, FORMS_PATH
from lambdas.runtime.origins import ALLOWED_HEADERS, ALLOWED_METHODS, PREFLIGHT_MAX_AGE

# Requests per second over the stage (steady, burst); past them clients get 429.
THROTTLE = apigwv2.ThrottleSettings(rate_limit=100, burst_limit=200)
# A form's routes, which take no API key (the token in the query string is the credential):
# routes of their own, so that the stage throttles each apart, tighter than the rest.
FORM_ROUTE_PATH = f"/{FORMS_PATH}"
FORM_METHODS = (apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST)
# HTTP API context variables ($context.identity.caller and friends exist only in REST APIs).
# `$context.path` has no query string, where a form's token (a credential no log may keep)
# is: the path of every request is logged, never a token.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "method": "$context.httpMethod",
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
    """The API, its $default route to `handler` (and a form's two routes, throttled
    tighter), and its throttled, logged $default stage."""

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
            "(Authorization: Bearer) and answers 401 without one; only /openapi.json and a "
            "form's page and answer (GET and POST /forms?token=..., the token their "
            "credential, throttled per route) are public, by design.",
        )
        form_routes = self.api.add_routes(
            path=FORM_ROUTE_PATH,
            methods=list(FORM_METHODS),
            integration=integrations.HttpLambdaIntegration("FormsHandler", handler),
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
        stage = self.stage.node.default_child
        assert isinstance(stage, apigwv2.CfnStage)
        stage.route_settings = {
            f"{method.value} {FORM_ROUTE_PATH}": {
                "ThrottlingRateLimit": FORM_RATE_LIMIT,
                "ThrottlingBurstLimit": FORM_BURST_LIMIT,
            }
            for method in FORM_METHODS
        }
        for route in form_routes:  # a route's settings need the route
            self.stage.node.add_dependency(route)
        self.url = self.stage.url

    def serve_forms(self, function: lambda_.Function) -> None:
        """Give `function`'s create-form nodes this API's URL, where forms are answered."""
        function.add_environment(FORMS_URL_SETTING, self.url)


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
