"""The WebSocket API: clients follow executions live; functions post updates to them."""

from __future__ import annotations

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk import nag
from cdk.config import Config

ROUTES = ("$connect", "$disconnect", "$default")
# Requests per second over the stage (steady, burst); past them clients get 429.
THROTTLE = apigwv2.ThrottleSettings(rate_limit=100, burst_limit=200)


class WebSocket(Construct):
    """The API and its stage; `route_to` adds the routes once their handler exists."""

    def __init__(self, scope: Construct, construct_id: str, *, config: Config) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.WebSocketApi(self, "Api", description="stepthunk live execution updates")
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=config.stage,
            auto_deploy=True,
            throttle=THROTTLE,
        )
        nag.acknowledge(
            self.stage,
            "APIG1",
            "WebSocket access logs need the account-wide API Gateway CloudWatch role "
            "(AWS::ApiGateway::Account, one per account and region), which one application's "
            "stack must not own; the WebSocket function writes the access log instead, a line "
            "per connect, message and disconnect with its route, connection, source IP and "
            "status.",
        )
        self.url = self.stage.url
        # Where functions post to connections (the management API of this stage).
        self.callback_url = self.stage.callback_url

    def route_to(self, handler: lambda_.IFunction) -> None:
        """Send $connect, $disconnect and every message to `handler`."""
        integration = integrations.WebSocketLambdaIntegration("Handler", handler)
        for route in ROUTES:
            self.api.add_route(route, integration=integration)
        nag.acknowledge(
            self.api,
            "APIG4",
            "The handler authorizes $connect itself (the organization's API key, as a bearer "
            "header or the apiKey query parameter that browsers need), so the other routes "
            "only ever see accepted connections.",
        )

    def allow_updates(self, function: lambda_.Function) -> None:
        """Let `function` post to connected clients (WEBSOCKET_ENDPOINT)."""
        function.add_environment("WEBSOCKET_ENDPOINT", self.callback_url)
        self.api.grant_manage_connections(function)
        nag.acknowledge_wildcard(
            function,
            f"arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
            f"{nag.ref_of(self.api)}/*/*/@connections/*",
            "Posting to connections of this stack's own WebSocket API; connection ids are "
            "only known at run time.",
        )
