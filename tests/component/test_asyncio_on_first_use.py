"""In a Lambda, asyncio is imported when something first uses it, not when the HTTP API's
import names it (Powertools' AppSync resolvers do): whoever holds the stand-in, or imports
asyncio afterwards, uses asyncio as it is. Outside a Lambda, asyncio imports as usual."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
import lambdas.handlers.http_api
from aws_lambda_powertools.event_handler import appsync
stood_in = type(sys.modules["asyncio"]).__name__
loaded_at_import = "asyncio.base_events" in sys.modules

async def answer():
    return 42

ran = appsync.asyncio.run(answer())
import asyncio
import asyncio.subprocess
print(json.dumps({
    "stood_in": stood_in,
    "loaded_at_import": loaded_at_import,
    "ran": ran,
    "same_run": appsync.asyncio.run is asyncio.run,
    "real_in_sys_modules": type(sys.modules["asyncio"]).__name__,
    "subprocess": asyncio.subprocess.__name__,
    "same_gather": appsync.asyncio.gather is sys.modules["asyncio"].gather,
}))
"""


def _probe(function_name: str | None) -> dict[str, object]:
    environment = {"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1"}
    if function_name is not None:
        environment["AWS_LAMBDA_FUNCTION_NAME"] = function_name
    ran = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    probe: dict[str, object] = json.loads(ran.stdout)
    return probe


def test_in_a_lambda_asyncio_loads_on_first_use_and_works_as_itself() -> None:
    assert _probe("stepthunk-http-api") == {
        "stood_in": "_ImportedOnFirstUse",
        "loaded_at_import": False,
        "ran": 42,
        "same_run": True,
        "real_in_sys_modules": "module",
        "subprocess": "asyncio.subprocess",
        "same_gather": True,
    }


def test_outside_a_lambda_asyncio_imports_as_usual() -> None:
    probe = _probe(None)
    assert probe["stood_in"] == "module"
    assert probe["loaded_at_import"] is True
    assert probe["ran"] == 42
