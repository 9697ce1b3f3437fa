"""The Lambda code asset: our packages and their wheels for ARM64, bundled without Docker.

pip installs the pinned requirements as CPython 3.12 manylinux aarch64 wheels into a cache
keyed by the requirements' hash, so that only the first synth after a change downloads;
every synth then links that cache and copies `lambdas` and `statemachine` into the asset.
The asset keeps only the botocore models of the services the functions call, the wheels'
shared objects without their debug sections (QuickJS-NG's would add 1.9 MB zipped), and carries
bytecode compiled for the runtime's Python when an interpreter of that version is at hand
(a cold start then reads `.pyc` instead of compiling every module it imports).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from cdk.config import PROJECT_ROOT
from cdk.errors import BundlingFailed

PACKAGES = ("lambdas", "statemachine")
REQUIREMENTS = PROJECT_ROOT / "lambdas" / "requirements.txt"
CACHE = PROJECT_ROOT / ".cdk-cache"
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
PYTHON_VERSION = RUNTIME.name.removeprefix("python")  # "3.12"
# What pip is told about the target; Lambda's Python 3.12 (Amazon Linux 2023) runs these.
PIP_TARGET = (
    "--platform",
    "manylinux2014_aarch64",
    "--implementation",
    "cp",
    "--python-version",
    PYTHON_VERSION,
    "--only-binary=:all:",
)
# The AWS services whose botocore (and boto3) models the bundle keeps: those of the clients
# lambdas.handlers.wiring.Clients creates, and X-Ray, whose SDK reads sampling rules through
# a botocore client. botocore ships some 450 models (16 MB zipped) for the rest.
SERVICES = frozenset(
    {"apigatewaymanagementapi", "dynamodb", "kms", "s3", "sesv2", "stepfunctions", "xray"}
)
# The folders that hold one sub-folder of models per service, relative to the bundle.
MODEL_FOLDERS = frozenset({PurePosixPath("botocore/data"), PurePosixPath("boto3/data")})
# Model files only botocore's documentation reads.
DOCUMENTATION_ONLY = frozenset({"examples-1.json"})
# Files no function reads: Powertools' Swagger UI (the API serves /openapi.json, no UI). Nor
# does any read a distribution's RECORD (left out too: it lists files the bundle leaves out).
UNREAD = frozenset(
    {
        PurePosixPath(
            "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js"
        ),
        PurePosixPath("aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui.min.css"),
    }
)
# The name of the section every shared object built with debug information carries.
DEBUG_SECTION = b".debug_info"
# Where Lambda unpacks the asset: tracebacks name the files there.
TASK_ROOT = "/var/task"
# Names an interpreter of the runtime's version to compile bytecode with (tried first).
BYTECODE_PYTHON_SETTING = "STEPTHUNK_BUNDLE_PYTHON"
# Bump when the bundle's layout changes, so that old assets are not reused.
LAYOUT_VERSION = "3"
_LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", "requirements.txt")


def code() -> lambda_.Code:
    """The one asset every function runs from (CDK bundles it once per synth)."""
    return lambda_.Code.from_asset(
        str(PROJECT_ROOT),
        # A hash of what goes in, so that CDK never fingerprints the whole project (.venv...).
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=source_hash(),
        bundling=BundlingOptions(
            # Required by the API; never pulled, since local bundling always succeeds or raises.
            image=RUNTIME.bundling_image,
            local=LocalBundle(),
        ),
    )


def source_hash() -> str:
    """The hash of everything that makes up the bundle."""
    layout = f"{LAYOUT_VERSION} {' '.join(PIP_TARGET)} {bytecode_tag(bytecode_python())}"
    digest = hashlib.sha256(layout.encode())
    digest.update(REQUIREMENTS.read_bytes())
    for package in PACKAGES:
        for path in sorted(_package_files(PROJECT_ROOT / package)):
            digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class LocalBundle:
    """Bundles on this machine: dependencies from the cache, then our packages."""

    # jsii passes the BundlingOptions positionally; they are not needed here.
    def try_bundle(self, output_dir: str, *_options: object, **_props: object) -> bool:
        python = bytecode_python()
        if python is None:
            print(
                f"stepthunk: no Python {PYTHON_VERSION} found to compile the Lambda bundle's "
                f"bytecode (put python{PYTHON_VERSION} on PATH or name one in "
                f"{BYTECODE_PYTHON_SETTING}); each cold start compiles what it imports.",
                file=sys.stderr,
            )
        assemble(installed_dependencies(), Path(output_dir), python)
        return True


def assemble(dependencies: Path, output: Path, python: str | None) -> None:
    """Fill `output` with the installed `dependencies` the bundle keeps and our packages,
    these compiled by `python` (whose version must be the runtime's) unless it is None."""
    shutil.copytree(
        dependencies,
        output,
        ignore=_relative_to(dependencies, left_out),
        copy_function=_link,
        dirs_exist_ok=True,
    )
    for package in PACKAGES:
        shutil.copytree(PROJECT_ROOT / package, output / package, ignore=_LEFT_OUT)
    if python is not None:
        # Our own sources stay, so that tracebacks show their lines.
        compile_bytecode(python, output, [output / package for package in PACKAGES], beside=False)


def left_out(folder: PurePosixPath, names: Iterable[str]) -> set[str]:
    """Which of the `names` in an installed dependencies' `folder` (relative to their root)
    the bundle leaves out: the models of services no function calls, documentation examples,
    files nothing reads, and the sources of modules compiled beside them (Python imports
    their `.pyc` instead)."""
    present = set(names)
    unread = {name for name in present if folder / name in UNREAD}
    unread |= {name for name in present if name.endswith(".py") and f"{name}c" in present}
    if folder.suffix == ".dist-info":
        unread |= present & {"RECORD"}
    if folder in MODEL_FOLDERS:
        unread |= {name for name in present if "." not in name and name not in SERVICES}
    if folder.parent.parent in MODEL_FOLDERS:  # <models>/<service>/<api version>
        unread |= present & DOCUMENTATION_ONLY
    return unread


def bytecode_python() -> str | None:
    """An interpreter of the runtime's Python version to compile the bundle with, if any:
    the one named by STEPTHUNK_BUNDLE_PYTHON, this one, pythonX.Y on PATH, or pyenv's."""
    return _bytecode_python(os.environ.get(BYTECODE_PYTHON_SETTING, ""))


def bytecode_tag(python: str | None) -> str:
    """The cache tag of the bytecode in the bundle (`cpython-312`), or "none"."""
    return f"cpython-{PYTHON_VERSION.replace('.', '')}" if python is not None else "none"


def compile_bytecode(python: str, root: Path, folders: list[Path], *, beside: bool) -> None:
    """Compile the `.py` files under `folders` with `python`, into `__pycache__` or, `beside`
    them, into `name.pyc` (which Python imports when the source is absent: the bundle leaves
    out the dependencies' sources, whose bytecode would otherwise double its size).

    The files are unchecked hash-based `.pyc` (PEP 552): the asset's zip gives every file
    the same timestamp, so timestamp-based ones would never match their source and Lambda's
    read-only file system could not replace them. They name their source under TASK_ROOT.
    """
    command = [
        python,
        "-m",
        "compileall",
        "-q",
        *(["-b"] if beside else []),
        "--invalidation-mode",
        "unchecked-hash",
        "-s",
        str(root),
        "-p",
        TASK_ROOT,
        *map(str, folders),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingFailed(command, result.stdout + result.stderr)


def installed_dependencies() -> Path:
    """The directory holding the installed requirements (compiled for the runtime where an
    interpreter of its version is at hand), installing them on a cache miss."""
    return install(REQUIREMENTS, PIP_TARGET, bytecode_python(), "dependencies")


def install(requirements: Path, pip_target: tuple[str, ...], python: str | None, name: str) -> Path:
    """The `requirements` installed by pip for `pip_target` into the cache folder `name-<key>`,
    their bytecode compiled by `python` unless it is None."""
    layout = f"{LAYOUT_VERSION} {' '.join(pip_target)} {python or 'no bytecode'}"
    key = hashlib.sha256(requirements.read_bytes() + layout.encode()).hexdigest()
    target = CACHE / f"{name}-{key[:16]}"
    if target.is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="partial-", dir=CACHE))
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # pip's interpreter is not the runtime's: `python` compiles
        *pip_target,
        "--target",
        str(staging),
        "--requirement",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BundlingFailed(command, result.stdout + result.stderr)
    shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts: nothing runs them
    try:
        clear_debug_sections(staging)
        if python is not None:
            compile_bytecode(python, staging, [staging], beside=True)
        staging.rename(target)
    except BundlingFailed:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except OSError:  # another synth (a parallel test worker) cached it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def clear_debug_sections(root: Path) -> list[Path]:
    """Remove the DWARF debug sections of the shared objects under `root` (their bytes
    zeroed, so that they zip to nothing), as `strip --strip-debug` would for any architecture;
    the shared objects it changed. Nothing a process loads is in those sections."""
    import lief  # 0.2 s, and only when a cache is filled

    changed = []
    for library in sorted(root.rglob("*.so*")):
        if not library.is_file() or DEBUG_SECTION not in library.read_bytes():
            continue
        binary = lief.ELF.parse(str(library))
        if binary is None:
            continue
        debug = [name for name in map(section_name, binary.sections) if name.startswith(".debug")]
        for name in debug:
            binary.remove_section(name, clear=True)
        if debug:
            binary.write(str(library))
            changed.append(library)
    return changed


def section_name(section: Any) -> str:
    """An ELF section's name (LIEF gives bytes for a name that is not UTF-8)."""
    name = section.name
    return name if isinstance(name, str) else name.decode("utf-8", "replace")


def _package_files(root: Path) -> list[Path]:
    return [
        Path(folder, name)
        for folder, folders, names in os.walk(root)
        if "__pycache__" not in Path(folder).parts
        for name in names
        if not name.endswith(".pyc") and name != "requirements.txt"
    ]


@cache
def _bytecode_python(named: str) -> str | None:
    version = f"python{PYTHON_VERSION}"
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv", "versions")
    candidates = [
        named,
        sys.executable if f"{sys.version_info[0]}.{sys.version_info[1]}" == PYTHON_VERSION else "",
        shutil.which(version) or "",
        *sorted(map(str, pyenv.glob(f"{PYTHON_VERSION}.*/bin/{version}")), reverse=True),
    ]
    return next((python for python in candidates if python and _is_runtime_python(python)), None)


def _is_runtime_python(python: str) -> bool:
    """Whether `python` runs (a pyenv shim of an unselected version does not) as X.Y."""
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == PYTHON_VERSION


def _relative_to(
    root: Path, leave_out: Callable[[PurePosixPath, Iterable[str]], set[str]]
) -> Callable[[str, list[str]], set[str]]:
    """shutil.copytree's `ignore`, given folders relative to `root`."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        return leave_out(PurePosixPath(Path(folder).relative_to(root).as_posix()), names)

    return ignore


def _link(source: str, destination: str) -> None:
    """Hard-link a cached file into the asset (fast); copy it across file systems."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
