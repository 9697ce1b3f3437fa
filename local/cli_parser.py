"""The `stepthunk` command line's argument parser: each command with its options and help,
the option types that refuse a bad port, network, origin or organization id as argparse
usage errors, and the command function each command calls (in local/cli_local.py and
local/cli_remote.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from local import cli_local, cli_remote
from local.cli_local import PLACEHOLDER_FUNCTIONS
from local.display import visible
from statemachine.identifiers import organization_id_fault
from statemachine.planner import DEFAULT_MAX_GROUP_SIZE

DEFAULT_STACK = "Stepthunk"  # what `make deploy` creates (cdk/config.py)
MAX_PORT = 65535
WORKFLOW_HELP = "workflow JSON file, or - to read it from standard input"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stepthunk", description="Validate, plan and run node-graph workflows."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check a workflow and list every problem")
    validate.add_argument("workflow", help=WORKFLOW_HELP)
    validate.add_argument("--json", action="store_true", help="print the problems as JSON")
    validate.set_defaults(command=cli_local.validate)

    plan = commands.add_parser("plan", help="print the execution plan of a workflow as JSON")
    plan.add_argument("workflow", help=WORKFLOW_HELP)
    plan.add_argument("--max-group-size", type=int, default=DEFAULT_MAX_GROUP_SIZE)
    plan.set_defaults(command=cli_local.plan)

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
    compile_.set_defaults(command=cli_local.compile_)

    node_types = commands.add_parser(
        "node-types", help="list the node types of the catalog, or describe one"
    )
    node_types.add_argument(
        "type", nargs="?", help="a node type id: its ports with types, defaults and meaning"
    )
    node_types.add_argument("--json", action="store_true", help="print the catalog as JSON")
    node_types.set_defaults(command=cli_local.node_types)

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
        "--event",
        action="append",
        default=[],
        metavar="NODE=JSON",
        help="the event a wait-for-event node gets once it waits (JSON when it parses, else text)",
    )
    run.add_argument(
        "--secret", action="append", default=[], metavar="NAME=VALUE", help="a secret for this run"
    )
    run.add_argument("--credits", type=int, help="check credits: the compute credits available")
    run.add_argument(
        "--org", type=_organization, default="dev", help="organization id (default: dev)"
    )
    run.add_argument("--json", action="store_true", help="print only the final record as JSON")
    run.add_argument(
        "--workflows",
        type=Path,
        metavar="DIR",
        help="where the workflows it calls are, by id among the *.json files (default: the "
        "workflow file's folder)",
    )
    run.set_defaults(command=cli_local.run)

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
    serve.add_argument(
        "--public-url",
        type=_public_url,
        metavar="URL",
        help="where clients reach this server, e.g. behind a proxy: create-form nodes' links "
        "start with it (default: http://HOST:PORT, this machine's name for a HOST of every "
        "interface)",
    )
    serve.add_argument(
        "--workers",
        type=_worker_count,
        default=None,
        metavar="N",
        help="processes that run the executions beside the server's own (default: 2 on a "
        "machine of more than one core, else 0: they run in the server's process)",
    )
    serve.set_defaults(command=cli_local.serve)

    deploy = commands.add_parser(
        "deploy", help="deploy a workflow through a deployed stack's API (or serve's)"
    )
    deploy.add_argument("workflow", help=WORKFLOW_HELP)
    _api_options(deploy)
    deploy.add_argument("--json", action="store_true", help="print the deployed workflow as JSON")
    deploy.set_defaults(command=cli_remote.deploy)

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
    start.set_defaults(command=cli_remote.start)

    execution = commands.add_parser("execution", help="show an execution's record")
    execution.add_argument("execution_id", metavar="EXECUTION_ID")
    _api_options(execution)
    execution.add_argument("--json", action="store_true", help="print the record as JSON")
    execution.set_defaults(command=cli_remote.execution)

    keys = commands.add_parser("keys", help="manage the API keys of a deployed stack")
    key_commands = keys.add_subparsers(required=True, metavar="ACTION")
    create = key_commands.add_parser(
        "create", help="create an organization's API key and print it (with your AWS credentials)"
    )
    create.add_argument(
        "--org", type=_organization, required=True, help="the organization the key belongs to"
    )
    _deployed_table(create, "the API keys table", "ApiKeysTableName")
    create.set_defaults(command=cli_remote.create_key)

    credits = commands.add_parser("credits", help="manage the credits of a deployed stack")
    credit_commands = credits.add_subparsers(required=True, metavar="ACTION")
    give = credit_commands.add_parser(
        "set", help="set an organization's compute credits (with your AWS credentials)"
    )
    give.add_argument("--org", type=_organization, required=True, help="the organization")
    give.add_argument("--credits", type=int, required=True, help="its compute credits")
    _deployed_table(give, "the organizations table", "OrganizationsTableName")
    give.set_defaults(command=cli_remote.set_credits)

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
    delete.set_defaults(command=cli_remote.delete_machines)
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


MAX_WORKERS = 16


def _worker_count(text: str) -> int:
    count = int(text) if text.isdigit() else -1
    if not 0 <= count <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"'{visible(text)}' is not a number of processes (0-{MAX_WORKERS})"
        )
    return count


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


def _public_url(text: str) -> str:
    from urllib.parse import urlsplit

    try:
        url = urlsplit(text)
        _ = url.port  # a port that is no port raises here
    except ValueError:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.hostname:
        raise argparse.ArgumentTypeError(f"'{visible(text)}' is not a URL like https://host[:port]")
    if url.query or url.fragment:
        raise argparse.ArgumentTypeError(
            f"'{visible(text)}': a base URL has no query or fragment (links add their own)"
        )
    return text.rstrip("/")


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
