"""The checks a deployment must pass: cdk-nag, cfn-lint, asl-validator, and `cdk synth` itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cdk import bundling
from cdk.errors import InvalidWorkflowFile
from tests.infrastructure.conftest import ROOT, STACK, Synthesized, synthesize
from tests.infrastructure.placeholders import resolve
from tests.infrastructure.test_asl_validator import validate

ACKNOWLEDGED = "aws:cdk:acknowledged-rules"
CFN_LINT = str(ROOT / ".venv" / "bin" / "cfn-lint")


def test_cdk_nag_reports_no_unacknowledged_finding(synthesized: Synthesized):
    (report,) = synthesized.validation_report()["pluginReports"]
    assert report["pluginName"] == "AwsSolutions"
    assert report["violations"] == []
    assert report["conclusion"] == "success"


def test_every_acknowledgment_gives_a_reason_and_accepts_a_real_finding(
    synthesized: Synthesized,
):
    (report,) = synthesized.validation_report()["pluginReports"]
    used = {
        (f"/{v['acknowledgedAt']}", v["acknowledgedId"]) for v in report["suppressedViolations"]
    }
    made = {
        (path, rule): reason
        for path, entries in synthesized.metadata().items()
        for entry in entries
        if entry["type"] == ACKNOWLEDGED
        for rule, reason in entry["data"].items()
    }
    assert made
    assert set(made) - used == set()  # a stale acknowledgment would hide a future finding
    for (path, rule), reason in made.items():
        assert len(reason) >= 60, (path, rule, reason)


def test_cfn_lint_finds_nothing_but_w3005(synthesized: Synthesized):
    done = subprocess.run(
        [CFN_LINT, "--ignore-checks", "W3005", "--", str(synthesized.template_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_state_machine_definition_is_valid_asl_calling_our_functions(
    synthesized: Synthesized, tmp_path: Path
):
    resources = synthesized.template()["Resources"]
    functions = {
        resolve({"Fn::GetAtt": [name, "Arn"]}, resources)
        for name in synthesized.resources("AWS::Lambda::Function")
    }
    paths = []
    for name, machine in synthesized.resources("AWS::StepFunctions::StateMachine").items():
        definition = resolve(machine["Properties"]["DefinitionString"], resources)
        tasks = [s for s in json.loads(definition)["States"].values() if s["Type"] == "Task"]
        assert tasks, name
        assert {called(task) for task in tasks} <= functions, name
        paths.append(tmp_path / f"{name}.asl.json")
        paths[-1].write_text(definition, encoding="utf-8")

    verdicts = validate(paths)

    assert [Path(path).name for path, valid in verdicts.items() if not valid] == []


def called(task: dict[str, Any]) -> str:
    """The function a Task state calls: its Resource, or the FunctionName of a service
    integration's invoke (a wait-for-event node's `.waitForTaskToken` task)."""
    if task["Resource"].startswith("arn:aws:states:::lambda:invoke"):
        return str(task["Parameters"]["FunctionName"])
    return str(task["Resource"])


def test_an_invalid_workflow_fails_the_synth_with_its_validation_problems(tmp_path: Path):
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    shutil.copy(ROOT / "workflows" / "arithmetic.json", workflows)
    broken = {
        "id": "broken",
        "name": "Broken",
        "nodes": [{"id": "a", "name": "A", "type": "no-such-type"}],
        "edges": [],
    }
    (workflows / "broken.json").write_text(json.dumps(broken), encoding="utf-8")

    with pytest.raises(InvalidWorkflowFile) as failure:
        synthesize(tmp_path / "cdk.out", {"workflowsDir": str(workflows)})

    assert failure.value.path == workflows / "broken.json"
    assert "Node 'a' has unknown type 'no-such-type'" in str(failure.value)
    assert "broken.json" in str(failure.value)


def test_a_short_lived_workflow_file_that_could_outlast_express_fails_the_synth(tmp_path: Path):
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    pausing = {
        "id": "pausing",
        "name": "Pausing",
        "shortLived": True,
        "nodes": [{"id": "pause", "type": "wait", "inputs": [{"name": "seconds", "value": 400}]}],
        "edges": [],
    }
    (workflows / "pausing.json").write_text(json.dumps(pausing), encoding="utf-8")

    with pytest.raises(InvalidWorkflowFile) as failure:
        synthesize(tmp_path / "cdk.out", {"workflowsDir": str(workflows)})

    assert "EXPRESS_DURATION_EXCEEDED" in str(failure.value)
    assert "Node 'pause' may take 400 s" in str(failure.value)


def test_a_short_lived_workflow_file_becomes_an_express_state_machine(tmp_path: Path):
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    example = json.loads((ROOT / "workflows" / "arithmetic.json").read_text(encoding="utf-8"))
    (workflows / "quick.json").write_text(
        json.dumps({**example, "id": "quick", "shortLived": True}), encoding="utf-8"
    )
    shutil.copy(ROOT / "workflows" / "arithmetic.json", workflows)

    synthesized = synthesize(tmp_path / "cdk.out", {"workflowsDir": str(workflows)})

    machines = synthesized.resources("AWS::StepFunctions::StateMachine")
    types = {
        name: m["Properties"].get("StateMachineType", "STANDARD") for name, m in machines.items()
    }
    assert sorted(types.values()) == ["EXPRESS", "STANDARD"]
    express = [name for name, kind in types.items() if kind == "EXPRESS"]
    assert len(express) == 1
    assert express[0].startswith("WorkflowsQuick")


def test_a_workflow_file_too_large_for_one_machine_is_refused_naming_the_api(tmp_path: Path):
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    nodes = [
        {"id": f"n{i}", "type": "text-input", "inputs": [{"name": "value", "value": "x" * 200}]}
        for i in range(3000)
    ]
    large = {"id": "large", "name": "Large", "nodes": nodes, "edges": []}
    (workflows / "large.json").write_text(json.dumps(large), encoding="utf-8")

    with pytest.raises(InvalidWorkflowFile) as failure:
        synthesize(tmp_path / "cdk.out", {"workflowsDir": str(workflows)})

    assert "PUT /workflows/{id}" in str(failure.value)
    assert "runs it in parts" in str(failure.value)


def test_npx_cdk_synth_succeeds_offline(tmp_path: Path):
    bundling.installed_dependencies()  # the first install needs PyPI; the CLI run must not
    cli = ROOT / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        pytest.fail(f"{cli.relative_to(ROOT)} is missing: run `npm ci` in {ROOT}")
    unreachable = "http://127.0.0.1:9"  # any request would fail: the run must make none
    environment = {
        **os.environ,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_HOME": str(tmp_path / "cdk-home"),
        "HTTP_PROXY": unreachable,
        "HTTPS_PROXY": unreachable,
        "NO_PROXY": "",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    output = tmp_path / "cdk.out"

    done = subprocess.run(
        ["npx", "--no", "cdk", "synth", "-q", "--no-notices", "--output", str(output)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    template = json.loads((output / f"{STACK}.template.json").read_text(encoding="utf-8"))
    machines = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    assert len(machines) == len(list((ROOT / "workflows").glob("*.json")))


def test_a_workflow_file_that_calls_workflows_may_start_and_follow_theirs(tmp_path: Path):
    from tests.infrastructure.iam import allows, machine_needs
    from tests.infrastructure.test_iam_coverage import role_statements

    workflows = tmp_path / "workflows"
    workflows.mkdir()
    calling = {
        "id": "calling",
        "name": "Calling",
        "nodes": [
            {"id": "call", "type": "run-workflow", "inputs": [{"name": "workflowId", "value": "x"}]}
        ],
    }
    (workflows / "calling.json").write_text(json.dumps(calling), encoding="utf-8")
    shutil.copy(ROOT / "workflows" / "arithmetic.json", workflows)

    synthesized = synthesize(tmp_path / "cdk.out", {"workflowsDir": str(workflows)})

    template = synthesized.template()
    resources = template["Resources"]
    statements = role_statements(template, {})
    child = "arn:aws:states:us-east-1:123456789012:stateMachine:stepthunk-0123456789ab-x:2"
    for logical, machine in synthesized.resources("AWS::StepFunctions::StateMachine").items():
        definition = json.loads(resolve(machine["Properties"]["DefinitionString"], resources))
        role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        calls = logical.startswith("WorkflowsCalling")
        starts = [
            need
            for need in machine_needs(
                logical, definition, logs=False, traces=False, children=[child]
            )
            if need.action != "lambda:InvokeFunction"
        ]
        assert bool(starts) == calls
        assert [str(need) for need in starts if not allows(statements[role], need)] == []
        # the machine that calls nothing may start nothing
        assert calls or not any(
            "states:StartExecution" in str(s.get("Action")) for s in statements[role]
        )


def test_a_workflow_file_that_waits_for_events_lets_the_api_deliver_them(tmp_path: Path):
    # A delivery (POST /executions/{id}/nodes/{nodeId}/event) answers SendTaskSuccess or
    # SendTaskFailure, which IAM checks against the machine whose task the token names.
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    waiting = {
        "id": "approval",
        "name": "Approval",
        "nodes": [{"id": "approval", "type": "wait-for-event", "timeoutSeconds": 86400}],
        "edges": [],
    }
    (workflows / "approval.json").write_text(json.dumps(waiting), encoding="utf-8")
    shutil.copy(ROOT / "workflows" / "arithmetic.json", workflows)

    synthesized = synthesize(tmp_path / "cdk.out", {"workflowsDir": str(workflows)})

    resources = synthesized.template()["Resources"]
    machines = synthesized.resources("AWS::StepFunctions::StateMachine")
    [approval] = [name for name in machines if name.startswith("WorkflowsApproval")]
    api_role = next(
        f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in synthesized.resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"].endswith("http_api.handler")
    )
    granted: dict[str, set[str]] = {}  # role -> the machines it may send task responses for
    for policy in synthesized.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else []
            if {"states:SendTaskSuccess", "states:SendTaskFailure"} <= set(actions):
                for role in policy["Properties"]["Roles"]:
                    refs = {r.get("Ref") for r in _listed(statement["Resource"])}
                    granted.setdefault(role["Ref"], set()).update(refs)
    assert approval in granted.get(api_role, set())
    assert [r for r, machines_granted in granted.items() if approval in machines_granted] == [
        api_role
    ]
    definition = resolve(machines[approval]["Properties"]["DefinitionString"], resources)
    tasks = [s for s in json.loads(definition)["States"].values() if s["Type"] == "Task"]
    functions = {
        resolve({"Fn::GetAtt": [name, "Arn"]}, resources)
        for name in synthesized.resources("AWS::Lambda::Function")
    }
    assert {called(task) for task in tasks} <= functions
    path = tmp_path / "approval.asl.json"
    path.write_text(definition, encoding="utf-8")
    assert list(validate([path]).values()) == [True]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_a_workflow_file_with_a_for_each_may_run_its_map_runs(tmp_path: Path):
    from tests.infrastructure.iam import allows, machine_needs
    from tests.infrastructure.test_iam_coverage import role_statements

    workflows = tmp_path / "workflows"
    workflows.mkdir()
    looping = {
        "id": "looping",
        "name": "Looping",
        "nodes": [
            {
                "id": "loop",
                "type": "for-each",
                "inputs": [
                    {"name": "items", "value": [1, 2]},
                    {"name": "workflowId", "value": "x"},
                    {"name": "itemInput", "value": "n.value"},
                ],
            }
        ],
    }
    (workflows / "looping.json").write_text(json.dumps(looping), encoding="utf-8")
    shutil.copy(ROOT / "workflows" / "arithmetic.json", workflows)

    synthesized = synthesize(tmp_path / "cdk.out", {"workflowsDir": str(workflows)})

    template = synthesized.template()
    resources = template["Resources"]
    machines = synthesized.resources("AWS::StepFunctions::StateMachine")
    # a machine's Ref (its ARN) and its name, as the policies resolve them
    names = {
        logical: f"arn:aws:states:us-east-1:123456789012:stateMachine:{logical}.Name"
        for logical in machines
    }
    statements = role_statements(template, names)
    [bucket] = synthesized.resources("AWS::S3::Bucket")
    child = "arn:aws:states:us-east-1:123456789012:stateMachine:stepthunk-0123456789ab-x:2"
    for logical, machine in machines.items():
        definition = json.loads(resolve(machine["Properties"]["DefinitionString"], resources))
        role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        loops = logical.startswith("WorkflowsLooping")
        needs = [
            need
            for need in machine_needs(
                logical,
                definition,
                logs=False,
                traces=False,
                children=[child],
                items=f"arn:aws:s3:::{bucket.lower()}/values/an-organization/a-value",
                itself=names[logical],
            )
            if need.action.startswith(("s3:", "states:StartExecution", "states:Describe"))
            and "stepthunk-" not in need.resource
        ]
        assert bool(needs) == loops
        assert [str(need) for need in needs if not allows(statements[role], need)] == []
