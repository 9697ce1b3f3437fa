"""The code that runs inside stepthunk's Lambdas: node runtime, node catalog, adapters, handlers.

Every function runs with `PYDANTIC_DISABLE_PLUGINS=__all__` (cdk/components/functions.py), so
pydantic looks for no plugins; yet the module that would look for them imports
`importlib.metadata` (and with it the `email` package) when the first model is built: 11-18 ms
of each cold start. With plugins disabled, that module is replaced before pydantic loads it by
one that answers what it would answer: no plugins.
"""

import os
import sys
import types

_PLUGIN_LOADER = "pydantic.plugin._loader"

if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in ("__all__", "1", "true"):
    _no_plugins = types.ModuleType(_PLUGIN_LOADER, "Plugins disabled: none are looked for.")
    _no_plugins.get_plugins = lambda: ()  # type: ignore[attr-defined]
    sys.modules.setdefault(_PLUGIN_LOADER, _no_plugins)
