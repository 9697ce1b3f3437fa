"""Cancelling an execution while independent requests run at once: those that finished count."""

from __future__ import annotations

from tests.support.http_server import (  # noqa: F401 - registers the fixture
    LocalServer,
    http_server_fixture,
)
from tests.support.serving import (
    Organization,
    Server,
    quick_and_slow,
    receive,
    returns_held,
    statuses,
)


def test_a_cancel_during_a_parallel_state_keeps_and_charges_the_finished_branches(
    server: Server, org_a: Organization, http_server: LocalServer
) -> None:
    org_a.deploy(quick_and_slow(http_server))
    before = server.engine.organizations.get(org_a.id)
    with server.session(org_a, "session-parallel") as socket:
        execution_id = org_a.start("quick-and-slow", sessionId="session-parallel")
        while statuses(receive(socket)).get("quick") != "completed":
            pass  # the quick branch reported; the slow one is waiting on the server
        response = org_a.http.post(f"/executions/{execution_id}/cancel")
    http_server.released.set()  # let the slow request end; its branch was stopped

    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert statuses(cancelled) == {"quick": "completed", "slow": "idle", "total": "idle"}
    assert cancelled["usage"] == 10
    after = server.engine.organizations.get(org_a.id)
    assert before is not None
    assert after is not None
    assert after.usage - before.usage == 10
    assert org_a.record(execution_id)["nodeExecutions"] == cancelled["nodeExecutions"]


def test_a_branch_announced_before_its_task_returned_is_kept_by_a_cancel(
    server: Server, org_a: Organization, http_server: LocalServer
) -> None:
    """The race made certain: the quick branch's task has announced its node but not yet
    returned (so the history lacks its result) when the cancel reads the history."""
    try:
        with returns_held(server, "quick"):
            org_a.deploy(quick_and_slow(http_server))
            with server.session(org_a, "session-race") as socket:
                execution_id = org_a.start("quick-and-slow", sessionId="session-race")
                while statuses(receive(socket)).get("quick") != "completed":
                    pass
                response = org_a.http.post(f"/executions/{execution_id}/cancel")
    finally:
        http_server.released.set()

    assert response.status_code == 200, response.text
    assert statuses(response.json()) == {"quick": "completed", "slow": "idle", "total": "idle"}
    assert response.json()["usage"] == 10
    assert org_a.record(execution_id)["nodeExecutions"] == response.json()["nodeExecutions"]
