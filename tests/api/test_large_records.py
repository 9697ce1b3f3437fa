"""Records too large for one response: GET /executions/{id} answers what fits and a token,
/executions/{id}/nodes pages through every node execution.

The records are written straight to the engine's execution store (a workflow of 10,000 nodes
cannot be deployed yet: its state machine would exceed Step Functions' 1 MB definition), as the
execution's own Finalize would write them: values over 8 KiB by reference.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from lambdas.handlers.api.node_pages import RESPONSE_BUDGET
from lambdas.runtime.payload import Payloads
from lambdas.runtime.record import ExecutionRecord, ExecutionStatus, NodeExecution, NodeStatus
from tests.api.test_executions_api import divider
from tests.support.serving import Organization, Server

NODES = 10_000


@dataclass
class Stored:
    """A record written to the store, its owner, and its node executions as the API shows them."""

    owner: Organization
    id: str
    nodes: list[dict[str, Any]]


def store(server: Server, owner: Organization, nodes: list[NodeExecution]) -> Stored:
    record = ExecutionRecord(
        id=str(uuid.uuid4()),
        workflow_id="huge",
        workflow_name="Huge",
        organization_id=owner.id,
        status=ExecutionStatus.COMPLETED,
        started_at="2025-01-01T00:00:00.000Z",
        ended_at="2025-01-01T00:10:00.000Z",
        usage=len(nodes),
        node_executions=nodes,
    )
    server.engine.executions.put(Payloads(server.engine.values, owner.id).packed_record(record))
    return Stored(owner, record.id, [node.to_json() for node in nodes])


def completed(index: int, value: Any) -> NodeExecution:
    return NodeExecution(
        node_id=f"node-{index:05d}",
        status=NodeStatus.COMPLETED,
        inputs={"value": index},
        outputs={"value": value},
        usage=1,
    )


@pytest.fixture(scope="module")
def huge(server: Server) -> Stored:
    """10,000 nodes of about 700 bytes each; every 1000th output (10 KB) is stored in S3."""
    return store(
        server,
        server.organization(),
        [completed(i, f"{i}:" + "x" * (10_000 if i % 1000 == 0 else 600)) for i in range(NODES)],
    )


@pytest.fixture(scope="module")
def heavy(server: Server) -> Stored:
    """60 nodes whose outputs, loaded from S3, take 100 KB each: 6 MB in all."""
    return store(server, server.organization(), [completed(i, "y" * 100_000) for i in range(60)])


def forged(**key: str) -> str:
    """A page token of `key`, as the API encodes its tokens."""
    data = json.dumps(key, ensure_ascii=False, sort_keys=True).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def nodes_page(stored: Stored, **params: Any) -> dict[str, Any]:
    response = stored.owner.http.get(f"/executions/{stored.id}/nodes", params=params)
    assert response.status_code == 200, response.text
    assert len(response.content) <= RESPONSE_BUDGET
    page: dict[str, Any] = response.json()
    return page


def every_node(
    stored: Stored, first: list[dict[str, Any]], token: str | None, **params: Any
) -> list[dict[str, Any]]:
    """`first`, then the node executions of each page from `token` on."""
    nodes = list(first)
    while token is not None:
        page = nodes_page(stored, nextToken=token, **params)
        assert page["items"]
        nodes += page["items"]
        token = page.get("nextToken")
    return nodes


def test_a_record_too_large_for_one_response_holds_the_nodes_that_fit_and_a_token(
    huge: Stored,
) -> None:
    response = huge.owner.http.get(f"/executions/{huge.id}")
    assert response.status_code == 200, response.text
    assert RESPONSE_BUDGET * 0.9 < len(response.content) <= RESPONSE_BUDGET
    record = response.json()
    assert (record["id"], record["status"], record["usage"]) == (huge.id, "completed", NODES)
    leading = record["nodeExecutions"]
    assert 0 < len(leading) < NODES
    assert leading == huge.nodes[: len(leading)]
    following = nodes_page(huge, nextToken=record["nodeExecutionsNextToken"], limit=1000)
    assert following["items"] == huge.nodes[len(leading) : len(leading) + 1000]


def test_paging_by_1000_returns_every_node_once_in_the_records_order(huge: Stored) -> None:
    first = nodes_page(huge, limit=1000)
    assert len(first["items"]) == 1000
    nodes = every_node(huge, first["items"], first["nextToken"], limit=1000)
    assert len(nodes) == NODES
    assert nodes == huge.nodes


def test_a_page_holds_100_nodes_unless_told_otherwise(huge: Stored) -> None:
    page = nodes_page(huge)
    assert page["items"] == huge.nodes[:100]
    assert nodes_page(huge, nextToken=page["nextToken"])["items"] == huge.nodes[100:200]


def test_pages_stop_short_of_the_budget_when_loaded_values_are_large(heavy: Stored) -> None:
    response = heavy.owner.http.get(f"/executions/{heavy.id}")
    assert len(response.content) <= RESPONSE_BUDGET
    record = response.json()
    assert record["nodeExecutions"] == heavy.nodes[: len(record["nodeExecutions"])]
    assert "nodeExecutionsNextToken" in record
    first = nodes_page(heavy, limit=1000)
    assert 0 < len(first["items"]) < len(heavy.nodes)
    assert every_node(heavy, first["items"], first["nextToken"], limit=1000) == heavy.nodes


def test_a_record_that_fits_is_answered_whole_and_its_nodes_page_the_same(
    org_a: Organization,
) -> None:
    org_a.deploy(divider())
    record = org_a.wait_for(org_a.start("divider"))
    assert "nodeExecutionsNextToken" not in record
    page = org_a.http.get(f"/executions/{record['id']}/nodes").json()
    assert page == {"items": record["nodeExecutions"]}


def test_another_organization_gets_404_for_the_nodes_as_for_nothing(
    heavy: Stored, org_b: Organization
) -> None:
    ghost = str(uuid.uuid4())
    theirs = org_b.http.get(f"/executions/{heavy.id}/nodes")
    nothing = org_b.http.get(f"/executions/{ghost}/nodes")
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.json()["error"]["code"] == "NOT_FOUND"
    assert theirs.text == nothing.text.replace(ghost, heavy.id)


# The bad requests go to the record of 60 nodes, which is quicker to read than the huge one.
@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten", ""])
def test_a_limit_outside_1_to_1000_is_a_bad_request(heavy: Stored, limit: str) -> None:
    response = heavy.owner.http.get(f"/executions/{heavy.id}/nodes", params={"limit": limit})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "INVALID_REQUEST"


def test_a_token_not_issued_for_this_execution_is_a_bad_request(
    huge: Stored, heavy: Stored
) -> None:
    tokens = [
        "garbage",
        "eyJ4IjoxfQ==",
        "%%%",
        "a" * 5000,
        nodes_page(huge, limit=1)["nextToken"],
        forged(createdAt="2025", id=heavy.id, orgWorkflow="x#huge"),  # a listing's shape
    ]
    for token in tokens:
        response = heavy.owner.http.get(
            f"/executions/{heavy.id}/nodes", params={"nextToken": token}
        )
        assert response.status_code == 400, token
        assert response.json()["error"]["code"] == "INVALID_REQUEST"


@pytest.mark.parametrize("offset", ["0", "60", "-5", "1_0", "٣", " 7", "x", ""])
def test_a_token_of_a_position_the_record_has_no_page_at_is_a_bad_request(
    heavy: Stored, offset: str
) -> None:
    token = forged(executionId=heavy.id, offset=offset)
    response = heavy.owner.http.get(f"/executions/{heavy.id}/nodes", params={"nextToken": token})
    assert response.status_code == 400, offset
    assert response.json()["error"]["code"] == "INVALID_REQUEST"


def test_a_forged_token_of_a_position_in_the_record_reads_from_there(heavy: Stored) -> None:
    page = nodes_page(heavy, limit=3, nextToken=forged(executionId=heavy.id, offset="58"))
    assert page == {"items": heavy.nodes[58:]}
