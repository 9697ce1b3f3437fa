"""The connections `serve` accepts: each response leaves as soon as it is written.

`serve` makes its listening socket itself (so that a taken port is refused before anything is
printed) and hands it to uvicorn. asyncio turns Nagle's algorithm off (TCP_NODELAY) only on the
connections of a socket made as TCP by name; on the others, a response written in two parts
(its head, then its body) waited for the client's delayed ACK: 40 ms added to every request.
"""

from __future__ import annotations

import socket

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from local.server import listen, server
from tests.support.serving import running


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


def test_each_connection_serve_accepts_sends_without_waiting_for_acks() -> None:
    bound = listen("127.0.0.1", 0)  # serve's own socket and server, as `stepthunk serve` runs
    port = bound.getsockname()[1]
    app = Starlette(routes=[Route("/", hello)])
    with (
        bound,
        running(server(app, host="127.0.0.1", port=port), sockets=[bound]) as runner,
        httpx.Client() as client,
    ):
        for _ in range(3):  # one kept-alive connection, several requests
            assert client.get(f"http://127.0.0.1:{port}/").json() == {"hello": "world"}
        connections = list(runner.server_state.connections)
        assert len(connections) == 1
        accepted = connections[0].transport.get_extra_info("socket")
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
