"""The commands against a deployed stack (or `serve`): `deploy`, `start` and `execution`
through its HTTP API (`--api`, `--key`, `--ws` or their STEPTHUNK_ variables), and
`keys create`, `credits set` and `machines delete`, which use the caller's AWS credentials on
the stack's tables and state machines directly.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console
from rich.text import Text

from lambdas.runtime.record import ExecutionRecord, ExecutionStatus
from local.cli_exits import EXIT_ERROR, EXIT_OK, RUN_EXIT_CODES
from local.cli_inputs import UsageError, input_overrides
from local.cli_local import read
from local.display import print_plain_json, print_record, shown
from local.progress import LiveProgress
from local.remote import RemoteApi
from statemachine.model import Workflow
from statemachine.validation import parse_workflow_json


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


def deploy(args: argparse.Namespace, out: Console, err: Console) -> int:
    document = parse_workflow_json(read(args.workflow))
    with _remote(args) as api:
        deployed = api.deploy(document)
    if args.json:
        print_plain_json(deployed)
    else:
        out.print(
            shown(
                f"Deployed workflow '{deployed.get('id')}' (version {deployed.get('version')}): "
                f"state machine {deployed.get('stateMachineArn')}"
            )
        )
    return EXIT_OK


def start(args: argparse.Namespace, out: Console, err: Console) -> int:
    with _remote(args) as api:
        workflow = api.workflow(args.workflow_id)
        overrides = input_overrides(workflow, args.input, api.put_blob)
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


def execution(args: argparse.Namespace, out: Console, err: Console) -> int:
    with _remote(args) as api:
        record = api.record(args.execution_id)
        workflow = None if args.json else api.workflow(str(record["workflowId"]))
    _show_record(out, record, workflow, args.json)
    return EXIT_OK


def _show_record(
    out: Console, record: dict[str, Any], workflow: Workflow | None, as_json: bool
) -> None:
    if as_json or workflow is None:
        print_plain_json(record)
    else:
        print_record(out, ExecutionRecord.model_validate(record), workflow)


def create_key(args: argparse.Namespace, out: Console, err: Console) -> int:
    from local import keys

    key = _administer(
        lambda: keys.create_key(args.org, table=args.table, stack=args.stack, region=args.region)
    )
    print(key)  # alone on stdout, for scripts
    return EXIT_OK


def set_credits(args: argparse.Namespace, out: Console, err: Console) -> int:
    from local import keys

    if args.credits < 0:
        raise UsageError("--credits must not be negative")
    account = _administer(
        lambda: keys.set_credits(
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


def delete_machines(args: argparse.Namespace, out: Console, err: Console) -> int:
    from local import keys

    deleted = _administer(
        lambda: keys.delete_machines(role=args.role, stack=args.stack, region=args.region)
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
