"""Imports go one way: handlers -> lifecycle -> runtime -> statemachine, adapters -> runtime,
nodes -> runtime; handlers reach adapters only through their composition root (wiring and
settings); nothing under lambdas/ or statemachine/ imports local/, cdk/, tests/ or bench/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("lambdas", "statemachine", "local", "cdk", "tests", "bench")
# layer -> the other layers it may import
MAY_IMPORT = {
    "statemachine": set(),
    "lambdas.runtime": {"statemachine"},
    "lambdas.lifecycle": {"lambdas.runtime", "statemachine"},
    "lambdas.adapters": {"lambdas.runtime", "statemachine"},
    "lambdas.nodes": {"lambdas.runtime", "statemachine"},
    "lambdas.handlers": {"lambdas.lifecycle", "lambdas.runtime", "lambdas.nodes", "statemachine"},
}
# where real adapters are built from the environment's settings
COMPOSITION_ROOT = {"lambdas/handlers/wiring.py", "lambdas/handlers/settings.py"}


def layer(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "lambdas" and len(parts) > 1 else parts[0]


def imported(path: Path) -> set[str]:
    """Every module of ours `path` imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return {module for module in found if module.split(".")[0] in OURS}


def wrong_in(name: str, path: Path) -> list[str]:
    """The imports of the file at `path`, named `name` in the tree, that go the wrong way."""
    own = layer(".".join(Path(name).with_suffix("").parts))
    allowed = MAY_IMPORT.get(own, set()) | {own}
    if name in COMPOSITION_ROOT:
        allowed = allowed | {"lambdas.adapters"}
    return [f"{name} imports {m}" for m in sorted(imported(path)) if layer(m) not in allowed]


def test_imports_go_one_way() -> None:
    paths = sorted([*ROOT.glob("lambdas/**/*.py"), *ROOT.glob("statemachine/**/*.py")])

    assert len(paths) > 100
    assert [w for path in paths for w in wrong_in(str(path.relative_to(ROOT)), path)] == []


def test_a_wrong_import_is_named(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("from local.cloud import LocalCloud\nimport lambdas.adapters.errors\n")

    assert wrong_in("lambdas/lifecycle/planted.py", planted) == [
        "lambdas/lifecycle/planted.py imports lambdas.adapters.errors",
        "lambdas/lifecycle/planted.py imports local.cloud",
    ]
    assert wrong_in("lambdas/handlers/api/planted.py", planted) == [
        "lambdas/handlers/api/planted.py imports lambdas.adapters.errors",
        "lambdas/handlers/api/planted.py imports local.cloud",
    ]
