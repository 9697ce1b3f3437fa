"""The ASL compiler: one Amazon States Language definition per validated workflow.

The states, their names and their parameters are the contract with the Lambda handlers (see
`lambdas.runtime.state` for the state document that flows between them). Every Lambda task
uses its plain function ARN as `Resource`, so `Parameters` is the Lambda's event and its
return value is the task's result.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from statemachine import limits
from statemachine import state_names as names
from statemachine.asl import (
    State,
    choice,
    definition_json,
    fail,
    path_counts,
    task,
    unique,
)
from statemachine.calls import (
    FINISH_CALL,
    FINISH_FOR_EACH,
    START_CHILD_RESOURCE,
    called_ids,
    is_call,
)
from statemachine.catalog import Catalog, estimate_usage
from statemachine.error_names import (
    ALL_ERRORS,
    CREDITS_EXHAUSTED,
    INSUFFICIENT_CREDITS,
    NODE_ATTEMPT_FAILED,
    WORKFLOW_EXECUTION_ERROR,
)
from statemachine.event_wait_states import event_wait_states
from statemachine.event_waits import is_event_wait, is_form_wait
from statemachine.for_each import is_for_each
from statemachine.for_each_states import for_each_states
from statemachine.model import Node, Workflow
from statemachine.parts import (
    PART_SHARE,
    STEP_FUNCTIONS_SERVICE_ERRORS,
    PartArn,
    part_definition,
    part_tasks,
    split,
)
from statemachine.planner import (
    DEFAULT_MAX_GROUP_SIZE,
    IndividualUnit,
    InlineUnit,
    Plan,
    Wiring,
    plan_workflow,
)
from statemachine.task_functions import TaskFunctions as TaskFunctions  # what it compiles for
from statemachine.waves import WAIT_NODE_TYPE, waves

INDIVIDUAL_TIMEOUT_SECONDS = limits.INDIVIDUAL_TIMEOUT_SECONDS
INLINE_BASE_SECONDS = 60
INLINE_SECONDS_PER_MEMBER = 5
MAX_TASK_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class _Step:
    """One plan unit as a state: a Task running `nodes`, or the Wait state of one wait node."""

    name: str
    nodes: list[Node]
    inline: bool = False
    wait: bool = False
    call: bool = False
    for_each: bool = False
    # a wait-for-event node's: the name of the task that settles it (its own waits)
    settle: str | None = None


@dataclass(frozen=True)
class Compiled:
    """A workflow's state machines: `definition`, the one its executions start, and `parts`,
    the machines it starts one after another (none when the workflow fits one machine).

    `documents` (blob bucket key -> content) must be stored before the machine runs: the
    workflow itself, when `Initialize workflow` reads it from there.
    """

    definition: dict[str, Any]
    parts: list[dict[str, Any]] = field(default_factory=list)
    documents: dict[str, bytes] = field(default_factory=dict)


def compile_workflow(
    workflow: Workflow,
    catalog: Catalog,
    functions: TaskFunctions,
    *,
    max_group_size: int = DEFAULT_MAX_GROUP_SIZE,
    parallel: bool | None = None,
) -> dict[str, Any]:
    """The state machine definition of a validated workflow, or CompileError (also when it
    needs more than one machine: see `compile_machines`).

    `parallel` None is the compiler's choice: independent units of nodes that are not
    inlinable share a task that runs them side by side (`statemachine.waves`); True runs
    every wave of independent units in Parallel states, False one unit a state. The result
    is a pure function of its arguments, with a stable key order.
    """
    return _compile(workflow, catalog, functions, max_group_size, parallel, None).definition


def compile_machines(
    workflow: Workflow,
    catalog: Catalog,
    functions: TaskFunctions,
    *,
    part_arn: PartArn,
    max_group_size: int = DEFAULT_MAX_GROUP_SIZE,
    parallel: bool | None = None,
    max_definition_bytes: int = limits.MAX_DEFINITION_BYTES,
) -> Compiled:
    """The workflow's state machines: one, as `compile_workflow` makes it, when it fits
    `max_definition_bytes` and the execution history; else a machine that starts parts
    (`part_arn` says where each is deployed) with `StartExecution.sync`, each within
    PART_SHARE of `max_definition_bytes`."""
    splitting = (part_arn, max_definition_bytes)
    return _compile(workflow, catalog, functions, max_group_size, parallel, splitting)


def _compile(
    workflow: Workflow,
    catalog: Catalog,
    functions: TaskFunctions,
    max_group_size: int,
    parallel: bool | None,
    splitting: tuple[PartArn, int] | None,
) -> Compiled:
    plan = plan_workflow(workflow, catalog, max_group_size=max_group_size)
    node_ids = [node.id for node in workflow.nodes]
    order = waves(workflow, catalog, plan, parallel, max_group_size)
    parallel_states = parallel is True
    initialize: dict[str, Any] = {
        "workflow": workflow.to_json(),
        "planDigest": plan.digest(),
        "maxGroupSize": max_group_size,
        "nodeIds": list(node_ids),
    }
    preloads = _preloads(workflow, catalog)
    if preloads:
        initialize["preload"] = preloads

    def one_machine() -> tuple[dict[str, Any], int]:
        units = _units(workflow, plan, functions, initialize, order, parallel_states)
        definition = _machine(workflow, catalog, functions, units, len(plan.units))
        size = len(definition_json(definition).encode("utf-8"))
        limits.check_size(size)
        limits.check_task_parameters(definition["States"])
        return definition, size

    if splitting is None:
        return Compiled(one_machine()[0])
    part_arn, most = splitting
    document = encode_document(initialize["workflow"])
    # Tasks carrying their nodes put the workflow in the definition twice over: one larger
    # than a machine may take cannot fit so.
    if len(document) <= most:
        with contextlib.suppress(limits.TooLarge):
            definition, size = one_machine()
            if size <= most:
                return Compiled(definition)
    key = document_key(document)
    by_reference = {k: v for k, v in initialize.items() if k not in ("workflow", "nodeIds")}
    opening = {"workflowKey": key, **by_reference}
    first, *rest = _units(workflow, plan, functions, opening, order, parallel_states, key)
    # Tasks that read their nodes from the stored workflow: one machine may do yet.
    with contextlib.suppress(limits.TooLarge):
        states = [first, *rest]
        definition = _machine(workflow, catalog, functions, states, len(plan.units), key)
        limits.check_size(len(definition_json(definition).encode("utf-8")), most)
        limits.check_task_parameters(definition["States"])
        return Compiled(definition, [], {key: document})
    if workflow.short_lived:  # an Express machine cannot wait for another (.sync)
        raise limits.TooLarge(
            f"The workflow has {len(plan.units):,} units: more than one Express state "
            "machine can run; drop `shortLived` to run it in parts on Standard machines"
        )
    budget = int(most * PART_SHARE)
    groups = split(rest, budget)
    parts = [
        part_definition(workflow, i, len(groups), states) for i, states in enumerate(groups, 1)
    ]
    for part in parts:
        limits.check_size(len(definition_json(part).encode("utf-8")), most)
        limits.check_task_parameters(part["States"])
    parent = [first, *part_tasks(part_arn, len(parts))]
    definition = _machine(workflow, catalog, functions, parent, len(plan.units), key)
    limits.check_size(len(definition_json(definition).encode("utf-8")), most)
    limits.check_task_parameters(definition["States"])
    return Compiled(definition, parts, {key: document})


def machine_type(workflow: Workflow) -> str:
    """The type of the workflow's state machine: EXPRESS for a short-lived workflow."""
    return "EXPRESS" if workflow.short_lived else "STANDARD"


def encode_document(value: Any) -> bytes:
    """`value` as the compact UTF-8 JSON stored in the blob bucket."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def document_key(document: bytes) -> str:
    """The blob bucket key of a workflow's stored JSON: named by its content, so immutable."""
    return f"workflows/{hashlib.sha256(document).hexdigest()}.json"


def _machine(
    workflow: Workflow,
    catalog: Catalog,
    functions: TaskFunctions,
    states: list[tuple[str, State]],
    units: int,
    workflow_key: str | None = None,
) -> dict[str, Any]:
    """The machine executions start: credits, `states` (initialize and the units or the
    parts), Finalize and the ends, with the longest path checked."""
    node_ids = [node.id for node in workflow.nodes]
    # Finalize reads the node ids from the stored workflow when there is one.
    finalize = {"workflowKey": workflow_key} if workflow_key else {"nodeIds": list(node_ids)}
    finalizing = (names.FINALIZE, task(functions.finalize, finalize, catch=False))
    # chained copies: the caller's states stay as they are, to be placed elsewhere too
    run = [(name, dict(state)) for name, state in [*states, finalizing]]
    for (_, state), (following, _) in itertools.pairwise(run):
        if state["Type"] == "Choice":
            state["Default"] = following
        else:  # a state that names its next itself (a for-each's inline Map) keeps it
            state.setdefault("Next", following)
    run[-1][1]["Next"] = names.OUTCOME
    counts = path_counts(run)
    # The longest path adds Check credits, the Outcome Choice and one end state to the run.
    limits.check_history(units, tasks=1 + counts["tasks"], other_states=2 + counts["other_states"])
    estimate: dict[str, Any] = {"estimate": estimate_usage(workflow, catalog)}
    if calls := called_ids(workflow):  # Check credits adds one run of each, as deployed
        estimate["calls"] = calls
    exhausted = {"status": "exhausted", **finalize}
    check = task(functions.check_credits, estimate)
    check["Next"] = run[0][0]
    # Too few credits is an error of Check credits, caught: no Choice on the common path.
    check["Catch"].insert(
        0,
        {
            "ErrorEquals": [CREDITS_EXHAUSTED],
            "ResultPath": "$.failure",
            "Next": names.PERSIST_EXHAUSTED,
        },
    )
    states_by_name = unique(
        [
            (names.CHECK_CREDITS, check),
            (names.PERSIST_EXHAUSTED, task(functions.persist, exhausted)),
            (names.EXHAUSTED, fail(CREDITS_EXHAUSTED, Cause=INSUFFICIENT_CREDITS)),
            *run,
            (names.OUTCOME, choice("$.status", "completed", names.SUCCEEDED)),
            (names.SUCCEEDED, {"Type": "Succeed"}),
            (names.FAILED, fail(WORKFLOW_EXECUTION_ERROR, CausePath="$.error")),
        ]
    )
    states_by_name[names.PERSIST_EXHAUSTED]["Next"] = names.EXHAUSTED
    states_by_name[names.OUTCOME]["Default"] = names.FAILED
    return {
        "Comment": f"stepthunk workflow {workflow.id}: {workflow.name}",
        "StartAt": names.CHECK_CREDITS,
        "States": states_by_name,
    }


def _preloads(workflow: Workflow, catalog: Catalog) -> list[str]:
    """What Initialize preloads, sealed, for the nodes to open (SPEC §7): "secrets" when a
    node may read one, "integrations" when a node type uses them. Done by Initialize rather
    than states of their own, to save a state transition (and a Lambda call) each."""
    specs = [catalog[node.type] for node in workflow.nodes]
    connected: dict[str, set[str]] = {node.id: set() for node in workflow.nodes}
    for edge in workflow.edges:
        connected[edge.target].add(edge.target_input)
    secrets = any(
        spec.node_reads_secrets(node, connected[node.id])
        for node, spec in zip(workflow.nodes, specs, strict=True)
    )
    preloads = []
    if secrets:
        preloads.append("secrets")
    if any(spec.uses_integrations for spec in specs):
        preloads.append("integrations")
    return preloads


def _units(
    workflow: Workflow,
    plan: Plan,
    functions: TaskFunctions,
    initialize: dict[str, Any],
    waves: list[list[int]],
    parallel_states: bool,
    workflow_key: str | None = None,
) -> list[tuple[str, State]]:
    """Initialize workflow (which persists the start record), then the units wave by wave:
    a wave of one unit is its state; a wave of several is one task running them side by
    side, or with `parallel_states` a Parallel state with a branch per unit. A task before
    Wait states resolves their waits.

    Each task carries the nodes it runs and the edges into them; with `workflow_key`, only
    their ids, the task reading them from the workflow stored there. It names its unit
    ("unit", the plan's index), the unit of each node it reads from another ("reads") and
    the units of the waits it resolves ("waitUnits"): each unit keeps its results apart
    (lambdas.runtime.ports.ProgressStore) and reads only those."""
    nodes = {node.id: node for node in workflow.nodes}
    wiring = Wiring(workflow, plan)

    def edges_into(members: list[Node]) -> list[dict[str, Any]]:
        return [edge.to_json() for edge in wiring.edges_into(node.id for node in members)]

    named = names.StateNames()
    steps = [_step(unit, nodes, named) for unit in plan.units]

    def waits_from(start: int) -> list[Node]:
        """The wait nodes of the run of Wait states from `start` on."""
        following = []
        for step in steps[start:]:
            if not step.wait:
                break
            following.append(step.nodes[0])
        return following

    def resolving(
        parameters: dict[str, Any], members: list[Node], start: int, own: int | None
    ) -> dict[str, Any]:
        """`parameters` with what the task reads and the waits it resolves, those of the
        run of Wait states from `start` on."""
        following = waits_from(start)
        fed = wiring.reads((node.id for node in [*members, *following]), own)
        if fed:
            parameters["reads"] = dict(sorted(fed.items(), key=lambda item: item[1]))
        if not following:
            return parameters
        parameters["waitUnits"] = list(range(start, start + len(following)))
        if workflow_key is not None:
            parameters["waitIds"] = [node.id for node in following]
        else:
            parameters["waits"] = [
                {"node": node.to_json(), "edges": edges_into([node])} for node in following
            ]
        return parameters

    def carried(step: _Step) -> dict[str, Any]:
        """The nodes a task runs and the edges into them, or only their ids when it reads
        them from the stored workflow (Initialize put its key in the state)."""
        if workflow_key is not None:
            return {"nodeIds": [node.id for node in step.nodes]}
        return {"nodes": [node.to_json() for node in step.nodes], "edges": edges_into(step.nodes)}

    def unit_task(index: int, *, waits: bool = True, **more: Any) -> State:
        step = steps[index]
        parameters: dict[str, Any] = {**carried(step), **more, "unit": index}
        # a branch of a Parallel state resolves no waits: none follows it in its branch;
        # nor does a run-workflow node's task: the task finishing the node does
        start = len(steps) if "branch" in more or not waits else index + 1
        resolving(parameters, step.nodes, start, index)
        resource = functions.run_inline_group if step.inline else functions.run_node
        state = task(resource, parameters, _timeout(step))
        if not step.inline and step.nodes[0].has_policy:
            _apply_policy(state, step.nodes[0])
        return state

    def together_task(wave: list[int]) -> tuple[str, State]:
        """One task running the units of `wave` side by side, each as `unit_task` would."""
        # no Wait state follows a unit that shares a task: none resolves waits
        members = [
            resolving({**carried(steps[i]), "unit": i}, steps[i].nodes, len(steps), i) for i in wave
        ]
        state = task(functions.run_node, {"together": members}, INDIVIDUAL_TIMEOUT_SECONDS)
        # A retried task reuses the units that completed before the failure.
        state["Parameters"]["attempt.$"] = "$$.State.RetryCount"
        member_ids = [node.id for i in wave for node in steps[i].nodes]
        return named.claim(names.run_nodes(member_ids)), state

    def event_task(index: int) -> list[tuple[str, State]]:
        """A wait-for-event node's waiting task and the task that settles it, which resolves
        the Wait states that follow (statemachine.event_waits)."""
        step = steps[index]
        assert step.settle is not None
        waiting = resolving({**carried(step), "unit": index}, step.nodes, len(steps), index)
        settling = resolving({**carried(step), "unit": index}, step.nodes, index + 1, index)
        [node] = step.nodes
        names_ = (step.name, step.settle)
        return list(event_wait_states(node, functions.run_node, waiting, settling, names_))

    opening = resolving({**initialize, "units": len(plan.units)}, [], 0, None)
    states = [(names.INITIALIZE, task(functions.initialize, opening))]
    position = 0  # of a Wait state among those that follow the same task
    for wave in waves:
        if len(wave) > 1 and not parallel_states:
            states.append(together_task(wave))
            continue
        if len(wave) > 1:
            branches = [
                (steps[i], unit_task(i, branch="carry" if j == 0 else "own"))
                for j, i in enumerate(wave)
            ]
            states.append(_parallel(branches, named))
            continue
        [i] = wave
        step = steps[i]
        if step.wait:
            states.append((step.name, {"Type": "Wait", "SecondsPath": f"$.waits[{position}]"}))
            position += 1
            continue
        position = 0
        if step.settle is not None:
            states += event_task(i)
            continue
        states.append((step.name, unit_task(i, waits=not (step.call or step.for_each))))
        if step.call:
            finishing = unit_task(i, **{FINISH_CALL: True})
            states += _call_states(step.nodes[0], finishing, named)
        if step.for_each:
            finishing = unit_task(i, **{FINISH_FOR_EACH: True})
            states += for_each_states(step.nodes[0], finishing, named)
    return states


def _call_states(node: Node, finishing: State, named: names.StateNames) -> list[tuple[str, State]]:
    """After the task of run-workflow node `node` (which prepared its child, `$.call`, or
    failed it): a Choice going past the child when there is none, the task running the
    child to its end (StartExecution.sync:2, its failure caught into the state), and
    `finishing`, the task completing the node from the child's record."""
    running = named.claim(names.run_workflow(node.id))
    finish = named.claim(names.finish_call(node.id))
    choice = named.claim(names.if_calling(node.id))
    none = {"Variable": "$.call", "IsPresent": False, "Next": finish}
    child: State = {
        "Type": "Task",
        "Resource": START_CHILD_RESOURCE,
        "Parameters": {
            "StateMachineArn.$": "$.call.stateMachineArn",
            "Input.$": "$.call.input",
            "Name.$": "$.call.executionId",
        },
        # The state goes on as it was: the child's record says how it ended.
        "ResultPath": None,
        "Retry": [
            {
                "ErrorEquals": list(STEP_FUNCTIONS_SERVICE_ERRORS),
                "IntervalSeconds": 1,
                "MaxAttempts": 3,
                "BackoffRate": 2.0,
            }
        ],
        # A child that failed fails the node, not the execution: the next task says why.
        "Catch": [{"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.call.failure", "Next": finish}],
    }
    return [(choice, {"Type": "Choice", "Choices": [none]}), (running, child), (finish, finishing)]


def _parallel(branches: list[tuple[_Step, State]], named: names.StateNames) -> tuple[str, State]:
    """A Parallel state running the units' tasks at once, one branch each.

    Each branch returns the bytes its unit's outputs hold, the first ("carry") also those
    of an earlier Parallel state not yet added up; `$.branches` collects them for the next
    task. A branch has no Catch of its own: a failure that outlasts its retries is caught
    by the Parallel state, into Finalize.
    """
    made = []
    for step, branch in branches:
        del branch["Catch"]
        branch["End"] = True
        made.append({"StartAt": step.name, "States": {step.name: branch}})
    member_ids = [node.id for step, _ in branches for node in step.nodes]
    state: State = {
        "Type": "Parallel",
        "Branches": made,
        "ResultPath": "$.branches",
        "Catch": [{"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.failure", "Next": names.FINALIZE}],
    }
    return named.claim(names.run_in_parallel(member_ids)), state


def _step(
    unit: IndividualUnit | InlineUnit, nodes: dict[str, Node], named: names.StateNames
) -> _Step:
    if isinstance(unit, InlineUnit):
        members = [nodes[node_id] for node_id in unit.node_ids]
        return _Step(named.claim(names.run_inline_group(unit.node_ids)), members, inline=True)
    node = nodes[unit.node_id]
    if node.type == WAIT_NODE_TYPE:
        return _Step(named.claim(names.wait(node.id)), [node], wait=True)
    if is_event_wait(node):
        form = is_form_wait(node)
        waiting = named.claim((names.wait_for_form if form else names.wait_for_event)(node.id))
        settle = (names.resume_after_form if form else names.resume_after_event)(node.id)
        return _Step(waiting, [node], settle=named.claim(settle))
    name = named.claim(names.run_node(node.id))
    return _Step(name, [node], call=is_call(node), for_each=is_for_each(node))


def _apply_policy(state: State, node: Node) -> None:
    """Make the task of `node` retry the node's failed attempts as its policy says, each a
    retry in the execution's history, and stop a task that outlives the node's timeout (the
    task stops the node itself first: REPORT_SECONDS later, the task is a fault)."""
    if node.timeout_seconds is not None:
        state["TimeoutSeconds"] = node.timeout_seconds + limits.REPORT_SECONDS
    retry = node.retry
    if retry is None or retry.max_attempts < 2:
        return
    rule: dict[str, Any] = {
        "ErrorEquals": [NODE_ATTEMPT_FAILED],
        "IntervalSeconds": retry.interval_seconds,
        "MaxAttempts": retry.max_attempts - 1,
        "BackoffRate": retry.backoff_rate,
    }
    if retry.max_delay_seconds is not None:
        rule["MaxDelaySeconds"] = retry.max_delay_seconds
    rule["JitterStrategy"] = "FULL"
    state["Retry"].insert(0, rule)


def _timeout(step: _Step) -> int:
    if not step.inline:
        return INDIVIDUAL_TIMEOUT_SECONDS
    members = len(step.nodes)
    return min(MAX_TASK_TIMEOUT_SECONDS, INLINE_BASE_SECONDS + INLINE_SECONDS_PER_MEMBER * members)
