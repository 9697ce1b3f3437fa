"""The Lambda code asset: our packages and their wheels for ARM64, bundled without Docker.

pip installs the pinned requirements as CPython 3.12 manylinux aarch64 wheels into a cache
keyed by the requirements' hash, so that only the first synth after a change downloads;
every synth then links that cache and copies `lambdas` and `statemachine` into the asset.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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
# What pip is told about the target; Lambda's Python 3.12 (Amazon Linux 2023) runs these.
PIP_TARGET = (
    "--platform",
    "manylinux2014_aarch64",
    "--implementation",
    "cp",
    "--python-version",
    "3.12",
    "--only-binary=:all:",
)
# Bump when the bundle's layout changes, so that old assets are not reused.
LAYOUT_VERSION = "1"
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
    digest = hashlib.sha256(f"{LAYOUT_VERSION} {' '.join(PIP_TARGET)}".encode())
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
        output = Path(output_dir)
        shutil.copytree(installed_dependencies(), output, copy_function=_link, dirs_exist_ok=True)
        for package in PACKAGES:
            shutil.copytree(PROJECT_ROOT / package, output / package, ignore=_LEFT_OUT)
        return True


def installed_dependencies() -> Path:
    """The directory holding the installed requirements, installing them on a cache miss."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes() + " ".join(PIP_TARGET).encode()).hexdigest()
    target = CACHE / f"dependencies-{key[:16]}"
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
        "--no-compile",  # the build interpreter's .pyc files would be useless on 3.12
        *PIP_TARGET,
        "--target",
        str(staging),
        "--requirement",
        str(REQUIREMENTS),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BundlingFailed(command, result.stdout + result.stderr)
    shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts: nothing runs them
    try:
        staging.rename(target)
    except OSError:  # another synth (a parallel test worker) cached it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _package_files(root: Path) -> list[Path]:
    return [
        Path(folder, name)
        for folder, folders, names in os.walk(root)
        if "__pycache__" not in Path(folder).parts
        for name in names
        if not name.endswith(".pyc") and name != "requirements.txt"
    ]


def _link(source: str, destination: str) -> None:
    """Hard-link a cached file into the asset (fast); copy it across file systems."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
