"""The `stepthunk` command line: validate, plan, list node types, run workflows, serve the
APIs locally, and use a deployed stack's (deploy, start, execution).

Exit codes of `run` and `start` (SPEC §9): 0 completed, 1 error, 2 invalid workflow or usage
(a request the API refused as the caller's: 4xx), 3 exhausted; a command against an API that
cannot be reached or fails (5xx) exits 1; any command stopped by Ctrl+C exits 130 (128 +
SIGINT, as shells report it).
Errors are printed as readable messages; a traceback is shown only with STEPTHUNK_DEBUG=1.
"""

from __future__ import annotations

import argparse
import atexit
import difflib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from local.embedded import EmbeddedEngine

from lambdas.handlers.settings import OutputLimitSettings
from lambdas.nodes import default_registry
from lambdas.runtime.blobs import Blob
from lambdas.runtime.network import EVERYWHERE
from lambdas.runtime.output_limits import OutputLimits
from lambdas.runtime.record import ExecutionRecord, ExecutionStatus
from lambdas.runtime.secret_references import too_short
from local.display import (
    print_json,
    print_node_type,
    print_node_types,
    print_problems,
    print_record,
    shown,
    terminal_json,
    visible,
)
from local.inprocess import InProcessEngine
from local.moto_start import MotoVersionMismatch
from local.progress import LiveProgress
from local.remote import RemoteApi, RemoteError
from statemachine.compiler import Compiled, TaskFunctions, compile_machines
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.identifiers import organization_id_fault
from statemachine.model import InputOverrides, ParameterType, Workflow
from statemachine.parts import part_machine_name
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE, PlanError, plan_workflow
from statemachine.port_types import BLOB_TYPES, DuplicateKeyError, loads_strict
from statemachine.validation import parse_workflow_json, validate_overrides, validate_workflow

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_EXHAUSTED = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
# Task function ARNs `stepthunk compile` writes unless told the stack's.
PLACEHOLDER_FUNCTIONS = "arn:aws:lambda:us-east-1:123456789012:function:stepthunk-"
DEFAULT_STACK = "Stepthunk"  # what `make deploy` creates (cdk/config.py)
MAX_PORT = 65535
STDIN = "-"  # the workflow argument that reads the workflow from standard input (./- is a file)
WORKFLOW_HELP = "workflow JSON file, or - to read it from standard input"
RUN_EXIT_CODES = {ExecutionStatus.COMPLETED: EXIT_OK, ExecutionStatus.EXHAUSTED: EXIT_EXHAUSTED}
TEXT_TYPES = {ParameterType.STRING, ParameterType.SECRET, ParameterType.DATE}


class UsageError(Exception):
    """The command line itself is wrong (a missing file, a malformed --input)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `stepthunk` script; returns the process exit code."""
    if argv is None:  # the command is the process: it ends with it
        # The interpreter's last collections would walk every object the command made
        # (moto's start leaves ~250,000): the process ends without them.
        atexit.register(gc.freeze)
    args = _parser().parse_args(argv)
    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    try:
        code: int = args.command(args, out, err)
    except UsageError as error:
        _complain(err, str(error))
        return EXIT_INVALID
    except WorkflowValidationError as error:
        print_problems(err, error.problems, error.problem_count)
        return EXIT_INVALID
    except CompileError as error:  # valid, but too large for one state machine
        _complain(err, str(error))
        return EXIT_INVALID
    except MotoVersionMismatch as error:  # the embedded engine cannot start
        _complain(err, str(error))
        return EXIT_ERROR
    except RemoteError as error:  # the deployed API refused or could not be reached
        _complain(err, str(error))
        return EXIT_INVALID if 400 <= error.status < 500 else EXIT_ERROR
    except KeyboardInterrupt:  # Ctrl+C: a running execution is abandoned with the process
        _complain(err, "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader left (`stepthunk compile ... | head`): say nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # the CLI boundary: users get a message, not a traceback
        if os.environ.get("STEPTHUNK_DEBUG"):
            raise
        _complain(err, f"{type(error).__name__}: {error}", "stepthunk: internal error:")
        return EXIT_ERROR
    return code


def _complain(err: Console, message: str, prefix: str = "stepthunk:") -> None:
    """A message on stderr; it often quotes what the user gave, so it is shown as text."""
    err.print(Text.assemble((prefix, "bold red"), " ", shown(message)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stepthunk", description="Validate, plan and run node-graph workflows."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check a workflow and list every problem")
    validate.add_argument("workflow", help=WORKFLOW_HELP)
    validate.add_argument("--json", action="store_true", help="print the problems as JSON")
    validate.set_defaults(command=_validate)

    plan = commands.add_parser("plan", help="print the execution plan of a workflow as JSON")
    plan.add_argument("workflow", help=WORKFLOW_HELP)
    plan.add_argument("--max-group-size", type=int, default=DEFAULT_MAX_GROUP_SIZE)
    plan.set_defaults(command=_plan)

    compile_ = commands.add_parser(
        "compile", help="print the Step Functions definition (ASL) of a workflow as JSON"
    )
    compile_.add_argument("workflow", help=WORKFLOW_HELP)
    compile_.add_argument("--max-group-size", type=int, default=DEFAULT_MAX_GROUP_SIZE)
    mode = compile_.add_mutually_exclusive_group()
    mode.add_argument(
        "--parallel",
        dest="parallel",
        action="store_const",
        const=True,
        help="run every wave of independent units in a Parallel state",
    )
    mode.add_argument(
        "--sequential",
        dest="parallel",
        action="store_const",
        const=False,
        help="run the units one after another, a state each (default: independent units of "
        "one node each share a task that runs them side by side)",
    )
    compile_.add_argument(
        "--functions-prefix",
        default=PLACEHOLDER_FUNCTIONS,
        help="ARN prefix of the task functions (default: a placeholder; cdk deploy "
        "compiles with the stack's own)",
    )
    compile_.set_defaults(command=_compile)

    node_types = commands.add_parser(
        "node-types", help="list the node types of the catalog, or describe one"
    )
    node_types.add_argument(
        "type", nargs="?", help="a node type id: its ports with types, defaults and meaning"
    )
    node_types.add_argument("--json", action="store_true", help="print the catalog as JSON")
    node_types.set_defaults(command=_node_types)

    run = commands.add_parser("run", help="run a workflow and show its execution record")
    run.add_argument("workflow", help=WORKFLOW_HELP)
    run.add_argument(
        "--engine",
        choices=["stepfunctions", "inprocess"],
        default="stepfunctions",
        help="stepfunctions: the compiled state machine on the embedded engine (default); "
        "inprocess: the same lifecycle in this process, no AWS machinery",
    )
    run.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NODE.INPUT=VALUE",
        help="override an input for this run (VALUE is JSON when it parses, else text)",
    )
    run.add_argument(
        "--secret", action="append", default=[], metavar="NAME=VALUE", help="a secret for this run"
    )
    run.add_argument("--credits", type=int, help="check credits: the compute credits available")
    run.add_argument(
        "--org", type=_organization, default="dev", help="organization id (default: dev)"
    )
    run.add_argument("--json", action="store_true", help="print only the final record as JSON")
    run.set_defaults(command=_run)

    serve = commands.add_parser(
        "serve", help="serve the HTTP and WebSocket APIs on localhost over the embedded engine"
    )
    serve.add_argument("--port", type=_port, default=8080, help="TCP port (default 8080)")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY:ORG",
        help="accept KEY for organization ORG (repeatable; default: a fresh key for 'dev')",
    )
    serve.add_argument(
        "--state-dir", type=Path, help="keep workflows, executions, secrets and keys here"
    )
    serve.add_argument(
        "--allow-network",
        action="append",
        default=[],
        type=_network_entry,
        metavar="CIDR",
        help="let workflows' requests reach this network, address or host name besides public "
        "addresses (repeatable; default: none, so not this machine or its networks)",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        type=_origin,
        metavar="ORIGIN",
        help="let pages of ORIGIN (scheme://host[:port], or *) call the APIs from a browser "
        "(repeatable; default: none)",
    )
    serve.set_defaults(command=_serve)

    deploy = commands.add_parser(
        "deploy", help="deploy a workflow through a deployed stack's API (or serve's)"
    )
    deploy.add_argument("workflow", help=WORKFLOW_HELP)
    _api_options(deploy)
    deploy.add_argument("--json", action="store_true", help="print the deployed workflow as JSON")
    deploy.set_defaults(command=_deploy)

    start = commands.add_parser(
        "start",
        help="start an execution of a deployed workflow, follow it and show its record",
    )
    start.add_argument("workflow_id", metavar="WORKFLOW_ID", help="the deployed workflow's id")
    start.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NODE.INPUT=VALUE",
        help="override an input (VALUE is JSON when it parses, else text; @FILE for a file)",
    )
    _api_options(start)
    start.add_argument(
        "--no-wait", action="store_true", help="print the execution id once started, and exit"
    )
    start.add_argument("--json", action="store_true", help="print only the final record as JSON")
    start.set_defaults(command=_start)

    execution = commands.add_parser("execution", help="show an execution's record")
    execution.add_argument("execution_id", metavar="EXECUTION_ID")
    _api_options(execution)
    execution.add_argument("--json", action="store_true", help="print the record as JSON")
    execution.set_defaults(command=_execution)

    keys = commands.add_parser("keys", help="manage the API keys of a deployed stack")
    key_commands = keys.add_subparsers(required=True, metavar="ACTION")
    create = key_commands.add_parser(
        "create", help="create an organization's API key and print it (with your AWS credentials)"
    )
    create.add_argument(
        "--org", type=_organization, required=True, help="the organization the key belongs to"
    )
    _deployed_table(create, "the API keys table", "ApiKeysTableName")
    create.set_defaults(command=_create_key)

    credits = commands.add_parser("credits", help="manage the credits of a deployed stack")
    credit_commands = credits.add_subparsers(required=True, metavar="ACTION")
    give = credit_commands.add_parser(
        "set", help="set an organization's compute credits (with your AWS credentials)"
    )
    give.add_argument("--org", type=_organization, required=True, help="the organization")
    give.add_argument("--credits", type=int, required=True, help="its compute credits")
    _deployed_table(give, "the organizations table", "OrganizationsTableName")
    give.set_defaults(command=_set_credits)

    machines = commands.add_parser(
        "machines", help="manage the state machines a deployed stack's API created"
    )
    machine_commands = machines.add_subparsers(required=True, metavar="ACTION")
    delete = machine_commands.add_parser(
        "delete",
        help="delete every state machine the API deployed, before `cdk destroy` (with your "
        "AWS credentials)",
    )
    where = delete.add_mutually_exclusive_group()
    where.add_argument(
        "--role", help="the role they run as (the RuntimeStateMachineRoleArn output)"
    )
    where.add_argument(
        "--stack",
        default=DEFAULT_STACK,
        help=f"the stack whose RuntimeStateMachineRoleArn output names it "
        f"(default: {DEFAULT_STACK})",
    )
    delete.add_argument("--region", help="AWS region (default: your AWS configuration's)")
    delete.set_defaults(command=_delete_machines)
    return parser


def _api_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--api",
        metavar="URL",
        help="the HTTP API: a stack's HttpApiUrl output, or serve's address "
        "(default: STEPTHUNK_API)",
    )
    command.add_argument(
        "--key",
        metavar="KEY",
        help="the organization's API key (default: STEPTHUNK_API_KEY, which keeps it out of "
        "the shell's history)",
    )
    command.add_argument(
        "--ws",
        metavar="URL",
        help="the WebSocket API for live updates: a stack's WebSocketUrl output (default: "
        "STEPTHUNK_WS, else serve's, on the API's host; without one the record is read "
        "until final)",
    )


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"'{visible(text)}' is not a port number (1-{MAX_PORT})")
    return port


def _network_entry(text: str) -> str:
    from lambdas.runtime.network import entry_fault

    if (fault := entry_fault(text)) is not None:
        raise argparse.ArgumentTypeError(visible(fault))
    return text


def _origin(text: str) -> str:
    from lambdas.runtime.origins import origin_fault

    if (fault := origin_fault(text)) is not None:
        raise argparse.ArgumentTypeError(visible(fault))
    return text


def _organization(text: str) -> str:
    if (fault := organization_id_fault(text)) is not None:
        raise argparse.ArgumentTypeError(fault)
    return text


def _deployed_table(command: argparse.ArgumentParser, table: str, output: str) -> None:
    """--table, or --stack whose `output` names it, and --region: a deployed stack's table."""
    where = command.add_mutually_exclusive_group()
    where.add_argument("--table", help=table)
    where.add_argument(
        "--stack",
        default=DEFAULT_STACK,
        help=f"the stack whose {output} output names it (default: {DEFAULT_STACK})",
    )
    command.add_argument("--region", help="AWS region (default: your AWS configuration's)")


def _read(name: str) -> bytes:
    """The workflow file's bytes; `-` reads standard input."""
    try:
        return sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read workflow file '{name}': {error.strerror}") from None


def _load(name: str) -> Workflow:
    return validate_workflow(parse_workflow_json(_read(name)), default_registry().catalog)


def _validate(args: argparse.Namespace, out: Console, err: Console) -> int:
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


def _plan(args: argparse.Namespace, out: Console, err: Console) -> int:
    workflow = _load(args.workflow)
    try:
        plan = plan_workflow(
            workflow, default_registry().catalog, max_group_size=args.max_group_size
        )
    except PlanError as error:
        raise UsageError(str(error)) from None
    print_json(out, plan.model_dump(mode="json"))
    return EXIT_OK


def _compile(args: argparse.Namespace, out: Console, err: Console) -> int:
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


def _node_types(args: argparse.Namespace, out: Console, err: Console) -> int:
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
    secrets = _pairs(args.secret, "--secret")
    for name, value in secrets.items():
        problem = too_short(name, value)
        if problem is not None:
            raise UsageError(problem)
    limits = _output_limits()
    # On the user's own machine, for the user alone: a workflow may reach that machine and
    # its networks (serve, for several organizations, allows public addresses only).
    options = {"secrets": secrets, "credits": args.credits, "limits": limits}
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


def _run(args: argparse.Namespace, out: Console, err: Console) -> int:
    engine = _engine(args)
    raw: Any = None
    overrides: InputOverrides = {}
    try:
        raw = parse_workflow_json(_read(args.workflow))
        workflow = validate_workflow(raw, engine.registry.catalog)
        overrides = _overrides(workflow, args.input, engine.put_blob)
        validate_overrides(workflow, overrides, engine.registry.catalog)
    except WorkflowValidationError:
        if args.json:  # the record of a refused execution, as the API would persist it
            _print_json(engine.run(raw, inputs=overrides).to_json())
        raise
    # validated once: the engine takes the workflow as it is
    if args.json or not out.is_terminal:
        record = engine.run(workflow, inputs=overrides)
    else:
        with LiveProgress(out, workflow) as progress:
            record = engine.run(workflow, inputs=overrides, on_update=progress.update)
    if args.json:
        _print_json(record.to_json())
    else:
        print_record(out, record, workflow)
    return RUN_EXIT_CODES.get(record.status, EXIT_ERROR)


def _serve(args: argparse.Namespace, out: Console, err: Console) -> int:
    # The server's dependencies load only for this command.
    from lambdas.adapters.api_keys import key_problem
    from lambdas.runtime.store_errors import ApiKeyConflict
    from local.server import ListenError, serve
    from local.snapshot import StateDirError

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
        serve(
            host=args.host,
            port=args.port,
            api_keys=api_keys,
            state_dir=args.state_dir,
            out=out,
            limits=_output_limits(),
            cors_origins=args.cors_origin,
            allow_networks=args.allow_network,
        )
    except (StateDirError, ListenError) as error:
        raise UsageError(str(error)) from None
    except ApiKeyConflict:
        raise UsageError("An --api-key is registered to another organization") from None
    return EXIT_OK


def _remote(args: argparse.Namespace) -> RemoteApi:
    url = args.api or os.environ.get("STEPTHUNK_API")
    key = args.key or os.environ.get("STEPTHUNK_API_KEY")
    if not url:
        raise UsageError(
            "Give the API's URL with --api or STEPTHUNK_API (the stack's HttpApiUrl output, "
            "or serve's address)"
        )
    if not key:
        raise UsageError("Give the organization's API key with --key or STEPTHUNK_API_KEY")
    return RemoteApi(url, key, args.ws or os.environ.get("STEPTHUNK_WS"))


def _deploy(args: argparse.Namespace, out: Console, err: Console) -> int:
    document = parse_workflow_json(_read(args.workflow))
    with _remote(args) as api:
        deployed = api.deploy(document)
    if args.json:
        _print_json(deployed)
    else:
        out.print(
            shown(
                f"Deployed workflow '{deployed.get('id')}' (version {deployed.get('version')}): "
                f"state machine {deployed.get('stateMachineArn')}"
            )
        )
    return EXIT_OK


def _start(args: argparse.Namespace, out: Console, err: Console) -> int:
    with _remote(args) as api:
        workflow = api.workflow(args.workflow_id)
        overrides = _overrides(workflow, args.input, api.put_blob)
        if args.no_wait:
            print(api.start(workflow.id, overrides))
            return EXIT_OK
        if args.json or not out.is_terminal:
            record = api.run(workflow.id, overrides)
        else:
            with LiveProgress(out, workflow) as progress:
                record = api.run(workflow.id, overrides, on_update=progress.update)
    _show_record(out, record, workflow, args.json)
    return RUN_EXIT_CODES.get(ExecutionStatus(record["status"]), EXIT_ERROR)


def _execution(args: argparse.Namespace, out: Console, err: Console) -> int:
    with _remote(args) as api:
        record = api.record(args.execution_id)
        workflow = None if args.json else api.workflow(str(record["workflowId"]))
    _show_record(out, record, workflow, args.json)
    return EXIT_OK


def _show_record(
    out: Console, record: dict[str, Any], workflow: Workflow | None, as_json: bool
) -> None:
    if as_json or workflow is None:
        _print_json(record)
    else:
        print_record(out, ExecutionRecord.model_validate(record), workflow)


def _create_key(args: argparse.Namespace, out: Console, err: Console) -> int:
    from local.keys import create_key

    key = _administer(
        lambda: create_key(args.org, table=args.table, stack=args.stack, region=args.region)
    )
    print(key)  # alone on stdout, for scripts
    return EXIT_OK


def _set_credits(args: argparse.Namespace, out: Console, err: Console) -> int:
    from local.keys import set_credits

    if args.credits < 0:
        raise UsageError("--credits must not be negative")
    account = _administer(
        lambda: set_credits(
            args.org, args.credits, table=args.table, stack=args.stack, region=args.region
        )
    )
    out.print(
        Text.assemble(
            "Organization '",
            shown(account.id),
            f"': {account.compute_credits} compute credits, {account.usage} used",
        )
    )
    return EXIT_OK


def _delete_machines(args: argparse.Namespace, out: Console, err: Console) -> int:
    from local.keys import delete_machines

    deleted = _administer(
        lambda: delete_machines(role=args.role, stack=args.stack, region=args.region)
    )
    for name in deleted:
        out.print(shown(f"Deleted {name}"))
    out.print(f"{len(deleted)} state machines the API deployed were deleted")
    return EXIT_OK


T = TypeVar("T")


def _administer(action: Callable[[], T]) -> T:
    """Run an action on a deployed stack, turning AWS setup problems into usage errors."""
    from botocore.exceptions import NoCredentialsError, NoRegionError

    from lambdas.runtime.store_errors import StoreAccessDenied, StoreMissing
    from local.keys import StackOutputMissing

    try:
        return action()
    except NoRegionError:
        raise UsageError("no AWS region configured: pass --region or set AWS_REGION") from None
    except NoCredentialsError:
        raise UsageError("no AWS credentials found (aws configure, or AWS_PROFILE)") from None
    except (StoreMissing, StoreAccessDenied, StackOutputMissing) as error:
        raise UsageError(str(error)) from None


def _print_json(data: Any) -> None:
    # Plain print: rich would re-wrap and colour what scripts parse.
    print(terminal_json(data))


def _overrides(
    workflow: Workflow, specs: list[str], put_blob: Callable[[Blob], dict[str, Any]]
) -> InputOverrides:
    """Parse `--input NODE.INPUT=VALUE` options; text ports take VALUE as text as given, blob
    ports (`blob`, `image`, ...) `@FILE` as that file, stored with `put_blob`."""
    overrides: InputOverrides = {}
    nodes = {node.id: node for node in workflow.nodes}
    for target, text in _pairs(specs, "--input", "NODE.INPUT=VALUE").items():
        node_id, dot, name = target.rpartition(".")
        if not dot or not node_id or not name:
            raise UsageError(f"--input expects NODE.INPUT=VALUE, got '{target}={text}'")
        node = nodes.get(node_id)
        port = node.input(name) if node is not None else None
        text_port = port is not None and port.type in TEXT_TYPES
        if port is not None and port.type in BLOB_TYPES and text.startswith("@"):
            overrides.setdefault(node_id, {})[name] = put_blob(_file_blob(target, text[1:]))
            continue
        try:
            value = _json_or_text(text)
        except DuplicateKeyError as error:
            if not text_port:
                raise UsageError(f"--input {target}: ambiguous JSON: {error}") from None
            value = text
        if text_port and not isinstance(value, str):
            value = text  # `--input name.value=123` on a text input means the text "123"
        overrides.setdefault(node_id, {})[name] = value
    return overrides


def _file_blob(target: str, path: str) -> Blob:
    """The file at `path` as a blob, its MIME type guessed from its name."""
    import mimetypes

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"--input {target}=@{path}: {error.strerror or error}") from None
    mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Blob(data=data, mime_type=mime_type, filename=Path(path).name)


def _pairs(specs: list[str], option: str, form: str = "NAME=VALUE") -> dict[str, str]:
    pairs = {}
    for spec in specs:
        key, equals, value = spec.partition("=")
        if not equals or not key:
            raise UsageError(f"{option} expects {form}, got '{spec}'")
        pairs[key] = value
    return pairs


def _json_or_text(text: str) -> Any:
    """JSON when `text` parses, else `text`; DuplicateKeyError for JSON whose object names
    a key twice (which value counts would be a guess)."""
    try:
        return loads_strict(text, unique_keys=True)
    except DuplicateKeyError:
        raise
    except ValueError:
        return text


if __name__ == "__main__":
    sys.exit(main())
