"""`serve`'s GET /emails: the mail an organization's executions sent, and no one else's."""

from __future__ import annotations

from typing import Any

from tests.support.serving import Organization, Server
from tests.support.workflows import node, workflow


def mailing(workflow_id: str, to: str) -> dict[str, Any]:
    return workflow(
        node("m", "send-email", to=to, subject="Weekly total", text="310"),
        workflow_id=workflow_id,
    )


def test_an_organization_reads_the_mail_its_executions_sent(org_a: Organization):
    org_a.deploy(mailing("mail-a", "ada@example.com"))
    execution = org_a.start("mail-a")
    record = org_a.wait_for(execution)
    (node_execution,) = record["nodeExecutions"]

    answer = org_a.http.get("/emails")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    (sent,) = [e for e in answer.json()["emails"] if e["executionId"] == execution]
    assert sent["messageId"] == node_execution["outputs"]["messageId"]
    assert (sent["to"], sent["subject"], sent["text"]) == ("ada@example.com", "Weekly total", "310")


def test_another_organizations_mail_is_not_shown(org_a: Organization, org_b: Organization):
    org_a.deploy(mailing("mail-private", "secret-recipient@example.com"))
    org_a.wait_for(org_a.start("mail-private"))

    shown = org_b.http.get("/emails").json()["emails"]

    assert all(e["to"] != "secret-recipient@example.com" for e in shown)


def test_reading_mail_needs_an_api_key(server: Server):
    for headers in ({}, {"Authorization": "Bearer stk_unknown"}, {"Authorization": "Basic x"}):
        answer = server.http().get("/emails", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "UNAUTHORIZED"
