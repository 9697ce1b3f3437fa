"""What importing a handler loads, as Lambda imports it at a cold start: only what every
invocation needs. AWS and HTTP clients load when the handler builds its dependencies on its
first event, the node families with the registry, X-Ray's SDK with the first traced event,
and the ASL compiler with the HTTP API's first route that deploys or starts a workflow."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from lambdas.handlers import http_api, websocket
from lambdas.handlers.tasks import TASKS

ROOT = Path(__file__).resolve().parents[2]
HANDLERS: list[ModuleType] = [*TASKS.values(), http_api, websocket]
# Packages no handler's import may load (each with the modules in it): boto3 and
# botocore's client machinery (botocore.exceptions, which adapters catch, is light), HTTP
# clients, X-Ray, what single node families use, a settings library, and Powertools'
# OpenAPI models (the HTTP API's /openapi.json route loads them).
NEVER = (
    "boto3",
    "botocore.client",
    "botocore.session",
    "s3transfer",
    "urllib3",
    "httpx",
    "aws_xray_sdk",
    "jsonpath",
    "regex",
    "pydantic_settings",
    "aws_lambda_powertools.event_handler.openapi.models",
)
# The node catalog: its families load when the registry is first made.
CATALOG = "lambdas.nodes"
# What compiles workflows into state machines (the HTTP API's deploys and starts).
COMPILER = ("statemachine.compiler", "statemachine.asl", "statemachine.parts")
# What validates a workflow and a run's inputs.
VALIDATOR = "statemachine.validation"
# The handlers that hold workflow definitions (to run their nodes, or read one stored apart
# from its tasks) import it; the others only at some routes (the HTTP API) or for some
# workflows (Check credits, for a workflow that calls others).
READS_DEFINITIONS = {
    "lambdas.handlers.initialize",
    "lambdas.handlers.run_node",
    "lambdas.handlers.run_inline_group",
    "lambdas.handlers.finalize",
    "lambdas.handlers.persist",
}

# A fresh interpreter with Lambda's variables (Powertools' tracing is on, as deployed).
SCRIPT = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


@cache
def imported_by(module: str) -> set[str]:
    """The modules a fresh interpreter holds after importing `module`."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": "stepthunk-handler",
        "AWS_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, module],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(result.stdout))


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The `modules` that are one of the `packages` or in one of them."""
    return sorted(
        module
        for module in modules
        if any(module == package or module.startswith(f"{package}.") for package in packages)
    )


@pytest.mark.parametrize("module", HANDLERS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_importing_a_handler_loads_no_client_library_node_family_or_tracer(
    module: ModuleType,
) -> None:
    modules = imported_by(module.__name__)
    assert module.__name__ in modules
    assert loaded(modules, NEVER) == []
    assert loaded(modules, (CATALOG,)) in ([], [CATALOG])


@pytest.mark.parametrize("module", HANDLERS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_importing_a_handler_loads_no_compiler(module: ModuleType) -> None:
    assert loaded(imported_by(module.__name__), COMPILER) == []


@pytest.mark.parametrize(
    "module",
    [h for h in HANDLERS if h.__name__ not in READS_DEFINITIONS],
    ids=lambda m: m.__name__.rsplit(".", 1)[1],
)
def test_importing_a_handler_that_reads_no_definition_loads_no_validator(
    module: ModuleType,
) -> None:
    assert loaded(imported_by(module.__name__), (VALIDATOR,)) == []


def test_initialize_loads_the_validator() -> None:
    # Shows that the check above names the validator as it is.
    assert loaded(imported_by("lambdas.handlers.initialize"), (VALIDATOR,)) == [VALIDATOR]


def test_the_deploying_lifecycle_loads_the_compiler() -> None:
    # Shows that the check above names the compiler's modules as they are.
    assert loaded(imported_by("lambdas.lifecycle.deploy"), COMPILER) == sorted(COMPILER)


@pytest.mark.parametrize(
    ("modules", "prefixes", "found"),
    [
        ({"boto3", "boto3.session", "botocore"}, ("boto3",), ["boto3", "boto3.session"]),
        ({"botocore", "botocore.exceptions"}, ("botocore.client",), []),
        ({"lambdas.nodes", "lambdas.nodes.math"}, (CATALOG,), [CATALOG, "lambdas.nodes.math"]),
        ({"regexp"}, ("regex",), []),
    ],
)
def test_the_check_names_a_package_and_its_modules_only(
    modules: set[str], prefixes: tuple[str, ...], found: list[str]
) -> None:
    assert loaded(modules, prefixes) == found
