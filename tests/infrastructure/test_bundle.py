"""The Lambda bundle: our two packages and the pinned wheels for ARM64, built without Docker,
with only the service models the functions use and bytecode for the runtime's Python."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import json
import re
import shutil
import subprocess
import sys
import zipfile
from functools import cached_property
from pathlib import Path

import pytest

from cdk import bundling
from lambdas.handlers.wiring import Clients
from tests.infrastructure.conftest import Synthesized

# Calls that make a boto3 or botocore client (or resource) of the service they name first.
CLIENT_CALLS = frozenset({"client", "resource", "create_client", "_factory"})
# The packages whose code runs on AWS and may create clients: ours and X-Ray's SDK, which
# Powertools' tracer drives (its other utilities are never imported). Read from their sources
# here (the bundle carries the dependencies' bytecode only), at the versions the bundle pins.
CLIENT_MAKERS = ("lambdas", "statemachine", "aws_xray_sdk")
BOTOCORE_FILES = {"endpoints.json", "partitions.json", "sdk-default-configuration.json"}


def asset_directory(synthesized: Synthesized) -> Path:
    (key,) = {
        function["Properties"]["Code"]["S3Key"]
        for function in synthesized.resources("AWS::Lambda::Function").values()
    }  # one asset for every function
    return synthesized.outdir / f"asset.{key.removesuffix('.zip')}"


def pins() -> dict[str, str]:
    """Distribution name (normalized) -> pinned version, from lambdas/requirements.txt."""
    found = {}
    for line in bundling.REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)", line.strip()):
            found[re.sub(r"[-_.]+", "_", match.group(1)).lower()] = match.group(2)
    return found


def test_the_bundle_holds_lambdas_and_statemachine_and_nothing_else_of_ours(
    synthesized: Synthesized,
):
    bundle = asset_directory(synthesized)
    assert (bundle / "lambdas" / "handlers" / "http_api.py").is_file()
    assert (bundle / "statemachine" / "compiler.py").is_file()
    for absent in ("local", "cdk", "tests", "workflows", "lambdas/requirements.txt"):
        assert not (bundle / absent).exists(), absent


def test_the_bundle_carries_every_pinned_distribution_built_for_python_3_12_on_arm64(
    synthesized: Synthesized,
):
    bundle = asset_directory(synthesized)
    installed = {
        re.sub(r"[-_.]+", "_", path.name.removesuffix(".dist-info").rsplit("-", 1)[0]).lower(): (
            path.name.removesuffix(".dist-info").rsplit("-", 1)[1]
        )
        for path in bundle.glob("*.dist-info")
    }
    assert installed == pins()
    assert list(bundle.glob("pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu.so"))


def test_a_second_bundle_reuses_the_installed_dependencies_without_pip(
    monkeypatch: pytest.MonkeyPatch,
):
    first = bundling.installed_dependencies()

    def no_pip(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        raise AssertionError("pip ran although the dependencies were cached")

    monkeypatch.setattr(subprocess, "run", no_pip)
    assert bundling.installed_dependencies() == first


def test_the_bundle_keeps_the_models_of_the_services_the_functions_call_and_no_other(
    synthesized: Synthesized,
):
    bundle = asset_directory(synthesized)
    models = bundle / "botocore" / "data"
    assert {path.name for path in models.iterdir() if path.is_dir()} == bundling.SERVICES
    assert {path.name for path in models.iterdir() if path.is_file()} >= BOTOCORE_FILES
    assert list(models.glob("dynamodb/*/service-2.json*"))
    assert not list(models.rglob("examples-1.json"))
    assert {path.name for path in (bundle / "boto3" / "data").iterdir()} <= bundling.SERVICES
    for unread in bundling.UNREAD:
        assert not (bundle / unread).exists(), unread
    assert not list(bundle.glob("*.dist-info/RECORD"))


def test_no_shared_object_in_the_bundle_keeps_debug_sections(synthesized: Synthesized):
    import lief

    libraries = [path for path in asset_directory(synthesized).rglob("*.so*") if path.is_file()]
    assert any(path.name.startswith("_quickjs") for path in libraries)
    for library in libraries:
        binary = lief.ELF.parse(str(library))
        assert binary is not None, library
        names = map(bundling.section_name, binary.sections)
        assert not [name for name in names if name.startswith(".debug")], library


def test_a_shared_object_without_its_debug_sections_still_runs(tmp_path: Path):
    # The JavaScript engine's extension, built for this machine, cleared as the bundle's is.
    import quickjs

    installed = Path(quickjs.__file__).parent.parent
    shutil.copytree(installed / "quickjs", tmp_path / "quickjs")
    (extension,) = installed.glob("_quickjs*.so")
    shutil.copy(extension, tmp_path / extension.name)
    assert bundling.clear_debug_sections(tmp_path) == [tmp_path / extension.name]
    assert bundling.clear_debug_sections(tmp_path) == []  # nothing left to clear
    program = "import quickjs; print(quickjs.Context().eval('[1, 2].map(x => x * 21).join()'))"
    ran = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert ran.stdout.strip() == "21,42"


def test_the_zipped_bundle_is_at_most_10_mb(synthesized: Synthesized, tmp_path: Path):
    bundle = asset_directory(synthesized)
    archive = tmp_path / "asset.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        for path in bundle.rglob("*"):
            if path.is_file():
                zipped.write(path, path.relative_to(bundle))
    assert archive.stat().st_size <= 10_000_000


def test_the_bundles_own_boto3_makes_a_client_of_every_kept_service_and_of_no_other(
    synthesized: Synthesized,
):
    # Only the bundle on the path (-S): its botocore reads its trimmed models. Its packages
    # for these clients are pure Python, so they run here although built for ARM64.
    script = f"""
import json, sys
sys.path.insert(0, {str(asset_directory(synthesized))!r})
import boto3, botocore.exceptions
session = boto3.session.Session(
    aws_access_key_id="key", aws_secret_access_key="secret", region_name="eu-west-1"
)
made = {{}}
for service in {sorted(bundling.SERVICES)!r} + ["ec2", "lambda"]:
    try:
        made[service] = session.client(service).meta.endpoint_url
    except botocore.exceptions.UnknownServiceError:
        made[service] = None
print(json.dumps({{"botocore": botocore.__file__, "made": made}}))
"""
    environment = {"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
    # Python of the runtime's version where one is at hand: that of the bundle's bytecode.
    python = bundling.bytecode_python() or sys.executable
    result = subprocess.run(
        [python, "-S", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    outcome = json.loads(result.stdout)
    assert Path(outcome["botocore"]).is_relative_to(asset_directory(synthesized))
    made = outcome["made"]
    for service in bundling.SERVICES:
        assert str(made[service]).startswith("https://"), service
    assert made["ec2"] is None
    assert made["lambda"] is None


def test_every_client_the_deployed_code_creates_is_of_a_service_the_bundle_keeps():
    assert importlib.metadata.version("aws-xray-sdk") == pins()["aws_xray_sdk"]
    folders = [Path(str(importlib.import_module(name).__file__)).parent for name in CLIENT_MAKERS]
    named = set().union(*map(services_named, folders))
    assert named | services_wired() == bundling.SERVICES


def test_the_bundle_carries_bytecode_for_the_runtimes_python_where_one_is_at_hand(
    synthesized: Synthesized,
):
    bundle = asset_directory(synthesized)
    python = bundling.bytecode_python()
    ours = [path for package in bundling.PACKAGES for path in (bundle / package).rglob("*.py")]
    dependencies = [
        path
        for package in ("botocore", "pydantic", "aws_lambda_powertools", "aws_xray_sdk")
        for path in (bundle / package).rglob("*.py*")
        if path.suffix in {".py", ".pyc"}
    ]
    if python is None:  # no Python of the runtime's version here: said at synth, nothing else
        assert not list(bundle.rglob("*.pyc"))
        return
    # Our sources stay, with their bytecode in __pycache__; the dependencies' bytecode
    # replaces their sources.
    tag = bundling.bytecode_tag(python)
    compiled = [path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc" for path in ours]
    assert [path for path in compiled if not path.is_file()] == []
    assert {path.suffix for path in dependencies} == {".pyc"}
    # Unchecked hash-based (PEP 552 flags 0b01): the zip's timestamps cannot invalidate them.
    flags = {int.from_bytes(path.read_bytes()[4:8], "little") for path in compiled + dependencies}
    assert flags == {1}
    shown = subprocess.run(
        [python, "-c", SHOW_CODE, *map(str, [compiled[0], bundle / "botocore/client.pyc"])],
        capture_output=True,
        text=True,
        check=True,
    )
    task_root = Path(bundling.TASK_ROOT)
    assert shown.stdout.split() == [
        str(task_root / ours[0].relative_to(bundle)),
        str(task_root / "botocore/client.py"),
    ]


# Prints the file name the code of each .pyc names (that of its tracebacks).
SHOW_CODE = """
import marshal, sys, pathlib
for path in sys.argv[1:]:
    print(marshal.loads(pathlib.Path(path).read_bytes()[16:]).co_filename)
"""


def test_bytecode_compiled_at_bundling_is_used_whatever_the_sources_timestamps(tmp_path: Path):
    package = tmp_path / "package"
    package.mkdir()
    (package / "__init__.py").write_text("ANSWER = 42\n", encoding="utf-8")
    bundling.compile_bytecode(sys.executable, tmp_path, [package], beside=False)
    # Unzipping sets every file's timestamp; a checked .pyc would then be recompiled.
    (package / "__init__.py").write_text("ANSWER = 0\n", encoding="utf-8")
    imported = subprocess.run(
        [sys.executable, "-S", "-B", "-c", "import package; print(package.ANSWER)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip() == "42"


def services_named(root: Path) -> set[str]:
    """The services of the client-making calls in the sources under `root` (a call whose
    service is not a literal shows as `<file>:<line>`, which no service matches)."""
    found = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_bytes())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CLIENT_CALLS
                and node.args
            ):
                service = node.args[0]
                if isinstance(service, ast.Constant) and isinstance(service.value, str):
                    found.add(service.value)
                else:
                    found.add(f"{path}:{node.lineno}")
    return found


def services_wired() -> set[str]:
    """The services of every client lambdas.handlers.wiring.Clients hands out."""
    made: set[str] = set()

    def record(service: str, **_settings: object) -> object:
        made.add(service)
        return object()

    clients = Clients(factory=record)
    for name, member in inspect.getmembers(Clients):
        if isinstance(member, cached_property):
            getattr(clients, name)
        elif inspect.isfunction(member) and not name.startswith("_"):
            parameters = len(inspect.signature(member).parameters) - 1  # self
            member(clients, *["https://gateway.invalid"] * parameters)
    return made
