"""Forms through the HTTP API (README "Waiting for a form"): GET /forms?token=... is the
form's page and POST /forms?token=... its answer, both without an API key (the token is the
credential, in the query string, which no access log keeps); the answer is checked against
the form's schema, resumes the wait-for-form node once (then 410), is refused 409 before the
node waits, and serve throttles both routes."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest

from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.api.test_executions_api import node_of
from tests.support.serving import PATIENCE, Organization, Server, receive, serving
from tests.support.workflows import edge, expense_form, node, workflow


def expenses(workflow_id: str = "expenses", timeout_seconds: int | None = None) -> dict[str, Any]:
    return {**expense_form(timeout_seconds), "id": workflow_id}


def until_waiting(org: Organization, execution_id: str, node_id: str = "review") -> str:
    """Until the execution's record shows the node waiting for its form; the form's token
    (create-form's output)."""
    give_up = time.monotonic() + PATIENCE
    while True:
        record = org.record(execution_id)
        if node_of(record, node_id).get("waitingFor") == "form":
            token: str = node_of(record, "form")["outputs"]["token"]
            return token
        assert time.monotonic() < give_up, record
        time.sleep(0.02)


def waiting_form(org: Organization) -> tuple[str, str]:
    """An execution of the expense form, started and waiting for its answer: its id and its
    form's token."""
    org.deploy(expenses())
    execution_id = org.start("expenses")
    return execution_id, until_waiting(org, execution_id)


def address(token: str) -> str:
    """Where the form of `token` is, below the API's base URL."""
    return f"/forms?{urlencode({'token': token})}"


def anonymous(server: Server) -> httpx.Client:
    return server.http()  # no API key


def test_the_form_page_asks_for_each_field_typed_and_escapes_what_it_shows(
    server: Server, org_a: Organization
) -> None:
    execution_id, token = waiting_form(org_a)
    url = urlsplit(node_of(org_a.record(execution_id), "form")["outputs"]["url"])

    page = anonymous(server).get(f"{url.path}?{url.query}")  # create-form's url, as given

    assert (url.path, parse_qs(url.query)) == ("/forms", {"token": [token]})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert "<h1>Expense &lt;report&gt;</h1>" in html
    assert "Approve or refuse &amp; say why" in html
    assert re.search(
        r'<input type="number" step="any" id="field-amount" name="amount" required>', html
    )
    assert '<input type="text" id="field-comment" name="comment">' in html
    assert 'type="checkbox" id="field-approved" name="approved" value="true"' in html
    assert "In euros" in html
    action = re.search(r'<form method="post" action="([^"]+)">', html)
    assert action is not None
    # the page posts to its own address: the same path, the token in the query again
    assert urljoin(str(page.url), unescape(action.group(1))) == str(page.url)
    assert "<script" not in html
    assert "http" not in html.split("<body>")[1]
    org_a.http.post(f"/executions/{execution_id}/cancel")


def test_a_json_answer_resumes_the_node_once_and_then_the_form_is_gone(
    server: Server, org_a: Organization
) -> None:
    execution_id, token = waiting_form(org_a)
    client = anonymous(server)

    wrong = client.post(address(token), json={"amount": "twelve", "extra": 1})
    answered = client.post(address(token), json={"amount": 12.5, "approved": True})
    again = client.post(address(token), json={"amount": 1, "approved": False})
    page = client.get(address(token))

    assert wrong.status_code == 400, wrong.text
    error = wrong.json()["error"]
    assert error["code"] == "INVALID_ANSWER"
    assert {d["field"] for d in error["details"]} == {"amount", "approved", "extra"}
    assert error["message"] == "Field 'extra' is not a field of the form"
    assert answered.status_code == 202, answered.text
    assert answered.json() == {"status": "answered"}
    assert again.status_code == 410, again.text
    assert again.json()["error"]["code"] == "FORM_CLOSED"
    assert page.status_code == 410
    record = org_a.wait_for(execution_id)
    assert record["status"] == "completed"
    assert node_of(record, "review")["outputs"] == {"response": {"amount": 12.5, "approved": True}}
    assert node_of(record, "answer")["outputs"]["displayValue"] == {
        "amount": 12.5,
        "approved": True,
    }


def test_the_page_s_own_post_is_read_by_field_type_and_answered_with_a_page(
    server: Server, org_a: Organization
) -> None:
    execution_id, token = waiting_form(org_a)
    client = anonymous(server)
    posted = {"Content-Type": "application/x-www-form-urlencoded"}

    missing = client.post(address(token), content="amount=&comment=hi", headers=posted)
    answered = client.post(
        address(token), content="amount=1499&comment=&approved=true", headers=posted
    )

    assert missing.status_code == 400, missing.text
    assert missing.headers["content-type"].startswith("text/html")
    assert "Field &#x27;amount&#x27; is required" in missing.text
    assert answered.status_code == 202, answered.text
    assert "Thank you" in answered.text
    record = org_a.wait_for(execution_id)
    assert node_of(record, "review")["outputs"] == {
        "response": {"amount": 1499, "comment": "", "approved": True}
    }


def test_an_unknown_token_answers_404_and_a_form_not_yet_waited_for_409(
    server: Server, org_a: Organization
) -> None:
    # a Wait state of 1000 s (10 s at the tests' time scale) before the wait-for-form node
    flow = expenses("slow")
    flow["nodes"].insert(1, node("pause", "wait", seconds=1000))
    flow["edges"] = [
        edge("form.token", "pause.value"),
        *flow["edges"],
    ]
    org_a.deploy(flow)
    with server.session(org_a, "session-slow-form") as socket:
        execution_id = org_a.start("slow", sessionId="session-slow-form")
        created: dict[str, Any] = {}
        while "outputs" not in created:  # the live update of create-form's unit
            update = receive(socket)
            created = next((n for n in update["nodeExecutions"] if n["nodeId"] == "form"), {})
    token = created["outputs"]["token"]
    client = anonymous(server)

    unknown_page = client.get(address("no-such-token"))
    unknown_answer = client.post(address("no-such-token"), json={})
    early = client.post(address(token), json={"amount": 1, "approved": True})
    org_a.http.post(f"/executions/{execution_id}/cancel")
    ended = client.post(address(token), json={"amount": 1, "approved": True})

    assert unknown_page.status_code == 404
    assert unknown_page.headers["content-type"].startswith("text/html")
    assert unknown_answer.status_code == 404, unknown_answer.text
    assert early.status_code == 409, early.text
    assert early.json()["error"]["code"] == "NOT_WAITING"
    assert early.headers["retry-after"] == "1"
    assert ended.status_code == 410, ended.text


@pytest.mark.parametrize("query", ["", "?token=", "?form=abc", f"?token={'x' * 257}"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_form_route_without_a_token_a_form_can_have_answers_400(
    server: Server, method: str, query: str
) -> None:
    answer = anonymous(server).request(method, f"/forms{query}", json={"amount": 1})

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "INVALID_REQUEST"


def test_a_form_s_routes_are_get_and_post_on_forms_only_without_a_key(server: Server) -> None:
    client = anonymous(server)

    elsewhere = [
        client.get("/forms/some-token"),  # the token belongs in the query string
        client.put(address("some-token"), json={}),
        client.delete(address("some-token")),
    ]

    assert [answer.status_code for answer in elsewhere] == [401, 401, 401]


def test_an_unanswered_form_fails_its_node_when_the_wait_times_out(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(expenses("quick", timeout_seconds=20))  # 0.2 s at the tests' time scale

    record = org_a.wait_for(org_a.start("quick"))
    token = node_of(record, "form")["outputs"]["token"]

    assert record["status"] == "error"
    assert node_of(record, "review")["error"] == "Form not answered within 20 s"
    assert node_of(record, "answer")["skipReason"] == "upstream_failure"
    late = anonymous(server).post(address(token), json={"amount": 1, "approved": True})
    assert late.status_code == 410, late.text


def test_a_token_of_another_execution_fails_the_wait_for_form_node_without_waiting(
    org_a: Organization,
) -> None:
    first, token = waiting_form(org_a)
    stranger = workflow(
        node("review", "wait-for-form", token=token),
        workflow_id="stranger",
    )
    org_a.deploy(stranger)
    started = time.monotonic()

    record = org_a.wait_for(org_a.start("stranger"))

    assert time.monotonic() - started < PATIENCE
    assert record["status"] == "error"
    assert node_of(record, "review")["error"].startswith(
        "Input 'token' is not the token of a form of this execution"
    )
    assert token not in node_of(record, "review")["error"]
    org_a.http.post(f"/executions/{first}/cancel")


def cancelled_waiting(org: Organization, workflow_id: str = "expenses") -> tuple[str, str]:
    """An execution of `workflow_id` cancelled while its review waits for its form: its id,
    and the form's token."""
    execution_id = org.start(workflow_id)
    token = until_waiting(org, execution_id)
    cancel = org.http.post(f"/executions/{execution_id}/cancel")
    assert cancel.status_code == 200, cancel.text
    return execution_id, token


def retried(org: Organization, execution_id: str) -> str:
    retry = org.http.post(f"/executions/{execution_id}/retry", json={})
    assert retry.status_code == 202, retry.text
    assert retry.json()["retryOf"] == execution_id
    return str(retry.json()["executionId"])


def test_a_retry_waits_on_the_same_form_and_the_same_token_answers_it(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(expenses())
    first, token = cancelled_waiting(org_a)
    closed = anonymous(server).get(address(token))  # its execution ended
    retry = retried(org_a, first)
    again = until_waiting(org_a, retry)  # create-form reused: the form a person received
    client = anonymous(server)

    page = client.get(address(token))
    answered = client.post(address(token), json={"amount": 7, "approved": True})
    twice = client.post(address(token), json={"amount": 8, "approved": False})

    assert closed.status_code == 410
    assert again == token
    assert page.status_code == 200, page.text
    assert answered.status_code == 202, answered.text
    assert twice.status_code == 410, twice.text
    record = org_a.wait_for(retry)
    assert record["status"] == "completed"
    assert node_of(record, "review")["outputs"] == {"response": {"amount": 7, "approved": True}}
    assert node_of(record, "form")["usage"] == 0  # reused, not opened again
    assert org_a.record(first)["status"] == "cancelled"


def test_a_retry_of_a_retry_waits_on_the_form_its_first_run_opened(
    server: Server, org_a: Organization
) -> None:
    org_a.deploy(expenses())
    first, token = cancelled_waiting(org_a)
    second = retried(org_a, first)
    until_waiting(org_a, second)
    org_a.http.post(f"/executions/{second}/cancel")
    third = retried(org_a, second)
    until_waiting(org_a, third)

    answered = anonymous(server).post(address(token), json={"amount": 3, "approved": False})

    assert answered.status_code == 202, answered.text
    record = org_a.wait_for(third)
    assert node_of(record, "review")["outputs"] == {"response": {"amount": 3, "approved": False}}
    assert [org_a.record(e)["status"] for e in (first, second)] == ["cancelled", "cancelled"]


def test_a_form_answered_before_the_cancel_stays_answered_and_the_retry_reuses_the_answer(
    server: Server, org_a: Organization
) -> None:
    # after the review, a Wait state of 1000 s (10 s at the tests' time scale) to cancel in
    flow = expenses("answered")
    flow["nodes"].insert(2, node("pause", "wait", seconds=1000))
    flow["edges"] = [
        edge("form.token", "review.token"),
        edge("review.response", "pause.value"),
        edge("pause.value", "answer.value"),
    ]
    org_a.deploy(flow)
    first = org_a.start("answered")
    token = until_waiting(org_a, first)
    client = anonymous(server)
    assert client.post(address(token), json={"amount": 5, "approved": True}).status_code == 202
    give_up = time.monotonic() + PATIENCE
    while node_of(org_a.record(first), "pause")["status"] != "executing":
        assert time.monotonic() < give_up
        time.sleep(0.02)
    org_a.http.post(f"/executions/{first}/cancel")
    retry = retried(org_a, first)

    waiting = org_a.wait_for(retry, frozenset({"executing"}))
    late = client.post(address(token), json={"amount": 6, "approved": False})

    assert node_of(waiting, "review")["status"] == "completed"
    assert node_of(waiting, "review")["outputs"] == {"response": {"amount": 5, "approved": True}}
    assert late.status_code == 410, late.text
    org_a.http.post(f"/executions/{retry}/cancel")


def test_an_answer_by_the_event_route_is_the_form_s_one_answer(
    server: Server, org_a: Organization
) -> None:
    execution_id, token = waiting_form(org_a)

    event = org_a.http.post(
        f"/executions/{execution_id}/nodes/review/event", json={"amount": 2, "approved": True}
    )
    page = anonymous(server).post(address(token), json={"amount": 9, "approved": False})

    assert event.status_code == 202, event.text
    assert page.status_code == 410, page.text
    record = org_a.wait_for(execution_id)
    assert node_of(record, "review")["outputs"] == {"response": {"amount": 2, "approved": True}}


@pytest.fixture(name="throttled", scope="module")
def throttled_fixture(cloud: LocalCloud) -> Iterator[Server]:
    with serving(EmbeddedEngine(cloud=cloud), form_limits=(0.5, 2)) as up:
        yield up


def test_serve_throttles_the_form_routes_answering_429_with_retry_after(
    throttled: Server,
) -> None:
    client = throttled.http()

    answers = [client.get(address("some-token")) for _ in range(3)]
    other_route = client.get("/openapi.json")

    assert [a.status_code for a in answers] == [404, 404, 429]
    assert answers[2].json()["error"]["code"] == "TOO_MANY_REQUESTS"
    assert int(answers[2].headers["retry-after"]) >= 1
    assert other_route.status_code == 200
