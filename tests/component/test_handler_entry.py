"""The Lambda entry points as AWS calls them: settings from the environment, Powertools on."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import pytest
from pydantic import ValidationError

from lambdas.adapters.executions import DynamoExecutionStore
from lambdas.handlers import initialize
from lambdas.handlers.tasks import TASKS
from lambdas.handlers.wiring import Clients
from tests.component.conftest import REGION, WEBSOCKET_ENDPOINT, Aws

HANDLERS = list(TASKS.values())


@dataclass
class Context:
    """What Powertools reads of a Lambda context."""

    function_name: str = "stepthunk-persist"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:stepthunk-persist"
    aws_request_id: str = "request-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def environment(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Aws:
    """The environment CDK gives the functions, pointing at this test's resources."""
    variables = {f"{name.upper()}_TABLE": table for name, table in aws.tables.items()}
    variables |= {
        "BLOB_BUCKET": aws.bucket,
        "KMS_KEY_ID": "alias/stepthunk",  # no call here encrypts
        "WEBSOCKET_ENDPOINT": WEBSOCKET_ENDPOINT,
        "STEPTHUNK_ENV": "production",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "Stepthunk",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return aws


@pytest.mark.parametrize("module", HANDLERS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_every_handler_builds_its_dependencies_from_the_environment(
    module: ModuleType, environment: Aws
) -> None:
    deps = module.deps_from(module.Settings(), Clients())
    assert deps is not None


@pytest.mark.parametrize("module", HANDLERS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_a_missing_variable_fails_the_cold_start_naming_it(
    module: ModuleType, environment: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    required = [name for name, field in module.Settings.model_fields.items() if field.is_required()]
    assert required, f"{module.__name__} reads no resource at all"
    monkeypatch.delenv(required[0].upper())
    with pytest.raises(ValidationError, match=required[0]):
        module.Settings()


def test_the_lambda_entry_point_persists_the_start_of_an_execution(environment: Aws) -> None:
    nodes = [{"id": "a", "type": "number-input"}, {"id": "b", "type": "number-input"}]
    event = {
        "state": {
            "execution": {
                "id": "execution-1",
                "workflowId": "w",
                "workflowName": "W",
                "organizationId": "org",
            }
        },
        "workflow": {"id": "w", "name": "W", "nodes": nodes, "edges": []},
        "nodeIds": ["a", "b"],
    }
    state = initialize.handler(event, Context())  # type: ignore[arg-type]
    assert state["startedAt"]
    store = DynamoExecutionStore(
        environment.dynamodb, environment.tables["executions"], environment.s3, environment.bucket
    )
    record = store.get("execution-1")
    assert record is not None
    assert record.status == "executing"
    assert [e.status for e in record.node_executions] == ["idle", "idle"]
