"""Date nodes."""

from __future__ import annotations

from lambdas.runtime.node_type import NodeFamily

family = NodeFamily("Date")
