"""A client generated from serve's /openapi.json (openapi-python-client) deploys a workflow,
starts an execution and reads its record: the document is enough to use the API."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.serving import FINAL, PATIENCE, Organization, Server
from tests.support.workflows import edge, node, workflow

PACKAGE = "stepthunk_api_client"  # openapi-python-client names it after the document's title


def generated(server: Server, where: Path) -> Any:
    """The client package generated from the served document, imported."""
    document = where / "openapi.json"
    document.write_text(server.http().get("/openapi.json").text)
    config = where / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run over the generated code
    subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(document),
            "--config",
            str(config),
            "--output-path",
            str(where / "client"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(where / "client"))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where / "client"))


def test_a_generated_client_deploys_starts_and_reads_an_execution(
    server: Server, org_a: Organization, tmp_path: Path
) -> None:
    client_package = generated(server, tmp_path)
    api = importlib.import_module(f"{PACKAGE}.api.default")
    models = importlib.import_module(f"{PACKAGE}.models")
    client = client_package.AuthenticatedClient(base_url=server.base_url, token=org_a.key)
    flow = workflow(
        node("a", "number-input", value=4),
        node("b", "multiplication", b=10),
        edges=[edge("a.value", "b.a")],
        workflow_id="generated",
    )

    deploy = importlib.import_module(f"{api.__name__}.deploy_workflow")
    body = models.DeployWorkflowWorkflow.from_dict(flow)
    deployed = deploy.sync_detailed("generated", client=client, body=body)
    assert deployed.status_code == 201
    assert deployed.parsed.id == "generated"

    start = importlib.import_module(f"{api.__name__}.start_execution")
    started = start.sync("generated", client=client, body=models.StartRequest.from_dict({}))
    assert started.status == "submitted"

    read = importlib.import_module(f"{api.__name__}.get_execution")
    give_up = time.monotonic() + PATIENCE
    record = read.sync(started.execution_id, client=client)
    while record.status not in FINAL:
        assert time.monotonic() < give_up, record.status
        time.sleep(0.05)
        record = read.sync(started.execution_id, client=client)
    assert record.status == "completed"
    outputs = {e.node_id: e.outputs.to_dict() for e in record.node_executions if e.outputs}
    assert outputs["b"] == {"result": 40}

    missing = read.sync_detailed("no-such-execution", client=client)
    assert missing.status_code == 404
    assert missing.parsed.error.code == "NOT_FOUND"
