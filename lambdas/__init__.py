"""The code that runs inside stepthunk's Lambdas: node runtime, node catalog, adapters, handlers.

Two modules a cold start would import for nothing are left out of it here, before any
third-party package loads:

- Every function runs with `PYDANTIC_DISABLE_PLUGINS=__all__` (cdk/components/functions.py), so
  pydantic looks for no plugins; yet the module that would look for them imports
  `importlib.metadata` (and with it the `email` package) when the first model is built: 11-18 ms
  of each cold start. With plugins disabled, that module is replaced before pydantic loads it by
  one that answers what it would answer: no plugins.
- In a Lambda (`AWS_LAMBDA_FUNCTION_NAME` is set), `asyncio` is only named at import, by
  Powertools' AppSync resolvers (its event handler package imports every resolver), which no
  function runs: ~20 ms of the HTTP API's cold start. It stands in for asyncio until something
  reads one of its attributes, which imports asyncio then.
"""

import importlib
import os
import sys
import types

_PLUGIN_LOADER = "pydantic.plugin._loader"

if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in ("__all__", "1", "true"):
    _no_plugins = types.ModuleType(_PLUGIN_LOADER, "Plugins disabled: none are looked for.")
    _no_plugins.get_plugins = lambda: ()  # type: ignore[attr-defined]
    sys.modules.setdefault(_PLUGIN_LOADER, _no_plugins)


class _ImportedOnFirstUse(types.ModuleType):
    """A module not imported yet: the first attribute read of it imports the module (in
    `sys.modules` from then on) and copies its attributes here, for whoever holds this one."""

    def __getattr__(self, name: str) -> object:
        # Only called for what this module lacks: at first, everything but a module's
        # own few attributes (an `import` statement reads `__spec__`, None here).
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, name)


if "AWS_LAMBDA_FUNCTION_NAME" in os.environ:
    sys.modules.setdefault("asyncio", _ImportedOnFirstUse("asyncio"))
