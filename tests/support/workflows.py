"""Writing test workflows briefly: `node("a", "addition", b=1)`, `edge("a.result", "b.a")`."""

from __future__ import annotations

from typing import Any


def node(node_id: str, node_type: str, /, **literals: Any) -> dict[str, Any]:
    """A node of `node_type` with literal input values (`**{"true": 1}` for awkward names)."""
    return {
        "id": node_id,
        "type": node_type,
        "inputs": [{"name": name, "value": value} for name, value in literals.items()],
    }


def edge(source: str, target: str) -> dict[str, str]:
    """An edge from `"node.output"` to `"node.input"`."""
    source_node, source_output = source.split(".", 1)
    target_node, target_input = target.split(".", 1)
    return {
        "source": source_node,
        "sourceOutput": source_output,
        "target": target_node,
        "targetInput": target_input,
    }


def workflow(
    *nodes: dict[str, Any],
    edges: list[dict[str, str]] | tuple[dict[str, str], ...] = (),
    workflow_id: str = "test-workflow",
    name: str = "Test workflow",
) -> dict[str, Any]:
    """A whole workflow in the wire format."""
    return {"id": workflow_id, "name": name, "nodes": list(nodes), "edges": list(edges)}


def chain() -> dict[str, Any]:
    """a = 2 -> b = a + 3 -> c = b * 4: c is 20; one inline group, or three units on an
    engine of one node per unit."""
    return workflow(
        node("a", "number-input", value=2),
        node("b", "addition", b=3),
        node("c", "multiplication", b=4),
        edges=[edge("a.value", "b.a"), edge("b.result", "c.a")],
    )


# Texts under the 8 KiB a value may take inline: each is in the record and in live updates.
BULKY_TEXTS = 24
BULKY_TEXT = 6000


def bulky(workflow_id: str = "test-workflow", *, wait: bool = False) -> dict[str, Any]:
    """BULKY_TEXTS text inputs, each passed to an output: with `bulky_texts()`, a record of
    about 600 KB, more than a live update message takes; with `wait`, a long wait after them
    (1000 s, i.e. 10 s at the tests' time scale)."""
    nodes = [node(f"t{i:02}", "text-input") for i in range(BULKY_TEXTS)]
    nodes += [node(f"o{i:02}", "output-text") for i in range(BULKY_TEXTS)]
    edges = [edge(f"t{i:02}.value", f"o{i:02}.value") for i in range(BULKY_TEXTS)]
    if wait:
        nodes.append(node("pause", "wait", seconds=1000))
        edges.append(edge("t00.value", "pause.value"))
    return workflow(*nodes, edges=edges, workflow_id=workflow_id)


def bulky_texts() -> dict[str, Any]:
    """The overrides of `bulky`'s text inputs: text `i` begins with `i` in two digits."""
    return {f"t{i:02}": {"value": f"{i:02}" + "x" * (BULKY_TEXT - 2)} for i in range(BULKY_TEXTS)}


def doubling(steps: int, workflow_id: str = "test-workflow") -> dict[str, Any]:
    """A chain in which each node joins its input with itself: node d<n> of `steps` holds
    2**n times the text of d0 ("a" unless the run gives another)."""
    nodes = [node("d0", "text-input", value="a")]
    edges = []
    for step in range(1, steps + 1):
        nodes.append(node(f"d{step}", "string-concat"))
        source = "d0.value" if step == 1 else f"d{step - 1}.result"
        edges += [edge(source, f"d{step}.input_1"), edge(source, f"d{step}.input_2")]
    return workflow(*nodes, edges=edges, workflow_id=workflow_id)


def pausing(workflow_id: str, seconds: int) -> dict[str, Any]:
    """first -> wait `seconds` (a hundredth of that at the tests' time scale) -> after."""
    return workflow(
        node("first", "number-input", value=1),
        node("pause", "wait", seconds=seconds),
        node("after", "addition", b=1),
        edges=[edge("first.value", "pause.value"), edge("pause.value", "after.a")],
        workflow_id=workflow_id,
    )


def awaiting_approval(timeout_seconds: int = 86_400) -> dict[str, Any]:
    """An order `order`, a wait-for-event `approval` after it (waiting at most
    `timeout_seconds`), its payload shown by `answer`, its timeout by `expired`.

    By default it waits a day, 864 s at the tests' time scale: an event delivered ends the
    wait at once, however loaded the machine (at 30 s, 0.3 s, a delivery could come late)."""
    approval = {**node("approval", "wait-for-event"), "timeoutSeconds": timeout_seconds}
    return workflow(
        node("order", "json-input", json={"item": "laptop"}),
        approval,
        node("answer", "output-json"),
        node("expired", "output-boolean"),
        edges=[
            edge("order.json", "approval.value"),
            edge("approval.payload", "answer.value"),
            edge("approval.timedOut", "expired.value"),
        ],
    )


# The schema of `expense_form`'s form: an amount (required), a comment, an approval.
EXPENSE_SCHEMA = {
    "name": "expense",
    "fields": [
        {"name": "amount", "type": "number", "required": True, "description": "In euros"},
        {"name": "comment", "type": "string"},
        {"name": "approved", "type": "boolean", "required": True},
    ],
}


def expense_form(timeout_seconds: int | None = None) -> dict[str, Any]:
    """A create-form `form` asking for EXPENSE_SCHEMA, a wait-for-form `review` of its token
    (waiting at most `timeout_seconds`, else its default), its response shown by `answer`."""
    review = node("review", "wait-for-form")
    if timeout_seconds is not None:
        review["timeoutSeconds"] = timeout_seconds
    return workflow(
        node(
            "form",
            "create-form",
            title="Expense <report>",
            description="Approve or refuse & say why",
            schema=EXPENSE_SCHEMA,
        ),
        review,
        node("answer", "output-json"),
        edges=[edge("form.token", "review.token"), edge("review.response", "answer.value")],
    )
