"""Following many WebSocket sessions at once (asyncio): what each receives up to its end."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.support.serving import PATIENCE, ends


async def follow(
    socket: ClientConnection, execution_id: str, patience: float = PATIENCE
) -> list[dict[str, Any]]:
    """Every message the session receives up to its execution's final update."""
    messages = []
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), patience))
        messages.append(message)
        if message.get("executionId") == execution_id and ends(message):
            return messages


async def after_the_end(socket: ClientConnection, seconds: float = 0.3) -> str | bytes | None:
    """A message arriving within `seconds` after the final update (there should be none);
    the socket is closed either way."""
    try:
        return await asyncio.wait_for(socket.recv(), seconds)
    except TimeoutError:
        return None
    finally:
        await socket.close()
