"""The node catalog, one module per family; `default_registry()` gathers them.

The families are imported when the registry is first made (a handler makes it with its
deps, on its first event), not with this package: importing a handler loads none of them.
"""

from __future__ import annotations

from functools import cache

from lambdas.runtime.registry import Registry


@cache
def default_registry() -> Registry:
    """Every node type of the catalog."""
    from lambdas.nodes import (
        anthropic,
        array,
        blobs,
        calls,
        code,
        csv,
        date,
        email,
        events,
        for_each,
        forms,
        http,
        io,
        json,
        json_build,
        json_edit,
        json_inspect,
        json_schema,
        logic,
        math,
        openai,
        patterns,
        random,
        sms,
        templates,
        text,
    )

    families = (
        io,
        blobs,
        math,
        text,
        patterns,
        templates,
        sms,
        json,
        json_edit,
        json_inspect,
        json_build,
        json_schema,
        logic,
        date,
        events,
        forms,
        csv,
        array,
        random,
        http,
        email,
        code,
        anthropic,
        openai,
        calls,
        for_each,
    )
    return Registry(node_type for family in families for node_type in family.family.node_types)
