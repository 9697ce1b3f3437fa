"""`stepthunk run` on its default engine (the compiled state machine) and on the in-process one.

The Step Functions engine is proven by the execution the run leaves in the local cloud: a
state machine of the deployment holds an execution named by the record's id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from local.cloud import LocalCloud
from tests.support.http_server import RecordedRequest, Reply, serving
from tests.support.timing import TEST_TIME_SCALE
from tests.support.workflows import edge, node, workflow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "workflows").glob("*.json"))
UNCOMPARED = ("id", "startedAt", "endedAt")
INPROCESS = ("--engine", "inprocess")


@pytest.fixture(scope="module", autouse=True)
def cloud() -> LocalCloud:
    shared = LocalCloud.shared()
    shared.time_scale = TEST_TIME_SCALE
    return shared


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["run", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(data))
    return str(path)


def step_functions_execution(cloud: LocalCloud, execution_id: str) -> dict[str, Any] | None:
    """The local cloud's description of the execution named `execution_id`, if there is one."""
    sfn = cloud.client("stepfunctions")
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            arn = machine["stateMachineArn"].replace(":stateMachine:", ":execution:")
            try:
                found: dict[str, Any] = sfn.describe_execution(executionArn=f"{arn}:{execution_id}")
            except sfn.exceptions.ExecutionDoesNotExist:
                continue
            return found
    return None


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in UNCOMPARED}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_run_uses_the_state_machine_and_prints_the_in_process_record(
    example: Path, cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    code, record = run_json(capsys, str(example))
    reference_code, reference = run_json(capsys, str(example), *INPROCESS)

    assert code == reference_code == 0
    assert comparable(record) == comparable(reference)
    execution = step_functions_execution(cloud, record["id"])
    assert execution is not None, "no Step Functions execution ran the workflow"
    assert execution["status"] == "SUCCEEDED"
    assert step_functions_execution(cloud, reference["id"]) is None


DIVIDE = workflow(
    node("a", "number-input", value=6),
    node("b", "number-input", value=3),
    node("q", "division"),
    edges=[edge("a.value", "q.a"), edge("b.value", "q.b")],
)


def test_too_few_credits_exit_3_on_the_state_machine(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, record = run_json(capsys, write(tmp_path, DIVIDE), "--credits", "1")

    assert code == 3
    assert record["status"] == "exhausted"
    assert record["error"] == "Insufficient compute credits"
    assert {e["status"] for e in record["nodeExecutions"]} == {"idle"}
    execution = step_functions_execution(cloud, record["id"])
    assert execution is not None
    assert (execution["status"], execution["error"]) == ("FAILED", "CreditsExhausted")


@pytest.mark.parametrize("credits", ["1", "0"])
def test_too_few_credits_exit_3_on_the_in_process_engine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, credits: str
) -> None:
    code, record = run_json(capsys, write(tmp_path, DIVIDE), "--credits", credits, *INPROCESS)

    assert code == 3
    assert record["status"] == "exhausted"
    assert record["error"] == "Insufficient compute credits"
    assert {e["status"] for e in record["nodeExecutions"]} == {"idle"}


def test_a_failed_node_exits_1_on_both_engines_with_the_same_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, DIVIDE)
    code, record = run_json(capsys, path, "--input", "b.value=0")
    reference_code, reference = run_json(capsys, path, "--input", "b.value=0", *INPROCESS)

    assert code == reference_code == 1
    assert comparable(record) == comparable(reference)
    assert "Division by zero" in record["error"]


@pytest.fixture
def api() -> Iterator[tuple[str, list[str]]]:
    """A local API on 127.0.0.1 answering 200 for `Authorization: Bearer cli-secret-value`, 401
    otherwise: its URL and the Authorization headers it received."""
    received: list[str] = []

    def bearer_only(request: RecordedRequest) -> Reply:
        authorization = request.headers.get("authorization", "")
        received.append(authorization)
        return Reply(200 if authorization == "Bearer cli-secret-value" else 401)

    with serving(bearer_only) as server:
        yield server.url("/me"), received


@pytest.mark.parametrize("engine", [(), INPROCESS], ids=["stepfunctions", "inprocess"])
def test_a_secret_option_reaches_a_fetch_node(
    engine: tuple[str, ...],
    api: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url, received = api
    flow = workflow(
        node("call", "fetch", url=url, headers={"Authorization": "Bearer {{secrets.TOKEN}}"})
    )
    path = write(tmp_path, flow)
    code, record = run_json(capsys, path, "--secret", "TOKEN=cli-secret-value", *engine)

    assert code == 0, record
    assert record["nodeExecutions"][0]["outputs"]["status"] == 200
    assert received == ["Bearer cli-secret-value"]
    assert "cli-secret-value" not in json.dumps(record)


@pytest.mark.parametrize("engine", [(), INPROCESS], ids=["stepfunctions", "inprocess"])
def test_an_invalid_workflow_exits_2(
    engine: tuple[str, ...], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = workflow(
        node("n", "number-input", min="six"), node("x", "no-such-type"), workflow_id="broken"
    )
    path = write(tmp_path, broken)

    assert main(["run", path, *engine]) == 2
    err = capsys.readouterr().err
    assert "INVALID_VALUE" in err
    assert "UNKNOWN_NODE_TYPE" in err
    code, record = run_json(capsys, path, *engine)
    assert code == 2
    assert record["status"] == "error"
    assert "UNKNOWN_NODE_TYPE" in record["error"]
    assert [e["status"] for e in record["nodeExecutions"]] == ["idle", "idle"]


@pytest.mark.parametrize("engine", [(), INPROCESS], ids=["stepfunctions", "inprocess"])
@pytest.mark.parametrize(
    ("option", "size"),
    [("TOKEN=", "empty"), ("TOKEN=a", "1 character long"), ("TOKEN=abc", "3 characters long")],
)
def test_a_secret_too_short_to_mask_exits_2_on_both_engines(
    engine: tuple[str, ...],
    option: str,
    size: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    path = write(tmp_path, workflow(node("n", "number-input", value=1)))

    assert main(["run", path, "--secret", option, *engine]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == (
        f"stepthunk: Secret 'TOKEN' is {size}: a secret has at least 4 characters, so that "
        "masking it in results never hides ordinary text"
    )


@pytest.mark.parametrize("engine", [(), INPROCESS], ids=["stepfunctions", "inprocess"])
def test_name_value_options_split_at_the_first_equals_sign(
    engine: tuple[str, ...],
    api: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url, received = api
    flow = workflow(
        node("call", "fetch", url=url, headers={"Authorization": "Bearer {{secrets.TOKEN}}"}),
        node("text", "text-input"),
        node("data", "json-input"),
    )
    path = write(tmp_path, flow)
    options = ["--secret", "TOKEN=YWJjZA==", "--input", "text.value=a=b==", "--input"]
    code, record = run_json(capsys, path, *options, 'data.json={"k": "="}', *engine)

    assert code == 0, record
    assert received == ["Bearer YWJjZA=="]  # a base64 secret, its padding kept
    outputs = {e["nodeId"]: e["outputs"] for e in record["nodeExecutions"]}
    assert outputs["text"] == {"value": "a=b=="}
    assert outputs["data"] == {"json": {"k": "="}}


@pytest.mark.parametrize("engine", [(), INPROCESS], ids=["stepfunctions", "inprocess"])
def test_the_org_option_names_the_organization_the_record_belongs_to(
    engine: tuple[str, ...], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, record = run_json(capsys, write(tmp_path, DIVIDE), "--org", "acme-labs", *engine)

    assert code == 0, record
    assert record["organizationId"] == "acme-labs"


def test_an_input_option_names_its_input_after_the_last_dot_of_a_dotted_node_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = workflow(node("price.eur", "number-input", value=1))
    path = write(tmp_path, flow)

    code, record = run_json(capsys, path, "--input", "price.eur.value=5", *INPROCESS)

    assert code == 0, record
    assert record["nodeExecutions"][0]["outputs"] == {"value": 5}


PHOTO = workflow(
    node("photo", "image-input"),
    node("shown", "output-image"),
    edges=[edge("photo.value", "shown.value")],
)


@pytest.mark.parametrize("engine", [(), INPROCESS], ids=["stepfunctions", "inprocess"])
def test_an_input_at_file_gives_a_blob_input_that_file(
    engine: tuple[str, ...], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    picture = tmp_path / "holiday photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))

    code, record = run_json(
        capsys, write(tmp_path, PHOTO), "--input", f"photo.value=@{picture}", *engine
    )

    assert code == 0, record
    given = record["nodeExecutions"][0]["inputs"]["value"]
    assert (given["mimeType"], given["filename"]) == ("image/png", "holiday photo.png")
    assert record["nodeExecutions"][1]["outputs"] == {"displayValue": given}


def test_an_input_at_a_missing_file_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "absent.png"
    code = main(["run", write(tmp_path, PHOTO), "--input", f"photo.value=@{missing}", *INPROCESS])
    assert code == 2
    err = capsys.readouterr().err
    assert f"--input photo.value=@{missing}: No such file or directory" in err
    assert "Traceback" not in err


def test_an_at_sign_is_text_on_a_text_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = workflow(node("handle", "text-input", value="x"))
    code, record = run_json(
        capsys, write(tmp_path, flow), "--input", "handle.value=@ada", *INPROCESS
    )
    assert code == 0, record
    assert record["nodeExecutions"][0]["outputs"] == {"value": "@ada"}
