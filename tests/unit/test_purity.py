"""The pure packages import no AWS library and never read the process environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = ("statemachine", "lambdas/runtime", "lambdas/lifecycle", "lambdas/nodes")
FORBIDDEN_MODULES = ("boto3", "botocore", "aws_cdk", "aws_lambda_powertools")
PURE_FILES = sorted(path for package in PURE_PACKAGES for path in (ROOT / package).rglob("*.py"))


def violations(source: str) -> list[tuple[int, str]]:
    """(line, what) for every forbidden import and every use of the process environment."""
    found = []
    for item in ast.walk(ast.parse(source)):
        if isinstance(item, ast.Import):
            modules = [alias.name for alias in item.names]
        elif isinstance(item, ast.ImportFrom):
            modules = [item.module or ""]
            if item.module == "os":
                found += [
                    (item.lineno, f"from os import {alias.name}")
                    for alias in item.names
                    if alias.name in ("environ", "environb", "getenv", "getenvb", "putenv")
                ]
        elif isinstance(item, ast.Attribute) and item.attr in ("environ", "environb", "getenv"):
            found.append((item.lineno, f"use of .{item.attr}"))
            continue
        else:
            continue
        found += [
            (item.lineno, f"import of {module}")
            for module in modules
            if module.split(".")[0] in FORBIDDEN_MODULES
        ]
    return found


def test_the_pure_packages_are_where_they_should_be():
    assert len(PURE_FILES) > 10
    assert {p.parent.name for p in PURE_FILES} >= {"statemachine", "runtime", "lifecycle", "nodes"}


@pytest.mark.parametrize("path", PURE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_imports_no_aws_library_and_reads_no_environment(path: Path):
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for line, what in violations(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        "import boto3",
        "import botocore.exceptions",
        "from aws_cdk import Stack",
        "from aws_lambda_powertools import Logger",
        "import os\nx = os.environ['A']",
        "import os\nx = os.getenv('A')",
        "from os import environ",
        "from os import getenv as g",
        "import os as o\no.environ.get('A')",
    ],
)
def test_the_checker_catches_each_kind_of_violation(source: str):
    assert violations(source)


def test_the_checker_accepts_ordinary_imports():
    assert violations("import os.path\nimport json\nfrom statemachine.model import Workflow") == []
