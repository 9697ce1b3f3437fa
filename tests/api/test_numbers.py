"""Numbers deployed, started and read through the APIs keep their JSON type and every digit."""

from __future__ import annotations

import json

from tests.support.serving import Organization, Server, updates_until_final
from tests.support.workflows import edge, node, workflow

DOCUMENT = {"negative": -3, "below": -9007199254740993, "nested": [{"fraction": -0.5}]}


def test_numbers_survive_deploy_start_record_and_live_update(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(
        workflow(
            node("document", "json-input", json=DOCUMENT),
            node("count", "number-input", value=1),
            node("plus", "addition", b=-4),
            edges=[edge("count.value", "plus.a")],
            workflow_id="numbers",
        )
    )
    stored = org_a.http.get("/workflows/numbers").json()["definition"]
    assert json.dumps(stored["nodes"][0]["inputs"][0]["value"]) == json.dumps(DOCUMENT)

    with server.session(org_a, "numbers") as socket:
        execution_id = org_a.start(
            "numbers", sessionId="numbers", inputs={"count": {"value": -(2**60)}}
        )
        final = updates_until_final(socket, execution_id)[-1]

    record = org_a.record(execution_id)
    for seen in (record, final):
        by_node = {e["nodeId"]: e for e in seen["nodeExecutions"]}
        assert json.dumps(by_node["document"]["outputs"]["json"]) == json.dumps(DOCUMENT)
        assert json.dumps(by_node["plus"]["outputs"]["result"]) == str(-(2**60) - 4)
