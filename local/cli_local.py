"""The commands that work on this machine: `validate`, `plan`, `compile` and `node-types`
read a workflow file and the catalog; `run` runs a workflow on the embedded or the in-process
engine; `serve` serves the HTTP and WebSocket APIs on localhost. Also what they share: reading
the workflow argument (a file or standard input), compiling a workflow's state machines, and
the output limits from the environment.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from local.embedded import EmbeddedEngine

from lambdas.handlers.settings import ModelApiSettings, OutputLimitSettings
from lambdas.nodes import default_registry
from lambdas.runtime.model_apis import ModelApis
from lambdas.runtime.network import EVERYWHERE
from lambdas.runtime.output_limits import OutputLimits
from lambdas.runtime.secret_references import too_short
from local.cli_calls import called_workflows
from local.cli_exits import EXIT_ERROR, EXIT_INVALID, EXIT_OK, RUN_EXIT_CODES
from local.cli_inputs import UsageError, events_given, input_overrides, pairs
from local.display import (
    print_json,
    print_node_type,
    print_node_types,
    print_plain_json,
    print_record,
    shown,
    terminal_json,
)
from local.inprocess import InProcessEngine
from local.progress import LiveProgress
from statemachine.compiler import Compiled, TaskFunctions, compile_machines
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.identifiers import organization_id_fault
from statemachine.model import InputOverrides, Workflow
from statemachine.parts import part_machine_name
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE, PlanError, plan_workflow
from statemachine.validation import parse_workflow_json, validate_overrides, validate_workflow

# Task function ARNs `stepthunk compile` writes unless told the stack's.
PLACEHOLDER_FUNCTIONS = "arn:aws:lambda:us-east-1:123456789012:function:stepthunk-"
STDIN = "-"  # the workflow argument that reads the workflow from standard input (./- is a file)


def read(name: str) -> bytes:
    """The workflow file's bytes; `-` reads standard input."""
    try:
        return sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read workflow file '{name}': {error.strerror}") from None


def _load(name: str) -> Workflow:
    return validate_workflow(parse_workflow_json(read(name)), default_registry().catalog)


def validate(args: argparse.Namespace, out: Console, err: Console) -> int:
    try:
        workflow = _load(args.workflow)
        _compilable(workflow)
    except WorkflowValidationError as error:
        if not args.json:
            raise
        problems = [p.model_dump(mode="json", exclude_none=True) for p in error.problems]
        report = {"valid": False, "problemCount": error.problem_count, "problems": problems}
        print_json(out, report)
        return EXIT_INVALID
    if args.json:
        print_json(out, {"valid": True, "problemCount": 0, "problems": []})
    else:
        out.print(
            Text.assemble(
                ("Valid", "green"),
                ": '",
                shown(workflow.name),
                f"' ({len(workflow.nodes)} nodes, {len(workflow.edges)} edges)",
            )
        )
    return EXIT_OK


def _compilable(workflow: Workflow) -> None:
    """What `compile`, `run` and a deploy would refuse in a valid workflow (a workflow too
    large for Step Functions), as the problem validation reports with its code: the
    compiler's own checks, run."""
    try:
        _machines(workflow)
    except CompileError as error:
        raise WorkflowValidationError([error.problem()]) from None


def plan(args: argparse.Namespace, out: Console, err: Console) -> int:
    workflow = _load(args.workflow)
    try:
        plan = plan_workflow(
            workflow, default_registry().catalog, max_group_size=args.max_group_size
        )
    except PlanError as error:
        raise UsageError(str(error)) from None
    print_json(out, plan.model_dump(mode="json"))
    return EXIT_OK


def compile_(args: argparse.Namespace, out: Console, err: Console) -> int:
    """The definition; for a workflow too large for one state machine, an object with the
    machine executions start, the parts it starts and where the workflow is stored."""
    workflow = _load(args.workflow)
    if args.max_group_size < 1:
        raise UsageError(f"--max-group-size must be at least 1, got {args.max_group_size}")
    compiled = _machines(
        workflow,
        functions_prefix=args.functions_prefix,
        max_group_size=args.max_group_size,
        parallel=args.parallel,
    )
    document: dict[str, Any] = compiled.definition
    if compiled.parts or compiled.documents:
        document = {
            "definition": compiled.definition,
            "parts": compiled.parts,
            "storedWorkflow": next(iter(compiled.documents), None),
        }
    print(terminal_json(document), file=out.file)
    return EXIT_OK


def _machines(
    workflow: Workflow,
    *,
    functions_prefix: str = PLACEHOLDER_FUNCTIONS,
    max_group_size: int = DEFAULT_MAX_GROUP_SIZE,
    parallel: bool | None = None,
) -> Compiled:
    """The workflow's state machines as `compile` prints them (or CompileError)."""
    functions = TaskFunctions(
        **{name: f"{functions_prefix}{name}" for name in TaskFunctions.model_fields}
    )
    account = functions_prefix.split(":function:")[0].replace(":lambda:", ":states:")
    return compile_machines(
        workflow,
        default_registry().catalog,
        functions,
        part_arn=lambda n: f"{account}:stateMachine:{part_machine_name(workflow.id, n)}",
        max_group_size=max_group_size,
        parallel=parallel,
    )


def node_types(args: argparse.Namespace, out: Console, err: Console) -> int:
    catalog = default_registry().catalog
    if args.type is not None:
        spec = catalog.get(args.type)
        if spec is None:
            close = difflib.get_close_matches(args.type, list(catalog), n=3)
            hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
            raise UsageError(
                f"unknown node type '{args.type}'{hint}: `stepthunk node-types` lists them"
            )
        if args.json:
            print_json(out, spec.model_dump(mode="json"))
        else:
            print_node_type(out, spec)
        return EXIT_OK
    specs = list(catalog.values())
    if args.json:
        print_json(out, [s.model_dump(mode="json") for s in specs])
    else:
        print_node_types(out, specs)
    return EXIT_OK


def _engine(args: argparse.Namespace) -> InProcessEngine | EmbeddedEngine:
    secrets = pairs(args.secret, "--secret")
    for name, value in secrets.items():
        problem = too_short(name, value)
        if problem is not None:
            raise UsageError(problem)
    limits = _output_limits()
    # On the user's own machine, for the user alone: a workflow may reach that machine and
    # its networks (serve, for several organizations, allows public addresses only).
    options = {
        "secrets": secrets,
        "credits": args.credits,
        "limits": limits,
        "model_apis": _model_apis(),
    }
    if args.engine == "inprocess":
        return InProcessEngine(organization_id=args.org, allow_networks=[EVERYWHERE], **options)
    from local.embedded import EmbeddedEngine  # moto starts only when this engine is used

    return EmbeddedEngine(organization_id=args.org, allow_networks=[EVERYWHERE], **options)


def _output_limits() -> OutputLimits:
    """The limits on node outputs from the environment, read as a deployment's functions
    read them (STEPTHUNK_MAX_OUTPUT_BYTES, STEPTHUNK_MAX_EXECUTION_BYTES)."""
    try:
        return OutputLimitSettings().output_limits
    except ValidationError as error:
        problem = error.errors()[0]
        name = str(problem["loc"][0]).upper()
        raise UsageError(
            f"{name} must be a whole number of bytes above 0, got '{problem['input']}'"
        ) from None


def _model_apis() -> ModelApis:
    """Where LLM nodes and the SMS node send their requests, from the environment as a
    deployment's functions read it (STEPTHUNK_ANTHROPIC_URL, STEPTHUNK_OPENAI_URL,
    STEPTHUNK_TWILIO_URL; default: the public APIs)."""
    try:
        return ModelApiSettings().model_apis
    except ValidationError as error:
        problem = error.errors()[0]
        name = str(problem["loc"][0]).upper()
        raise UsageError(f"{name}: {problem['msg'].removeprefix('Value error, ')}") from None


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    engine = _engine(args)
    raw: Any = None
    overrides: InputOverrides = {}
    try:
        raw = parse_workflow_json(read(args.workflow))
        workflow = validate_workflow(raw, engine.registry.catalog)
        overrides = input_overrides(workflow, args.input, engine.put_blob)
        validate_overrides(workflow, overrides, engine.registry.catalog)
        for called in called_workflows(workflow, _calls_folder(args), engine.registry.catalog):
            engine.deploy(called)  # what it calls, as deployed workflows of its organization
        events = events_given(workflow, args.event)
    except WorkflowValidationError:
        if args.json:  # the record of a refused execution, as the API would persist it
            print_plain_json(engine.run(raw, inputs=overrides).to_json())
        raise
    # validated once: the engine takes the workflow as it is
    if args.json or not out.is_terminal:
        record = engine.run(workflow, inputs=overrides, events=events)
    else:
        with LiveProgress(out, workflow) as progress:
            record = engine.run(
                workflow, inputs=overrides, on_update=progress.update, events=events
            )
    if args.json:
        print_plain_json(record.to_json())
    else:
        print_record(out, record, workflow)
    return RUN_EXIT_CODES.get(record.status, EXIT_ERROR)


def _calls_folder(args: argparse.Namespace) -> Path:
    """Where `run` looks for the workflows a workflow calls: `--workflows`, else the folder
    of the workflow file (the current one for standard input)."""
    if args.workflows is not None:
        if not args.workflows.is_dir():
            raise UsageError(f"--workflows '{args.workflows}' is not a folder")
        return Path(args.workflows)
    return Path.cwd() if args.workflow == STDIN else Path(args.workflow).parent


def serve(args: argparse.Namespace, out: Console, err: Console) -> int:
    # The server's dependencies load only for this command.
    from lambdas.adapters.api_keys import key_problem
    from lambdas.runtime.store_errors import ApiKeyConflict
    from local import server
    from local.snapshot import StateDirError
    from local.workers import WorkerError

    api_keys = []
    for spec in args.api_key:
        key, colon, organization = spec.rpartition(":")
        if not colon or not key or not organization:
            raise UsageError(f"--api-key expects KEY:ORG, got '{spec}'")
        if (fault := organization_id_fault(organization)) is not None:
            raise UsageError(f"--api-key KEY:ORG: the organization {fault}")
        problem = key_problem(key)
        if problem is not None:  # the key itself is not repeated: it is a credential
            raise UsageError(f"--api-key for organization '{organization}': {problem}")
        api_keys.append((key, organization))
    try:
        server.serve(
            host=args.host,
            port=args.port,
            api_keys=api_keys,
            state_dir=args.state_dir,
            out=out,
            limits=_output_limits(),
            cors_origins=args.cors_origin,
            allow_networks=args.allow_network,
            model_apis=_model_apis(),
            public_url=args.public_url,
            workers=args.workers,
        )
    except (StateDirError, server.ListenError) as error:
        raise UsageError(str(error)) from None
    except WorkerError as error:
        err.print(f"serve: {error}", markup=False)
        return EXIT_ERROR
    except ApiKeyConflict:
        raise UsageError("An --api-key is registered to another organization") from None
    return EXIT_OK
