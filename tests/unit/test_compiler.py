"""The ASL compiler: state names and order, task parameters, retries, waits, limits, determinism."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from lambdas.nodes import default_registry
from lambdas.runtime.errors import (
    CreditsExhausted,
    NodeAttemptFailed,
    NodeNotWaiting,
    TransientError,
)
from statemachine import error_names, limits
from statemachine.asl import definition_json
from statemachine.catalog import Catalog, DynamicPorts, NodeTypeSpec, PortSpec
from statemachine.compiler import TaskFunctions, compile_workflow
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.model import Edge, Node, ParameterType, Workflow
from statemachine.path_keys import unescape_keys
from statemachine.planner import plan_workflow
from statemachine.state_names import state_name
from statemachine.validation import validate_workflow
from tests.golden import FUNCTIONS
from tests.support.workflows import edge, node, workflow

CATALOG = default_registry().catalog
SIGNED = {"Authorization": "Bearer {{secrets.TOKEN}}"}
FIXED_STATES = ["Check credits", "Persist exhausted", "Exhausted"]
FINAL_STATES = ["Finalize", "Outcome", "Succeeded", "Failed"]


def compiled(raw: dict[str, Any], catalog: Catalog = CATALOG, **options: Any) -> dict[str, Any]:
    return compile_workflow(validate_workflow(raw, catalog), catalog, FUNCTIONS, **options)


def states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = definition["States"]
    return result


def path_taken(definition: dict[str, Any]) -> list[str]:
    """The state names from StartAt to the end, taking the first Choice branch each time."""
    names, name = [], definition["StartAt"]
    while name is not None:
        names.append(name)
        state = states(definition)[name]
        name = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state.get("Next")
    return names


def small() -> dict[str, Any]:
    """Two inputs summed inline, a random number, then a text node fed by it."""
    return workflow(
        node("a", "number-input", value=1),
        node("b", "number-input", value=2),
        node("s", "addition"),
        node("r", "random-number"),
        node("t", "to-string"),
        edges=[
            edge("a.value", "s.a"),
            edge("b.value", "s.b"),
            edge("s.result", "r.min"),
            edge("r.value", "t.value"),
        ],
    )


def with_type(spec: NodeTypeSpec) -> dict[str, NodeTypeSpec]:
    return {**CATALOG, spec.id: spec}


def test_a_small_workflow_has_its_states_in_order():
    definition = compiled(small())
    assert definition["Comment"] == "stepthunk workflow test-workflow: Test workflow"
    assert definition["StartAt"] == "Check credits"
    units = ["Run inline group [a, b, s]", "Run node r", "Run node t"]
    in_order = [*FIXED_STATES, "Initialize workflow", *units, *FINAL_STATES]
    assert list(states(definition)) == in_order
    assert path_taken(definition) == [
        "Check credits",
        "Initialize workflow",
        *units,
        "Finalize",
        "Outcome",
        "Succeeded",
    ]


def test_each_task_calls_its_function_and_passes_the_whole_state():
    by_name = states(compiled(small()))
    resources = {name: s["Resource"] for name, s in by_name.items() if s["Type"] == "Task"}
    assert resources == {
        "Check credits": FUNCTIONS.check_credits,
        "Persist exhausted": FUNCTIONS.persist,
        "Initialize workflow": FUNCTIONS.initialize,
        "Run inline group [a, b, s]": FUNCTIONS.run_inline_group,
        "Run node r": FUNCTIONS.run_node,
        "Run node t": FUNCTIONS.run_node,
        "Finalize": FUNCTIONS.finalize,
    }
    for name in resources:
        assert by_name[name]["Parameters"]["state.$"] == "$", name
        assert by_name[name]["ResultPath"] == "$", name


def test_credit_check_carries_the_catalog_usage_of_every_node():
    raw = workflow(
        node("a", "number-input", value=1), node("f", "fetch", url="https://x.test", headers=SIGNED)
    )
    check = states(compiled(raw))["Check credits"]
    assert check["Parameters"] == {"state.$": "$", "estimate": 11}
    assert check["Next"] == "Initialize workflow"


def test_without_credits_the_execution_is_persisted_exhausted_and_fails():
    by_name = states(compiled(small()))
    # Check credits raises CreditsExhausted; any other failure goes to Finalize as usual
    assert by_name["Check credits"]["Catch"] == [
        {
            "ErrorEquals": ["CreditsExhausted"],
            "ResultPath": "$.failure",
            "Next": "Persist exhausted",
        },
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Finalize"},
    ]
    exhausted = by_name["Persist exhausted"]
    assert exhausted["Parameters"] == {
        "state.$": "$",
        "status": "exhausted",
        "nodeIds": ["a", "b", "s", "r", "t"],
    }
    assert exhausted["Next"] == "Exhausted"
    assert by_name["Exhausted"] == {
        "Type": "Fail",
        "Error": "CreditsExhausted",
        "Cause": "Insufficient compute credits",
    }


def test_the_end_depends_on_the_outcome_finalize_returns():
    by_name = states(compiled(small()))
    assert by_name["Finalize"]["Parameters"] == {
        "state.$": "$",
        "nodeIds": ["a", "b", "s", "r", "t"],
    }
    assert by_name["Finalize"]["Next"] == "Outcome"
    assert by_name["Outcome"] == {
        "Type": "Choice",
        "Choices": [{"Variable": "$.status", "StringEquals": "completed", "Next": "Succeeded"}],
        "Default": "Failed",
    }
    assert by_name["Succeeded"] == {"Type": "Succeed"}
    assert by_name["Failed"] == {
        "Type": "Fail",
        "Error": "WorkflowExecutionError",
        "CausePath": "$.error",
    }


def test_initialize_gets_the_completed_workflow_the_plan_digest_and_the_nodes_to_persist():
    validated = validate_workflow(small(), CATALOG)
    parameters = states(compiled(small()))["Initialize workflow"]["Parameters"]
    assert parameters == {
        "state.$": "$",
        "workflow": validated.to_json(),
        "planDigest": plan_workflow(validated, CATALOG).digest(),
        "maxGroupSize": 50,
        "nodeIds": ["a", "b", "s", "r", "t"],
        "units": 3,
    }
    assert parameters["workflow"]["nodes"][2]["inputs"][0]["type"] == "number"


def preloaded(definition: dict[str, Any]) -> list[str]:
    """What Initialize workflow preloads (SPEC §7's preload, merged into it)."""
    found: list[str] = states(definition)["Initialize workflow"]["Parameters"].get("preload", [])
    return found


def test_nothing_is_preloaded_when_no_node_reads_secrets_or_integrations():
    definition = compiled(small())
    assert preloaded(definition) == []
    assert path_taken(definition)[:2] == ["Check credits", "Initialize workflow"]


def test_a_fetch_node_makes_initialize_preload_secrets_without_a_state_of_its_own():
    raw = workflow(node("f", "fetch", url="https://x.test", headers=SIGNED))
    definition = compiled(raw)
    assert path_taken(definition)[:3] == ["Check credits", "Initialize workflow", "Run node f"]
    assert preloaded(definition) == ["secrets"]
    assert not any("Preload" in name for name in states(definition))


def test_a_fetch_preloads_secrets_only_when_an_input_may_reference_one():
    def preloads(*nodes: dict[str, Any], edges: list[dict[str, str]] | None = None) -> bool:
        return "secrets" in preloaded(compiled(workflow(*nodes, edges=edges or [])))

    assert not preloads(node("f", "fetch", url="https://x.test"))
    assert not preloads(
        node("f", "fetch", url="https://x.test?a=b", headers={"Accept": "*/*"}, body={"c": "d"})
    )
    assert preloads(node("f", "fetch", url="https://x.test", headers={"A": "{{ secrets.K }}"}))
    assert preloads(node("f", "fetch", url="https://x.test/{{secrets.K}}"))
    assert preloads(node("f", "fetch", url="https://x.test", query={"key": "{{secrets.K}}"}))
    assert preloads(node("f", "fetch", url="https://x.test", body={"a": ["{{secrets.K}}"]}))
    assert preloads(node("f", "fetch", url="https://x.test", body="key={{secrets.K}}"))
    for target in ("headers", "query", "body"):
        fed = node("h", "json-input", json={"A": "b"})
        connected = edge("h.json", f"f.{target}")
        assert preloads(fed, node("f", "fetch", url="https://x.test"), edges=[connected])
    fed_url = node("u", "text-input", value="https://x.test")
    assert preloads(fed_url, node("f", "fetch"), edges=[edge("u.value", "f.url")])


def test_a_node_type_using_integrations_makes_the_machine_preload_them():
    crm = NodeTypeSpec(
        id="crm-lookup",
        name="CRM lookup",
        inputs=(PortSpec(name="email", type=ParameterType.STRING),),
        outputs=(PortSpec(name="contact", type=ParameterType.JSON),),
        inlinable=False,
        uses_integrations=True,
    )
    definition = compiled(workflow(node("c", "crm-lookup")), with_type(crm))
    assert preloaded(definition) == ["integrations"]
    both = compiled(
        workflow(node("c", "crm-lookup"), node("f", "fetch", url="https://x.test", headers=SIGNED)),
        with_type(crm),
    )
    assert preloaded(both) == ["secrets", "integrations"]
    assert path_taken(both)[:2] == ["Check credits", "Initialize workflow"]


def test_a_dynamic_secret_input_makes_the_machine_preload_secrets():
    signer = NodeTypeSpec(
        id="signer",
        name="Signer",
        dynamic_inputs=DynamicPorts(prefix="key", type=ParameterType.SECRET),
        outputs=(PortSpec(name="signature", type=ParameterType.STRING),),
        inlinable=True,
    )
    assert not signer.reads_secrets
    definition = compiled(workflow(node("s", "signer")), with_type(signer))
    assert preloaded(definition) == ["secrets"]


def test_every_task_but_finalize_retries_lambda_faults_and_is_caught_to_finalize():
    raw = workflow(
        node("f", "fetch", url="https://x.test", headers=SIGNED),
        node("w", "wait", seconds=1),
        node("a", "number-input", value=1),
        node("b", "number-input", value=2),
    )
    by_name = states(compiled(raw))
    tasks = [name for name, state in by_name.items() if state["Type"] == "Task"]
    assert len(tasks) == 6  # Initialize preloads the secrets
    retry = {
        "ErrorEquals": [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
            "TransientError",
        ],
        "IntervalSeconds": 1,
        "MaxAttempts": 3,
        "BackoffRate": 2.0,
    }
    catch = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Finalize"}
    for name in tasks:
        assert by_name[name]["Retry"] == [retry], name
        if name == "Finalize":
            assert "Catch" not in by_name[name]
        elif name == "Check credits":
            assert by_name[name]["Catch"][1:] == [catch]
        else:
            assert by_name[name]["Catch"] == [catch], name


def test_initialize_never_retries_a_validation_error():
    retried = states(compiled(small()))["Initialize workflow"]["Retry"][0]["ErrorEquals"]
    assert "WorkflowValidationError" not in retried
    assert error_names.WORKFLOW_VALIDATION_ERROR not in retried


def test_the_error_names_match_the_exception_classes():
    assert TransientError.__name__ == error_names.TRANSIENT_ERROR
    assert WorkflowValidationError.__name__ == error_names.WORKFLOW_VALIDATION_ERROR
    assert CreditsExhausted.__name__ == error_names.CREDITS_EXHAUSTED
    assert NodeAttemptFailed.__name__ == error_names.NODE_ATTEMPT_FAILED
    assert NodeNotWaiting.__name__ == error_names.NODE_NOT_WAITING


def test_wait_nodes_become_wait_states_resolved_by_the_task_before_them():
    raw = workflow(
        node("r", "random-number"),
        node("w1", "wait", seconds=1),
        node("w2", "wait", seconds=2),
        node("d", "random-number"),
        node("w3", "wait"),
        edges=[
            edge("r.value", "w1.value"),
            edge("w1.value", "w2.value"),
            edge("w2.value", "d.min"),
            edge("d.value", "w3.seconds"),
            edge("w2.value", "w3.value"),
        ],
    )
    validated = validate_workflow(raw, CATALOG)
    definition = compile_workflow(validated, CATALOG, FUNCTIONS)
    by_name = states(definition)
    nodes = {n.id: n.to_json() for n in validated.nodes}
    assert path_taken(definition)[2:-3] == [
        "Run node r",
        "Wait w1",
        "Wait w2",
        "Run node d",
        "Wait w3",
    ]
    assert by_name["Wait w1"] == {"Type": "Wait", "SecondsPath": "$.waits[0]", "Next": "Wait w2"}
    assert by_name["Wait w2"] == {"Type": "Wait", "SecondsPath": "$.waits[1]", "Next": "Run node d"}
    assert by_name["Wait w3"] == {"Type": "Wait", "SecondsPath": "$.waits[0]", "Next": "Finalize"}
    assert by_name["Run node r"]["Parameters"]["waits"] == [
        {"node": nodes["w1"], "edges": [edge("r.value", "w1.value")]},
        {"node": nodes["w2"], "edges": [edge("w1.value", "w2.value")]},
    ]
    assert by_name["Run node d"]["Parameters"]["waits"] == [
        {
            "node": nodes["w3"],
            "edges": [edge("d.value", "w3.seconds"), edge("w2.value", "w3.value")],
        }
    ]
    assert "waits" not in by_name["Initialize workflow"]["Parameters"]


def test_a_wait_first_is_resolved_by_initialize_workflow():
    definition = compiled(workflow(node("w", "wait", seconds=3), node("r", "random-number")))
    by_name = states(definition)
    assert path_taken(definition)[1:4] == ["Initialize workflow", "Wait w", "Run node r"]
    start = by_name["Initialize workflow"]
    assert start["Parameters"]["nodeIds"] == ["w", "r"]
    assert [wait["node"]["id"] for wait in start["Parameters"]["waits"]] == ["w"]
    assert start["Parameters"]["waits"][0]["edges"] == []
    assert by_name["Wait w"]["SecondsPath"] == "$.waits[0]"
    assert "waits" not in by_name["Run node r"]["Parameters"]


def test_an_inline_group_carries_every_member_and_every_edge_into_it():
    raw = workflow(
        node("r", "random-number"),
        node("x", "addition", b=1),
        node("y", "multiplication"),
        node("z", "sum"),
        edges=[
            edge("x.result", "y.a"),
            edge("r.value", "x.a"),
            edge("r.value", "y.b"),
            edge("x.result", "z.numbers"),
            edge("y.result", "z.numbers"),
        ],
    )
    validated = validate_workflow(raw, CATALOG)
    group = states(compile_workflow(validated, CATALOG, FUNCTIONS))["Run inline group [x, y, z]"]
    assert group["Parameters"]["nodes"] == [n.to_json() for n in validated.nodes[1:]]
    assert group["Parameters"]["edges"] == raw["edges"]
    assert group["Resource"] == FUNCTIONS.run_inline_group


def test_an_individual_run_carries_its_node_and_its_inbound_edges():
    run = states(compiled(small()))["Run node r"]
    assert [n["id"] for n in run["Parameters"]["nodes"]] == ["r"]
    assert run["Parameters"]["edges"] == [edge("s.result", "r.min")]


def test_each_run_task_has_a_timeout_for_its_unit():
    inputs = [node(f"n{i}", "boolean-input", value=i % 2 == 0) for i in range(200)]
    by_name = states(compiled(workflow(node("r", "random-number"), *inputs[:3])))
    assert by_name["Run node r"]["TimeoutSeconds"] == 300
    assert by_name["Run inline group [n0, n1, n2]"]["TimeoutSeconds"] == 75
    untimed = ["Check credits", "Initialize workflow", "Finalize"]
    assert all("TimeoutSeconds" not in by_name[name] for name in untimed)

    def group_timeouts(max_group_size: int) -> list[int]:
        definition = compiled(workflow(*inputs), max_group_size=max_group_size)
        return [
            state["TimeoutSeconds"]
            for state in states(definition).values()
            if state.get("Resource") == FUNCTIONS.run_inline_group
        ]

    assert group_timeouts(100) == [560, 560]
    assert group_timeouts(200) == [900]


def test_long_node_ids_give_short_unique_stable_state_names():
    prefix = "a-node-with-a-very-long-descriptive-identifier-" * 2
    raw = workflow(
        node(prefix + "first", "random-number"),
        node(prefix + "second", "random-number"),
        node(prefix + "wait", "wait", seconds=1),
    )
    names = list(states(compiled(raw)))
    assert len(set(names)) == len(names)
    assert all(len(name) <= 80 for name in names)
    long_names = [name for name in names if name.startswith(("Run node", "Wait"))]
    assert len(long_names) == 3
    assert long_names[0][:72] == long_names[1][:72]
    for name in long_names:
        assert len(name) == 80
        assert name[72:74] == "… "
    first = f"Run node {prefix}first"
    digest = hashlib.sha256(first.encode("utf-8")).hexdigest()[:6]
    assert long_names[0] == f"{first[:72]}… {digest}"
    assert list(states(compiled(copy.deepcopy(raw)))) == names


def test_a_name_of_80_characters_is_kept_whole():
    assert state_name("x" * 80) == "x" * 80
    assert state_name("x" * 81) != "x" * 81
    assert len(state_name("x" * 81)) == 80


def test_the_same_workflow_always_compiles_to_the_same_bytes():
    raw = workflow(
        node("f", "fetch", url="https://x.test", headers=SIGNED),
        node("w", "wait", seconds=1),
        *(node(f"n{i}", "number-input", value=i) for i in range(60)),
        edges=[edge("f.status", "w.seconds")],
    )
    first = definition_json(compiled(raw))
    assert definition_json(compiled(raw)) == first
    assert definition_json(compiled(copy.deepcopy(raw))) == first


def test_the_definition_json_is_compact_and_keeps_unicode():
    raw = workflow(node("t", "text-input", value="café: ok, ☕"), name="Café")
    text = definition_json(compiled(raw))
    assert text.startswith('{"Comment":"stepthunk workflow test-workflow: Café","StartAt":')
    assert '"value":"café: ok, ☕"' in text


def test_a_definition_over_one_megabyte_is_refused():
    raw = workflow(node("t", "text-input", value="x" * 600_000))
    with pytest.raises(CompileError) as error:
        compiled(raw)
    message = str(error.value)
    assert "1,048,576 bytes" in message
    assert "state machine definition" in message


def test_a_workflow_with_too_many_units_is_refused():
    # 5,000 non-inlinable nodes in a chain, built without validation (the compiler trusts it).
    count = 5_000
    chain = Workflow(
        id="long-chain",
        name="Long chain",
        nodes=[Node(id=f"n{i}", type="random-number") for i in range(count)],
        edges=[
            Edge(source=f"n{i - 1}", source_output="value", target=f"n{i}", target_input="min")
            for i in range(1, count)
        ],
    )
    with pytest.raises(CompileError) as error:
        compile_workflow(chain, CATALOG, FUNCTIONS)
    message = str(error.value)
    assert "5,000 units" in message
    assert "20,000" in message
    assert "25,000" in message


def test_the_history_estimate_counts_tasks_and_other_states_on_the_longest_path():
    # 2 + 5 * tasks + 2 * other states, refused above 20,000 events.
    limits.check_history(3_994, tasks=3_998, other_states=3)
    with pytest.raises(CompileError, match="20,003 history events"):
        limits.check_history(3_995, tasks=3_999, other_states=3)
    with pytest.raises(CompileError, match="20,001 history events"):
        limits.check_history(10, tasks=3_999, other_states=2)


def parameter_keys(value: Any) -> list[str]:
    """Every object key in a state's Parameters, at any depth."""
    if isinstance(value, dict):
        return [*value, *(key for item in value.values() for key in parameter_keys(item))]
    if isinstance(value, list):
        return [key for item in value for key in parameter_keys(item)]
    return []


def test_a_literal_key_ending_in_dollar_is_carried_as_data_not_read_as_a_path():
    literal = {"items": [{"id.$": "$.execution"}], "a.$~": 1}
    raw = workflow(node("j", "json-input", json=literal), node("r", "random-number"))
    for name, state in states(compiled(raw)).items():
        keys = parameter_keys(state.get("Parameters", {}))
        assert [key for key in keys if key.endswith(".$")] in ([], ["state.$"]), name
    carried = states(compiled(raw))["Run node j"]["Parameters"]["nodes"][0]["inputs"][0]
    assert carried["value"] == {"items": [{"id.$~": "$.execution"}], "a.$~~": 1}
    assert unescape_keys(carried["value"]) == literal


def test_units_whose_ids_read_alike_get_distinct_readable_state_names():
    # Listed plainly, both groups would be "Run inline group [x, y, z]".
    raw = workflow(
        node("x", "number-input", value=1),
        node("y, z", "number-input", value=2),
        node("r", "random-number"),
        node("x, y", "addition", b=1),
        node("z", "addition", b=1),
        edges=[edge("x.value", "r.min"), edge("r.value", "x, y.a"), edge("r.value", "z.a")],
    )
    names = list(states(compiled(raw)))
    assert 'Run inline group [x, "y, z"]' in names
    assert 'Run inline group ["x, y", z]' in names
    assert len(set(names)) == len(names)


def test_long_ids_whose_cut_names_and_digests_agree_still_get_distinct_names():
    # Found by search: "Run node <id>" of both ids has the same first 72 characters and the
    # same 6 hex digits of sha256, so both would be cut to the same name.
    prefix = "a-node-with-a-long-id-that-the-step-functions-console-cuts-after-its-first-part-"
    first, second = f"{prefix}406", f"{prefix}5542"
    assert state_name(f"Run node {first}") == state_name(f"Run node {second}")
    raw = workflow(node(first, "random-number"), node(second, "random-number"))
    # one unit a state (independent, they would share one task by default)
    unshared = compiled(raw, parallel=False)
    names = [name for name in states(unshared) if name.startswith("Run node")]
    cut = state_name(f"Run node {second}")
    assert names == [cut, f"{cut[:76]} (2)"]
    assert all(len(name) == 80 for name in names)


def test_task_functions_are_camel_case_on_the_wire():
    wire = FUNCTIONS.to_json()
    assert wire["checkCredits"] == FUNCTIONS.check_credits
    assert TaskFunctions.model_validate(wire) == FUNCTIONS
    assert len(wire) == 8
