"""The engines every conformance test runs against, behind one small interface.

A test asks for the `engine` fixture, runs a workflow (JSON data) and inspects the record as
a user would see it (JSON). New engines join by adding a parameter here, not by editing tests.
A run may set the limits on node outputs that a deployment would (default: the defaults),
where LLM nodes send their requests (`model_apis`: the local fakes of the providers' APIs), and
the events its wait-for-event nodes get (`events`: node id -> JSON value, or a Rejection),
each delivered through the lifecycle once its node waits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import pytest

from lambdas.runtime.blobs import Blob
from lambdas.runtime.model_apis import PUBLIC_MODEL_APIS, ModelApis
from lambdas.runtime.output_limits import OutputLimits
from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from local.inprocess import InProcessEngine
from local.mail import SentEmail
from statemachine.validation import validated
from tests.support.http_server import LOCAL_FAKES
from tests.support.timing import TEST_TIME_SCALE


@dataclass(frozen=True)
class Result:
    """A finished execution's record, with shortcuts for what tests look at."""

    record: dict[str, Any]
    # the e-mail the execution's nodes sent, as `serve` shows it (GET /emails)
    emails: tuple[dict[str, Any], ...] = ()
    # the record of another execution of the run's organization (a child), by id
    read: Callable[[str], dict[str, Any]] | None = None

    def execution(self, execution_id: str) -> Result:
        """The record of another execution, such as the child a run-workflow node ran."""
        assert self.read is not None
        return Result(self.read(execution_id), read=self.read)

    @property
    def status(self) -> str:
        return str(self.record["status"])

    def node(self, node_id: str) -> dict[str, Any]:
        """The node execution of `node_id`."""
        for execution in self.record["nodeExecutions"]:
            if execution["nodeId"] == node_id:
                return dict(execution)
        raise KeyError(f"no node execution for {node_id!r} in {self.record}")

    def output(self, node_id: str, name: str = "result") -> Any:
        """Output `name` of a node that must have completed."""
        execution = self.node(node_id)
        assert execution["status"] == "completed", execution
        return execution["outputs"][name]

    def error(self, node_id: str) -> str:
        """The error message of a node that must have failed."""
        execution = self.node(node_id)
        assert execution["status"] == "error", execution
        return str(execution["error"])

    def statuses(self) -> dict[str, str]:
        return {e["nodeId"]: e["status"] for e in self.record["nodeExecutions"]}


class Engine(Protocol):
    name: str

    def run(
        self,
        workflow: Any,
        *,
        inputs: Any = None,
        secrets: Mapping[str, str] | None = None,
        credits: int | None = None,
        limits: OutputLimits | None = None,
        files: Mapping[str, Blob] | None = None,
        model_apis: ModelApis = PUBLIC_MODEL_APIS,
        workflows: Sequence[Any] = (),
        events: Mapping[str, Any] | None = None,
    ) -> Result:
        """Run `workflow`, with `workflows` deployed first in its organization (the
        workflows its run-workflow nodes call) and `events` delivered to its
        wait-for-event nodes (by node id)."""
        ...


class InProcess:
    name = "inprocess"

    def run(
        self,
        workflow: Any,
        *,
        inputs: Any = None,
        secrets: Mapping[str, str] | None = None,
        credits: int | None = None,
        limits: OutputLimits | None = None,
        files: Mapping[str, Blob] | None = None,
        model_apis: ModelApis = PUBLIC_MODEL_APIS,
        workflows: Sequence[Any] = (),
        events: Mapping[str, Any] | None = None,
    ) -> Result:
        engine = InProcessEngine(
            secrets=secrets,
            credits=credits,
            limits=limits,
            allow_networks=LOCAL_FAKES,
            model_apis=model_apis,
            time_scale=TEST_TIME_SCALE,
        )
        inputs = uploaded(inputs, files, engine.put_blob)
        for called in workflows:
            engine.deploy(called)
        record = engine.run(workflow, inputs=inputs, events=events)
        emails = sent_by(record.id, engine.sent_emails())
        return Result(record.to_json(), emails, lambda e: engine.record(e).to_json())


class StepFunctions:
    """The compiled state machine on the embedded engine (moto), our handlers as its tasks.

    Two deployments serve most tests (development mode, and credit checks on), one more each
    set of limits or model APIs a test asks for; each run gets an organization of its own,
    carrying the run's secrets and credits.
    """

    name = "stepfunctions"
    parallel: bool | None = None  # the compiler's choice
    _engines: ClassVar[dict[tuple[bool, OutputLimits, ModelApis], EmbeddedEngine]] = {}

    def run(
        self,
        workflow: Any,
        *,
        inputs: Any = None,
        secrets: Mapping[str, str] | None = None,
        credits: int | None = None,
        limits: OutputLimits | None = None,
        files: Mapping[str, Blob] | None = None,
        model_apis: ModelApis = PUBLIC_MODEL_APIS,
        workflows: Sequence[Any] = (),
        events: Mapping[str, Any] | None = None,
    ) -> Result:
        engine = self._engine(
            checks_credits=credits is not None,
            limits=limits or OutputLimits(),
            model_apis=model_apis,
        )
        organization = f"org-{uuid.uuid4().hex[:12]}"
        inputs = uploaded(inputs, files, lambda blob: engine.put_blob(blob, organization))
        if credits is not None:
            engine.set_credits(organization, credits)
        for name, plaintext in (secrets or {}).items():
            engine.secrets.put(organization, name, plaintext)
        catalog = engine.registry.catalog
        for called in workflows:
            engine.deploy(validated(called, catalog), organization)
        record = engine.run(workflow, inputs=inputs, organization_id=organization, events=events)
        emails = sent_by(record.id, engine.sent_emails())
        return Result(record.to_json(), emails, lambda e: engine.record(e).to_json())

    @classmethod
    def _engine(
        cls, *, checks_credits: bool, limits: OutputLimits, model_apis: ModelApis
    ) -> EmbeddedEngine:
        key = (checks_credits, limits, model_apis)
        if key not in cls._engines:
            cloud = LocalCloud.shared()
            cloud.time_scale = TEST_TIME_SCALE
            cls._engines[key] = EmbeddedEngine(
                credits=0 if checks_credits else None,
                cloud=cloud,
                parallel=cls.parallel,
                limits=limits,
                allow_networks=LOCAL_FAKES,
                model_apis=model_apis,
            )
        return cls._engines[key]


def uploaded(
    inputs: Any, files: Mapping[str, Blob] | None, put: Callable[[Blob], dict[str, Any]]
) -> Any:
    """`inputs` with each of `files` (`"node.input"` -> blob) stored first and given as the
    value of that input, as a client uploads a file (POST /blobs) and starts a run with it."""
    if not files:
        return inputs
    given = {node: dict(values) for node, values in (inputs or {}).items()}
    for target, blob in files.items():
        node_id, _, name = target.rpartition(".")
        given.setdefault(node_id, {})[name] = put(blob)
    return given


def sent_by(execution_id: str, sent: list[SentEmail]) -> tuple[dict[str, Any], ...]:
    return tuple(email.to_json() for email in sent if email.execution_id == execution_id)


class StepFunctionsParallel(StepFunctions):
    """The same, compiled with every wave of independent units in a Parallel state."""

    name = "stepfunctions-parallel"
    parallel = True
    _engines: ClassVar[dict[tuple[bool, OutputLimits, ModelApis], EmbeddedEngine]] = {}


ENGINES: dict[str, Callable[[], Engine]] = {
    engine.name: engine for engine in (InProcess, StepFunctions, StepFunctionsParallel)
}


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = ENGINES[request.param]()
    return engine


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A module of one-node workflows (`ONE_NODE = True`: Dafthunk's node tests, ported) runs
    on the in-process engine and on Step Functions, not a third time compiled with Parallel
    states: a workflow of one unit has no wave to run side by side, so its machine is the same."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        one_node = getattr(getattr(item, "module", None), "ONE_NODE", False)
        if one_node and callspec and callspec.params.get("engine") == StepFunctionsParallel.name:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
