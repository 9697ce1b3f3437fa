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
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from statemachine import limits
from statemachine import state_names as names
from statemachine.catalog import Catalog
from statemachine.error_names import (
    ALL_ERRORS,
    CREDITS_EXHAUSTED,
    INSUFFICIENT_CREDITS,
    LAMBDA_SERVICE_ERRORS,
    TRANSIENT_ERROR,
    WORKFLOW_EXECUTION_ERROR,
)
from statemachine.errors import CompileError
from statemachine.graph import dependencies
from statemachine.model import Node, WireModel, Workflow
from statemachine.planner import (
    DEFAULT_MAX_GROUP_SIZE,
    IndividualUnit,
    InlineUnit,
    Plan,
    plan_workflow,
)

# The node type whose units become Wait states (lambdas/nodes/date.py declares it).
WAIT_NODE_TYPE = "wait"

# A part of a workflow too large for one machine runs as its own state machine.
START_PART_RESOURCE = "arn:aws:states:::states:startExecution.sync:2"
STEP_FUNCTIONS_SERVICE_ERRORS = (
    "StepFunctions.AWSStepFunctionsException",
    "StepFunctions.SdkClientException",
    "StepFunctions.ExecutionLimitExceededException",
)

# A part's definition at most, as a share of the most a machine may take: room for names.
PART_SHARE = 0.85

# Branches of one Parallel state at most: a wider wave runs as several Parallel states, so
# that the branches' results stay well within the 256 KiB a state may carry.
MAX_BRANCHES = 25

INDIVIDUAL_TIMEOUT_SECONDS = 300
INLINE_BASE_SECONDS = 60
INLINE_SECONDS_PER_MEMBER = 5
MAX_TASK_TIMEOUT_SECONDS = 900

State = dict[str, Any]


class TaskFunctions(WireModel):
    """The Lambda function ARN of each task of the state machine."""

    check_credits: str = Field(min_length=1)
    preload_secrets: str = Field(min_length=1)
    preload_integrations: str = Field(min_length=1)
    initialize: str = Field(min_length=1)
    persist: str = Field(min_length=1)
    run_node: str = Field(min_length=1)
    run_inline_group: str = Field(min_length=1)
    finalize: str = Field(min_length=1)


@dataclass(frozen=True)
class _Step:
    """One plan unit as a state: a Task running `nodes`, or the Wait state of one wait node."""

    name: str
    nodes: list[Node]
    inline: bool = False
    wait: bool = False


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


# Where a part's state machine is: its ARN from its number (1, 2, ...).
PartArn = Callable[[int], str]
MAX_MACHINE_NAME_LENGTH = 80


def part_machine_name(name: str, number: int) -> str:
    """The name of part `number` of the state machine `name` (cut to fit, its end kept)."""
    suffix = f"-part-{number}"
    return f"{name[: MAX_MACHINE_NAME_LENGTH - len(suffix)]}{suffix}"


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

    `parallel` None lets `runs_in_parallel` choose whether independent units run in
    Parallel states; True or False forces the choice. The result is a pure function of its
    arguments, with a stable key order.
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
    limits.refuse_path_keys(workflow)
    plan = plan_workflow(workflow, catalog, max_group_size=max_group_size)
    node_ids = [node.id for node in workflow.nodes]
    waves = _waves(workflow, catalog, plan, parallel)
    initialize = {
        "workflow": workflow.to_json(),
        "planDigest": plan.digest(),
        "maxGroupSize": max_group_size,
        "nodeIds": list(node_ids),
    }
    preloads = _preloads(workflow, catalog, functions)

    def one_machine() -> tuple[dict[str, Any], int]:
        units = _units(workflow, plan, functions, initialize, waves)
        definition = _machine(workflow, catalog, functions, [*preloads, *units], len(plan.units))
        size = len(definition_json(definition).encode("utf-8"))
        limits.check_size(size)
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
    key = f"workflows/{hashlib.sha256(document).hexdigest()}.json"
    by_reference = {k: v for k, v in initialize.items() if k not in ("workflow", "nodeIds")}
    first, *rest = _units(
        workflow, plan, functions, {"workflowKey": key, **by_reference}, waves, key
    )
    # Tasks that read their nodes from the stored workflow: one machine may do yet.
    with contextlib.suppress(limits.TooLarge):
        states = [*preloads, first, *rest]
        definition = _machine(workflow, catalog, functions, states, len(plan.units), key)
        limits.check_size(len(definition_json(definition).encode("utf-8")), most)
        return Compiled(definition, [], {key: document})
    if workflow.short_lived:  # an Express machine cannot wait for another (.sync)
        raise limits.TooLarge(
            f"The workflow has {len(plan.units):,} units: more than one Express state "
            "machine can run; drop `shortLived` to run it in parts on Standard machines"
        )
    first, *rest = _units(
        workflow, plan, functions, {"workflowKey": key, **by_reference}, waves, key
    )
    budget = int(most * PART_SHARE)
    groups = _split(rest, budget)
    parts = [_part(workflow, i, len(groups), states) for i, states in enumerate(groups, 1)]
    for part in parts:
        limits.check_size(len(definition_json(part).encode("utf-8")), most)
    parent = [*preloads, first, *_part_tasks(part_arn, len(parts))]
    definition = _machine(workflow, catalog, functions, parent, len(plan.units), key)
    limits.check_size(len(definition_json(definition).encode("utf-8")), most)
    return Compiled(definition, parts, {key: document})


def machine_type(workflow: Workflow) -> str:
    """The type of the workflow's state machine: EXPRESS for a short-lived workflow."""
    return "EXPRESS" if workflow.short_lived else "STANDARD"


def encode_document(value: Any) -> bytes:
    """`value` as the compact UTF-8 JSON stored in the blob bucket."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _machine(
    workflow: Workflow,
    catalog: Catalog,
    functions: TaskFunctions,
    states: list[tuple[str, State]],
    units: int,
    workflow_key: str | None = None,
) -> dict[str, Any]:
    """The machine executions start: credits, `states` (preloads, initialize and the units
    or the parts), Finalize and the ends, with the longest path checked."""
    node_ids = [node.id for node in workflow.nodes]
    # Finalize reads the node ids from the stored workflow when there is one.
    finalize = {"workflowKey": workflow_key} if workflow_key else {"nodeIds": list(node_ids)}
    run = [
        *states,
        (names.FINALIZE, _task(functions.finalize, finalize, catch=False)),
    ]
    for (_, state), (following, _) in itertools.pairwise(run):
        if state["Type"] == "Choice":
            state["Default"] = following
        else:
            state["Next"] = following
    run[-1][1]["Next"] = names.OUTCOME
    counts = _path_counts(run)
    # The longest path adds Check credits, the Outcome Choice and one end state to the run.
    limits.check_history(units, tasks=1 + counts["tasks"], other_states=2 + counts["other_states"])
    estimate = sum(catalog[node.type].usage for node in workflow.nodes)
    exhausted = {"status": "exhausted", "nodeIds": list(node_ids)}
    check = _task(functions.check_credits, {"estimate": estimate})
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
    states_by_name = _unique(
        [
            (names.CHECK_CREDITS, check),
            (names.PERSIST_EXHAUSTED, _task(functions.persist, exhausted)),
            (names.EXHAUSTED, _fail(CREDITS_EXHAUSTED, Cause=INSUFFICIENT_CREDITS)),
            *run,
            (names.OUTCOME, _choice("$.status", "completed", names.SUCCEEDED)),
            (names.SUCCEEDED, {"Type": "Succeed"}),
            (names.FAILED, _fail(WORKFLOW_EXECUTION_ERROR, CausePath="$.error")),
        ]
    )
    states_by_name[names.PERSIST_EXHAUSTED]["Next"] = names.EXHAUSTED
    states_by_name[names.OUTCOME]["Default"] = names.FAILED
    return {
        "Comment": f"stepthunk workflow {workflow.id}: {workflow.name}",
        "StartAt": names.CHECK_CREDITS,
        "States": states_by_name,
    }


def _path_counts(states: list[tuple[str, State]]) -> dict[str, int]:
    """The Task states and the other states a path through `states` enters; a Parallel
    state records as many events as two other states."""
    tasks = sum(_tasks(state) for _, state in states)
    others = sum({"Task": 0, "Parallel": 2}.get(state["Type"], 1) for _, state in states)
    return {"tasks": tasks, "other_states": others}


def _split(states: list[tuple[str, State]], budget: int) -> list[list[tuple[str, State]]]:
    """The unit states in consecutive parts of at most `budget` bytes of definition and of
    a history within budget; a task and the Wait states it resolves stay together."""
    segments: list[list[tuple[str, State]]] = []
    for name, state in states:
        if state["Type"] == "Wait" and segments:
            segments[-1].append((name, state))
        else:
            segments.append([(name, state)])
    parts: list[list[tuple[str, State]]] = []
    size = tasks = others = 0
    for segment in segments:
        added = sum(_size(name, state) for name, state in segment)
        counts = _path_counts(segment)
        events = limits.history_events(
            tasks=tasks + counts["tasks"], other_states=others + counts["other_states"]
        )
        if not parts or size + added > budget or events > limits.HISTORY_EVENT_BUDGET:
            parts.append([])
            size = tasks = others = 0
        parts[-1].extend(segment)
        size += added
        tasks += counts["tasks"]
        others += counts["other_states"]
    return parts


def _size(name: str, state: State) -> int:
    return len(definition_json({name: state}).encode("utf-8"))


def _part(
    workflow: Workflow, number: int, count: int, states: list[tuple[str, State]]
) -> dict[str, Any]:
    """Part `number` of `count`: its units one after another. A failure that outlasts its
    retries ends the part (successfully, the failure in the state), and the machine that
    started it goes on to Finalize."""
    chained = [(name, dict(state)) for name, state in states]
    for (_, state), (following, _) in itertools.pairwise(chained):
        state["Next"] = following
    chained[-1][1].pop("Next", None)
    chained[-1][1]["End"] = True
    for _, state in chained:
        if "Catch" in state:
            state["Catch"] = [{**catch, "Next": names.STOPPED} for catch in state["Catch"]]
    return {
        "Comment": f"stepthunk workflow {workflow.id}: {workflow.name}, part {number} of {count}",
        "StartAt": chained[0][0],
        "States": _unique([*chained, (names.STOPPED, {"Type": "Succeed"})]),
    }


def _part_tasks(part_arn: PartArn, count: int) -> list[tuple[str, State]]:
    """For each part, the task that runs it to its end (StartExecution.sync, its output the
    state), then, but after the last, a Choice going to Finalize if the part failed."""
    states: list[tuple[str, State]] = []
    for number in range(1, count + 1):
        task: State = {
            "Type": "Task",
            "Resource": START_PART_RESOURCE,
            "Parameters": {
                "StateMachineArn": part_arn(number),
                "Input.$": "$",
                "Name.$": "$.execution.id",
            },
            "OutputPath": "$.Output",
            "Retry": [
                {
                    "ErrorEquals": list(STEP_FUNCTIONS_SERVICE_ERRORS),
                    "IntervalSeconds": 1,
                    "MaxAttempts": 3,
                    "BackoffRate": 2.0,
                }
            ],
            "Catch": [
                {"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.failure", "Next": names.FINALIZE}
            ],
        }
        states.append((names.run_part(number, count), task))
        if number < count:
            stopped = {"Variable": "$.failure", "IsPresent": True, "Next": names.FINALIZE}
            states.append(
                (names.after_part(number, count), {"Type": "Choice", "Choices": [stopped]})
            )
    return states


def definition_json(definition: dict[str, Any]) -> str:
    """The definition as compact JSON: same definition, same text, byte for byte.

    Exponents are written without leading zeros (`1e-6`, where Python writes `1e-06`): the
    same JSON number, and the only form some ASL parsers (moto's grammar) accept.
    """
    text = json.dumps(definition, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if _EXPONENT_ZERO.search(text) is None:  # the common case: nothing to rewrite
        return text
    return _STRING_OR_EXPONENT.sub(_plain_exponent, text)


# A JSON string (left alone) or the exponent of a number (`e-06`: sign kept, zeros dropped).
_EXPONENT_ZERO = re.compile(r"[0-9][eE][+-]?0")
_STRING_OR_EXPONENT = re.compile(r'"(?:[^"\\]|\\.)*"|(?<=[0-9])([eE][+-]?)0+(?=[0-9])')


def _plain_exponent(match: re.Match[str]) -> str:
    return match.group(1) if match.group(1) is not None else match.group(0)


def _preloads(
    workflow: Workflow, catalog: Catalog, functions: TaskFunctions
) -> list[tuple[str, State]]:
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
        preloads.append((names.PRELOAD_SECRETS, _task(functions.preload_secrets, {})))
    if any(spec.uses_integrations for spec in specs):
        preloads.append((names.PRELOAD_INTEGRATIONS, _task(functions.preload_integrations, {})))
    return preloads


def _units(
    workflow: Workflow,
    plan: Plan,
    functions: TaskFunctions,
    initialize: dict[str, Any],
    waves: list[list[int]],
    workflow_key: str | None = None,
) -> list[tuple[str, State]]:
    """Initialize workflow (which persists the start record), then the units wave by wave:
    a wave of one unit is its state, a wave of several a Parallel state with a branch per
    unit. A task before Wait states resolves their waits.

    Each task carries the nodes it runs and the edges into them; with `workflow_key`, only
    their ids, the task reading them from the workflow stored there."""
    nodes = {node.id: node for node in workflow.nodes}
    edges = [edge.to_json() for edge in workflow.edges]
    inbound: dict[str, list[int]] = {node.id: [] for node in workflow.nodes}
    for i, edge in enumerate(workflow.edges):
        inbound[edge.target].append(i)

    def edges_into(members: list[Node]) -> list[dict[str, Any]]:
        return [edges[i] for i in sorted(i for node in members for i in inbound[node.id])]

    steps = [_step(unit, nodes) for unit in plan.units]

    def with_waits(task: State, start: int) -> State:
        """The task, given a "waits" parameter for the run of Wait states from `start` on."""
        following = []
        for step in steps[start:]:
            if not step.wait:
                break
            following.append(step.nodes[0])
        if following and workflow_key is not None:
            task["Parameters"]["waitIds"] = [node.id for node in following]
        elif following:
            task["Parameters"]["waits"] = [
                {"node": node.to_json(), "edges": edges_into([node])} for node in following
            ]
        return task

    def unit_task(step: _Step, **more: Any) -> State:
        parameters: dict[str, Any]
        if workflow_key is not None:
            ids = [node.id for node in step.nodes]
            parameters = {"nodeIds": ids, **more}  # Initialize put the key in the state
        else:
            nodes_json = [node.to_json() for node in step.nodes]
            parameters = {"nodes": nodes_json, "edges": edges_into(step.nodes), **more}
        resource = functions.run_inline_group if step.inline else functions.run_node
        return _task(resource, parameters, _timeout(step))

    states = [(names.INITIALIZE, with_waits(_task(functions.initialize, initialize), 0))]
    position = 0  # of a Wait state among those that follow the same task
    for wave in waves:
        if len(wave) > 1:
            states.append(_parallel([steps[i] for i in wave], unit_task))
            continue
        [i] = wave
        step = steps[i]
        if step.wait:
            states.append((step.name, {"Type": "Wait", "SecondsPath": f"$.waits[{position}]"}))
            position += 1
            continue
        position = 0
        states.append((step.name, with_waits(unit_task(step), i + 1)))
    return states


def _parallel(steps: list[_Step], unit_task: Callable[..., State]) -> tuple[str, State]:
    """A Parallel state running `steps` at once, one branch each.

    Each branch returns its unit's results alone, the first also those of an earlier
    Parallel state not yet merged ("carry"); `$.branches` collects them for the next task.
    A branch has no Catch of its own: a failure that outlasts its retries is caught by the
    Parallel state, into Finalize.
    """
    branches = []
    for i, step in enumerate(steps):
        task = unit_task(step, branch="carry" if i == 0 else "own")
        del task["Catch"]
        task["End"] = True
        branches.append({"StartAt": step.name, "States": {step.name: task}})
    member_ids = [node.id for step in steps for node in step.nodes]
    state: State = {
        "Type": "Parallel",
        "Branches": branches,
        "ResultPath": "$.branches",
        "Catch": [{"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.failure", "Next": names.FINALIZE}],
    }
    return names.run_in_parallel(member_ids), state


def runs_in_parallel(workflow: Workflow, catalog: Catalog, plan: Plan) -> bool:
    """The cost/latency rule: run independent units in Parallel states when at least two
    units of remote nodes (nodes that wait on a request: `fetch`) could overlap, and no Wait
    state is needed (a Wait follows the task that resolves it).

    A Parallel state costs one more state transition per wave of units run together and
    saves the time of all but the slowest of them; inline groups take milliseconds, so
    they alone never make a workflow parallel.
    """
    if any(node.type == WAIT_NODE_TYPE for node in workflow.nodes):
        return False
    slow = _slow_units(catalog, workflow, plan)
    return any(sum(slow[i] for i in wave) >= 2 for wave in _levels(workflow, plan))


def _waves(
    workflow: Workflow, catalog: Catalog, plan: Plan, parallel: bool | None
) -> list[list[int]]:
    """The unit indexes in the order their states run, grouped by the states that run them
    together (one unit each when sequential)."""
    chosen = runs_in_parallel(workflow, catalog, plan) if parallel is None else parallel
    if not chosen or any(node.type == WAIT_NODE_TYPE for node in workflow.nodes):
        return [[i] for i in range(len(plan.units))]
    slow = _slow_units(catalog, workflow, plan)
    waves: list[list[int]] = []
    for level in _levels(workflow, plan):
        # forced (parallel=True), every wave of two or more units runs together
        together = parallel is True or sum(slow[i] for i in level) >= 2
        if not together:
            waves += [[i] for i in level]
            continue
        for start in range(0, len(level), MAX_BRANCHES):
            waves.append(level[start : start + MAX_BRANCHES])
    return waves


def _levels(workflow: Workflow, plan: Plan) -> list[list[int]]:
    """Units by level: a unit's level is one more than the highest of the units it reads
    from; each level in plan order."""
    unit_of = {node_id: i for i, unit in enumerate(plan.units) for node_id in _members(unit)}
    upstream = dependencies(workflow)
    level: list[int] = []
    for i, unit in enumerate(plan.units):
        sources = {unit_of[s] for n in _members(unit) for s in upstream[n]} - {i}
        level.append(1 + max((level[s] for s in sources), default=-1))
    levels: list[list[int]] = [[] for _ in range(max(level, default=-1) + 1)]
    for i, at in enumerate(level):
        levels[at].append(i)
    return levels


def _slow_units(catalog: Catalog, workflow: Workflow, plan: Plan) -> list[bool]:
    """Whether each unit waits on a remote service (an individual unit of a remote node)."""
    types = {node.id: node.type for node in workflow.nodes}
    return [
        isinstance(unit, IndividualUnit) and catalog[types[unit.node_id]].remote
        for unit in plan.units
    ]


def _members(unit: IndividualUnit | InlineUnit) -> list[str]:
    return unit.node_ids if isinstance(unit, InlineUnit) else [unit.node_id]


def _tasks(state: State) -> int:
    """The Task states `state` is or holds (one per branch of a Parallel state)."""
    if state["Type"] == "Parallel":
        return sum(_tasks(s) for branch in state["Branches"] for s in branch["States"].values())
    return int(state["Type"] == "Task")


def _step(unit: IndividualUnit | InlineUnit, nodes: dict[str, Node]) -> _Step:
    if isinstance(unit, InlineUnit):
        members = [nodes[node_id] for node_id in unit.node_ids]
        return _Step(names.run_inline_group(unit.node_ids), members, inline=True)
    node = nodes[unit.node_id]
    if node.type == WAIT_NODE_TYPE:
        return _Step(names.wait(node.id), [node], wait=True)
    return _Step(names.run_node(node.id), [node])


def _timeout(step: _Step) -> int:
    if not step.inline:
        return INDIVIDUAL_TIMEOUT_SECONDS
    members = len(step.nodes)
    return min(MAX_TASK_TIMEOUT_SECONDS, INLINE_BASE_SECONDS + INLINE_SECONDS_PER_MEMBER * members)


def _task(
    resource: str, parameters: dict[str, Any], timeout: int | None = None, *, catch: bool = True
) -> State:
    state: State = {
        "Type": "Task",
        "Resource": resource,
        "Parameters": {"state.$": "$", **parameters},
        "ResultPath": "$",
    }
    if timeout is not None:
        state["TimeoutSeconds"] = timeout
    state["Retry"] = [
        {
            "ErrorEquals": [*LAMBDA_SERVICE_ERRORS, TRANSIENT_ERROR],
            "IntervalSeconds": 1,
            "MaxAttempts": 3,
            "BackoffRate": 2.0,
        }
    ]
    if catch:
        state["Catch"] = [
            {"ErrorEquals": [ALL_ERRORS], "ResultPath": "$.failure", "Next": names.FINALIZE}
        ]
    return state


def _choice(variable: str, value: bool | str, then: str) -> State:
    test = "BooleanEquals" if isinstance(value, bool) else "StringEquals"
    return {"Type": "Choice", "Choices": [{"Variable": variable, test: value, "Next": then}]}


def _fail(error: str, **cause: str) -> State:
    return {"Type": "Fail", "Error": error, **cause}


def _unique(states: list[tuple[str, State]]) -> dict[str, State]:
    named: dict[str, State] = {}
    for name, state in states:
        if name in named:
            raise CompileError(
                f"Two states would both be named '{name}': rename one of the nodes it names"
            )
        named[name] = state
    return named
