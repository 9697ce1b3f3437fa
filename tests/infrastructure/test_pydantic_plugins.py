"""A function's cold start skips pydantic's search for plugins, which its environment disables:
pydantic, given the stand-in, builds and validates models as it does with its own loader, and
looks for no plugin either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
import lambdas
from pydantic import BaseModel
class Item(BaseModel):
    n: int
from pydantic.plugin import _loader
print(json.dumps({
    "validated": Item.model_validate({"n": "3"}).n,
    "plugins": list(_loader.get_plugins()),
    "metadata": "importlib.metadata" in sys.modules,
    "stand_in": _loader.__doc__ == "Plugins disabled: none are looked for.",
}))
"""


def _probe(disabled: str | None) -> dict[str, object]:
    environment = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if disabled is not None:
        environment["PYDANTIC_DISABLE_PLUGINS"] = disabled
    environment["PYTHONPATH"] = str(ROOT)
    ran = subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, check=True
    )
    probe: dict[str, object] = json.loads(ran.stdout)
    return probe


def test_with_plugins_disabled_pydantic_loads_no_plugin_search() -> None:
    probe = _probe("__all__")
    assert probe == {"validated": 3, "plugins": [], "metadata": False, "stand_in": True}


def test_without_the_setting_pydantic_keeps_its_own_loader() -> None:
    probe = _probe(None)
    assert probe["validated"] == 3
    assert probe["stand_in"] is False
    assert probe["plugins"] == []  # none installed here: the stand-in answers the same


def test_every_function_runs_with_plugins_disabled() -> None:
    from cdk.components import functions

    assert functions.SERVICE_ENVIRONMENT["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
