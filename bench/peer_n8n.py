"""n8n, the peer the benchmarks compare against: installed pinned, fed the same chain, driven.

n8n is installed with npm into `.peer-cache/` (gitignored) once and reused. Its 2.8.4 is the
newest release that runs on Node.js 20; one of its dependencies (`xlsx`) points at a host off the
npm registry, so the registry's release of it overrides it. Each benchmark run gives n8n a fresh
user folder (its SQLite database) in a temporary directory, on free ports of 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
N8N_VERSION = "2.8.4"
XLSX_VERSION = "0.18.5"  # the registry's release, in place of the tarball n8n points at
NODE_RANGE = ((20, 19), (24, 999))  # n8n 2.8.4's `engines`: >=20.19 <= 24.x
CACHE = ROOT / ".peer-cache" / f"n8n-{N8N_VERSION}"
STARTUP_S = 120.0
COMMAND_S = 600.0
WEBHOOK_PATH = "chain"


class PeerError(Exception):
    """n8n could not be installed, or did not do what the benchmark asked of it."""


def chain(nodes: int) -> dict[str, Any]:
    """A manual trigger, then `nodes` Set nodes: n0 sets `value` to 0, each later one adds 1.
    The last node's `value` is `nodes - 1`."""
    trigger = {
        "parameters": {},
        "name": "Trigger",
        "type": "n8n-nodes-base.manualTrigger",
        "typeVersion": 1,
    }
    return _chain_workflow(f"stkchain{nodes}", f"{nodes}-node chain", trigger, nodes)


def webhook_chain(nodes: int) -> dict[str, Any]:
    """A webhook (POST /webhook/chain, answering with the last node's item), then the same
    Set nodes as `chain`."""
    trigger = {
        "parameters": {
            "httpMethod": "POST",
            "path": WEBHOOK_PATH,
            "responseMode": "lastNode",
            "options": {},
        },
        "name": "Webhook",
        "type": "n8n-nodes-base.webhook",
        "typeVersion": 2,
        "webhookId": str(uuid.UUID(int=nodes)),
    }
    return _chain_workflow(f"stkwebhook{nodes}", f"{nodes}-node webhook chain", trigger, nodes)


def _chain_workflow(
    workflow_id: str, name: str, trigger: dict[str, Any], nodes: int
) -> dict[str, Any]:
    listed = [{**trigger, "id": str(uuid.UUID(int=0)), "position": [0, 0]}]
    listed += [_set_node(i) for i in range(nodes)]
    names = [node["name"] for node in listed]
    connections = {
        source: {"main": [[{"node": target, "type": "main", "index": 0}]]}
        for source, target in itertools.pairwise(names)
    }
    return {
        "id": workflow_id,
        "name": name,
        "nodes": listed,
        "connections": connections,
        "active": False,
        "settings": {"executionOrder": "v1"},
    }


def _set_node(index: int) -> dict[str, Any]:
    value = 0 if index == 0 else "={{ $json.value + 1 }}"
    assignment = {"id": str(uuid.UUID(int=index + 1)), "name": "value", "value": value}
    return {
        "parameters": {
            "mode": "manual",
            "assignments": {"assignments": [{**assignment, "type": "number"}]},
            "options": {},
        },
        "id": str(uuid.UUID(int=10**9 + index)),
        "name": f"n{index}",
        "type": "n8n-nodes-base.set",
        "typeVersion": 3.4,
        "position": [200 * (index + 1), 0],
    }


def execution_problem(output: str, nodes: int) -> str | None:
    """What is wrong with `n8n execute --rawOutput`'s output for the `nodes`-node chain (its
    last node's `value` must be `nodes - 1`), or None. Log lines may come before the JSON."""
    start = output.find("{")
    if start < 0:
        return f"no execution JSON in n8n's output: {output[-300:]!r}"
    try:
        result = json.loads(output[start:])["data"]["resultData"]
        if result.get("error"):
            return f"n8n's execution failed: {str(result['error'])[:300]}"
        last = result["runData"][f"n{nodes - 1}"][0]["data"]["main"][0][0]["json"]["value"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        return f"n8n's output does not hold the last node's value ({error!r})"
    return None if last == nodes - 1 else f"the last value is {last!r}, not {nodes - 1}"


def install(cache: Path = CACHE) -> Path:
    """n8n's command, installed into `cache` unless the pinned version is already there."""
    command = cache / "node_modules" / ".bin" / "n8n"
    if command.exists() and installed_version(cache) == N8N_VERSION:
        return command
    _require_node()
    cache.mkdir(parents=True, exist_ok=True)
    package = {
        "name": "stepthunk-bench-peer",
        "private": True,
        "dependencies": {"n8n": N8N_VERSION},
        "overrides": {"xlsx": XLSX_VERSION},
    }
    (cache / "package.json").write_text(json.dumps(package, indent=2) + "\n", encoding="utf-8")
    print(f"installing n8n {N8N_VERSION} into {cache} (a few minutes) ...", file=sys.stderr)
    npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
    if subprocess.run(npm, cwd=cache, check=False).returncode != 0:
        raise PeerError(f"npm could not install n8n {N8N_VERSION} into {cache}")
    if not command.exists() or installed_version(cache) != N8N_VERSION:
        raise PeerError(f"npm finished but n8n {N8N_VERSION} is not in {cache}")
    return command


def installed_version(cache: Path) -> str | None:
    manifest = cache / "node_modules" / "n8n" / "package.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None


def _require_node() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise PeerError(f"n8n {N8N_VERSION} needs Node.js 20.19 to 24 and npm on PATH")
    found = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    version = found.stdout.strip()
    try:
        major, minor = (int(part) for part in version.lstrip("v").split(".")[:2])
    except ValueError:
        raise PeerError(f"node --version says {version!r}, not a version") from None
    if not NODE_RANGE[0] <= (major, minor) <= NODE_RANGE[1]:
        raise PeerError(f"n8n {N8N_VERSION} runs on Node.js 20.19 to 24, not {version}")


@dataclass(frozen=True)
class N8n:
    """One n8n installation with its own user folder and ports."""

    command: Path
    home: Path
    port: int
    broker_port: int

    @classmethod
    def create(cls, command: Path, home: Path) -> N8n:
        return cls(command, home, free_port(), free_port())

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "N8N_USER_FOLDER": str(self.home),
            "N8N_DIAGNOSTICS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_PERSONALIZATION_ENABLED": "false",
            "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
            "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_HOST": "127.0.0.1",
            "N8N_PORT": str(self.port),
            "N8N_RUNNERS_BROKER_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_RUNNERS_BROKER_PORT": str(self.broker_port),
        }

    def cli(self, *arguments: str) -> str:
        """Run `n8n ARGUMENTS` to its end; its output, or PeerError when it fails."""
        result = self._run(arguments)
        if result.returncode != 0:
            raise PeerError(f"n8n {' '.join(arguments)} failed:\n{result.stdout[-3000:]}")
        return result.stdout

    def add(self, workflow: dict[str, Any]) -> None:
        """Import `workflow` (untimed: `n8n execute` runs only stored workflows)."""
        path = self.home / f"{workflow['id']}.json"
        path.write_text(json.dumps(workflow), encoding="utf-8")
        self.cli("import:workflow", f"--input={path}")

    def execute(self, workflow_id: str) -> tuple[float, str]:
        """`n8n execute` of a stored workflow in a fresh process: its wall time and output."""
        start = time.perf_counter()
        result = self._run(("execute", f"--id={workflow_id}", "--rawOutput"))
        took = time.perf_counter() - start
        return took, result.stdout

    def _spawn(self, arguments: tuple[str, ...], output: IO[bytes]) -> subprocess.Popen[bytes]:
        """`n8n ARGUMENTS` started in a process group of its own, its output into `output`."""
        return subprocess.Popen(
            [str(self.command), *arguments],
            env=self.environment(),
            cwd=self.home,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _run(self, arguments: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        """`n8n ARGUMENTS` to its end, its output in a file (the task runner it starts may hold
        a pipe open after n8n has ended); then its process group is stopped, runner included."""
        with tempfile.TemporaryFile() as output:
            process = self._spawn(arguments, output)
            try:
                process.wait(COMMAND_S)
            except subprocess.TimeoutExpired:
                raise PeerError(f"n8n {' '.join(arguments)} ran over {COMMAND_S:.0f} s") from None
            finally:
                _stop(process)
            output.seek(0)
            text = output.read().decode("utf-8", errors="replace")
        return subprocess.CompletedProcess(process.args, process.returncode, text)

    @contextmanager
    def serving(self, workflow: dict[str, Any], probe: bytes = b"{}") -> Iterator[str]:
        """`n8n start` with `workflow` published, until its webhook answers: the webhook's URL.
        n8n and the task runner it starts are stopped on leaving."""
        self.add(workflow)
        self.cli("publish:workflow", f"--id={workflow['id']}")
        url = f"http://127.0.0.1:{self.port}/webhook/{WEBHOOK_PATH}"
        log = self.home / "n8n-start.log"
        with log.open("wb") as output:
            process = self._spawn(("start",), output)
        try:
            _wait_for_webhook(url, probe, process, log)
            yield url
        finally:
            _stop(process)


def _wait_for_webhook(url: str, probe: bytes, process: subprocess.Popen[bytes], log: Path) -> None:
    give_up = time.monotonic() + STARTUP_S
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise PeerError(f"n8n start stopped while starting:\n{_tail(log)}")
        try:
            answer = httpx.post(url, content=probe, timeout=5.0, headers=_JSON)
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise PeerError(f"n8n's webhook did not answer within {STARTUP_S:.0f} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group n8n leads (n8n and its task runner), then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a child left behind by n8n's shutdown


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_JSON = {"Content-Type": "application/json"}
