"""The connections `serve` accepts: each response leaves as soon as it is written.

`serve` makes its listening socket itself (so that a taken port is refused before anything is
printed) and hands it to uvicorn. asyncio turns Nagle's algorithm off (TCP_NODELAY) only on the
connections of a socket made as TCP by name; on the others, a response written in two parts
(its head, then its body) waited for the client's delayed ACK: 40 ms added to every request.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from local.server import listen, server

PATIENCE = 30.0


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


@contextmanager
def serving_on_our_socket() -> Iterator[tuple[uvicorn.Server, int]]:
    """serve's own server on serve's own socket, as `stepthunk serve` runs them."""
    bound = listen("127.0.0.1", 0)
    port = bound.getsockname()[1]
    runner = server(Starlette(routes=[Route("/", hello)]), host="127.0.0.1", port=port)
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [bound]}, daemon=True)
    thread.start()
    give_up = time.monotonic() + PATIENCE
    while not runner.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < give_up, "the server did not start"
        time.sleep(0.01)
    try:
        yield runner, port
    finally:
        runner.should_exit = True
        thread.join(PATIENCE)
        bound.close()


def test_each_connection_serve_accepts_sends_without_waiting_for_acks() -> None:
    with serving_on_our_socket() as (runner, port), httpx.Client() as client:
        for _ in range(3):  # one kept-alive connection, several requests
            assert client.get(f"http://127.0.0.1:{port}/").json() == {"hello": "world"}
        connections = list(runner.server_state.connections)
        assert len(connections) == 1
        accepted = connections[0].transport.get_extra_info("socket")
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
