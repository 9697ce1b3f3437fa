"""Unit tests are pure and fast: no module under tests/unit imports moto, boto3 or botocore,
runs a process, opens a socket, starts the embedded engine, its cloud or serve, or imports a
module of tests/support that does; nor asks for a fixture of tests/conftest.py that starts the
local cloud. Such tests belong to tests/cli, component, engine, api, infrastructure or
reliability (README, "Layout")."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT_FILES = sorted((ROOT / "tests" / "unit").rglob("*.py"))
SUPPORT = ROOT / "tests" / "support"
SHARED_FIXTURES = ROOT / "tests" / "conftest.py"
# AWS's libraries and moto; processes; sockets and servers; the embedded engine, its cloud, serve
FORBIDDEN = (
    "moto",
    "boto3",
    "botocore",
    "subprocess",
    "socket",
    "socketserver",
    "http.server",
    "uvicorn",
    "local.embedded",
    "local.cloud",
)
# moto_start, moto_patches, moto_dynamodb, ...; server, server_app, server_gateway
FORBIDDEN_PREFIXES = ("local.moto_", "local.server")


def forbidden(module: str) -> bool:
    return module.startswith(FORBIDDEN_PREFIXES) or any(
        module == name or module.startswith(f"{name}.") for name in FORBIDDEN
    )


def imports(source: str, package: str) -> list[tuple[int, str]]:
    """(line, module) for every module `source` imports, at its top or inside a function:
    `from a import b` imports a and, if it is one, the module a.b; `pytest_plugins` too."""
    found = []
    for item in ast.walk(ast.parse(source)):
        if isinstance(item, ast.Import):
            found += [(item.lineno, alias.name) for alias in item.names]
        elif isinstance(item, ast.ImportFrom):
            parts = package.split(".")[: len(package.split(".")) - item.level + 1]
            module = ".".join([*parts[: len(parts) * bool(item.level)], item.module or ""])
            module = module.strip(".")
            found.append((item.lineno, module))
            if not forbidden(module):  # `from tests.support import serving`
                found += [(item.lineno, f"{module}.{alias.name}") for alias in item.names]
        elif isinstance(item, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytest_plugins"
            for target in item.targets
        ):
            found += [
                (item.lineno, value.value)
                for value in ast.walk(item.value)
                if isinstance(value, ast.Constant) and isinstance(value.value, str)
            ]
    return found


@functools.cache
def impure_support() -> dict[str, str]:
    """Each module of tests/support that starts or imports what unit tests may not -> what,
    through which other support module if so."""
    sources = {
        f"tests.support.{path.stem}": path.read_text(encoding="utf-8")
        for path in SUPPORT.glob("*.py")
    }
    found: dict[str, str] = {}
    changed = True
    while changed:  # until the support modules that import an impure one are all found
        changed = False
        for name, source in sources.items():
            if name in found:
                continue
            for _, module in imports(source, "tests.support"):
                why = module if forbidden(module) else support_reason(module, found)
                if why is not None:
                    found[name], changed = why, True
                    break
    return found


def support_reason(module: str, impure: dict[str, str]) -> str | None:
    return f"{module}, which imports {impure[module]}" if module in impure else None


@functools.cache
def impure_shared_fixtures() -> dict[str, str]:
    """Each fixture of tests/conftest.py whose code uses a name it imports from a forbidden
    module -> that module (`cloud` starts the local cloud)."""
    tree = ast.parse(SHARED_FIXTURES.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for item in ast.walk(tree):
        if isinstance(item, ast.ImportFrom) and forbidden(item.module or ""):
            names |= {alias.asname or alias.name: item.module or "" for alias in item.names}
        elif isinstance(item, ast.Import):
            names |= {
                alias.asname or alias.name.split(".")[0]: alias.name
                for alias in item.names
                if forbidden(alias.name)
            }
    fixtures = {}
    for item in tree.body:
        if isinstance(item, ast.FunctionDef) and any(
            "fixture" in ast.unparse(decorator) for decorator in item.decorator_list
        ):
            used = [n.id for n in ast.walk(item) if isinstance(n, ast.Name) and n.id in names]
            if used:
                fixtures[item.name] = names[used[0]]
    return fixtures


def violations(name: str, source: str) -> list[str]:
    """What the module `name` (a path under tests/unit) imports or asks for that a unit test
    may not, one line each."""
    package = ".".join(Path(name).parent.parts)
    impure = impure_support()
    found = []
    for line, module in imports(source, package):
        why = module if forbidden(module) else support_reason(module, impure)
        if why is not None:
            found.append(f"{name}:{line}: imports {why}")
    fixtures = impure_shared_fixtures()
    for item in ast.walk(ast.parse(source)):
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
            item.name.startswith("test")
            or any("fixture" in ast.unparse(decorator) for decorator in item.decorator_list)
        ):
            found += [
                f"{name}:{item.lineno}: asks for the fixture {argument.arg} of tests/conftest.py, "
                f"which uses {fixtures[argument.arg]}"
                for argument in item.args.args
                if argument.arg in fixtures
            ]
    return found


def test_the_unit_modules_and_what_they_may_not_use_are_found() -> None:
    assert len(UNIT_FILES) > 20
    impure = impure_support()
    assert {"http_server", "runs", "serving", "sessions", "secret_scan"} <= {
        name.rpartition(".")[2] for name in impure
    }
    assert "tests.support.workflows" not in impure
    assert impure_shared_fixtures() == {"cloud": "local.cloud"}


@pytest.mark.parametrize("path", UNIT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_unit_module_uses_nothing_impure(path: Path) -> None:
    name = str(path.relative_to(ROOT))
    problems = violations(name, path.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_a_wrong_import_or_fixture_is_named() -> None:
    planted = (
        "import json\n"
        "from local.cli import main\n"
        "import botocore.exceptions\n"
        "from tests.support import workflows, serving\n"
        "from tests.support.sessions import Session\n"
        "from local import moto_start\n"
        "def test_a(tmp_path, cloud):\n"
        "    import subprocess\n"
        "    from moto import mock_aws\n"
    )

    found = violations("tests/unit/planted.py", planted)

    assert [line.partition(", which")[0] for line in found] == [
        "tests/unit/planted.py:3: imports botocore.exceptions",
        "tests/unit/planted.py:4: imports tests.support.serving",
        "tests/unit/planted.py:5: imports tests.support.sessions",
        "tests/unit/planted.py:6: imports local.moto_start",
        "tests/unit/planted.py:8: imports subprocess",
        "tests/unit/planted.py:9: imports moto",
        "tests/unit/planted.py:7: asks for the fixture cloud of tests/conftest.py",
    ]
    assert found[2].startswith(
        "tests/unit/planted.py:5: imports tests.support.sessions, which imports "
        "tests.support.serving, which imports "
    )
    assert found[-1].endswith("which uses local.cloud")
