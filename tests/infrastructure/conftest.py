"""The synthesized stack every infrastructure test reads: one synth per test process.

The app is the one `cdk synth` runs (cdk.app.create_app), cdk-nag included: synth fails on
any unacknowledged finding. The first synth on a machine installs the Lambda bundle's
dependencies into .cdk-cache/; later ones link them from there.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# jsii prints a large end-of-life box for Node 20 on every start; set before aws_cdk loads.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

if TYPE_CHECKING:
    from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parents[2]
STACK = "Stepthunk"


@dataclass(frozen=True)
class Synthesized:
    """The cloud assembly of one synth: its directory, the template, the nag report."""

    outdir: Path

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{STACK}.template.json"

    def template(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.template_path.read_text(encoding="utf-8"))
        return document

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """The resources of CloudFormation type `kind`, by logical id."""
        return {
            name: resource
            for name, resource in self.template()["Resources"].items()
            if resource["Type"] == kind
        }

    def validation_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads(
            (self.outdir / "validation-report.json").read_text(encoding="utf-8")
        )
        return report

    def metadata(self) -> dict[str, list[dict[str, Any]]]:
        document: dict[str, list[dict[str, Any]]] = json.loads(
            (self.outdir / f"{STACK}.metadata.json").read_text(encoding="utf-8")
        )
        return document


def synthesize(outdir: Path, context: dict[str, Any] | None = None) -> Synthesized:
    """Synthesize the app into `outdir` (raises on invalid workflows or nag findings)."""
    from cdk.app import create_app

    create_app(context, outdir=str(outdir)).synth()
    return Synthesized(outdir)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> Template:
    from aws_cdk.assertions import Template

    return Template.from_json(synthesized.template())
