"""Tracing as on AWS: X-Ray's SDK loads when a handler first runs, not when it is imported,
and the handler's subsegment and those of its AWS calls still reach the X-Ray daemon."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"

# Imports every handler, notes whether X-Ray's SDK is loaded, then invokes one handler made
# by lambdas.handlers.entry as Lambda would, in a fresh interpreter (the SDK patches globally).
# Its dependencies hold a client made as wiring makes them; its call finds no server.
SCRIPT = """
import json, sys
import lambdas.handlers.tasks, lambdas.handlers.http_api, lambdas.handlers.websocket
imported = "aws_xray_sdk" in sys.modules
import boto3, botocore.config, botocore.exceptions
from lambdas.handlers.entry import lambda_handler
from lambdas.handlers.wiring import Clients

class Context:
    function_name = "stepthunk-persist"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:stepthunk-persist"
    aws_request_id = "request-1"

    def get_remaining_time_in_millis(self):
        return 30_000

def process(event, clients, invocation):
    try:
        clients.s3.list_buckets()
    except botocore.exceptions.EndpointConnectionError:
        return {"called": "s3"}
    return {}

config = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=2)
unreachable = {"endpoint_url": "http://127.0.0.1:9", "config": config}
handler = lambda_handler(lambda: Clients(lambda name: boto3.client(name, **unreachable)), process)
result = handler({}, Context())
print(json.dumps({"imported": imported, "invoked": "aws_xray_sdk" in sys.modules, **result}))
"""


def test_handlers_import_without_the_xray_sdk_and_trace_their_first_event() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        daemon.settimeout(5)
        environment = {
            "PATH": "/usr/bin:/bin",
            # What Lambda sets: these turn Powertools' tracing on.
            "LAMBDA_TASK_ROOT": str(ROOT),
            "AWS_LAMBDA_FUNCTION_NAME": "stepthunk-persist",
            "AWS_REGION": "eu-west-1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
            "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1",
            "POWERTOOLS_SERVICE_NAME": "stepthunk",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        outcome = json.loads(result.stdout.splitlines()[-1])
        assert outcome == {"imported": False, "invoked": True, "called": "s3"}
        segments = {segment["name"]: segment for segment in [received(daemon), received(daemon)]}
    assert set(segments) == {"## handler", "s3"}
    assert segments["s3"]["namespace"] == "aws"
    assert segments["s3"]["aws"]["operation"] == "ListBuckets"
    assert segments["## handler"]["trace_id"] == TRACE_ID


def received(daemon: socket.socket) -> dict[str, Any]:
    """One segment document sent to the daemon: a header line, then the segment's JSON."""
    header, document = daemon.recv(65536).decode().split("\n", 1)
    assert json.loads(header)["format"] == "json"
    segment: dict[str, Any] = json.loads(document)
    return segment
