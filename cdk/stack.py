"""The stepthunk stack: it composes the parts and names the outputs, nothing more."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk.components.deployment import RuntimeDeployment
from cdk.components.functions import Functions
from cdk.components.http_api import HttpApi
from cdk.components.monitoring import Monitoring
from cdk.components.state_machines import WorkflowStateMachines
from cdk.components.storage import Storage
from cdk.components.websocket import WebSocket
from cdk.config import Config
from cdk.names import pascal


class StepthunkStack(Stack):
    """Storage, functions, one state machine per workflow file, both APIs, monitoring."""

    def __init__(self, scope: Construct, *, config: Config) -> None:
        super().__init__(
            scope,
            config.stack_name,
            description=f"stepthunk ({config.stage}): node-graph workflows on Step Functions",
        )
        storage = Storage(self, "Storage", config=config)
        websocket = WebSocket(self, "WebSocket", config=config)
        functions = Functions(
            self, "Functions", config=config, storage=storage, live_updates=websocket
        )
        workflows = WorkflowStateMachines(
            self, "Workflows", config=config, tasks=functions.tasks, bucket=storage.bucket
        )
        runtime = RuntimeDeployment(
            self,
            "RuntimeDeployment",
            config=config,
            tasks=functions.tasks,
            log_group=workflows.log_group,
            bucket=storage.bucket,
        )
        runtime.allow(functions.http_api)
        workflows.allow_ending_waits(functions.http_api)
        websocket.route_to(functions.websocket)
        http = HttpApi(self, "HttpApi", config=config, handler=functions.http_api)
        http.serve_forms(functions.tasks["run_node"])  # a create-form node runs there
        monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            functions=functions.all,
            machines=workflows.machines,
            tables=storage.tables,
            http_api=http.api,
            websocket_api=websocket.api,
        )

        CfnOutput(self, "HttpApiUrl", value=http.url, description="Base URL of the HTTP API")
        CfnOutput(self, "WebSocketUrl", value=websocket.url, description="WebSocket URL")
        CfnOutput(
            self,
            "AlarmTopicArn",
            value=monitoring.topic.topic_arn,
            description="SNS topic every alarm notifies: subscribe to it to be told",
        )
        CfnOutput(
            self,
            "RuntimeStateMachineRoleArn",  # `stepthunk machines delete --stack` reads it
            value=runtime.role.role_arn,
            description="Role of the state machines the API deploys: `stepthunk machines "
            "delete` removes them before `cdk destroy`",
        )
        for name, table in storage.tables.items():
            # `stepthunk keys create --stack` reads ApiKeysTableName.
            CfnOutput(self, f"{pascal(name)}TableName", value=table.table_name)
        for name, machine in workflows.machines.items():
            CfnOutput(
                self,
                f"{pascal(name)}StateMachineName",
                value=machine.state_machine_name,
                description=f"State machine of workflows/{name}.json",
            )
