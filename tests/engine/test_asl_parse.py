"""The embedded engine parses a state machine's definition once, when it is created, into the
program moto's own parser makes of it, and reads each repeated statement of it with moto's
grammar only once (local.asl_parse)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bench.foundation import chain
from local import asl_parse
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.moto_stepfunctions import FOLDED
from statemachine.asl import definition_json
from statemachine.compiler import compile_machines
from statemachine.validation import validate_workflow
from tests.support.runs import run
from tests.support.workflows import edge, node, workflow

GOLDEN = sorted(Path(__file__).parents[1].joinpath("golden").glob("*.asl.json"))


def same_program(ours: Any, moto: Any, path: str = "program") -> None:
    """Fail unless two component trees have the same types and values throughout."""
    assert type(ours) is type(moto), path
    if isinstance(ours, list | tuple):
        assert len(ours) == len(moto), path
        for index, (a, b) in enumerate(zip(ours, moto, strict=True)):
            same_program(a, b, f"{path}[{index}]")
    elif isinstance(ours, dict):
        assert list(ours) == list(moto), path
        for key in ours:
            same_program(ours[key], moto[key], f"{path}.{key}")
    elif hasattr(ours, "__dict__") and not isinstance(ours, type):
        same_program(parsed(ours), parsed(moto), f"{path}<{type(ours).__name__}>")
    else:
        assert ours == moto, path


def parsed(component: Any) -> dict[str, Any]:
    """What a component holds as parsed: without the value an evaluation folded into it
    (local.moto_stepfunctions), which a statement parsed once keeps for whichever machine ran
    it first in this process."""
    return {key: value for key, value in vars(component).items() if key != FOLDED}


def moto_program(definition: str) -> Any:
    assert asl_parse.moto_parse is not None
    return asl_parse.moto_parse(definition)[0]


def compiled(engine: EmbeddedEngine, data: dict[str, Any], parallel: bool | None) -> list[str]:
    valid = validate_workflow(data, engine.registry.catalog)
    machines = compile_machines(
        valid,
        engine.registry.catalog,
        engine.deployment.functions,
        part_arn=lambda number: f"arn:aws:states:us-east-1:123456789012:stateMachine:p{number}",
        parallel=parallel,
    )
    return [definition_json(d) for d in [machines.definition, *machines.parts]]


def fan_out(width: int) -> dict[str, Any]:
    """One number feeding `width` additions, all summed: independent units side by side."""
    nodes = [node("n", "number-input", value=2)]
    edges = []
    for index in range(width):
        nodes.append(node(f"a{index}", "addition", b=index))
        edges.append(edge("n.value", f"a{index}.a"))
        edges.append(edge(f"a{index}.result", "sum.numbers"))
    nodes.append(node("sum", "sum"))
    return workflow(*nodes, edges=edges, workflow_id=f"fan-out-{width}")


def with_literals() -> str:
    """A definition whose Parameters hold what moto's grammar reads in its own ways."""
    return definition_json(
        {
            "Comment": "literals",
            "StartAt": "A",
            "TimeoutSeconds": 60,
            "States": {
                "A": {
                    "Type": "Pass",
                    "Parameters": {
                        "state.$": "$",
                        "format.$": "States.Format('{}-{}', $.a, $$.Execution.Id)",
                        "keyword": "Type",
                        "Next": "keyword as a key",
                        "path": "$.not.a.path",
                        "numbers": [-3, 0, 1.5, -9007199254740993, 1e-7, 2.0],
                        "escapes": 'a "quoted" \\ back\tslash é 😀',
                        "nested": [{"inner.$": "$.x", "plain": None, "flag": True}],
                        "empty": {},
                    },
                    "ResultPath": "$.out",
                    "Next": "B",
                },
                "B": {"Type": "Succeed"},
            },
        }
    )


@pytest.fixture(scope="module")
def engine(cloud: LocalCloud) -> EmbeddedEngine:
    return EmbeddedEngine(cloud=cloud)


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_the_golden_definitions_parse_into_moto_s_own_program(
    cloud: LocalCloud, path: Path
) -> None:
    definition = definition_json(json.loads(path.read_text()))
    same_program(asl_parse.program_of(definition), moto_program(definition))


@pytest.mark.parametrize("parallel", [None, True, False])
@pytest.mark.parametrize(
    "data",
    [chain("addition", 120, b=1), fan_out(30)],
    ids=["chain", "fan-out"],
)
def test_compiled_definitions_parse_into_moto_s_own_program(
    engine: EmbeddedEngine, data: dict[str, Any], parallel: bool | None
) -> None:
    for definition in compiled(engine, data, parallel):
        same_program(asl_parse.program_of(definition), moto_program(definition))


def test_literals_moto_reads_in_its_own_ways_parse_into_moto_s_own_program(
    cloud: LocalCloud,
) -> None:
    definition = with_literals()
    same_program(asl_parse.program_of(definition), moto_program(definition))


def test_a_start_of_a_deployed_machine_parses_no_definition(engine: EmbeddedEngine) -> None:
    data = chain("addition", 30, b=1) | {"id": "parsed-once"}
    engine.deploy(validate_workflow(data, engine.registry.catalog))
    deployed = asl_parse.parses.count
    for _ in range(3):
        assert run(engine, data).record.status == "completed"
    assert asl_parse.parses.count == deployed


def test_deploying_a_long_chain_reads_a_small_part_of_its_definition_with_moto_s_grammar(
    engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each task's repeated statements (Retry, Catch, Resource, ...) are read once, and its
    literals not at all: what moto's grammar reads does not grow with the task's size."""
    from antlr4 import InputStream  # type: ignore[import-untyped]
    from moto.stepfunctions.parser.asl.parse import asl_parser

    read: list[int] = []

    class Counted(InputStream):  # type: ignore[misc]
        def __init__(self, data: str) -> None:
            read.append(len(data))
            super().__init__(data)

    monkeypatch.setattr(asl_parse, "InputStream", Counted)
    monkeypatch.setattr(asl_parser, "InputStream", Counted)

    def deployed(length: int) -> tuple[int, int]:
        """Characters moto's grammar reads to deploy a chain of `length` nodes, with no
        statement read before (whatever other tests deployed), and its definition's size."""
        for kept in (asl_parse._state_statement, asl_parse._top_statement, asl_parse._binding):
            kept.cache_clear()
        read.clear()
        data = chain("addition", length, b=1) | {"id": f"read-once-{length}"}
        [definition] = compiled(engine, data, None)
        engine.deploy(validate_workflow(data, engine.registry.catalog))
        return sum(read), len(definition)

    short, short_size = deployed(600)
    long, long_size = deployed(1_800)
    assert long_size > 2.5 * short_size
    # The statements every task repeats are read once; what a task adds (its name in the
    # `Next` of the one before) is a small part of its text.
    assert 0 < long - short < (long_size - short_size) / 10
    assert long < long_size / 5


def test_a_definition_moto_refuses_is_refused_naming_the_problem(cloud: LocalCloud) -> None:
    broken = definition_json(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Unknown": 1, "End": True}}}
    )
    with pytest.raises(ClientError) as refused:
        cloud.client("stepfunctions").create_state_machine(
            name="broken", definition=broken, roleArn=cloud.role_arn
        )
    message = refused.value.response["Error"]["Message"]
    assert "ASLParserException" in message
    assert '"Unknown"' in message
