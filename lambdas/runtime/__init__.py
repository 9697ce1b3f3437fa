"""Pure node runtime: node types, registry, executor, skip rules and the execution record."""
