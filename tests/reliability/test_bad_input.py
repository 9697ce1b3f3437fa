"""Bad workflow files through the CLI, the HTTP API and the compiler: refused, never a crash.

Hypothesis draws damaged workflow documents (tests/reliability/support_documents.py), plus a
few fixed 10 MB ones, and sends each through a path a user has: `stepthunk validate`,
`stepthunk run --json` on both engines, PUT /workflows/{id} on serve, and validate_workflow
then compile_workflow. Each answers as the compiler judges the document: an invalid one gets
exit code 2 or a 4xx with a JSON error; one that happens to be valid validates (0), runs
(0 or 1) and deploys (2xx). One too large for a state machine that carries its nodes runs
on one whose tasks read them by hash (or, rarely, is refused: exit 2, 400); over 6 MB the API
answers 413. No path answers a traceback, an internal error or a 5xx. The number of cases
tried on each path is reported.
"""

from __future__ import annotations

import functools
import io
import json
import re
import urllib.parse
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from lambdas.nodes import default_registry
from local.cli import main
from local.server_app import MAX_BODY_BYTES
from statemachine.compiler import TaskFunctions, compile_workflow
from statemachine.errors import CompileError, WorkflowValidationError
from statemachine.validation import parse_workflow_json, validate_workflow
from tests.conftest import Figure
from tests.reliability.support_documents import (
    TEN_MEGABYTE_KINDS,
    Case,
    documents,
    encode,
    ten_megabyte_cases,
)
from tests.support.serving import Organization, Server, server_fixture

CATALOG = default_registry().catalog
FUNCTIONS = TaskFunctions(
    **{
        name: f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        for name in TaskFunctions.model_fields
    }
)
EXAMPLES = {
    "compiler": 300,
    "stepthunk validate": 150,
    "stepthunk run --engine inprocess": 100,
    "stepthunk run (Step Functions)": 12,  # each run deploys an engine of its own (~0.4 s)
    "PUT /workflows/{id}": 150,
}
PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
CRASH_SIGNS = ("Traceback", 'File "', "internal error", "Internal error")
CHECK_CREDITS = False  # read by the server fixture: development mode, as `stepthunk serve` runs

server = server_fixture  # serve's application per module (tests.support.serving)
TRIED: dict[str, Counter[str]] = {path: Counter() for path in EXAMPLES}  # by kind of damage


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,  # the file and client are rewritten per case
        ],
    )


@functools.lru_cache(maxsize=16)
def judged(case: Case) -> str:
    """What the compiler makes of the document: "invalid", "too large" or "valid".

    Only the two documented errors may come out of parsing, validation and compilation.
    Each path asks it of the same document: judged once (3 s for a 10 MB document).
    """
    refusal: Exception
    try:
        valid = validate_workflow(parse_workflow_json(case.text), CATALOG)
        compile_workflow(valid, CATALOG, FUNCTIONS)
    except WorkflowValidationError as error:
        refusal, verdict = error, "invalid"
        if not error.problems:
            raise AssertionError(f"{case}: a validation error without problems") from error
    except CompileError as error:
        refusal, verdict = error, "too large"
    else:
        return "valid"
    if not str(refusal):
        raise AssertionError(f"{case}: an error without a message") from refusal
    return verdict


def cli(*args: str) -> tuple[int, str, str]:
    """Run `stepthunk` with UTF-8 stdout and stderr that refuse what a terminal would."""
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8") for _ in range(2))
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    texts = []
    for stream in (out, err):
        stream.flush()
        texts.append(stream.buffer.getvalue().decode("utf-8"))
    return code, texts[0], texts[1]


def assert_no_crash(text: str, case: Case) -> None:
    assert not [sign for sign in CRASH_SIGNS if sign in text], (case, text[-3000:])


EXIT_CODES = {
    # too large with its nodes carried, it may still fit by hash or in parts (or not: 2)
    "stepthunk validate": {"invalid": {2}, "too large": {0, 2}, "valid": {0}},
    "stepthunk run --engine inprocess": {"invalid": {2}, "too large": {0, 1}, "valid": {0, 1}},
    # too large for one state machine with its nodes carried: its tasks read them by hash
    "stepthunk run (Step Functions)": {"invalid": {2}, "too large": {0, 1, 2}, "valid": {0, 1}},
}
COMMANDS = {
    "stepthunk validate": ("validate",),
    "stepthunk run --engine inprocess": ("run", "--json", "--engine", "inprocess"),
    "stepthunk run (Step Functions)": ("run", "--json"),
}


def through_the_cli(path: str, case: Case, file: Path) -> None:
    verdict = judged(case)
    file.write_bytes(case.text)
    command, *options = COMMANDS[path]
    code, out, err = cli(command, str(file), *options)
    assert_no_crash(out + err, case)
    assert code in EXIT_CODES[path][verdict], (case, verdict, code, err[-3000:])
    if command == "run" and code in (0, 1):
        assert json.loads(out)["status"] in ("completed", "error")
    TRIED[path][case.kind] += 1


def as_put(case: Case) -> tuple[str, Case]:
    """The id to PUT the document under (its own when a URL path can carry it), and the
    document as the API judges it: one without an id takes the path's."""
    try:
        document = json.loads(case.text)
    except (ValueError, RecursionError):
        return "bad-input", case
    if not isinstance(document, dict):
        return "bad-input", case
    if "id" not in document:
        return "bad-input", Case(case.kind, encode({**document, "id": "bad-input"}))
    own = document["id"]
    if isinstance(own, str) and len(own) < 1000:
        try:
            return urllib.parse.quote(own, safe=""), case
        except UnicodeError:  # a lone surrogate: no URL carries it
            pass
    return "bad-input", case


def through_the_api(organization: Organization, case: Case) -> None:
    identifier, judged_as = as_put(case)
    response = organization.http.put(
        f"/workflows/{identifier}",
        content=case.text,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code < 500, (case, response.status_code, response.text[:3000])
    assert_no_crash(response.text, case)
    if response.is_success:
        assert response.json()["version"] >= 1
    else:
        error = response.json()["error"]
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)
    verdict = judged(judged_as)
    carried = json.loads(judged_as.text).get("id") if verdict == "valid" else None
    plain = carried == urllib.parse.unquote(identifier) and PLAIN_ID.fullmatch(identifier)
    if verdict == "valid" and plain and len(case.text) <= MAX_BODY_BYTES:
        assert response.is_success, (case, response.text[:3000])
    elif verdict == "invalid":
        assert response.status_code in (400, 404, 413), (case, response.text[:3000])
    TRIED["PUT /workflows/{id}"][case.kind] += 1


@pytest.fixture
def workflow_file(tmp_path: Path) -> Path:
    return tmp_path / "workflow.json"


def tried_on(path: str) -> str:
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(TRIED[path].items()))
    return f"{TRIED[path].total()} bad inputs tried on {path} ({kinds})"


def test_the_compiler_raises_only_validation_and_compile_errors(figure: Figure) -> None:
    @fuzz(EXAMPLES["compiler"])
    @given(documents())
    def tried(case: Case) -> None:
        judged(case)
        TRIED["compiler"][case.kind] += 1

    tried()
    figure(tried_on("compiler"))


@pytest.mark.parametrize("path", list(COMMANDS))
def test_the_cli_refuses_bad_files_with_exit_code_2_and_no_traceback(
    path: str, workflow_file: Path, figure: Figure
) -> None:
    @fuzz(EXAMPLES[path])
    @given(documents())
    def tried(case: Case) -> None:
        through_the_cli(path, case, workflow_file)

    tried()
    figure(tried_on(path))


def test_the_api_answers_bad_workflows_with_a_4xx_never_a_5xx(
    server: Server, figure: Figure
) -> None:
    organization = server.organization()

    @fuzz(EXAMPLES["PUT /workflows/{id}"])
    @given(documents())
    def tried(case: Case) -> None:
        through_the_api(organization, case)

    tried()
    figure(tried_on("PUT /workflows/{id}"))


@pytest.fixture(scope="module")
def ten_megabytes() -> list[Case]:
    return ten_megabyte_cases()


@pytest.mark.parametrize("index", range(len(TEN_MEGABYTE_KINDS)), ids=TEN_MEGABYTE_KINDS)
def test_ten_megabyte_documents_are_refused_or_handled_on_every_path(
    server: Server, ten_megabytes: list[Case], workflow_file: Path, figure: Figure, index: int
) -> None:
    organization = server.organization()
    case = ten_megabytes[index]
    judged(case)
    for path in COMMANDS:
        through_the_cli(path, case, workflow_file)
    through_the_api(organization, case)
    kind = TEN_MEGABYTE_KINDS[index]
    figure(f"a 10 MB {kind} tried on the compiler, the CLI and the API")
