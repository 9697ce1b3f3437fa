"""The Lambda bundle: our two packages and the pinned wheels for ARM64, built without Docker."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from cdk import bundling
from tests.infrastructure.conftest import Synthesized


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
    assert not list(bundle.glob("lambdas/**/__pycache__"))


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
