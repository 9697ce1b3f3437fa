"""AWS's quotas that stepthunk works within, each written once, named after what AWS limits.

Modules that keep to one (the compiler, the stores, the embedded engine that enforces what moto
does not) take it from here, often with a budget of their own below it.
"""

from __future__ import annotations

# Step Functions
STATE_PAYLOAD_BYTES = 256 * 1024  # a state's input or output, a task's input or result
DEFINITION_BYTES = 1_048_576  # a state machine's definition
HISTORY_EVENTS = 25_000  # events in one execution's history
EXPRESS_SECONDS = 300  # how long an Express execution may run
NAME_CHARACTERS = 80  # a state machine's, a state's or an execution's name
CAUSE_CHARACTERS = 32_768  # a StopExecution's cause

# Lambda: a synchronous invocation's request, and its response
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024

# DynamoDB: an item, names and values
ITEM_BYTES = 400 * 1024

# KMS: what Encrypt takes directly
KMS_PLAINTEXT_BYTES = 4096

# API Gateway WebSocket: one message (a post to a connection)
WEBSOCKET_MESSAGE_BYTES = 128 * 1024
