"""`stepthunk serve`, `keys create`, `credits set` and `machines delete` as commands: banner, keys,
the state dir, a deployed stack's administration."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from lambdas.adapters.api_keys import DynamoApiKeyStore
from lambdas.adapters.organizations import DynamoOrganizationStore
from lambdas.adapters.schema import create_tables
from lambdas.runtime.ports import Organization
from local.cli import main
from local.cloud import LocalCloud
from local.interrupted import WORKER_ENDED
from local.snapshot import INTERRUPTED
from local.state_files import SNAPSHOT, read_saved
from tests.api.test_executions_api import node_of, waiter
from tests.api.test_workflow_calls import calling
from tests.support.http_server import (
    LOCAL_FAKES,
    LocalServer,
    http_server_fixture,
    serve_on,
    servers_fixture,
    unused_port,
)
from tests.support.workflows import doubling, edge, expense_form, node, workflow

__all__ = ["http_server_fixture", "servers_fixture"]  # fixtures

# A hang guard, not a speed check (bench/ measures start-up): a start takes seconds, but on a
# 2-core machine shared with other test processes it has taken over 30.
STARTUP = 120.0
KEY = re.compile(r"API key for organization 'dev': (stk_\S+)")


class Serve:
    """A `python -m local serve` process, its banner, and clients of its API."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}"
        self.lines: queue.Queue[str] = queue.Queue()
        self.banner: list[str] = []
        assert process.stdout is not None
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def read_until(self, pattern: str) -> str:
        """Banner lines until one contains `pattern`; that line."""
        give_up = time.monotonic() + STARTUP
        while True:
            line = self.lines.get(timeout=max(0.1, give_up - time.monotonic()))
            self.banner.append(line)
            if pattern in line:
                return line

    def wait_until_listening(self) -> None:
        give_up = time.monotonic() + STARTUP
        while True:
            assert self.process.poll() is None, f"serve exited: {self.banner}"
            try:
                httpx.get(f"{self.base_url}/openapi.json", timeout=1)
                return
            except httpx.TransportError:
                assert time.monotonic() < give_up, "serve did not start listening"
                time.sleep(0.05)

    def http(self, key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )

    def stop(self) -> None:
        """Ctrl+C, as a user stops it: it shuts down cleanly."""
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=20) == 0
        self.read_until("Stopped.")


# What a serve whose workflows call the local fake servers allows.
fakes = [option for address in LOCAL_FAKES for option in ("--allow-network", address)]


@contextmanager
def serve(
    *args: str,
    until: str = "stepthunk serve:",
    env: dict[str, str] | None = None,
    own_group: bool = False,
) -> Iterator[Serve]:
    """serve with `args`, read until a banner line holds `until`; `own_group`: in a process
    group of its own, as a terminal starts a command (Ctrl+C reaches the whole group)."""
    port = unused_port()
    command = [sys.executable, "-m", "local", "serve", "--port", str(port), *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # in the banner, to tell why a start failed
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        process_group=0 if own_group else None,
    )
    server = Serve(process, port)
    try:
        server.read_until(until)
        server.wait_until_listening()
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(http: httpx.Client, execution_id: str, *statuses: str) -> dict[str, Any]:
    give_up = time.monotonic() + 20
    while True:
        record: dict[str, Any] = http.get(f"/executions/{execution_id}").json()
        if record["status"] in statuses:
            return record
        assert time.monotonic() < give_up, record
        time.sleep(0.05)


def start(http: httpx.Client, workflow_id: str) -> str:
    response = http.post(f"/workflows/{workflow_id}/executions", json={})
    assert response.status_code == 202, response.text
    return str(response.json()["executionId"])


def test_serve_prints_a_fresh_key_that_opens_the_api() -> None:
    with serve(until="API key for organization 'dev'") as server:
        match = KEY.search(server.banner[-1])
        assert match is not None
        server.read_until("Data lives in memory")
        with server.http(match.group(1)) as http:
            assert http.get("/workflows").json() == {"items": []}
        with server.http("stk_not-the-key") as http:
            assert http.get("/workflows").status_code == 401
        server.stop()


def refused(*args: str) -> subprocess.CompletedProcess[str]:
    """`stepthunk serve` run to its end (it should refuse to start)."""
    command = [sys.executable, "-m", "local", "serve", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=STARTUP, check=False)


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_port_that_is_no_port_is_a_usage_error_without_a_banner(port: str) -> None:
    done = refused("--port", port)
    assert (done.returncode, done.stdout) == (2, "")
    assert f"argument --port: '{port}' is not a port number (1-65535)" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("organization", ["tenant/flow", "a#b", "-leading", "x" * 65])
def test_an_api_key_for_an_organization_id_outside_the_set_is_a_usage_error(
    organization: str,
) -> None:
    done = refused("--port", str(unused_port()), "--api-key", f"stk_chosen-key:{organization}")
    assert (done.returncode, done.stdout) == (2, "")
    assert "an organization id is 1 to 64 ASCII letters, digits" in done.stderr
    assert "stk_chosen-key" not in done.stderr  # a key is never echoed


def test_a_port_in_use_is_a_usage_error_without_a_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = refused("--port", str(port))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"stepthunk: port {port} on 127.0.0.1 is already in use")
    assert len(done.stderr.splitlines()) == 1


def saved_names(state: Path, table: str, attribute: str) -> list[str]:
    """The `attribute` of every item of `table` in the state dir's files."""
    saved = read_saved(state)
    assert saved is not None
    return sorted(item[attribute]["S"] for item in saved.tables[table])


def test_the_state_dir_keeps_workflows_executions_secrets_and_keys_across_a_restart(
    tmp_path: Path, http_server: LocalServer
) -> None:
    state = tmp_path / "state"
    fetcher = workflow(
        node("call", "fetch", url=http_server.url("/json"), headers={"X-Token": "{{secrets.T}}"}),
        workflow_id="fetcher",
    )
    waiter = workflow(
        node("first", "number-input", value=7),
        node("pause", "wait", seconds=3600),
        edges=[edge("first.value", "pause.value")],
        workflow_id="waiter",
    )
    with serve(*fakes, "--state-dir", str(state), until="API key for organization 'dev'") as first:
        match = KEY.search(first.banner[-1])
        assert match is not None
        key = match.group(1)
        with first.http(key) as http:
            for definition in (fetcher, waiter):
                assert http.put(f"/workflows/{definition['id']}", json=definition).is_success
            assert http.put("/secrets/T", json={"value": "kept-secret"}).status_code == 200
            finished = start(http, "fetcher")
            before = wait_for(http, finished, "completed")
            running = start(http, "waiter")
            wait_for(http, running, "executing")
        # A crash: only what the background saves wrote survives.
        give_up = time.monotonic() + 15
        # the execution, and what the unit before the wait kept: `first` completed
        while not (state / SNAPSHOT).exists() or not {running, f"{running}/unit/0"} <= set(
            saved_names(state, "executions", "id")
        ):
            assert time.monotonic() < give_up, "the state was not saved in the background"
            time.sleep(0.1)
        first.process.kill()
        first.process.wait()
    assert http_server.last.headers["x-token"] == "kept-secret"
    assert {stat.S_IMODE(saved.stat().st_mode) for saved in state.iterdir()} == {0o600}

    with serve(*fakes, "--state-dir", str(state), "--api-key", "seeded-key:org-seeded") as second:
        second.read_until("Restored 2 workflows and 2 executions (1 interrupted")
        assert not any("API key for organization" in line for line in second.banner)
        with second.http(key) as http:
            listed = [item["id"] for item in http.get("/workflows").json()["items"]]
            assert listed == ["fetcher", "waiter"]
            assert http.get(f"/executions/{finished}").json() == before
            interrupted = http.get(f"/executions/{running}").json()
            assert (interrupted["status"], interrupted["error"]) == ("error", INTERRUPTED)
            # what ran before the stop stays as it ended; the node that was waiting did not end
            nodes = {e["nodeId"]: e for e in interrupted["nodeExecutions"]}
            assert nodes["first"]["status"] == "completed"
            assert nodes["first"]["outputs"] == {"value": 7}
            assert (nodes["pause"]["status"], nodes["pause"]["error"]) == ("error", INTERRUPTED)
            again = start(http, "fetcher")
            assert again != finished
            assert wait_for(http, again, "completed", "error")["status"] == "completed"
            assert http.get("/secrets").json() == {"secrets": ["T"]}
            assert http.put("/secrets/LAST", json={"value": "last"}).status_code == 200
        with second.http("seeded-key") as seeded:
            assert seeded.get("/workflows").json() == {"items": []}
            assert seeded.get(f"/executions/{finished}").status_code == 404
        second.stop()  # a clean stop saves what came last
    assert http_server.last.headers["x-token"] == "kept-secret"
    assert saved_names(state, "secrets", "name") == ["LAST", "T"]
    assert again in saved_names(state, "executions", "id")


def saved_status(state: Path, execution_id: str) -> str | None:
    """The status the state dir's file holds for an execution, if it holds it."""
    saved = read_saved(state)
    if saved is None:
        return None
    items = [i for i in saved.tables.get("executions", []) if i["id"]["S"] == execution_id]
    return str(items[0]["status"]["S"]) if items else None


def test_a_retry_after_a_hard_stop_runs_with_the_inputs_its_execution_started_with(
    tmp_path: Path, servers: contextlib.ExitStack
) -> None:
    state = tmp_path / "state"
    port = unused_port()  # nothing listens there before the restart: the call fails
    caller = workflow(
        node("call", "fetch", url=f"http://127.0.0.1:{port}/status", timeout=2000),
        node("total", "addition", b=1),
        edges=[edge("call.status", "total.a")],
        workflow_id="caller",
    )
    with serve(*fakes, "--state-dir", str(state), until="API key for organization 'dev'") as first:
        match = KEY.search(first.banner[-1])
        assert match is not None
        key = match.group(1)
        with first.http(key) as http:
            assert http.put("/workflows/caller", json=caller).is_success
            body = {"inputs": {"total": {"b": 42}}}
            started = http.post("/workflows/caller/executions", json=body)
            failed = started.json()["executionId"]
            assert wait_for(http, failed, "completed", "error")["status"] == "error"
        give_up = time.monotonic() + 15
        while saved_status(state, failed) != "error":
            assert time.monotonic() < give_up, "the state was not saved in the background"
            time.sleep(0.1)
        first.process.kill()  # kill -9: Step Functions' history of the execution is gone
        first.process.wait()

    with serve(*fakes, "--state-dir", str(state)) as second:
        second.read_until("Restored 1 workflows and 1 executions")
        serve_on(port, servers)
        with second.http(key) as http:
            response = http.post(f"/executions/{failed}/retry", json={})
            assert response.status_code == 202, response.text
            record = wait_for(http, response.json()["executionId"], "completed", "error")
        second.stop()
    assert record["status"] == "completed", record
    total = next(e for e in record["nodeExecutions"] if e["nodeId"] == "total")
    assert total["outputs"] == {"result": 200 + 42}


def test_keys_create_prints_only_a_key_of_the_organization(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = LocalCloud.shared()  # moto, as the command's boto3 session then sees it
    table = f"keys-{unused_port()}"
    dynamodb = cloud.client("dynamodb")
    create_tables(dynamodb, {"apiKeys": table})
    capsys.readouterr()
    code = main(["keys", "create", "--org", "acme", "--table", table, "--region", "us-east-1"])
    printed = capsys.readouterr()
    assert code == 0
    assert printed.err == ""
    key = printed.out.strip()
    assert printed.out == f"{key}\n"
    assert " " not in key
    assert DynamoApiKeyStore(dynamodb, table).organization_of(key) == "acme"


def test_keys_create_names_a_missing_table_without_printing_a_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    LocalCloud.shared()
    code = main(
        ["keys", "create", "--org", "acme", "--table", "no-such-table", "--region", "us-east-1"]
    )
    printed = capsys.readouterr()
    assert (code, printed.out) == (2, "")
    assert "no-such-table" in printed.err
    assert "internal error" not in printed.err


def test_keys_create_asks_for_a_region_when_none_is_configured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    LocalCloud.shared()
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    code = main(["keys", "create", "--org", "acme", "--table", "keys"])
    printed = capsys.readouterr()
    assert (code, printed.out) == (2, "")
    assert "--region" in printed.err


def test_credits_set_gives_an_organization_credits_and_keeps_its_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = LocalCloud.shared()
    table = f"organizations-{unused_port()}"
    dynamodb = cloud.client("dynamodb")
    create_tables(dynamodb, {"organizations": table})
    store = DynamoOrganizationStore(dynamodb, table)
    args = ["credits", "set", "--org", "acme", "--table", table, "--region", "us-east-1"]
    assert main([*args, "--credits", "100"]) == 0
    assert store.charge("acme", "execution-1", 7)
    assert main([*args, "--credits", "500"]) == 0
    assert "500 compute credits, 7 used" in capsys.readouterr().out
    assert store.get("acme") == Organization(id="acme", compute_credits=500, usage=7)
    assert main([*args, "--credits", "-1"]) == 2


def test_serve_holds_node_outputs_to_the_limits_its_environment_sets() -> None:
    limited = workflow(node("t", "text-input", value="a" * 2000), workflow_id="limited")
    doubled = doubling(30, workflow_id="doubled")
    limits = {"STEPTHUNK_MAX_OUTPUT_BYTES": "1000"}
    with serve(until="API key for organization 'dev'", env=limits) as server:
        match = KEY.search(server.banner[-1])
        assert match is not None
        with server.http(match.group(1)) as http:
            assert http.put("/workflows/limited", json=limited).is_success
            record = wait_for(http, start(http, "limited"), "error")
            assert http.put("/workflows/doubled", json=doubled).is_success
            doubled_record = wait_for(http, start(http, "doubled"), "error")
        server.stop()
    assert record["nodeExecutions"][0]["error"] == (
        "Output 'value' is 2,002 bytes, over the 1,000-byte limit per node output "
        "(STEPTHUNK_MAX_OUTPUT_BYTES)"
    )
    # A string doubled 30 times: the node that passes the limit fails, those after it skip.
    nodes = {execution["nodeId"]: execution for execution in doubled_record["nodeExecutions"]}
    assert [nodes[f"d{n}"]["status"] for n in range(10)] == ["completed"] * 10
    assert nodes["d10"]["error"] == (
        "Output 'result' is 1,026 bytes, over the 1,000-byte limit per node output "
        "(STEPTHUNK_MAX_OUTPUT_BYTES)"
    )
    assert {nodes[f"d{n}"]["status"] for n in range(11, 31)} == {"skipped"}


def form_link(*args: str) -> tuple[str, int]:
    """The link a create-form node gives on a serve started with `args`, and serve's port."""
    form = {**expense_form(), "id": "expenses"}
    with serve(*args, until="API key for organization 'dev'") as server:
        match = KEY.search(server.banner[-1])
        assert match is not None
        with server.http(match.group(1)) as http:
            assert http.put("/workflows/expenses", json=form).is_success
            execution_id = start(http, "expenses")
            give_up = time.monotonic() + STARTUP
            while True:
                nodes = http.get(f"/executions/{execution_id}").json()["nodeExecutions"]
                outputs = next(n.get("outputs") for n in nodes if n["nodeId"] == "form")
                if outputs:
                    break
                assert time.monotonic() < give_up, nodes
                time.sleep(0.05)
        server.stop()
    return str(outputs["url"]), int(server.base_url.rsplit(":", 1)[1])


def test_serve_on_every_interface_gives_form_links_with_this_machine_s_name() -> None:
    link, port = form_link("--host", "0.0.0.0")
    assert link.startswith(f"http://{socket.gethostname()}:{port}/forms?token=")


def test_a_public_url_is_where_form_links_point() -> None:
    link, _ = form_link("--public-url", "https://flows.example.com/stepthunk/")
    assert link.startswith("https://flows.example.com/stepthunk/forms?token=")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("flows.example.com", "is not a URL like https://host[:port]"),
        ("ftp://flows.example.com", "is not a URL like https://host[:port]"),
        ("https://flows.example.com:99999", "is not a URL like https://host[:port]"),
        ("https://flows.example.com/?a=1", "a base URL has no query or fragment"),
    ],
)
def test_a_public_url_that_is_no_base_url_is_a_usage_error(url: str, message: str) -> None:
    done = refused("--port", str(unused_port()), "--public-url", url)
    assert (done.returncode, done.stdout) == (2, "")
    assert f"argument --public-url: '{url}'" in done.stderr
    assert message in done.stderr


def test_machines_delete_removes_only_the_machines_the_stacks_api_deployed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = LocalCloud.shared()
    machines = cloud.client("stepfunctions")
    iam = cloud.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    suffix = unused_port()
    runtime, other = (
        iam.create_role(RoleName=f"{name}-{suffix}", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        for name in ("runtime", "other")
    )
    passing = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})

    def create(name: str, role: str) -> str:
        created = machines.create_state_machine(name=name, definition=passing, roleArn=role)
        return str(created["stateMachineArn"])

    ours = [create(f"stepthunk-{suffix}-{n}", runtime) for n in ("a", "a-part-1")]
    theirs = [create(f"stepthunk-{suffix}-b", other), create(f"mine-{suffix}", runtime)]

    assert main(["machines", "delete", "--role", runtime, "--region", "us-east-1"]) == 0

    printed = capsys.readouterr().out
    assert f"Deleted stepthunk-{suffix}-a\n" in printed
    assert "2 state machines the API deployed were deleted" in printed
    pages = machines.get_paginator("list_state_machines").paginate()  # the shared cloud has many
    left = {m["stateMachineArn"] for page in pages for m in page["stateMachines"]}
    assert not set(ours) & left
    assert set(theirs) <= left


def test_ctrl_c_stops_serve_and_its_execution_workers_without_a_traceback() -> None:
    """Ctrl+C in a terminal reaches serve and its workers (one process group): serve stops
    them and says Stopped., and nothing prints a traceback."""
    with serve("--workers", "2", until="worker processes", own_group=True) as server:
        assert "Executions run in 2 worker processes" in server.banner[-1]
        workers = children_of(server.process.pid)
        assert len(workers) >= 2  # the two workers (and multiprocessing's own helper, if any)
        one_execution(server, KEY.search(server.read_until("API key")))

        os.killpg(server.process.pid, signal.SIGINT)

        assert_stopped_without_a_traceback(server)
        give_up = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < give_up, "a worker outlived serve"
            time.sleep(0.05)


def test_a_second_ctrl_c_stops_serve_without_a_traceback_and_its_data_is_saved(
    tmp_path: Path,
) -> None:
    """Ctrl+C twice (an impatient user, or a tool that forwards its own signal): serve
    stops at once, says Stopped. with no traceback, and the state dir holds what it ran."""
    state = tmp_path / "state"
    with serve("--state-dir", str(state), until="API key", own_group=True) as server:
        started = one_execution(server, KEY.search(server.banner[-1]))

        os.killpg(server.process.pid, signal.SIGINT)
        time.sleep(0.05)
        os.killpg(server.process.pid, signal.SIGINT)

        assert_stopped_without_a_traceback(server)
    assert started in saved_names(state, "executions", "id")


def one_execution(server: Serve, key: re.Match[str] | None) -> str:
    """The id of an execution of a one-node workflow, run to its end on `server`."""
    assert key is not None
    http = server.http(key.group(1))
    deployed = workflow(node("n", "number-input", value=1), workflow_id="one")
    assert http.put("/workflows/one", json=deployed).status_code in (200, 201)
    started: str = http.post("/workflows/one/executions", json={}).json()["executionId"]
    assert wait_for(http, started, "completed")["status"] == "completed"
    return started


def assert_stopped_without_a_traceback(server: Serve) -> None:
    assert server.process.wait(timeout=20) == 0
    server.read_until("Stopped.")
    rest = []
    while not server.lines.empty():
        rest.append(server.lines.get())
    assert not [line for line in server.banner + rest if "Traceback" in line]


def children_of(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def test_when_a_worker_ends_starts_go_to_the_workers_left() -> None:
    """A worker killed (out of memory, say) takes its executions with it; serve answers no 500
    for them, and the executions started next run in the other worker."""
    with serve("--workers", "2", until="worker processes", own_group=True) as server:
        key = KEY.search(server.read_until("API key"))
        assert key is not None
        http = server.http(key.group(1))
        deployed = workflow(node("n", "number-input", value=1), workflow_id="survives")
        assert http.put("/workflows/survives", json=deployed).status_code in (200, 201)
        pids = children_of(server.process.pid)
        workers = [pid for pid in pids if "spawn_main" in command_of(pid)]
        assert len(workers) == 2, [command_of(pid) for pid in pids]

        os.kill(workers[0], signal.SIGKILL)
        starts = [http.post("/workflows/survives/executions", json={}) for _ in range(4)]

        assert [s.status_code for s in starts] == [202] * 4
        for start in starts:
            record = wait_for(http, start.json()["executionId"], "completed", "error")
            assert record["status"] == "completed"
        server.stop()


def test_when_workers_end_their_executions_and_calls_end_in_error_and_serve_runs_on() -> None:
    """Nothing runs the executions of a worker that ended (killed, out of memory), nor the
    workflows they called (a call runs where its caller runs): serve ends their records in
    `error` at once, says so, and answers for them as for any ended execution. With no
    worker left, serve runs the executions started next itself."""
    with serve("--workers", "2", until="worker processes", own_group=True) as server:
        key = KEY.search(server.read_until("API key"))
        assert key is not None
        http = server.http(key.group(1))
        for deployed in (waiter("slow"), calling("caller", "slow")):
            assert http.put(f"/workflows/{deployed['id']}", json=deployed).is_success
        callers = [start(http, "caller") for _ in range(2)]  # one in each worker, in turn
        children = running_children(http, "slow", len(callers))
        workers = [
            pid for pid in children_of(server.process.pid) if "spawn_main" in command_of(pid)
        ]
        assert len(workers) == 2

        for pid in workers:
            os.kill(pid, signal.SIGKILL)

        for execution_id in callers + children:
            record = wait_for(http, execution_id, "error")
            assert record["error"] == WORKER_ENDED
            assert "executing" not in [ran["status"] for ran in record["nodeExecutions"]]
        assert http.post(f"/executions/{callers[0]}/cancel").status_code == 409
        said = {server.read_until("executions it ran end in error") for _ in workers}
        assert {f"The execution worker (process {pid}) ended" for pid in workers} == {
            line.split(":")[0] for line in said
        }
        server.read_until("No execution worker is left: serve runs executions in its own")

        quick = workflow(node("n", "number-input", value=3), workflow_id="quick")
        assert http.put("/workflows/quick", json=quick).is_success
        after = start(http, "quick")
        assert node_of(wait_for(http, after, "completed"), "n")["outputs"] == {"value": 3}
        server.stop()


def running_children(http: httpx.Client, workflow_id: str, count: int) -> list[str]:
    """The ids of `count` executions of `workflow_id` once each is listed, executing."""
    give_up = time.monotonic() + 20
    while True:
        listed = http.get(f"/workflows/{workflow_id}/executions").json()["items"]
        if len(listed) == count and all(item["status"] == "executing" for item in listed):
            return [item["id"] for item in listed]
        assert time.monotonic() < give_up, listed
        time.sleep(0.05)


def command_of(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
