"""Independent units at once on the embedded engine, in the task they share (the compiler's
choice) or in Parallel states (forced): requests really overlap, results merge whole.

The server's /meet route answers only once `parties` requests are in flight together (a
barrier): run one after another, they would time out and answer 504. That proves the
branches ran at once without timing anything.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from lambdas.runtime.errors import TransientError
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.http_server import LOCAL_FAKES, RecordedRequest, Reply, serving
from tests.support.runs import Fault, Faults, Run, run
from tests.support.workflows import edge, node, workflow

PATIENCE = 2.0  # seconds a request at /meet waits for its company
BIG = 5000  # bytes of a body: over what a branch carries inline, so it goes by reference


@dataclass
class Meeting:
    url: str = ""
    barriers: dict[str, threading.Barrier] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def meeting() -> Iterator[Meeting]:
    state = Meeting()

    def meet(request: RecordedRequest) -> Reply:
        state.hits[request.path] += 1
        if request.path.startswith("/meet/"):  # /meet/<group>/<parties>
            _, _, group, parties = request.path.split("/")
            barrier = state.barriers.setdefault(
                group, threading.Barrier(int(parties), timeout=PATIENCE)
            )
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return Reply(504, b"alone")
        return Reply(200, b"x" * BIG if request.path == "/big" else b"met")

    with serving(meet) as server:
        state.url = server.url("")
        yield state


@pytest.fixture(scope="module", params=[None, True], ids=["shared task", "parallel states"])
def engine(cloud: LocalCloud, request: pytest.FixtureRequest) -> EmbeddedEngine:
    """The compiler's choice (independent requests share a task that runs them side by
    side), or every wave of independent units in a Parallel state."""
    return EmbeddedEngine(cloud=cloud, parallel=request.param, allow_networks=LOCAL_FAKES)


def mode(engine: EmbeddedEngine) -> str:
    """A name for the engine's mode: each mode meets at barriers of its own (a request
    that met nobody leaves its barrier broken)."""
    return "parallel" if engine.parallel else "shared"


def together(finished: Run) -> list[str]:
    """The states that ran several units at once: Parallel states, or shared tasks."""
    if finished.engine.parallel:
        return finished.entered("Parallel")
    return [name for name in finished.entered("Task") if name.startswith("Run nodes [")]


def statuses(record: Any) -> dict[str, Any]:
    return {e.node_id: (e.outputs or {}).get("status") for e in record.node_executions}


def test_independent_requests_overlap_and_their_results_meet_downstream(
    engine: EmbeddedEngine, meeting: Meeting
) -> None:
    count = 3
    raw = workflow(
        *(
            node(f"f{i}", "fetch", url=f"{meeting.url}/meet/three-{mode(engine)}/{count}")
            for i in range(count)
        ),
        node("total", "sum"),
        edges=[edge(f"f{i}.status", "total.numbers") for i in range(count)],
    )

    finished = run(engine, raw)

    assert finished.record.status == "completed", finished.record.error
    assert statuses(finished.record) == {"f0": 200, "f1": 200, "f2": 200, "total": None}
    assert finished.record.node("total").outputs == {"result": 600}
    if finished.engine.parallel:
        assert together(finished) == ["Run in parallel [f0, f1, f2]"]
        # Check credits, Initialize workflow, the Parallel state, Finalize, Outcome and
        # Succeeded around the units (no secret is referenced: nothing to preload)
        assert len(finished.entered()) == finished.units + 6
    else:
        assert together(finished) == ["Run nodes [f0, f1, f2]"]
        # Check credits, Initialize workflow, Finalize, Outcome and Succeeded around one
        # task for the three requests and one for the sum
        assert len(finished.entered()) == 5 + 2


def test_a_node_error_in_one_branch_leaves_the_others_to_complete(
    engine: EmbeddedEngine, meeting: Meeting
) -> None:
    raw = workflow(
        node("good", "fetch", url=f"{meeting.url}/ok"),
        node("bad", "fetch", url="http://127.0.0.1:1/closed"),
        node("shown", "output-number"),
        edges=[edge("good.status", "shown.value")],
    )

    finished = run(engine, raw)

    nodes = {e.node_id: e for e in finished.record.node_executions}
    assert finished.record.status == "error"
    assert nodes["bad"].status == "error"
    assert nodes["good"].status == "completed"
    assert nodes["shown"].outputs == {"displayValue": 200}
    assert finished.description["status"] == "FAILED"


def test_consecutive_parallel_states_keep_every_result(
    engine: EmbeddedEngine, meeting: Meeting
) -> None:
    """Two waves of two requests, the second reading the first; large bodies too."""
    raw = workflow(
        node("a1", "fetch", url=f"{meeting.url}/ok"),
        node("a2", "fetch", url=f"{meeting.url}/big"),
        node("base", "text-input", value=f"{meeting.url}/meet/second-{mode(engine)}/2?from="),
        node("url1", "string-concat"),
        node("url2", "string-concat"),
        node("b1", "fetch"),
        node("b2", "fetch"),
        node("total", "sum"),
        node("body", "output-text"),
        edges=[
            edge("base.value", "url1.input_1"),
            edge("a1.statusText", "url1.input_2"),
            edge("base.value", "url2.input_1"),
            edge("a2.statusText", "url2.input_2"),
            edge("url1.result", "b1.url"),
            edge("url2.result", "b2.url"),
            edge("a1.status", "total.numbers"),
            edge("a2.status", "total.numbers"),
            edge("b1.status", "total.numbers"),
            edge("b2.status", "total.numbers"),
            edge("a2.body", "body.value"),
        ],
    )

    finished = run(engine, raw)

    assert finished.record.status == "completed", finished.record.error
    assert len(together(finished)) == 2
    assert finished.record.node("total").outputs == {"result": 800}
    assert finished.record.node("body").outputs == {"displayValue": "x" * BIG}
    assert statuses(finished.record)["b1"] == statuses(finished.record)["b2"] == 200
    sequential = run(
        EmbeddedEngine(cloud=engine.cloud, parallel=False, allow_networks=LOCAL_FAKES), raw
    )
    assert statuses(sequential.record)["b1"] == 504  # alone at the meeting
    assert [e.node_id for e in finished.record.node_executions] == [
        e.node_id for e in sequential.record.node_executions
    ]


def test_a_retried_shared_task_sends_no_request_that_completed_again(
    cloud: LocalCloud, meeting: Meeting, faults: Faults
) -> None:
    engine = EmbeddedEngine(cloud=cloud, allow_networks=LOCAL_FAKES)
    paths = [f"/once/{uuid.uuid4().hex}/{i}" for i in range(2)]
    raw = workflow(
        *(node(f"f{i}", "fetch", url=f"{meeting.url}{path}") for i, path in enumerate(paths)),
        node("total", "sum"),
        edges=[edge(f"f{i}.status", "total.numbers") for i in range(2)],
    )
    # the task runs both requests and keeps their results, then its response is lost
    lost = faults.inject(
        engine, "run_node", Fault(TransientError, "lost", times=1, after_real_call=True)
    )

    finished = run(engine, raw)

    assert lost.attempts == 3  # the shared task twice, then the sum's task
    assert finished.entered("Task").count("Run nodes [f0, f1]") == 1  # retried within the state
    assert finished.record.status == "completed", finished.record.error
    assert finished.record.node("total").outputs == {"result": 400}
    assert [meeting.hits[path] for path in paths] == [1, 1]


def test_a_shared_task_reads_its_units_from_a_workflow_stored_by_hash(
    cloud: LocalCloud, meeting: Meeting
) -> None:
    """Over the limit with its nodes in the definition, under it with their ids alone."""
    engine = EmbeddedEngine(cloud=cloud, max_definition_bytes=6_000, allow_networks=LOCAL_FAKES)
    count = 3
    raw = workflow(
        *(node(f"f{i}", "fetch", url=f"{meeting.url}/meet/by-hash/{count}") for i in range(count)),
        node("total", "sum"),
        edges=[edge(f"f{i}.status", "total.numbers") for i in range(count)],
    )

    finished = run(engine, raw)

    [shared] = finished.entered_inputs("Run nodes [f0, f1, f2]")
    assert shared["workflowKey"].startswith("workflows/")
    assert finished.record.status == "completed", finished.record.error
    assert statuses(finished.record) == {"f0": 200, "f1": 200, "f2": 200, "total": None}
    assert finished.record.node("total").outputs == {"result": 600}
