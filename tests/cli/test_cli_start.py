"""What `stepthunk run` starts on its default engine: only the moto services it uses, patched once.

Each test runs the CLI in a fresh process (what a process imports cannot be undone in this one)
and reads back what that process loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.workflows import node, workflow

# The services the embedded engine calls (its functions are served without moto's Lambda).
USED_SERVICES = {
    "apigatewaymanagementapi",
    "dynamodb",
    "kms",
    "s3",
    "stepfunctions",
}
# What moto's own modules for those services import (moto's request handling reads IAM's
# access keys, its Step Functions imports Events, for example), and moto's machinery.
IMPORTED_BY_THEM = {
    "iam",
    "cloudwatch",
    "dynamodbstreams",
    "ecr",
    "events",
    "kinesis",
    "logs",
    "s3bucket_path",
    "sqs",
    "sts",
}
MOTO_MACHINERY = {"backend_index", "backends", "core", "moto_api", "settings", "utilities"}


def run_in_a_fresh_process(tmp_path: Path, script: str) -> str:
    """What `script` prints on stdout, run in a new interpreter after writing a one-node
    workflow to `workflow.json` in tmp_path (its path is WORKFLOW)."""
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(workflow(node("n", "number-input", value=7))))
    completed = subprocess.run(
        [sys.executable, "-c", f"WORKFLOW = {str(path)!r}\n" + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()[-1]


def test_run_on_the_default_engine_imports_only_the_moto_services_it_uses(
    tmp_path: Path,
) -> None:
    loaded = json.loads(
        run_in_a_fresh_process(
            tmp_path,
            """
            import contextlib, io, json, sys
            from local.cli import main

            with contextlib.redirect_stdout(io.StringIO()):
                code = main(["run", WORKFLOW, "--json"])
            assert code == 0, code
            print(json.dumps(sorted({name.split(".")[1] for name in sys.modules
                                     if name.startswith("moto.")})))
            """,
        )
    )

    assert "batch" not in loaded
    assert "ec2" not in loaded
    assert "awslambda" not in loaded
    assert set(loaded) <= USED_SERVICES | IMPORTED_BY_THEM | MOTO_MACHINERY
    assert set(loaded) >= USED_SERVICES


def test_the_engine_patches_moto_once_however_many_engines_a_process_starts(
    tmp_path: Path,
) -> None:
    said = run_in_a_fresh_process(
        tmp_path,
        """
        import json
        from moto.awslambda.models import LambdaFunction
        from moto.dynamodb.responses import DynamoHandler
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend
        from local.cloud import LocalCloud
        from local.embedded import EmbeddedEngine

        def patched():
            return [LambdaFunction._invoke_lambda, DynamoHandler.call_action,
                    StepFunctionsParserBackend.start_execution]

        workflow = json.load(open(WORKFLOW))
        first = EmbeddedEngine().run(workflow).status.value
        after_first = patched()
        second = EmbeddedEngine().run(workflow).status.value
        assert patched() == after_first, "moto was patched again"
        try:
            LocalCloud()
        except RuntimeError as error:
            print(first, second, error)
        else:
            print(first, second, "a second LocalCloud started")
        """,
    )

    assert said == "completed completed A process has one LocalCloud: use LocalCloud.shared()"


def test_run_on_the_default_engine_lists_no_service_models(tmp_path: Path) -> None:
    """botocore checks that a service is known before loading its model, by listing the 449
    services it has models of: a tenth of a second at each start, for four kinds of model."""
    listed = run_in_a_fresh_process(
        tmp_path,
        """
        import contextlib, io
        from botocore.loaders import Loader

        listings = []
        original = Loader.list_available_services

        def counting(loader, type_name):
            listings.append(type_name)
            return original(loader, type_name)

        Loader.list_available_services = counting
        from local.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["run", WORKFLOW, "--json"])
        assert code == 0, code
        print(len(listings))
        """,
    )

    assert listed == "0"
