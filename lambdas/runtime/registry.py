"""The registry: node type id -> executable node type, and the catalog it declares."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from lambdas.runtime.node_type import NodeType
from statemachine.catalog import NodeTypeSpec


class DuplicateNodeTypeError(ValueError):
    """Two node types were declared with one id."""


class Registry(Mapping[str, NodeType]):
    """An immutable set of node types, looked up by id, in declaration order."""

    def __init__(self, node_types: Iterable[NodeType]) -> None:
        self._types: dict[str, NodeType] = {}
        for node_type in node_types:
            if node_type.id in self._types:
                raise DuplicateNodeTypeError(f"Node type '{node_type.id}' is declared twice")
            self._types[node_type.id] = node_type
        self.catalog: Mapping[str, NodeTypeSpec] = {
            type_id: node_type.spec for type_id, node_type in self._types.items()
        }

    def __getitem__(self, type_id: str) -> NodeType:
        return self._types[type_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)
