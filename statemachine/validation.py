"""Workflow validation: every problem of SPEC §2 found and reported together.

Whatever JSON comes in, the only exception that leaves this module is WorkflowValidationError.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from statemachine.calls import call_problems
from statemachine.catalog import Catalog
from statemachine.durations import duration_problems
from statemachine.errors import WorkflowValidationError
from statemachine.event_waits import short_lived_problems
from statemachine.graph import find_cycles
from statemachine.identifiers import workflow_id_fault
from statemachine.model import Edge, InputOverrides, Node, Workflow
from statemachine.node_policies import policy_problems
from statemachine.port_lists import complete_node, duplicate_ports
from statemachine.port_types import (
    MAX_DEPTH,
    DuplicateKeyError,
    ValueTypeError,
    coerce,
    loads_strict,
    types_compatible,
    unheld_number,
    unheld_text,
    within_depth,
)
from statemachine.problems import ProblemCode, ValidationProblem

M = TypeVar("M", bound=BaseModel)


class _Envelope(BaseModel):
    """The workflow's top level; nodes and edges are checked one by one afterwards."""

    model_config = ConfigDict(extra="ignore")

    nodes: list[Any] = []
    edges: list[Any] = []


def parse_workflow_json(text: str | bytes) -> Any:
    """Decode a workflow file's text; malformed JSON is a validation problem."""
    code = ProblemCode.INVALID_WORKFLOW
    try:
        return loads_strict(text, unique_keys=True)
    except RecursionError:
        message = (
            f"The document nests too deeply to read (JSON values nest at most {MAX_DEPTH} levels)"
        )
    except DuplicateKeyError as error:  # not last-one-wins: which one counts is a guess
        code, message = ProblemCode.DUPLICATE_JSON_KEY, f"Ambiguous JSON: {error}"
    except ValueError as error:
        message = f"Not valid JSON: {error}"
    problem = ValidationProblem(code=code, message=message)
    raise WorkflowValidationError([problem]) from None


def validate_workflow(raw: Any, catalog: Catalog) -> Workflow:
    """The workflow with every node's ports completed, or WorkflowValidationError."""
    try:
        return _Validator(catalog).run(raw)
    except RecursionError:
        problem = ValidationProblem(
            code=ProblemCode.INVALID_WORKFLOW, message="The workflow is nested too deeply"
        )
        raise WorkflowValidationError([problem]) from None


def validated(workflow: Any, catalog: Catalog) -> Workflow:
    """A Workflow as given (an engine's caller validated it against `catalog`), or JSON data
    validated (WorkflowValidationError)."""
    return workflow if isinstance(workflow, Workflow) else validate_workflow(workflow, catalog)


def validate_overrides(workflow: Workflow, overrides: Any, catalog: Catalog) -> InputOverrides:
    """Check a run's input overrides against a validated workflow; returns them as given.

    Each override must name a node of the workflow and one of its inputs, and fit that
    input's type and, for a duration, its range and a short-lived workflow's time limit (so
    a bad override stops the run before it starts).

    An override replaces a literal and is read as that literal would be (SPEC §4.2-4.3): the
    executor converts it when the node runs, so a json port's JSON text is parsed once, there.
    Returned converted, it would be parsed again (the text '"1"' reaching the node as 1), and
    once more each time a run's overrides are checked again (the API, then Initialize).
    """
    if overrides is None:
        return {}
    problems: list[ValidationProblem] = []
    if not isinstance(overrides, dict):
        problems.append(_invalid("Inputs must be an object of node id -> input name -> value"))
        raise WorkflowValidationError(problems)
    nodes = {node.id: node for node in workflow.nodes}
    result: InputOverrides = {}
    for node_id, values in overrides.items():
        node = nodes.get(node_id)
        if node is None:
            problems.append(_invalid(f"Input override names unknown node '{node_id}'"))
            continue
        if not isinstance(values, dict):
            problems.append(_invalid(f"Inputs for node '{node_id}' must be an object", node_id))
            continue
        for name, value in values.items():
            port = catalog[node.type].for_node(node).input(name)
            if port is None:
                problems.append(_invalid(f"Node '{node_id}' has no input '{name}'", node_id))
                continue
            unheld = unheld_number(value)
            if unheld is not None:  # an override given as data, not JSON text
                where = f"Input override {node_id}.{name}"
                problems.append(_invalid(f"{where} holds {unheld_text(unheld)}", node_id))
                continue
            try:
                if port.repeated and isinstance(value, list):
                    for item in value:
                        coerce(item, port.type)
                else:
                    coerce(value, port.type)
            except ValueTypeError as error:
                # a lenient port's node type says what a value of another type means
                if not port.lenient or not within_depth(value):
                    problems.append(_invalid(f"Input override {node_id}.{name}: {error}", node_id))
                    continue
            result.setdefault(node_id, {})[name] = value
    if not problems:
        problems = duration_problems(
            workflow.nodes,
            workflow.edges,
            catalog,
            short_lived=bool(workflow.short_lived),
            overrides=result,
        )
    if problems:
        raise WorkflowValidationError(problems)
    return result


# The workflow's own fields besides its nodes and edges.
HEADER_FIELDS = ("id", "name", "description", "trigger", "shortLived")


class _Validator:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.problems: list[ValidationProblem] = []

    def run(self, raw: Any) -> Workflow:
        if not isinstance(raw, dict):
            self._schema("A workflow must be a JSON object", "")
            raise WorkflowValidationError(self.problems)
        envelope = self._parse(_Envelope, raw, "")
        if envelope is None:
            raise WorkflowValidationError(self.problems)
        header = {key: raw[key] for key in HEADER_FIELDS if key in raw}
        workflow = self._parse(Workflow, header, "")
        if workflow is not None and (fault := workflow_id_fault(workflow.id)):
            self.problems.append(
                ValidationProblem(code=ProblemCode.INVALID_ID, message=fault, path="id")
            )
        nodes = self._nodes(envelope.nodes)
        edges = self._edges(envelope.edges, nodes)
        self._cycles(nodes, edges)
        if workflow is not None:
            short_lived = bool(workflow.short_lived)
            self.problems += duration_problems(
                nodes.values(), edges, self.catalog, short_lived=short_lived
            )
            self.problems += call_problems(workflow.id, nodes.values(), short_lived=short_lived)
            if short_lived:
                self.problems += short_lived_problems(list(nodes.values()))
        if self.problems or workflow is None:
            raise WorkflowValidationError(self.problems)
        return workflow.model_copy(update={"nodes": list(nodes.values()), "edges": edges})

    def _nodes(self, raw_nodes: list[Any]) -> dict[str, Node]:
        if not raw_nodes:
            self.problems.append(
                ValidationProblem(
                    code=ProblemCode.EMPTY_WORKFLOW, message="The workflow has no nodes"
                )
            )
        nodes: dict[str, Node] = {}
        for i, raw in enumerate(raw_nodes):
            node = self._parse(Node, raw, f"nodes[{i}]")
            if node is None:
                continue
            if node.id in nodes:
                self.problems.append(
                    ValidationProblem(
                        code=ProblemCode.DUPLICATE_NODE_ID,
                        message=f"Node id '{node.id}' is used more than once",
                        node_id=node.id,
                        path=f"nodes[{i}].id",
                    )
                )
                continue
            self.problems += duplicate_ports(node, i)
            self.problems += policy_problems(node, i)
            spec = self.catalog.get(node.type)
            if spec is None:
                self.problems.append(
                    ValidationProblem(
                        code=ProblemCode.UNKNOWN_NODE_TYPE,
                        message=f"Node '{node.id}' has unknown type '{node.type}'",
                        node_id=node.id,
                        path=f"nodes[{i}].type",
                    )
                )
            else:
                node, problems = complete_node(node, spec.for_node(node))
                self.problems += problems
            nodes[node.id] = node
        return nodes

    def _edges(self, raw_edges: list[Any], nodes: dict[str, Node]) -> list[Edge]:
        edges: list[Edge] = []
        seen: set[Edge] = set()
        for i, raw in enumerate(raw_edges):
            edge = self._parse(Edge, raw, f"edges[{i}]")
            if edge is None:
                continue
            if edge in seen:
                self._edge_problem(
                    ProblemCode.DUPLICATE_CONNECTION, f"Connection {edge.describe()} is repeated", i
                )
                continue
            seen.add(edge)
            if self._connection_ok(edge, i, nodes):
                edges.append(edge)
        return edges

    def _connection_ok(self, edge: Edge, i: int, nodes: dict[str, Node]) -> bool:
        source, target = nodes.get(edge.source), nodes.get(edge.target)
        if source is None or target is None:
            missing = [n for n, node in ((edge.source, source), (edge.target, target)) if not node]
            names = " and ".join(f"'{n}'" for n in missing)
            self._edge_problem(
                ProblemCode.INVALID_CONNECTION,
                f"Connection {edge.describe()} refers to unknown node {names}",
                i,
            )
            return False
        known = source.type in self.catalog and target.type in self.catalog
        if not known:
            return True  # already reported as UNKNOWN_NODE_TYPE; keep it for cycle checks
        output = self.catalog[source.type].for_node(source).output(edge.source_output)
        target_input = self.catalog[target.type].for_node(target).input(edge.target_input)
        if output is None or target_input is None:
            wrong = (
                f"node '{edge.source}' ({source.type}) has no output '{edge.source_output}'"
                if output is None
                else f"node '{edge.target}' ({target.type}) has no input '{edge.target_input}'"
            )
            self._edge_problem(
                ProblemCode.INVALID_CONNECTION, f"Connection {edge.describe()}: {wrong}", i
            )
            return False
        if not types_compatible(output.type, target_input.type):
            self._edge_problem(
                ProblemCode.TYPE_MISMATCH,
                f"Connection {edge.describe()} joins a {output.type} output "
                f"to a {target_input.type} input",
                i,
            )
        return True

    def _cycles(self, nodes: dict[str, Node], edges: list[Edge]) -> None:
        pairs = [(edge.source, edge.target) for edge in edges]
        for cycle in find_cycles(list(nodes), pairs):
            listed = ", ".join(f"'{n}'" for n in cycle)
            self.problems.append(
                ValidationProblem(
                    code=ProblemCode.CYCLE_DETECTED,
                    message=f"Nodes {listed} form a cycle",
                    node_id=cycle[0],
                    node_ids=cycle,
                )
            )

    def _parse(self, model: type[M], raw: Any, path: str) -> M | None:
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                where = path + "".join(
                    f"[{part}]" if isinstance(part, int) else f".{part}" for part in detail["loc"]
                )
                if detail["type"] == "string_too_long":
                    self._too_long(where.lstrip("."), detail["input"], detail["ctx"]["max_length"])
                else:
                    self._schema(f"{where.lstrip('.') or 'workflow'}: {detail['msg']}", where)
            return None

    def _schema(self, message: str, path: str) -> None:
        self.problems.append(
            ValidationProblem(
                code=ProblemCode.INVALID_WORKFLOW, message=message, path=path.lstrip(".") or None
            )
        )

    def _too_long(self, path: str, text: str, most: int) -> None:
        self.problems.append(
            ValidationProblem(
                code=ProblemCode.TOO_LONG,
                message=f"{path} is {len(text):,} characters long; at most {most:,} are allowed",
                path=path,
            )
        )

    def _edge_problem(self, code: ProblemCode, message: str, index: int) -> None:
        self.problems.append(
            ValidationProblem(code=code, message=message, edge_index=index, path=f"edges[{index}]")
        )


def _invalid(message: str, node_id: str | None = None) -> ValidationProblem:
    return ValidationProblem(code=ProblemCode.INVALID_VALUE, message=message, node_id=node_id)
