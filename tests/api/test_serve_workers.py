"""serve with its executions in worker processes (local.workers), as `stepthunk serve` runs
them on a machine of more than one core: the API's behaviour is the same as with every
execution in serve's own process.

The behaviours below are the API suite's own tests, run again here against a server whose
executions run in two workers (`WORKERS`, read by the server fixture): a start and its
record, updates over a WebSocket, cancels, retries, event and form waits, calls of other
workflows, files, e-mail, numbers, short-lived workflows. A worker makes every request of a
service but Step Functions through serve's cloud, so each of these reads what the workers
wrote. The tests left out look inside serve's process (its moto, its functions), where these
executions do not run. The rest of the module checks what only workers do.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from multiprocessing import Pipe
from typing import Any, cast

import pytest

from local import workers
from local.cloud import LocalCloud
from tests.api.test_blobs_api import test_an_uploaded_file_is_given_to_a_run_by_its_reference
from tests.api.test_cancel_wait import (
    test_a_cancel_during_a_wait_leaves_it_uncharged_and_a_retry_waits_again,
)
from tests.api.test_event_waits import (
    test_a_wait_without_an_event_times_out_to_timed_out,
    test_an_event_resumes_the_waiting_node_once_and_a_second_delivery_answers_409,
)
from tests.api.test_executions_api import (
    test_a_cancel_reads_results_kept_apart_from_the_state,
    test_a_cancelled_execution_runs_no_further_node_and_says_so,
    test_a_failed_execution_ends_its_updates_with_the_error,
    test_a_session_receives_every_update_up_to_the_final_record,
    test_listing_is_newest_first_filtered_by_status_and_paginated,
    test_start_answers_202_with_the_execution_to_read,
    test_the_same_idempotency_key_returns_the_same_execution,
)
from tests.api.test_express import test_a_short_lived_workflow_runs_on_an_express_state_machine
from tests.api.test_forms import (
    test_a_json_answer_resumes_the_node_once_and_then_the_form_is_gone,
    test_a_retry_waits_on_the_same_form_and_the_same_token_answers_it,
)
from tests.api.test_live_updates import (
    test_a_late_subscriber_gets_the_current_record_once_then_the_updates,
)
from tests.api.test_numbers import test_numbers_survive_deploy_start_record_and_live_update
from tests.api.test_retry import (
    test_a_retry_reuses_what_completed_and_runs_what_failed_and_what_depends_on_it,
    test_a_retry_runs_the_version_it_ran_after_its_state_machine_was_replaced,
)
from tests.api.test_sent_emails import test_an_organization_reads_the_mail_its_executions_sent
from tests.api.test_workflow_calls import (
    test_a_child_is_listed_readable_and_cancelled_with_its_caller,
    test_a_retry_of_the_caller_reuses_a_call_that_completed,
)
from tests.support.http_server import http_server_fixture, servers_fixture
from tests.support.serving import PATIENCE, Organization, Server
from tests.support.workflows import node, workflow

WORKERS = 2  # read by the server fixture

__all__ = [
    "http_server_fixture",
    "servers_fixture",
    "test_a_cancel_during_a_wait_leaves_it_uncharged_and_a_retry_waits_again",
    "test_a_cancel_reads_results_kept_apart_from_the_state",
    "test_a_cancelled_execution_runs_no_further_node_and_says_so",
    "test_a_child_is_listed_readable_and_cancelled_with_its_caller",
    "test_a_failed_execution_ends_its_updates_with_the_error",
    "test_a_json_answer_resumes_the_node_once_and_then_the_form_is_gone",
    "test_a_late_subscriber_gets_the_current_record_once_then_the_updates",
    "test_a_retry_of_the_caller_reuses_a_call_that_completed",
    "test_a_retry_reuses_what_completed_and_runs_what_failed_and_what_depends_on_it",
    "test_a_retry_runs_the_version_it_ran_after_its_state_machine_was_replaced",
    "test_a_retry_waits_on_the_same_form_and_the_same_token_answers_it",
    "test_a_session_receives_every_update_up_to_the_final_record",
    "test_a_short_lived_workflow_runs_on_an_express_state_machine",
    "test_a_wait_without_an_event_times_out_to_timed_out",
    "test_an_event_resumes_the_waiting_node_once_and_a_second_delivery_answers_409",
    "test_an_organization_reads_the_mail_its_executions_sent",
    "test_an_uploaded_file_is_given_to_a_run_by_its_reference",
    "test_listing_is_newest_first_filtered_by_status_and_paginated",
    "test_numbers_survive_deploy_start_record_and_live_update",
    "test_start_answers_202_with_the_execution_to_read",
    "test_the_same_idempotency_key_returns_the_same_execution",
]


def test_executions_run_in_the_workers_not_in_serve_s_process(
    server: Server, org_a: Organization
) -> None:
    deployed = org_a.deploy(workflow(node("n", "number-input", value=7), workflow_id="elsewhere"))

    records = [org_a.wait_for(org_a.start("elsewhere")) for _ in range(4)]

    assert [r["status"] for r in records] == ["completed"] * 4
    cloud = server.engine.cloud
    machine_name = deployed["stateMachineArn"].split(":")[6]
    assert cloud.executions(machine_name) == []  # serve's own Step Functions ran none
    machines = cloud.client("stepfunctions")  # serve's client: its requests reach the workers
    described = [
        machines.describe_execution(executionArn=handle_arn(server, r["id"])) for r in records
    ]
    assert {d["status"] for d in described} == {"SUCCEEDED"}


def handle_arn(server: Server, execution_id: str) -> str:
    handle = server.engine.executions.handle(execution_id)
    assert handle is not None
    assert handle.execution_arn is not None
    return handle.execution_arn


def test_a_workflow_deployed_before_the_workers_started_runs_in_them(
    cloud: LocalCloud,
) -> None:
    """A worker makes the machines serve's cloud made before it started (a --state-dir's
    workflows are deployed again as serve opens it), in order."""
    from local.embedded import EmbeddedEngine
    from statemachine.model import Workflow

    with workers.recorded_machines(cloud) as machines:
        engine = EmbeddedEngine(cloud=cloud)
        first = Workflow.model_validate(
            workflow(node("n", "number-input", value=1), workflow_id="early")
        )
        engine.deploy(first)
        second = first.model_copy(update={"nodes": [node_model(2)]})
        engine.deploy(second)  # a second version
        with workers.ExecutionWorkers(cloud, engine.deployment.settings, 1, machines):
            execution_id = str(uuid.uuid4())
            engine.start(second, None, engine.organization_id, execution_id)
            record = final_record(engine, execution_id)

    assert record.status == "completed"
    assert record.node_executions[0].outputs == {"value": 2}


def final_record(engine: Any, execution_id: str) -> Any:
    give_up = time.monotonic() + PATIENCE
    while (record := engine.executions.get(execution_id)) is None or record.status in (
        "submitted",
        "executing",
    ):
        assert time.monotonic() < give_up, record
        time.sleep(0.02)
    return record


def node_model(value: int) -> Any:
    from statemachine.model import Node

    return Node.model_validate(node("n", "number-input", value=value))


# --- a worker's clients -------------------------------------------------------------------


@pytest.fixture(name="forwarded")
def forwarded_fixture(cloud: LocalCloud) -> Iterator[None]:
    """This process plays a worker whose requests this process's cloud answers, as serve's
    answers a worker's: over a pipe, by a thread of its own."""
    ours, theirs = Pipe()

    def answer() -> None:
        while True:
            try:
                request = theirs.recv()
            except EOFError:
                return
            theirs.send(workers._answered(cloud, request))

    answering = threading.Thread(target=answer, daemon=True)
    answering.start()
    workers._TO_SERVE.put(ours)
    try:
        yield
    finally:
        workers._TO_SERVE.get()
        ours.close()
        answering.join(5)


@pytest.mark.usefixtures("forwarded")
def test_an_error_answer_is_raised_in_the_worker_as_the_service_s_own_exception() -> None:
    dynamodb = workers._forwarding_client("dynamodb")

    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException) as raised:
        dynamodb.get_item(TableName="no-such-table", Key={"id": {"S": "x"}})

    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.usefixtures("forwarded")
def test_an_invalid_request_is_refused_in_the_worker_as_botocore_refuses_it() -> None:
    dynamodb = workers._forwarding_client("dynamodb")

    with pytest.raises(Exception, match="Missing required parameter") as raised:
        dynamodb.get_item(TableName="t")  # no Key

    assert type(raised.value).__name__ == "ParamValidationError"


@pytest.mark.usefixtures("forwarded")
def test_an_object_s_body_is_read_in_the_worker_as_a_stream(cloud: LocalCloud) -> None:
    cloud.create_bucket("workers-bodies")
    cloud.client("s3").put_object(Bucket="workers-bodies", Key="k", Body=b"\x00bytes\xff")
    s3 = workers._forwarding_client("s3")

    got = s3.get_object(Bucket="workers-bodies", Key="k")

    assert got["Body"].read() == b"\x00bytes\xff"
    assert got["ContentLength"] == len(b"\x00bytes\xff")


def test_a_worker_s_client_sends_nothing_itself() -> None:
    """Were a request not answered through serve, the client would fail rather than send."""
    dynamodb = workers._forwarding_client("dynamodb")

    with pytest.raises(RuntimeError, match="sends no request"):
        dynamodb.meta.events.emit("before-send.dynamodb.GetItem", request=None)


def test_a_failure_that_is_not_an_error_answer_is_raised_in_the_worker_as_it_was() -> None:
    sent = workers._answered(_failing(KeyError("a key")), ("dynamodb", None, "GetItem", {}))
    unsendable = workers._answered(
        _failing(ValueError(threading.Lock())), ("dynamodb", None, "GetItem", {})
    )

    assert sent[0] == "raise"
    assert isinstance(sent[1], KeyError)
    assert unsendable[0] == "raise"
    assert isinstance(unsendable[1], RuntimeError)
    assert str(unsendable[1]).startswith("ValueError: <unlocked _thread.lock")


def _failing(error: Exception) -> LocalCloud:
    """A cloud whose every request fails with `error`."""

    class Failing:
        def answer_request(self, *request: Any) -> Any:
            raise error

    return cast("LocalCloud", Failing())
